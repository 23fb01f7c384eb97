/**
 * `npm run bench:s3`: a repository whose chunks live in S3 (issue 13, point 3).
 * On the 3M-row flights table (DuckDB adds an id key): push to and clone from
 * the chunk store, and the bytes a 10-row commit moves, against baselines in the
 * same run (one PutObject / GetObject of DuckDB's sorted copy of the table).
 * Uses the S3 server in AWS_ENDPOINT_URL, or starts a local radosgw with
 * shared/tools/s3-ceph.sh (stopped after). BENCH_ROWS runs on fewer rows.
 */
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { FLIGHTS, OUT, ROOT, ROWS, dgit, du, loadAverage, mb as megabytes, snapshotDist, type Timed } from '../lib.js';

/** Sizes readable at both ends: a 10-row commit moves kilobytes, a first push megabytes. */
const mb = (bytes: number) => (bytes < 1e6 ? `${(bytes / 1e3).toFixed(1)} KB` : megabytes(bytes));

const CEPH_DIR = path.join(ROOT, 'node_modules', '.cache', 'dgit-ceph');
const SCRIPT = [path.join(ROOT, '..', 'shared', 'tools', 's3-ceph.sh'), '/work/shared/tools/s3-ceph.sh'].find((f) => fs.existsSync(f));

interface Row {
  step: string;
  seconds: number;
  bytes?: number;
  detail?: string;
}
const rows: Row[] = [];
function record(step: string, seconds: number, bytes?: number, detail?: string): void {
  rows.push({ step, seconds, bytes, detail });
  process.stderr.write(`${step}: ${seconds.toFixed(2)} s${bytes !== undefined ? `, ${mb(bytes)}` : ''}${detail ? ` (${detail})` : ''}\n`);
}

function json<T>(run: Timed): T {
  return JSON.parse(run.stdout) as T;
}

async function main(): Promise<void> {
  fs.mkdirSync(OUT, { recursive: true });
  snapshotDist();
  let started = false;
  if (!process.env.AWS_ENDPOINT_URL) {
    if (!SCRIPT) throw new Error('no S3 server: set AWS_ENDPOINT_URL or provide shared/tools/s3-ceph.sh');
    const output = execFileSync('bash', [SCRIPT, 'start', CEPH_DIR], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    for (const line of output.split('\n')) {
      const match = /^(AWS_[A-Z_]+)=(.*)$/.exec(line.trim());
      if (match) process.env[match[1]] = match[2]!;
    }
    started = true;
  }
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const work = path.join(OUT, 's3');
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(path.join(work, 'served'), { recursive: true });
  const server = spawn(process.execPath, [path.join(ROOT, 'dist', 'bench', 's3', 'git-http.js'), path.join(work, 'served')], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<string>((resolve) => server.stdout.once('data', (data: Buffer) => resolve(data.toString().trim())));
    await run(work, `http://127.0.0.1:${port}/flights.git`);
  } finally {
    server.kill();
    if (started) execFileSync('bash', [SCRIPT!, 'stop', CEPH_DIR], { stdio: 'inherit' });
  }
}

async function run(work: string, gitUrl: string): Promise<void> {
  const loadBefore = loadAverage();
  const s3 = new S3Client({ forcePathStyle: true, region: process.env.AWS_REGION ?? 'us-east-1' });
  const bucket = `dgit-bench-${crypto.randomBytes(4).toString('hex')}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const bare = path.join(work, 'served', 'flights.git');
  execFileSync('git', ['init', '-q', '--bare', '--initial-branch=main', bare]);
  execFileSync('git', ['config', 'http.receivepack', 'true'], { cwd: bare });

  const duck = await DuckDBInstance.create(':memory:');
  const sql = await duck.connect();
  const table = path.join(work, 'flights.parquet');
  await sql.run(`COPY (SELECT row_number() OVER () AS id, * FROM read_parquet('${FLIGHTS}') LIMIT ${ROWS}) TO '${table}' (FORMAT parquet)`);
  const sorted = path.join(work, 'sorted.parquet');
  await sql.run(`COPY (SELECT * FROM read_parquet('${table}') ORDER BY id) TO '${sorted}' (FORMAT parquet, COMPRESSION zstd)`);
  const upsert = path.join(work, 'upsert.parquet');
  await sql.run(`COPY (SELECT id, date, delay + 1000 AS delay, distance, origin, destination FROM read_parquet('${table}') WHERE id BETWEEN ${Math.floor(ROWS / 2)} AND ${Math.floor(ROWS / 2) + 9}) TO '${upsert}' (FORMAT parquet)`);

  // Baseline: the whole table as one Parquet object, one PUT and one GET with the SDK.
  const body = fs.readFileSync(sorted);
  let t = process.hrtime.bigint();
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'baseline/flights.parquet', Body: body }));
  record('baseline: PutObject of DuckDB sorted copy', seconds(t), body.length);
  t = process.hrtime.bigint();
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'baseline/flights.parquet' }));
  const downloaded = await got.Body!.transformToByteArray();
  record('baseline: GetObject of it', seconds(t), downloaded.length);

  const src = path.join(work, 'src');
  dgit(work, 'init', 'src');
  dgit(src, 'remote', 'add', 'origin', gitUrl, '--chunks', `s3://${bucket}/flights`);
  const imported = dgit(src, 'import', table, '--table', 'flights', '--key', 'id');
  record('import (local)', imported.seconds, undefined, `peak ${imported.peakMiB} MiB`);
  const committed = dgit(src, 'commit', '-m', 'flights');
  record('commit (local)', committed.seconds);
  const localStore = du(path.join(src, '.git', 'dgit', 'chunks'));
  const gitSize = du(path.join(src, '.git', 'objects'));

  // Baseline: the same chunk files as plain objects, PUT then GET with the SDK, as many in flight as dgit uses.
  const chunkFiles = listFiles(path.join(src, '.git', 'dgit', 'chunks'));
  t = process.hrtime.bigint();
  await inParallel(chunkFiles, 32, async (file) => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `baseline/chunks/${path.basename(file)}`, Body: fs.readFileSync(file) }));
  });
  record(`baseline: ${chunkFiles.length} PutObjects of the chunk files (SDK, 32 in flight)`, seconds(t), localStore);
  t = process.hrtime.bigint();
  await inParallel(chunkFiles, 32, async (file) => {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `baseline/chunks/${path.basename(file)}` }));
    await object.Body!.transformToByteArray();
  });
  record(`baseline: ${chunkFiles.length} GetObjects of them`, seconds(t), localStore);

  interface Push {
    transfer: { bytesSent: number; objectsSent: number };
    chunks: { needed: number; created: number; bytesUploaded: number };
  }
  const first = dgit(src, 'push', '-u', '--json');
  const pushed = json<Push>(first);
  record('first push: git + chunk upload', first.seconds, pushed.transfer.bytesSent + pushed.chunks.bytesUploaded,
    `${pushed.chunks.created} chunks, ${mb(pushed.chunks.bytesUploaded)} to S3, ${mb(pushed.transfer.bytesSent)} git pack; peak ${first.peakMiB} MiB`);

  const cloned = dgit(work, 'clone', gitUrl, 'clone', '--json');
  const clone = path.join(work, 'clone');
  record('clone (git metadata only)', cloned.seconds, json<{ transfer: { bytesReceived: number } }>(cloned).transfer.bytesReceived);
  const read = dgit(clone, 'files', 'flights', '--local');
  record('first full read in the clone (fetch every chunk)', read.seconds, du(path.join(clone, '.git', 'dgit', 'chunks')), `${read.stdout.trim().split('\n').length} chunk files`);

  const upserted = dgit(src, 'import', upsert, '--table', 'flights', '--mode', 'upsert');
  const ten = dgit(src, 'commit', '-m', 'ten delays');
  record('10-row upsert + commit (local)', upserted.seconds + ten.seconds);
  const second = dgit(src, 'push', '--json');
  const small = json<Push>(second);
  record('push of the 10-row commit', second.seconds, small.transfer.bytesSent + small.chunks.bytesUploaded,
    `${small.chunks.created} chunks (${mb(small.chunks.bytesUploaded)}) to S3, ${small.transfer.objectsSent} git objects (${mb(small.transfer.bytesSent)})`);
  const before = du(path.join(clone, '.git', 'dgit', 'chunks'));
  const pulled = dgit(clone, 'pull', '--json');
  const pulledBytes = json<{ fetch: { transfer: { bytesReceived: number } } }>(pulled).fetch.transfer.bytesReceived;
  const reread = dgit(clone, 'files', 'flights', '--local');
  const fetchedChunks = du(path.join(clone, '.git', 'dgit', 'chunks')) - before;
  record('pull + read of the 10-row commit in the clone', pulled.seconds + reread.seconds, pulledBytes + fetchedChunks, `${mb(pulledBytes)} git, ${mb(fetchedChunks)} chunks`);

  const load = `load average ${loadBefore} at start, ${loadAverage()} at end (2 cores: far above 2 means other work shared the machine and times are inflated)`;
  const report = {
    rows: ROWS,
    load,
    table: { sortedParquetBytes: body.length, localChunkStoreBytes: localStore, gitObjectsBytes: gitSize },
    steps: rows,
  };
  fs.writeFileSync(path.join(OUT, 's3.json'), `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`\n## S3 chunk store, ${ROWS.toLocaleString('en')} rows\n\n`);
  process.stdout.write(`Table: DuckDB sorted ZSTD copy ${mb(body.length)}; dgit chunks ${mb(localStore)} (local chunk store), git objects ${mb(gitSize)}.\n\n`);
  process.stdout.write(`Machine: ${load}.\n\n`);
  process.stdout.write('| step | seconds | bytes | detail |\n| --- | ---: | ---: | --- |\n');
  for (const row of rows) process.stdout.write(`| ${row.step} | ${row.seconds.toFixed(2)} | ${row.bytes === undefined ? '' : mb(row.bytes)} | ${row.detail ?? ''} |\n`);
}

function listFiles(dir: string): string[] {
  return fs.readdirSync(dir).flatMap((prefix) => fs.readdirSync(path.join(dir, prefix)).map((name) => path.join(dir, prefix, name)));
}

async function inParallel<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) await work(items[next++]);
  }));
}

function seconds(from: bigint): number {
  return Number(process.hrtime.bigint() - from) / 1e9;
}

await main();
