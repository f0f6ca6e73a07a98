// Package success reads, writes, validates, verifies and prints the
// _SUCCESS manifest that a job commit writes last into its destination.
//
// The manifest is JSON in the shape of Hadoop's SuccessData, so that a
// _SUCCESS written by s3commit reads like one written by Spark on Hadoop,
// and this package reads the files Hadoop's committers write:
//
//   - An empty _SUCCESS (zero bytes) comes from the classic rename committer
//     (FileOutputCommitter) and carries no manifest: [Decode] and [Read]
//     return an error matching [ErrClassicMarker].
//   - Hadoop's S3A committers (staging "directory" and "partitioned",
//     "magic") and its manifest committer (for ABFS and GCS) write JSON
//     with the fields of [Data]; [Data.Writer] tells them apart.
//   - s3commit adds the list of committed files with their sizes, ETags
//     and full-object checksums ([Data.Files]), inline or, for large jobs,
//     in a sidecar object next to the manifest ([Write], [Read]), so that
//     [Verify] can check that a destination holds exactly the committed
//     files, and [VerifyWith] also their content: by the checksums the
//     store keeps, or by reading every file back.
//
// # What Hadoop's sources say
//
// The shapes below were read from Hadoop's sources (hadoop-aws
// org.apache.hadoop.fs.s3a.commit.files.SuccessData, hadoop-mapreduce-client-core
// org.apache.hadoop.mapreduce.lib.output.committer.manifest.files.ManifestSuccessData,
// hadoop-common org.apache.hadoop.fs.statistics.IOStatisticsSnapshot and
// MeanStatistic, org.apache.hadoop.util.JsonSerialization):
//
//   - SuccessData (S3A) has the properties name, timestamp (long,
//     milliseconds since the epoch), date (Java's Date.toString(), "no
//     expectation of parseability"), hostname, committer, description,
//     jobId, jobIdSource, metrics (string → long), diagnostics (string →
//     string), filenames (list of strings) and iostatistics. It has no
//     "success", "state" or "stage" property; such a file is implicitly a
//     success, and this package reads a missing "success" as true.
//   - ManifestSuccessData (manifest committer) has the same properties plus
//     success (boolean, default true; false when the data records a failed
//     job), state and stage (strings, usually unset: null, or left out by
//     newer versions, which serialize with NON_NULL). Its "name" is the very
//     same "org.apache.hadoop.fs.s3a.commit.files.SuccessData/1" as the S3A
//     one ("a copy of the S3A committer success data format, with a goal of
//     being/remaining compatible"). The writer is told apart by "committer":
//     the manifest committer records its class name,
//     "org.apache.hadoop.mapreduce.lib.output.committer.manifest.ManifestCommitter",
//     with jobIdSource "JobID" or "spark.sql.sources.writeJobUUID", a
//     ZonedDateTime.toString() date, diagnostics "principal" and "stage",
//     and filenames as full URIs. [ManifestName] is accepted as well in case
//     a writer names the class itself, but no Hadoop source seen does.
//   - Both validate only that name equals that constant, and both read
//     with FAIL_ON_UNKNOWN_PROPERTIES off: the fields s3commit adds
//     ("s3commitFiles", "s3commitFilesSidecar") are ignored by Hadoop.
//   - IOStatisticsSnapshot serializes five maps: counters, gauges, minimums,
//     maximums (string → long) and meanstatistics (all lower case; string →
//     MeanStatistic). MeanStatistic serializes as {"samples": long, "sum":
//     long}; its mean (sum/samples, 0 without samples) is computed, not
//     stored.
//   - The S3A committers list at most 100 files in filenames
//     (CommitConstants.SUCCESS_MARKER_FILE_LIMIT), each as its key with a
//     leading "/" added unless it has one; the manifest committer lists as
//     many, as full URIs of the destination paths, and sets success to true
//     when its rename stage has committed every file.
package success
