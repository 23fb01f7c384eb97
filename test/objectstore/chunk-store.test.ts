import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkObjectKey, collectGarbage, parseChunkStoreUrl, remoteChunkStore, resetRemoteChunkStores, tableFiles, useChunkStore } from '../../engine/chunkstore/index.js';
import { commit } from '../../engine/commands/commit.js';
import { diffTreeStats } from '../../engine/commands/diff.js';
import { exportTable } from '../../engine/commands/export.js';
import { importTable } from '../../engine/commands/import.js';
import { runSql } from '../../engine/commands/sql.js';
import { CorruptError, DgitError } from '../../engine/errors/index.js';
import { Repository } from '../../engine/repository/repository.js';
import { addRemote, clone, push } from '../../engine/remote/index.js';
import { hashObject, type ObjectId } from '../../engine/store/object-store.js';
import { tempDir } from '../support/cli.js';
import { duck } from '../support/duckdb.js';
import { GitHttpServer } from '../support/git-http-server.js';
import { freshBucket, getObject, putObject, releaseS3Server, useS3Server } from './support/s3.js';

const ROWS = 30_000;
const AUTHOR = { name: 'Test', email: 'test@example.com' };

let server: GitHttpServer;
let work: string;
let bucket: string;
let storeUrl: string;
let source: Repository;
let flights: string;

/** Rows of the flights schema, made by DuckDB. */
async function writeFlights(file: string, rows: number): Promise<void> {
  await duck(
    `COPY (SELECT i AS id, DATE '2024-01-01' + (i % 365)::INTEGER AS date, (i * 7919) % 400 - 60 AS delay, (i * 104729) % 3000 + 50 AS distance,
       ['ATL','ORD','DFW','DEN','LAX','SFO','SEA','JFK'][(i % 8) + 1] AS origin, ['BOS','MIA','PHX','LAS','MSP','DTW','PHL','CLT'][((i // 8) % 8) + 1] AS destination
     FROM range(1, ${rows + 1}) t(i)) TO '${file}' (FORMAT parquet)`,
  );
}

async function rowsOf(repository: Repository, query: string, rev?: string): Promise<Array<Record<string, unknown>>> {
  const result = await runSql(repository, query, { rev });
  if (result.kind !== 'rows') throw new Error('not a query');
  return result.rows;
}

beforeAll(async () => {
  await useS3Server();
  server = await GitHttpServer.start();
  work = tempDir('dgit-objectstore-');
  bucket = await freshBucket('dgit-push');
  storeUrl = `s3://${bucket}/team/flights`;
  flights = path.join(work, 'flights.parquet');
  await writeFlights(flights, ROWS);
  const { repository } = await Repository.init(path.join(work, 'source'));
  source = repository;
  await importTable(source, flights, { table: 'flights', key: ['id'] });
  await commit(source, { message: 'flights', author: AUTHOR });
});

afterAll(async () => {
  releaseS3Server();
  await server?.close();
});

describe('chunks in an S3 bucket, refs in git', () => {
  it('moving a repository to a chunk store leaves the chunks out of git trees and records the bucket in dgit.yml', async () => {
    server.createBareRepository('flights.git');
    await addRemote(source, 'origin', server.url('flights.git'));
    const change = await useChunkStore(source, storeUrl);
    expect(change).toMatchObject({ location: { url: storeUrl }, configStaged: true, tablesMoved: 1 });
    await commit(source, { message: 'chunks in S3', author: AUTHOR });
    const tree = execFileSync('git', ['ls-tree', '-r', '--name-only', 'HEAD'], { cwd: source.dir, encoding: 'utf8' });
    expect(tree).not.toMatch(/\.parquet/);
    expect(execFileSync('git', ['show', 'HEAD:dgit.yml'], { cwd: source.dir, encoding: 'utf8' })).toContain(`chunks: ${storeUrl}`);
    // The rows are unchanged, read from git blobs of the older commit or the local chunk store.
    expect(await rowsOf(source, 'SELECT count(*)::INTEGER AS n, sum(delay)::BIGINT AS d FROM flights')).toEqual(
      await rowsOf(source, 'SELECT count(*)::INTEGER AS n, sum(delay)::BIGINT AS d FROM flights', 'HEAD~1'),
    );
  });

  it('a push whose upload fails leaves the remote ref where it was', async () => {
    const secret = process.env.AWS_SECRET_ACCESS_KEY;
    process.env.AWS_SECRET_ACCESS_KEY = 'wrong-secret';
    resetRemoteChunkStores();
    try {
      await expect(push(source, { setUpstream: true })).rejects.toThrow(/refused the credentials/);
    } finally {
      process.env.AWS_SECRET_ACCESS_KEY = secret;
      resetRemoteChunkStores();
    }
    expect(() => execFileSync('git', ['rev-parse', '--verify', '-q', 'refs/heads/main'], { cwd: server.repositoryPath('flights.git'), stdio: 'pipe' })).toThrow();
  });

  it('push uploads every chunk the commits need, verified, before the ref moves; git holds no chunk', async () => {
    const outcome = await push(source, { setUpstream: true });
    expect(outcome.status).toBe('created');
    const manifestIds = new Set((await source.requireTable((await source.revision('HEAD')).tree, 'flights', 'HEAD')).manifest.chunks.map((c) => c.id as string));
    expect(manifestIds.size).toBeGreaterThan(3);
    expect(outcome.chunks).toMatchObject({ store: storeUrl, needed: manifestIds.size, created: manifestIds.size, existed: 0 });
    const remote = await remoteChunkStore(parseChunkStoreUrl(storeUrl));
    const listed = new Set<string>();
    for await (const chunk of remote.list()) listed.add(chunk.id);
    expect(listed).toEqual(manifestIds);
    for (const id of manifestIds) expect(hashObject('blob', await getObject(bucket, chunkObjectKey(parseChunkStoreUrl(storeUrl), id)))).toBe(id);
    const bare = server.repositoryPath('flights.git');
    expect(execFileSync('git', ['rev-parse', 'refs/heads/main'], { cwd: bare, encoding: 'utf8' }).trim()).toBe(outcome.after);
    // The bare repository is complete for git (fsck) although no chunk is in it.
    execFileSync('git', ['fsck', '--strict', '--no-dangling'], { cwd: bare, stdio: 'pipe' });
  });

  it('a 10-row commit pushes only its changed chunks', async () => {
    await runSql(source, 'UPDATE flights SET delay = delay + 1000 WHERE id BETWEEN 15001 AND 15010');
    await commit(source, { message: 'ten delays', author: AUTHOR });
    const outcome = await push(source);
    expect(outcome.status).toBe('fast-forward');
    expect(outcome.chunks!.created).toBeGreaterThanOrEqual(1);
    expect(outcome.chunks!.created).toBeLessThanOrEqual(2);
    expect(outcome.chunks!.needed).toBe(outcome.chunks!.created);
  });

  it('a clone works with git alone for everything but chunk bytes, and fetches only the chunks a command reads', async () => {
    const cloned = await clone(server.url('flights.git'), path.join(work, 'clone'));
    expect(cloned.chunkStore).toBe(storeUrl);
    const repository = await Repository.open(cloned.dir);
    expect(execFileSync('git', ['log', '--oneline'], { cwd: cloned.dir, encoding: 'utf8' }).trim().split('\n')).toHaveLength(3);
    expect(fs.existsSync(path.join(repository.gitdir, 'dgit', 'chunks'))).toBe(false);
    const remote = await remoteChunkStore(parseChunkStoreUrl(storeUrl));
    const before = remote.counts.get;
    const trees = [(await repository.revision('HEAD~1')).tree, (await repository.revision('HEAD')).tree] as const;
    const stats = await diffTreeStats(repository, ...trees);
    expect(stats.map((s) => [s.table, s.summary])).toEqual([['flights', { added: 0, deleted: 0, modified: 10 }]]);
    const fetched = remote.counts.get - before;
    // The diff reads the chunks that differ, nothing else; those of the first commit are git blobs the clone received.
    const ids = async (rev: string) => (await repository.requireTable((await repository.revision(rev)).tree, 'flights', rev)).manifest.chunks.map((c) => c.id as string);
    const older = new Set(await ids('HEAD~1'));
    const changed = (await ids('HEAD')).filter((id) => !older.has(id) && !repository.store.hasStored(id as ObjectId));
    expect(changed.length).toBeGreaterThanOrEqual(1);
    expect(fetched).toBe(changed.length);
    expect((await ids('HEAD')).length).toBeGreaterThan(3 * fetched);
    expect([...repository.store.localChunks!.ids()]).toHaveLength(fetched);
    // Reading them again is local.
    await diffTreeStats(repository, ...trees);
    expect(remote.counts.get - before).toBe(fetched);
    // Every row, fetched on demand, as the source has them.
    expect(await rowsOf(repository, 'SELECT count(*)::INTEGER AS n, sum(delay)::BIGINT AS d FROM flights')).toEqual(await rowsOf(source, 'SELECT count(*)::INTEGER AS n, sum(delay)::BIGINT AS d FROM flights'));
  });

  it('a corrupted object in the bucket is refused by its id, and nothing of it is kept', async () => {
    const other = await clone(server.url('flights.git'), path.join(work, 'victim'));
    const repository = await Repository.open(other.dir);
    // A chunk written after the move to the bucket (older ones are git blobs the clone already has).
    const version = await repository.requireTable((await repository.revision('HEAD')).tree, 'flights', 'HEAD');
    const victim = version.manifest.chunks.map((c) => c.id as string).find((id) => !repository.store.hasStored(id as ObjectId))!;
    expect(victim).toBeDefined();
    const key = chunkObjectKey(parseChunkStoreUrl(storeUrl), victim);
    const good = await getObject(bucket, key);
    const bad = Uint8Array.from(good);
    bad[Math.floor(bad.length / 2)] ^= 0xff;
    await putObject(bucket, key, bad);
    try {
      const error = await runSql(repository, 'SELECT count(*) FROM flights').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CorruptError);
      expect((error as CorruptError).message).toMatch(new RegExp(`chunk ${victim} in the bucket does not match its id`));
      expect(repository.store.localChunks!.has(victim)).toBe(false);
    } finally {
      await putObject(bucket, key, good);
    }
  });

  it('conditional create never overwrites: a different object under an existing id is refused and left as it was', async () => {
    const remote = await remoteChunkStore(parseChunkStoreUrl(storeUrl));
    const version = await source.requireTable((await source.revision('HEAD')).tree, 'flights', 'HEAD');
    const id = version.manifest.chunks[1]!.id as string;
    const key = chunkObjectKey(parseChunkStoreUrl(storeUrl), id);
    const original = await getObject(bucket, key);
    expect(await remote.put(id, original)).toBe('existed');
    const impostor = new TextEncoder().encode('not the chunk');
    await expect(remote.put(id, impostor)).rejects.toThrow(/holds a different object under chunk id/);
    expect(Buffer.from(await getObject(bucket, key)).equals(Buffer.from(original))).toBe(true);
  });

  it('dgit files lists the s3:// URLs of a pushed revision and local files on request; both read back exactly the rows', async () => {
    const exported = path.join(work, 'head-1.parquet');
    await exportTable(source, 'flights', { rev: 'HEAD~1', format: 'parquet', output: exported });
    const list = (files: string[]) => `[${files.map((f) => `'${f}'`).join(', ')}]`;
    /** Rows of the files, rows of the export, and rows in one but not the other (as a multiset). */
    const compare = async (files: string[]) =>
      duck(`CREATE TABLE a AS SELECT * FROM read_parquet(${list(files)}, union_by_name = true);
        CREATE TABLE b AS SELECT * FROM read_parquet('${exported}');
        SELECT (SELECT count(*) FROM a)::INTEGER AS a, (SELECT count(*) FROM b)::INTEGER AS b,
          (SELECT count(*) FROM (SELECT * FROM a EXCEPT ALL SELECT * FROM b))::INTEGER AS only_a,
          (SELECT count(*) FROM (SELECT * FROM b EXCEPT ALL SELECT * FROM a))::INTEGER AS only_b`);
    const exact = [{ a: ROWS, b: ROWS, only_a: 0, only_b: 0 }];
    const local = await tableFiles(source, 'flights', { rev: 'HEAD~1', local: true });
    expect(local.location).toBe('local');
    expect(await compare(local.files)).toEqual(exact);

    const remote = await tableFiles(source, 'flights', { rev: 'HEAD~1' });
    expect(remote.location).toBe('s3');
    expect(remote.files.every((f) => f.startsWith(`s3://${bucket}/team/flights/chunks/`))).toBe(true);
    // DuckDB's httpfs cannot be installed offline here: fetch each URL with the SDK, then read the copies.
    const copies = path.join(work, 'copies');
    fs.mkdirSync(copies, { recursive: true });
    const paths: string[] = [];
    for (const url of remote.files) {
      const [, , urlBucket, ...key] = url.split('/');
      const file = path.join(copies, key[key.length - 1]!);
      fs.writeFileSync(file, await getObject(urlBucket!, key.join('/')));
      paths.push(file);
    }
    expect(await compare(paths)).toEqual(exact);
  });

  it('dgit files refuses s3:// URLs for chunks not pushed yet', async () => {
    await runSql(source, 'UPDATE flights SET delay = 0 WHERE id = 7');
    const error = await tableFiles(source, 'flights').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DgitError);
    expect((error as DgitError).message).toMatch(/is not in .* yet: push the revision first/);
    expect((await tableFiles(source, 'flights', { local: true })).location).toBe('local');
  });

  it('gc deletes an unreferenced chunk only after two runs a grace period apart, and never a referenced one', async () => {
    const location = parseChunkStoreUrl(storeUrl);
    const remote = await remoteChunkStore(location);
    // An upload whose push has not moved its ref yet (or never will).
    const orphan = new TextEncoder().encode(`orphan ${Date.now()}`);
    const orphanId = hashObject('blob', orphan);
    expect(await remote.put(orphanId, orphan)).toBe('created');
    const referenced = [...(await source.requireTable((await source.revision('HEAD')).tree, 'flights', 'HEAD')).manifest.chunks.map((c) => c.id as string)];
    const day = 24 * 3600 * 1000;
    const start = new Date(Date.now() + 60_000);
    const first = await collectGarbage(source, { graceMs: day, now: start });
    expect(first.deleted).toEqual([]);
    expect(first.marked).toBeGreaterThanOrEqual(1);
    const early = await collectGarbage(source, { graceMs: day, now: new Date(start.getTime() + day / 2) });
    expect(early.deleted).toEqual([]);
    const dry = await collectGarbage(source, { graceMs: day, now: new Date(start.getTime() + day + 1000), dryRun: true });
    expect(dry.deleted).toContain(orphanId);
    expect(await remote.head(orphanId)).toBeDefined();
    const late = await collectGarbage(source, { graceMs: day, now: new Date(start.getTime() + day + 1000) });
    expect(late.deleted).toContain(orphanId);
    for (const id of referenced) expect(late.deleted).not.toContain(id);
    expect(await remote.head(orphanId)).toBeUndefined();
    for (const id of referenced) expect(await remote.head(id)).toBeDefined();
  });

  it('gc forgets the mark of a chunk that became referenced again, and keeps it', async () => {
    const remote = await remoteChunkStore(parseChunkStoreUrl(storeUrl));
    // A commit on a side branch names a chunk of its own; the branch is then dropped (its chunk uploaded by a push that died).
    const main = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: source.dir, encoding: 'utf8' }).trim();
    const small = path.join(work, 'small.parquet');
    await writeFlights(small, 5);
    execFileSync('git', ['branch', 'side'], { cwd: source.dir });
    execFileSync('git', ['symbolic-ref', 'HEAD', 'refs/heads/side'], { cwd: source.dir });
    await source.workingSets.update('side', undefined, undefined);
    await importTable(source, small, { table: 'side_table', key: ['id'] });
    const side = (await commit(source, { message: 'side table', author: AUTHOR })).commit;
    execFileSync('git', ['symbolic-ref', 'HEAD', 'refs/heads/main'], { cwd: source.dir });
    const sideChunk = (await source.requireTable((await source.readCommit(side)).tree, 'side_table', 'side')).manifest.chunks[0]!.id as string;
    await remote.put(sideChunk, source.store.localChunks!.read(sideChunk)!);
    execFileSync('git', ['update-ref', '-d', 'refs/heads/side'], { cwd: source.dir });
    const day = 24 * 3600 * 1000;
    const start = new Date(Date.now() + 60_000);
    await collectGarbage(source, { graceMs: day, now: start });
    expect(((await remote.readState('gc-state.json')) as { marked: Record<string, string> }).marked).toHaveProperty(sideChunk);
    // The branch comes back (a push of it landed): the chunk is referenced again.
    execFileSync('git', ['update-ref', 'refs/heads/side', side], { cwd: source.dir });
    const later = await collectGarbage(source, { graceMs: day, now: new Date(start.getTime() + 2 * day) });
    expect(later.deleted).not.toContain(sideChunk);
    expect(((await remote.readState('gc-state.json')) as { marked: Record<string, string> }).marked).not.toHaveProperty(sideChunk);
    expect(await remote.head(sideChunk)).toBeDefined();
    expect(execFileSync('git', ['rev-parse', 'HEAD'], { cwd: source.dir, encoding: 'utf8' }).trim()).toBe(main);
  });
});
