// Package kubernetes holds the Kubernetes manifests of the example data
// job (examples/datajob): a ReadWriteMany PVC for the staging and buffer
// dirs, the S3 settings and credentials, a setup Job, an Indexed Job of
// tasks, a commit Job, an abort Job, an Argo Workflows variant and the
// Dockerfile of the image; and, in bucket-staging/, the same steps and
// workflow with no shared volume: the staging dir in the bucket
// (s3://BUCKET/_staging) and each pod's buffer dir on an emptyDir. See
// README.md in this directory.
//
// The package has no API. Its test parses the manifests of each variant
// and checks each container against the example binary: the command is
// the image's datajob, the arguments parse as datajob parses them
// (datajob.CheckArgs), every variable they refer to is defined, the
// staging dir lies on a ReadWriteMany claim or, in bucket-staging/, is a
// prefix of the destination's bucket outside the destination with no
// claim in any pod, the buffer dir lies on a mounted volume, every volume,
// ConfigMap, Secret and key referred to exists, and the steps of a run
// agree on the job's settings; each file of bucket-staging/ must equal
// the file of the same name but for the staging and buffer dirs and their
// volumes. It then runs the containers of each run in order, in its own
// process, against a MinIO with one directory per claim shared by the
// steps and one per pod for any other volume: setup, every task pod
// (JOB_COMPLETION_INDEX or the workflow's --task-index), a replacement pod
// of a task, commit, then datajob verify; and setup, a task, abort.
package kubernetes
