import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { GitHttpRequest, GitHttpResponse } from 'isomorphic-git';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commit, initRepository, openRepository, runSql } from '../../engine/index.js';
import { fetch, push } from '../../engine/remote/index.js';
import { answeringLocalWants } from '../../engine/remote/transport.js';
import { tempDir } from '../support/cli.js';
import { GitHttpServer } from '../support/git-http-server.js';
import { cloneWithEngine, editAndCommit } from './support/in-process.js';
import { fsckStrict, remoteEnv } from './support/remote-cli.js';

/**
 * A fetch whose every advertised commit is already here asks the server for no
 * pack (git's own fetch does the same): one GET of the refs, no upload-pack POST,
 * and the tracking refs still move to what the server advertised.
 */
const TOKEN = 'local-wants-token';
const AUTHOR = { name: 'Test', email: 'test@example.com' };
let server: GitHttpServer;
let work: string;
let url: string;

beforeAll(async () => {
  server = await GitHttpServer.start({ token: TOKEN });
  work = tempDir('dgit-fetch-local-');
  const source = path.join(work, 'source');
  fs.mkdirSync(source);
  await initRepository(source);
  const repository = await openRepository(source);
  await runSql(repository, 'CREATE TABLE t (id INTEGER PRIMARY KEY, v VARCHAR)');
  await runSql(repository, "INSERT INTO t VALUES (1, 'a'), (2, 'b')");
  await commit(repository, { message: 'two rows', author: AUTHOR });
  server.serveCopyOf(source, 'data.git');
  url = server.url('data.git');
});

afterAll(async () => {
  await server?.close();
});

const posts = (since: number) => server.since(since).filter((e) => e.service === 'git-upload-pack' && e.method === 'POST');

describe('fetch when everything is here', () => {
  it('asks for no pack when nothing changed, and for one when something did', async () => {
    const a = await cloneWithEngine(url, path.join(work, 'a'), TOKEN);
    const b = await cloneWithEngine(url, path.join(work, 'b'), TOKEN);

    let started = server.exchanges.length;
    const unchanged = await fetch(await openRepository(b), { token: TOKEN });
    expect(unchanged.updated).toEqual([]);
    expect(posts(started)).toEqual([]);
    expect(server.since(started).filter((e) => e.method === 'GET')).toHaveLength(1);

    await editAndCommit(a, "UPDATE t SET v = 'changed' WHERE id = 2", 'change a row');
    await push(await openRepository(a), { token: TOKEN });
    started = server.exchanges.length;
    const moved = await fetch(await openRepository(b), { token: TOKEN });
    expect(moved.updated.map((u) => [u.branch, u.status])).toEqual([['main', 'fast-forward']]);
    expect(posts(started)).toHaveLength(1);
    fsckStrict(b);
  });

  it('moves the tracking refs to commits it already has without asking for them', async () => {
    const c = await cloneWithEngine(url, path.join(work, 'c'), TOKEN);
    // A commit made here, then pushed by plain git under another name: the server has it, and so do we, unfollowed.
    await editAndCommit(c, "INSERT INTO t VALUES (3, 'c')", 'a third row');
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: c, encoding: 'utf8' }).trim();
    execFileSync('git', ['push', '-q', path.join(server.root, 'data.git'), `${head}:refs/heads/side`], { cwd: c, env: remoteEnv() });

    const started = server.exchanges.length;
    const outcome = await fetch(await openRepository(c), { token: TOKEN });
    expect(outcome.updated).toEqual([{ branch: 'side', ref: 'refs/remotes/origin/side', before: null, after: head, status: 'new' }]);
    expect(posts(started)).toEqual([]);
    expect(execFileSync('git', ['rev-parse', 'refs/remotes/origin/side'], { cwd: c, encoding: 'utf8' }).trim()).toBe(head);
    fsckStrict(c);
  });

  it('leaves to the server a request with a want it lacks, or one it does not read (shallow, deepen)', async () => {
    const sent: string[] = [];
    const server: { request(request: GitHttpRequest): Promise<GitHttpResponse> } = {
      async request(request) {
        sent.push(Buffer.concat(request.body as unknown as Uint8Array[]).toString('latin1'));
        return { url: request.url, method: 'POST', statusCode: 200, statusMessage: 'OK', headers: {}, body: undefined };
      },
    };
    const here = 'a'.repeat(40);
    const client = answeringLocalWants(server, async (id) => id === here);
    const line = (text: string) => `${(text.length + 4).toString(16).padStart(4, '0')}${text}`;
    const ask = (...lines: string[]) =>
      client.request({ url: 'http://x/data.git/git-upload-pack', method: 'POST', headers: {}, body: [Buffer.from(lines.join(''), 'latin1')] as unknown as GitHttpRequest['body'] });

    const answered = await ask(line(`want ${here} multi_ack side-band-64k\n`), '0000', line('done\n'));
    expect(sent).toEqual([]);
    const body: Uint8Array[] = [];
    for await (const part of answered.body!) body.push(part);
    expect(Buffer.concat(body).toString('latin1')).toBe('0008NAK\n');

    await ask(line(`want ${here}\n`), line(`want ${'b'.repeat(40)}\n`), '0000', line('done\n'));
    await ask(line(`want ${here}\n`), line('deepen 1\n'), '0000', line('done\n'));
    await ask(line(`want ${here}\n`), line(`shallow ${here}\n`), '0000', line('done\n'));
    await ask('0000', line('done\n'));
    expect(sent).toHaveLength(4);
  });
});
