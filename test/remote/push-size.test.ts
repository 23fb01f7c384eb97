import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA, dgitOk, tempDir } from '../support/cli.js';
import { duck } from '../support/duckdb.js';
import { GitHttpServer } from '../support/git-http-server.js';
import { cloneWithEngine, queryRows } from './support/in-process.js';
import { dgitRemoteOk, fsckStrict, gitRef, remoteEnv } from './support/remote-cli.js';

const TOKEN = 'size-token';
const env = remoteEnv({ DGIT_TOKEN: TOKEN });
const ROWS = 200_000;

let server: GitHttpServer;
let work: string;
let bare: string;
/** The served repository's size once packed by git (`git repack -a -d`), in bytes. */
let packedBytes: number;

beforeAll(async () => {
  server = await GitHttpServer.start({ token: TOKEN });
  work = tempDir('dgit-push-size-');
  const flights = path.join(work, 'flights.parquet');
  await duck(`COPY (SELECT row_number() OVER () AS id, * FROM read_parquet('${path.join(DATA, 'flights-3m.parquet')}') LIMIT ${ROWS}) TO '${flights}' (FORMAT parquet)`);
  const source = path.join(work, 'source');
  dgitOk(work, 'init', 'source');
  dgitOk(source, 'import', flights, '--table', 'flights', '--key', 'id');
  dgitOk(source, 'commit', '-m', `${ROWS} flights`);
  bare = server.serveCopyOf(source, 'flights.git');
  execFileSync('git', ['repack', '-a', '-d', '-q'], { cwd: bare, env: remoteEnv() });
  packedBytes = Number(/size-pack: (\d+)/.exec(execFileSync('git', ['count-objects', '-v'], { cwd: bare, encoding: 'utf8', env: remoteEnv() }))![1]) * 1024;
});

afterAll(async () => {
  await server?.close();
});

describe('transfer size', () => {
  it('pushing a 10-row upsert to a 200,000-row table sends a few chunks, not the table; fetching it downloads as little', async () => {
    const a = await cloneWithEngine(server.url('flights.git'), path.join(work, 'a'), TOKEN);
    const b = await cloneWithEngine(server.url('flights.git'), path.join(work, 'b'), TOKEN);
    const upsert = path.join(work, 'upsert.parquet');
    await duck(
      `COPY (SELECT id, date, delay + 1000 AS delay, distance, origin, destination FROM read_parquet('${path.join(work, 'flights.parquet')}') WHERE id BETWEEN 100001 AND 100010) TO '${upsert}' (FORMAT parquet)`,
    );
    expect(dgitOk(a, 'import', upsert, '--table', 'flights', '--mode', 'upsert')).toMatch(/10 updated/);
    dgitOk(a, 'commit', '-m', 'delay ten flights');
    const chunks = JSON.parse(dgitOk(a, 'tables', '--json')).tables[0].chunks as number;

    const started = server.exchanges.length;
    const pushed = JSON.parse(await dgitRemoteOk(a, env, 'push', '--json'));
    expect(pushed.status).toBe('fast-forward');
    const sent = server.since(started).filter((e) => e.service === 'git-receive-pack' && e.method === 'POST');
    const requestBytes = sent.reduce((sum, e) => sum + e.requestBytes, 0);
    expect(requestBytes).toBe(pushed.transfer.bytesSent);
    expect(requestBytes).toBeLessThan(packedBytes * 0.1);
    // The commit, the trees on the path to the rewritten chunks, those chunks, and the paged manifest's path to them
    // (manifest/, root.json, pages/, a page fan-out tree and a leaf page per rewritten chunk): a handful, out of dozens.
    expect(pushed.transfer.objectsSent).toBeLessThanOrEqual(16);
    expect(chunks).toBeGreaterThan(20);
    expect(gitRef(bare, 'refs/heads/main')).toBe(gitRef(a, 'main'));
    fsckStrict(bare);

    const fetchStarted = server.exchanges.length;
    await dgitRemoteOk(b, env, 'pull');
    const received = server.since(fetchStarted).filter((e) => e.service === 'git-upload-pack' && e.method === 'POST');
    expect(received.reduce((sum, e) => sum + e.responseBytes, 0)).toBeLessThan(packedBytes * 0.1);
    expect(await queryRows(b, 'SELECT count(*)::INTEGER AS n, sum(delay)::BIGINT AS total FROM flights WHERE id BETWEEN 100001 AND 100010')).toEqual(
      await queryRows(a, 'SELECT count(*)::INTEGER AS n, sum(delay)::BIGINT AS total FROM flights WHERE id BETWEEN 100001 AND 100010'),
    );
  });
});
