// Package modulegraph holds no code, only tests of the module graph that
// s3commit brings into the modules of the programs that import it.
//
// A program that imports the library requires module
// github.com/s3commit/s3commit, and the go command then reads every
// requirement of the library's go.mod, also those that only the library's
// own tests or its nested modules use. The tests here write a small program
// that imports the library's packages into a temporary directory, run
// `go mod tidy` and `go mod graph` there, and check that modules which only
// tests need, such as testcontainers-go and the Docker client, are not in
// the graph. Such a module belongs in a module of its own, as
// multipart/storetest/miniocontainer is.
package modulegraph
