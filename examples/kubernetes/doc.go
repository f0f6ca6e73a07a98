// Package kubernetes holds the Kubernetes manifests of the example data
// job (examples/datajob): a ReadWriteMany PVC for the staging and buffer
// dirs, the S3 settings and credentials, a setup Job, an Indexed Job of
// tasks, a commit Job, an abort Job, an Argo Workflows variant and the
// Dockerfile of the image. See README.md in this directory.
//
// The package has no API. Its test parses every manifest and checks each
// container against the example binary: the command is the image's
// datajob, the arguments parse as datajob parses them (datajob.CheckArgs),
// every variable they refer to is defined, the staging and buffer dirs lie
// on mounted volumes, every volume, ConfigMap, Secret and key referred to
// exists, and the steps of a run agree on the job's settings. It then runs
// the containers of each run in order, in its own process, against a MinIO
// with one directory per claim shared by the steps: setup, every task pod
// (JOB_COMPLETION_INDEX or the workflow's --task-index), a replacement pod
// of a task, commit, then datajob verify; and setup, a task, abort.
package kubernetes
