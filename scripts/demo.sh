#!/usr/bin/env bash
# The demo of `make demo`: the example data job (examples/datajob) writes
# 100,000 events as Parquet files through the staging committer to a
# MinIO started here on loopback, with one task failing on its first
# attempt and another killed (SIGKILL) in the middle of its task commit;
# then the s3commit CLI shows the _SUCCESS manifest, datajob verify reads
# every file back, DuckDB reads the committed table when examples/duckdb
# is installed (npm install --prefix examples/duckdb), and the multipart
# uploads left pending in the bucket are listed: none.
#
# STAGING says where the job keeps its staging dir: "dir" (the default), a
# local directory, as a shared volume would be; "bucket", the prefix
# s3://demo/_staging of the bucket, so that the driver and the task
# processes share nothing but the store (`make demo STAGING=bucket`).
#
# FORMAT is the format of the job's files: "parquet" (the default) or
# "jsonl", gzip-compressed JSON lines (`make demo FORMAT=jsonl`).
#
# MinIO runs with a fresh temporary data dir and random credentials and is
# stopped, and every temporary file removed, when the script exits, also on
# failure or Ctrl-C. Run through `make demo`, which installs the pinned
# MinIO first; the environment may set GO (the go command) and
# S3COMMIT_TOOLS_DIR (where minio is, default .tools/bin).
set -euo pipefail
# The Go release the build pins (the Makefile's GO_TOOLCHAIN), also when the
# script runs outside make on a machine that sets GOTOOLCHAIN=local.
export GOTOOLCHAIN=go1.26.11

start=$SECONDS
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
go=${GO:-go}
minio=${S3COMMIT_TOOLS_DIR:-$root/.tools/bin}/minio

step() { printf '\n==> %s\n' "$*"; }
die() {
	printf 'demo: %s\n' "$*" >&2
	exit 1
}
# show prints a command, with the temporary dir abbreviated, then runs it.
show() {
	local line="$*"
	printf '$ %s\n' "${line//$work/\$DEMO}"
	"$@"
}

[ -x "$minio" ] || die "no MinIO at $minio; run make demo (it installs the pinned MinIO with make tools)"

staging=${STAGING:-dir}
case $staging in
dir | bucket) ;;
*) die "STAGING=$staging: give STAGING=dir (a local directory, the default) or STAGING=bucket (s3://demo/_staging)" ;;
esac

format=${FORMAT:-parquet}
case $format in
parquet | jsonl) ;;
*) die "FORMAT=$format: give FORMAT=parquet (the default) or FORMAT=jsonl (gzip JSON lines)" ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/s3commit-demo.XXXXXX")
minio_pid=
cleanup() {
	local status=$?
	if [ -n "$minio_pid" ]; then
		step "stopping MinIO"
		kill "$minio_pid" 2>/dev/null || true
		wait "$minio_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
	if [ "$status" -eq 0 ]; then
		printf '\ndemo done in %ds; MinIO stopped, temporary files removed\n' $((SECONDS - start))
	else
		printf '\ndemo FAILED (exit status %d); MinIO stopped, temporary files removed\n' "$status" >&2
	fi
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step "building datajob and s3commit (a minute the first time)"
(cd "$root/examples" && "$go" build -o "$work/bin/datajob" ./datajob) # a module of its own
(cd "$root" && "$go" build -o "$work/bin/s3commit" ./cmd/s3commit)
PATH=$work/bin:$PATH
echo "temporary dir: $work (\$DEMO in the commands below)"

# Random credentials; the demo's store is reachable from this machine only.
random_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }
access_key=$(random_hex 10)
secret_key=$(random_hex 20)

# Nothing of the caller's AWS or MinIO configuration applies here.
for v in $(compgen -e); do
	case $v in AWS_* | MINIO_* | S3COMMIT_PATH_STYLE) unset "$v" ;; esac
done
export AWS_ACCESS_KEY_ID=$access_key AWS_SECRET_ACCESS_KEY=$secret_key AWS_REGION=us-east-1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null

# port_free reports whether nothing listens on 127.0.0.1:$1.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# minio_ready reports whether MinIO answers its health check with its
# object layer up (it answers earlier with X-Minio-Server-Status: offline).
minio_ready() {
	local resp
	resp=$( (
		exec 3<>"/dev/tcp/127.0.0.1/$1"
		printf 'GET /minio/health/live HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
		while IFS= read -r -t 2 line <&3; do printf '%s\n' "$line"; done
	) 2>/dev/null) || true
	[[ $resp == "HTTP/1."[01]" 200"* ]] && [[ $resp != *[Xx]-[Mm]inio-[Ss]erver-[Ss]tatus:*offline* ]]
}

# start_minio starts MinIO on a free port and waits until it is ready. It
# tries another port when one was taken between the check and the start.
start_minio() {
	local tries port i
	for tries in 1 2 3 4 5; do
		port=$((20000 + RANDOM % 40000))
		port_free "$port" || continue
		step "starting MinIO on 127.0.0.1:$port (data in a temporary dir)"
		rm -rf "$work/minio"
		mkdir -p "$work/minio/data"
		MINIO_ROOT_USER=$access_key MINIO_ROOT_PASSWORD=$secret_key \
			MINIO_SITE_REGION=us-east-1 MINIO_BROWSER=off MINIO_UPDATE=off MINIO_CI_CD=on \
			"$minio" server --quiet --address "127.0.0.1:$port" \
			--certs-dir "$work/minio/certs" "$work/minio/data" >"$work/minio.log" 2>&1 &
		minio_pid=$!
		for ((i = 0; i < 300; i++)); do # 30 s
			if ! kill -0 "$minio_pid" 2>/dev/null; then
				wait "$minio_pid" || true
				minio_pid=
				if grep -qi 'address already in use' "$work/minio.log"; then
					continue 2
				fi
				cat "$work/minio.log" >&2
				die "MinIO exited during start-up (its log is above)"
			fi
			if minio_ready "$port"; then
				endpoint=http://127.0.0.1:$port
				echo "MinIO is ready after $((SECONDS - t0))s"
				return 0
			fi
			sleep 0.1
		done
		cat "$work/minio.log" >&2
		die "MinIO on 127.0.0.1:$port not ready after 30s (its log is above)"
	done
	die "found no free port for MinIO"
}
t0=$SECONDS
start_minio

dest=s3://demo/events
if [ "$staging" = bucket ]; then
	staging_dir=s3://demo/_staging
	where="the staging dir is in the bucket, $staging_dir: the driver and the tasks share nothing but the store (STAGING=bucket)"
else
	staging_dir=$work/staging
	where="the staging dir is a local directory, \$DEMO/staging, as a shared volume would be (make demo STAGING=bucket keeps it in the bucket)"
fi
job_id=demo-$(date -u +%Y%m%dT%H%M%SZ)-$$
common=(--dest "$dest" --endpoint-url "$endpoint" --path-style
	--staging-dir "$staging_dir" --job-id "$job_id" --mode partitioned --tasks 4 --format "$format")

step "running the job: 4 tasks in worker processes, 2 at a time; task 1 fails on its first attempt, task 2 is killed (SIGKILL) in the middle of its task commit"
echo "$where"
mkdir -p "$work/metrics"
show datajob run "${common[@]}" --buffer-dir "$work/buffer" --create-bucket --fail-task 1 --crash-task 2 \
	--metrics-file "$work/metrics/job.prom" 2>&1

step "the _SUCCESS manifest, checked against the destination: its listing and the checksums the store keeps"
show s3commit --endpoint-url "$endpoint" --path-style success show "$dest/_SUCCESS" --verify

step "the committed files, read back: every event exactly once"
show datajob verify "${common[@]}"

if [ "$format" = parquet ]; then
	step "the committed table read by DuckDB: the Parquet files _SUCCESS lists (examples/duckdb)"
	if command -v node >/dev/null && [ -d "$root/examples/duckdb/node_modules/@duckdb/node-api" ]; then
		(cd "$root" && AWS_ENDPOINT_URL=$endpoint S3COMMIT_PATH_STYLE=true show node examples/duckdb/read-table.mjs "$dest")
	else
		echo "skipped: the reader is not installed; npm install --prefix examples/duckdb installs it (Node.js 20 or later)"
	fi
fi

step "multipart uploads pending in the bucket: none (the job commit aborted those of the killed attempt)"
show s3commit --endpoint-url "$endpoint" --path-style uploads list s3://demo/
pending=$(s3commit --endpoint-url "$endpoint" --path-style --json uploads list s3://demo/ |
	sed -n 's/^ *"count": *\([0-9]*\).*/\1/p')
[ "$pending" = 0 ] || die "expected 0 pending uploads, found ${pending:-an unreadable count}"
echo "pending uploads: 0"

step "jobs left in the staging dir (a committed job leaves none)"
jobs=$(show s3commit --endpoint-url "$endpoint" --path-style jobs list "$staging_dir")
printf '%s\n' "$jobs"
[ "$(printf '%s\n' "$jobs" | grep -c "$job_id")" = 0 ] || die "job $job_id is still in the staging dir"
echo "jobs in the staging dir: 0"

step "the job's OpenTelemetry metrics in Prometheus format, abridged: the driver's (job.prom) and each task process's (--metrics-file; --metrics-addr serves them on /metrics)"
(cd "$work/metrics" && grep -E '^s3commit_(jobs_committed|job_committed_(files|bytes)|task_committed_files|uploads_(created|completed|aborted))_total |^s3commit_job_commit_duration_seconds_(sum|count) ' \
	job.prom job.task-*.prom) || die "no metrics in $work/metrics"
