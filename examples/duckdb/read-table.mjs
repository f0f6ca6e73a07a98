#!/usr/bin/env node
// read-table.mjs reads the table that a committed s3commit job wrote, as a
// reader of the output would: it reads the job's _SUCCESS manifest, fetches
// exactly the Parquet files the manifest lists (no listing, so no file of
// an uncommitted or other job), and queries them with DuckDB, the dt=
// directories read as a column (Hive partitioning).
//
//   npm install --prefix examples/duckdb
//   node examples/duckdb/read-table.mjs s3://demo/events
//   node examples/duckdb/read-table.mjs s3://demo/events "SELECT kind, count(*) FROM events GROUP BY kind"
//
// The table is the view "events". The store comes from the AWS variables:
// AWS_ENDPOINT_URL (or AWS_ENDPOINT_URL_S3), AWS_REGION (default
// us-east-1), AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or a profile;
// S3COMMIT_PATH_STYLE=true selects path-style addressing (MinIO). The files
// are fetched to a temporary directory, removed at the end: this DuckDB
// reads them locally, since its S3 support (the httpfs extension) is a
// download of its own at run time.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';

// package.json pins the SDK's version: its notice about the Node.js
// versions of later releases does not apply.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const usage = 'usage: read-table.mjs s3://BUCKET/PREFIX [SQL over the view "events"]';

function fail(msg, code = 1) {
  console.error(`read-table: ${msg}`);
  process.exit(code);
}

const [url, sql] = process.argv.slice(2);
const m = /^s3a?:\/\/([^/]+)\/(.+?)\/*$/.exec(url ?? '');
if (!m) fail(`${url === undefined ? 'no destination' : `${url} is not s3://BUCKET/PREFIX`}\n${usage}`, 2);
const [, bucket, prefix] = m;

const s3 = new S3Client({
  region: process.env.AWS_REGION || 'us-east-1',
  endpoint: process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL || undefined,
  forcePathStyle: /^(1|true)$/i.test(process.env.S3COMMIT_PATH_STYLE ?? ''),
});

async function get(key) {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await out.Body.transformToByteArray());
  } catch (err) {
    throw new Error(`get s3://${bucket}/${key}: ${err.name}: ${err.message}`);
  }
}

// committedFiles returns the files the manifest lists: s3commit's own list
// (in the manifest or its sidecar), else Hadoop's "filenames".
async function committedFiles(manifest) {
  if (manifest.s3commitFiles) return manifest.s3commitFiles;
  if (manifest.s3commitFilesSidecar) {
    return JSON.parse(await get(`${prefix}/${manifest.s3commitFilesSidecar}`)).files;
  }
  return (manifest.filenames ?? []).map((f) => ({ key: f.replace(/^\//, ''), size: 0 }));
}

// print writes a query's result as an aligned table.
function print(title, result) {
  const names = result.columnNames();
  const rows = result.getRowsJson().map((r) => r.map((v) => (v === null ? 'NULL' : String(v))));
  const widths = names.map((n, i) => Math.max(n.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  console.log(`\n${title}`);
  console.log(line(names));
  for (const r of rows) console.log(line(r));
}

let dir;
try {
  const manifest = JSON.parse(await get(`${prefix}/_SUCCESS`));
  const files = (await committedFiles(manifest)).filter((f) => f.key.endsWith('.parquet'));
  if (files.length === 0) fail(`the _SUCCESS of s3://${bucket}/${prefix} lists no Parquet file`);
  const bytes = files.reduce((n, f) => n + (f.size ?? 0), 0);
  console.log(`job ${manifest.jobId}: _SUCCESS lists ${files.length} Parquet files, ${bytes} bytes; read with DuckDB`);

  dir = await mkdtemp(path.join(tmpdir(), 'read-table-'));
  for (let i = 0; i < files.length; i += 8) {
    await Promise.all(files.slice(i, i + 8).map(async (f) => {
      const rel = f.key.slice(prefix.length + 1);
      if (!f.key.startsWith(`${prefix}/`) || rel.split('/').includes('..')) {
        throw new Error(`${f.key} is not under ${prefix}/`);
      }
      const local = path.join(dir, rel);
      await mkdir(path.dirname(local), { recursive: true });
      await writeFile(local, await get(f.key));
    }));
  }

  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const glob = path.join(dir, '**', '*.parquet').replaceAll("'", "''");
  await conn.run(`CREATE VIEW events AS SELECT * FROM read_parquet('${glob}', hive_partitioning = true)`);
  const queries = sql ? [sql] : [
    'DESCRIBE events',
    'SELECT dt, count(*) AS events, count(DISTINCT id) AS ids, min(ts) AS first, max(ts) AS last FROM events GROUP BY dt ORDER BY dt',
    'SELECT count(*) AS events, count(DISTINCT id) AS ids FROM events',
    'SELECT * FROM events ORDER BY id LIMIT 3',
  ];
  for (const q of queries) print(`> ${q}`, await conn.runAndReadAll(q));
} catch (err) {
  fail(err.message);
} finally {
  if (dir) await rm(dir, { recursive: true, force: true });
}
