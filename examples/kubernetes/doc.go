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
// exists, and the steps of a run agree on the job's settings.
package kubernetes
