// Package testserver starts real S3-compatible servers — MinIO and versitygw —
// on 127.0.0.1 for the integration tests of this module.
//
// Each server is a child process of the test binary, running the binary the
// repository pins and installs with `make tools` into .tools/bin (see
// [MinIOInstallPath] and [VersityGWInstallPath]). A missing binary fails the
// test with a message that says where it looked and how to install it; it is
// never a skip.
//
// # Shared servers
//
// [MinIO] and [VersityGW] return a server shared by every test of the test
// binary. It starts on first use and stops when the tests end, so a package
// that uses them must hand its TestMain to [Run]:
//
//	func TestMain(m *testing.M) { testserver.Run(m) }
//
// Tests on a shared server keep out of each other's way by working in a bucket
// of their own ([Server.CreateBucket]); they must not change server-wide
// settings.
//
// # Private servers
//
// [NewMinIO] and [NewVersityGW] start a server owned by one test, with an empty
// data directory, stopped by the test's Cleanup. Use them when a test needs an
// empty server or changes server-wide state. They need no TestMain.
//
// # Start-up cost
//
// Measured on the development machine, from starting the process until an
// authenticated ListBuckets succeeds: MinIO 0.40–0.44 s, versitygw about
// 0.05 s. Both stop on SIGTERM within 20 ms. MinIO's start-up is why tests
// share one server per test binary by default.
//
// # Processes
//
// Servers stop on SIGTERM, and are killed if they have not exited after a
// grace period (10 s); a kill is printed as a warning, not a failure, since
// the tests are over by then. A server that exited on its own before it was
// stopped fails the tests. On Linux each server is also started with a
// parent-death signal (SIGKILL), so no server outlives a test binary that
// crashes, times out or is killed before it can stop them.
//
// # Binaries
//
// A server binary is looked up, in order, in the directory named by
// $S3COMMIT_TOOLS_DIR, in .tools/bin of the repository root (the nearest
// directory at or above the working directory whose go.mod is the module
// github.com/s3commit/s3commit, so that the nested modules' tests find it
// too), and on $PATH.
package testserver
