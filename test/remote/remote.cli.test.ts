import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dgitOk, gitOut, repositorySnapshot, tempDir, writeFile } from '../support/cli.js';
import { GitHttpServer } from '../support/git-http-server.js';
import { Repository } from '../../engine/repository/repository.js';
import { fetch, fetchRemoteRef } from '../../engine/remote/index.js';
import { cloneWithEngine, editAndCommit as edit, queryRows as rows } from './support/in-process.js';
import { dgitRemote, dgitRemoteOk, fsckStrict, gitRef, remoteEnv } from './support/remote-cli.js';

const TOKEN = 's3cret-token';
const READ_ONLY_TOKEN = 'read-only-token';
const env = remoteEnv({ DGIT_TOKEN: TOKEN });

let server: GitHttpServer;
let work: string;
/** A local dgit repository with t(id, name, score) and a second table, committed on main. */
let source: string;
/** Set by a test to run once when the next push reaches the server (to stage a race). */
let onNextPush: (() => void) | undefined;

beforeAll(async () => {
  server = await GitHttpServer.start({
    token: TOKEN,
    readOnlyToken: READ_ONLY_TOKEN,
    beforeRequest: ({ method, service }) => {
      if (method === 'POST' && service === 'git-receive-pack' && onNextPush) {
        const race = onNextPush;
        onNextPush = undefined;
        race();
      }
    },
  });
  work = tempDir('dgit-remote-');
  source = path.join(work, 'source');
  dgitOk(work, 'init', 'source');
  dgitOk(source, 'import', writeFile(work, 't.csv', 'id,name,score\n1,ann,10\n2,bob,20\n3,cy,30\n4,dee,40\n'), '--table', 't', '--key', 'id');
  dgitOk(source, 'import', writeFile(work, 'airports.csv', 'code,city\nSFO,San Francisco\nJFK,New York\n'), '--table', 'airports', '--key', 'code');
  dgitOk(source, 'commit', '-m', 'base');
});

afterAll(async () => {
  await server?.close();
});

/** Serve a fresh copy of the source repository under `name` and return its URL. */
function serve(name: string): string {
  server.serveCopyOf(source, name);
  return server.url(name);
}

/**
 * Serve a bare repository whose HEAD names `master`, as `git init --bare` makes it, holding the source's main
 * as each of `branches` (none of them master): a remote HEAD that names no existing branch.
 */
function serveWithMissingHead(name: string, branches: string[]): string {
  const bare = server.createBareRepository(name, 'master');
  execFileSync('git', ['push', '--quiet', bare, ...branches.map((branch) => `main:refs/heads/${branch}`)], { cwd: source, env: remoteEnv() });
  return server.url(name);
}

/** A clone made earlier (set-up, in process). */
function cloneAs(url: string, dir: string): Promise<string> {
  return cloneWithEngine(url, path.join(work, dir), TOKEN);
}

describe('dgit remote', () => {
  it('adds, lists and removes remotes; refuses SSH URLs and bad names', async () => {
    const dir = path.join(work, 'remotes');
    dgitOk(work, 'init', 'remotes');
    await dgitRemoteOk(dir, env, 'remote', 'add', 'origin', 'https://example.com/acme/data.git');
    await dgitRemoteOk(dir, env, 'remote', 'add', 'upstream', 'https://example.com/other/data.git');
    expect(JSON.parse(await dgitRemoteOk(dir, env, 'remote', 'list', '--json'))).toEqual({
      remotes: [
        { name: 'origin', url: 'https://example.com/acme/data.git' },
        { name: 'upstream', url: 'https://example.com/other/data.git' },
      ],
    });
    expect(gitOut(dir, 'config', 'remote.origin.fetch').trim()).toBe('+refs/heads/*:refs/remotes/origin/*');

    const duplicate = await dgitRemote(dir, env, 'remote', 'add', 'origin', 'https://example.com/x.git');
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toMatch(/^dgit: error: a remote named origin already exists\n/);
    const ssh = await dgitRemote(dir, env, 'remote', 'add', 'gh', 'git@github.com:acme/data.git');
    expect(ssh.code).toBe(1);
    expect(ssh.stderr).toMatch(/SSH remotes are not supported; use the HTTPS URL/);
    const badName = await dgitRemote(dir, env, 'remote', 'add', '../x', 'https://example.com/x.git');
    expect(badName.code).toBe(2);

    await dgitRemoteOk(dir, env, 'remote', 'remove', 'upstream');
    expect(await dgitRemoteOk(dir, env, 'remote')).toBe('origin\thttps://example.com/acme/data.git\n');
    const missing = await dgitRemote(dir, env, 'remote', 'remove', 'upstream');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/remote "upstream" not found; known remotes: origin/);
  });
});

describe('dgit clone', () => {
  it('clones a dgit repository over HTTP: tables readable, working directory and index checked out', async () => {
    const url = serve('clone.git');
    const started = server.exchanges.length;
    const result = await dgitRemote(work, env, 'clone', url, 'cloned', '--json');
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(''); // progress goes to stderr only on a terminal
    const out = JSON.parse(result.stdout);
    const dir = path.join(work, 'cloned');
    expect(out).toMatchObject({ dir, url, remote: 'origin', branch: 'main', empty: false, commit: gitRef(source, 'main') });
    // The token went as basic auth with GitHub's user name, and only after the server asked.
    const exchanges = server.since(started);
    expect(exchanges[0]).toMatchObject({ status: 401, user: undefined });
    expect(exchanges.slice(1).every((e) => e.status === 200 && e.user === 'x-access-token')).toBe(true);

    const tables = JSON.parse(dgitOk(dir, 'tables', '--json')).tables;
    expect(tables.map((t: { table: string; rows: number }) => [t.table, t.rows])).toEqual([
      ['airports', 2],
      ['t', 4],
    ]);
    expect(JSON.parse(dgitOk(dir, 'sql', 'SELECT name FROM t WHERE score > 15 ORDER BY id', '--json')).rows).toEqual([{ name: 'bob' }, { name: 'cy' }, { name: 'dee' }]);
    expect(gitOut(dir, 'status', '--porcelain')).toBe('');
    expect(fs.existsSync(path.join(dir, 'tables/t/schema.json'))).toBe(true);
    expect(gitOut(dir, 'rev-parse', '--abbrev-ref', 'main@{upstream}').trim()).toBe('origin/main');
    expect(dgitOk(dir, 'status', '--json')).toContain('"branch": "main"');
    fsckStrict(dir);
  });

  it('sends a token its caller gave (the bot\'s installation token) with the first request: no refused round trip', async () => {
    const url = serve('token-up-front.git');
    const started = server.exchanges.length;
    const dir = await cloneWithEngine(url, path.join(work, 'token-up-front'), TOKEN);
    await fetch(await Repository.open(dir), { remote: 'origin', token: TOKEN });
    const exchanges = server.since(started);
    // A clone and a fetch, each its refs then its pack: every request carried the token, none was refused.
    expect(exchanges.filter((e) => e.method === 'GET')).toHaveLength(2);
    expect(exchanges.map((e) => [e.status, e.user])).toEqual(exchanges.map(() => [200, 'x-access-token']));
    // A wrong token still fails as refused, named as the token option.
    const refused = await fetch(await Repository.open(dir), { remote: 'origin', token: 'not-the-token' }).catch((error: unknown) => error);
    expect(String(refused)).toMatch(/HTTP 401\): the credentials from token option were refused/);
  });

  it('clones an empty remote into a dgit repository on main, and the first push creates main', async () => {
    server.createBareRepository('empty.git');
    const out = JSON.parse(await dgitRemoteOk(work, env, 'clone', server.url('empty.git'), '--json'));
    const dir = path.join(work, 'empty');
    expect(out).toMatchObject({ dir, branch: 'main', empty: true, commit: null });
    dgitOk(dir, 'import', writeFile(work, 'first.csv', 'id,x\n1,one\n'), '--table', 'first', '--key', 'id');
    dgitOk(dir, 'commit', '-m', 'first');
    const pushed = JSON.parse(await dgitRemoteOk(dir, env, 'push', '--json'));
    expect(pushed).toMatchObject({ remote: 'origin', branch: 'main', remoteRef: 'refs/heads/main', before: null, status: 'created' });
    expect(gitRef(server.repositoryPath('empty.git'), 'refs/heads/main')).toBe(gitRef(dir, 'main'));
    fsckStrict(server.repositoryPath('empty.git'));
  });

  it('clones a plain git repository (no tables) and makes it a dgit repository', async () => {
    const plain = path.join(work, 'plain-source');
    execFileSync('git', ['init', '-q', '-b', 'main', plain], { env: remoteEnv() });
    writeFile(plain, 'README.md', '# data to come\n');
    execFileSync('git', ['add', 'README.md'], { cwd: plain, env: remoteEnv() });
    execFileSync('git', ['commit', '-q', '-m', 'readme'], { cwd: plain, env: remoteEnv() });
    server.serveCopyOf(plain, 'plain.git');
    await dgitRemoteOk(work, env, 'clone', server.url('plain.git'), 'plain');
    const dir = path.join(work, 'plain');
    expect(JSON.parse(dgitOk(dir, 'tables', '--json')).tables).toEqual([]);
    expect(fs.readFileSync(path.join(dir, 'README.md'), 'utf8')).toBe('# data to come\n');
    expect(gitOut(dir, 'status', '--porcelain')).toBe('');
  });

  it('refuses a non-empty destination and leaves nothing behind when the clone fails', async () => {
    const url = serve('clone-fail.git');
    fs.mkdirSync(path.join(work, 'occupied'));
    writeFile(path.join(work, 'occupied'), 'keep.txt', 'mine');
    const occupied = await dgitRemote(work, env, 'clone', url, 'occupied');
    expect(occupied.code).toBe(1);
    expect(occupied.stderr).toMatch(/destination already exists and is not an empty folder/);
    expect(fs.readdirSync(path.join(work, 'occupied'))).toEqual(['keep.txt']);

    const missing = await dgitRemote(work, env, 'clone', server.url('no-such-repo.git'), 'nothing');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^dgit: error: no git repository at this URL \(the server answered 404\) \(http:\/\/127\.0\.0\.1:\d+\/no-such-repo\.git\)/);
    expect(fs.existsSync(path.join(work, 'nothing'))).toBe(false);
  });
});

describe('dgit clone of a remote whose HEAD names no existing branch', () => {
  it('checks out the only branch with a warning; fetch and pull follow the remote', async () => {
    const url = serveWithMissingHead('missing-head.git', ['main']);
    const result = await dgitRemote(work, env, 'clone', url, 'missing-head', '--json');
    expect(result.stderr).toBe("dgit: warning: the remote's HEAD names no existing branch; checked out main (the remote's only branch)\n");
    expect(result.code).toBe(0);
    const dir = path.join(work, 'missing-head');
    expect(JSON.parse(result.stdout)).toMatchObject({ dir, branch: 'main', empty: false, commit: gitRef(source, 'main'), guessedBranch: 'only-branch' });
    expect(await rows(dir)).toHaveLength(4);
    expect(gitOut(dir, 'status', '--porcelain')).toBe('');
    expect(gitOut(dir, 'rev-parse', '--abbrev-ref', 'main@{upstream}').trim()).toBe('origin/main');
    // As git: no remote-tracking HEAD, since the remote has no default branch to follow.
    expect(gitRef(dir, 'refs/remotes/origin/HEAD')).toBeUndefined();

    // A fetch resolves the remote's HEAD after the pack arrives (isomorphic-git): it must not fail there.
    const other = await cloneAs(url, 'missing-head-other');
    await edit(other, 'UPDATE t SET score = 0 WHERE id = 1', 'zero ann');
    await dgitRemoteOk(other, env, 'push');
    expect(await fetchRemoteRef(await Repository.open(dir), { remote: 'origin', ref: 'refs/heads/main', token: TOKEN })).toBe(gitRef(other, 'main'));
    const pulled = JSON.parse(await dgitRemoteOk(dir, env, 'pull', '--json'));
    expect(pulled.merge).toEqual({ status: 'fast-forward', commit: gitRef(other, 'main') });
    expect(gitRef(dir, 'refs/remotes/origin/HEAD')).toBeUndefined();
  });

  it('refuses to guess among other branches (exit 2, naming them, nothing left behind); -b picks one, and main is taken when there', async () => {
    const url = serveWithMissingHead('missing-head-many.git', ['dev', 'feature']);
    const refused = await dgitRemote(work, env, 'clone', url, 'many');
    expect(refused.stderr).toBe(`dgit: error: the remote's HEAD names no existing branch and dgit will not guess among its branches (dev, feature); choose one: dgit clone -b BRANCH ${url}\n`);
    expect(refused.code).toBe(2);
    expect(fs.existsSync(path.join(work, 'many'))).toBe(false);

    const chosen = await dgitRemote(work, env, 'clone', '-b', 'feature', url, 'many', '--json');
    expect(chosen.stderr).toBe('');
    expect(chosen.code).toBe(0);
    expect(JSON.parse(chosen.stdout)).toMatchObject({ branch: 'feature', commit: gitRef(source, 'main') });
    expect(JSON.parse(chosen.stdout).guessedBranch).toBeUndefined();
    expect(gitOut(path.join(work, 'many'), 'rev-parse', '--abbrev-ref', 'feature@{upstream}').trim()).toBe('origin/feature');

    execFileSync('git', ['push', '--quiet', server.repositoryPath('missing-head-many.git'), 'main:refs/heads/main'], { cwd: source, env: remoteEnv() });
    const withMain = await dgitRemote(work, env, 'clone', url, 'many-main', '--json');
    expect(withMain.stderr).toMatch(/^dgit: warning: the remote's HEAD names no existing branch; checked out main \(the usual name of a default branch; `dgit clone -b BRANCH` picks another\)\n$/);
    expect(JSON.parse(withMain.stdout)).toMatchObject({ branch: 'main', guessedBranch: 'main' });
  });
});

describe('dgit push, fetch and pull', () => {
  it('fetch succeeds when the current branch\'s upstream was deleted on the remote, as git fetch does; pull refuses, as git pull does', async () => {
    const url = serve('gone-upstream.git');
    const dir = await cloneAs(url, 'gone-upstream');
    dgitOk(dir, 'switch', '-c', 'side');
    await dgitRemoteOk(dir, env, 'push', '-u', 'origin', 'side');
    execFileSync('git', ['branch', '-D', 'side'], { cwd: server.repositoryPath('gone-upstream.git'), stdio: 'pipe' });
    const fetched = await dgitRemote(dir, env, 'fetch');
    expect(fetched.stderr).toBe('');
    expect(fetched.code).toBe(0);
    // The tracking ref stays (no --prune), but a pull does not merge it as if the branch were there: git refuses too.
    const head = gitRef(dir, 'side');
    const pulled = await dgitRemote(dir, env, 'pull');
    expect(pulled.code).not.toBe(0);
    expect(pulled.stderr).toMatch(/branch "side" on remote origin not found/);
    expect(pulled.stdout).not.toMatch(/up to date/i);
    expect(gitRef(dir, 'side')).toBe(head);
  });

  it('pushes a new branch, which another clone fetches as a remote-tracking branch', async () => {
    const url = serve('branches.git');
    const a = await cloneAs(url, 'branch-a');
    const b = await cloneAs(url, 'branch-b');
    dgitOk(a, 'switch', '-c', 'fix-scores');
    await edit(a, 'UPDATE t SET score = score + 1 WHERE id = 2', 'bump bob');
    const pushed = JSON.parse(await dgitRemoteOk(a, env, 'push', '-u', 'origin', 'fix-scores', '--json'));
    expect(pushed).toMatchObject({ branch: 'fix-scores', remoteRef: 'refs/heads/fix-scores', before: null, status: 'created', uncommittedChanges: false });
    // A new branch on top of the remote's main sends the new commit and its rewritten trees and chunk, and the
    // paged manifest's path to that chunk (manifest/, root.json, pages/, a fan-out tree, a leaf page), no more.
    expect(pushed.transfer.objectsSent).toBeLessThanOrEqual(12);
    expect(gitOut(a, 'rev-parse', '--abbrev-ref', 'fix-scores@{upstream}').trim()).toBe('origin/fix-scores');
    const bare = server.repositoryPath('branches.git');
    expect(gitRef(bare, 'refs/heads/fix-scores')).toBe(gitRef(a, 'fix-scores'));
    fsckStrict(bare);

    const fetched = JSON.parse(await dgitRemoteOk(b, env, 'fetch', '--json'));
    expect(fetched.updated).toEqual([{ branch: 'fix-scores', ref: 'refs/remotes/origin/fix-scores', before: null, after: gitRef(a, 'fix-scores'), status: 'new' }]);
    expect(JSON.parse(dgitOk(b, 'diff', 'main..origin/fix-scores', '--json')).tables[0].rows).toEqual([
      { status: 'modified', key: { id: 2 }, before: { id: 2, name: 'bob', score: 20 }, after: { id: 2, name: 'bob', score: 21 }, changed: ['score'] },
    ]);
    expect(await dgitRemoteOk(b, env, 'fetch')).toBe('Nothing new on origin.\n');
    // Local branches and the working directory did not move.
    expect(gitRef(b, 'main')).toBe(gitRef(source, 'main'));
    expect(gitOut(b, 'status', '--porcelain')).toBe('');
  });

  it('init, remote add, pull: a repository without commits takes the remote branch', async () => {
    const url = serve('adopt.git');
    dgitOk(work, 'init', 'adopt');
    const dir = path.join(work, 'adopt');
    await dgitRemoteOk(dir, env, 'remote', 'add', 'origin', url);
    const pulled = JSON.parse(await dgitRemoteOk(dir, env, 'pull', 'origin', 'main', '--json'));
    expect(pulled.merge).toEqual({ status: 'fast-forward', commit: gitRef(source, 'main') });
    expect(await rows(dir)).toHaveLength(4);
    expect(gitOut(dir, 'status', '--porcelain')).toBe('');

    // Removing the remote removes its remote-tracking refs too; the data stays.
    expect(gitOut(dir, 'for-each-ref', '--format=%(refname)', 'refs/remotes')).toContain('refs/remotes/origin/main');
    expect(JSON.parse(await dgitRemoteOk(dir, env, 'remote', 'remove', 'origin', '--json'))).toEqual({ name: 'origin', trackingRefsRemoved: 1 });
    expect(gitOut(dir, 'for-each-ref', 'refs/remotes')).toBe('');
    expect(await rows(dir)).toHaveLength(4);
  });

  it('pull merges concurrent edits of one row from two clones cell by cell; the stale push is refused first', async () => {
    const url = serve('concurrent.git');
    const bare = server.repositoryPath('concurrent.git');
    const a = await cloneAs(url, 'concurrent-a');
    const b = await cloneAs(url, 'concurrent-b');
    await edit(a, "UPDATE t SET name = 'ANN' WHERE id = 1", 'a renames ann');
    await dgitRemoteOk(a, env, 'push');
    await edit(b, 'UPDATE t SET score = 11 WHERE id = 1', 'b rescores ann');
    await edit(b, 'DELETE FROM t WHERE id = 4', 'b drops dee');

    const remoteBefore = gitRef(bare, 'refs/heads/main');
    const snapshot = repositorySnapshot(b);
    const rejected = await dgitRemote(b, env, 'push');
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toMatch(/^dgit: error: push rejected: origin's main has commits that main does not \(not a fast-forward\); run `dgit pull origin main` to merge them, then push again \(http:/);
    expect(gitRef(bare, 'refs/heads/main')).toBe(remoteBefore);
    expect(repositorySnapshot(b)).toBe(snapshot);

    // Uncommitted changes: pull refuses, saying what works (pull has no --discard).
    await dgitRemoteOk(b, env, 'sql', "UPDATE t SET name = 'uncommitted' WHERE id = 2");
    const dirty = repositorySnapshot(b);
    const refused = await dgitRemote(b, env, 'pull');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/commit them \(`dgit commit -m \.\.\.`\) or drop them \(`dgit reset --hard`\) before pulling/);
    expect(refused.stderr).not.toMatch(/--discard/);
    expect(repositorySnapshot(b)).toBe(dirty);
    await dgitRemoteOk(b, env, 'reset', '--hard');

    const ours = gitRef(b, 'main');
    const pulled = JSON.parse(await dgitRemoteOk(b, env, 'pull', '--json'));
    expect(pulled.merged).toBe('refs/remotes/origin/main');
    expect(pulled.merge.status).toBe('merged');
    expect(pulled.fetch.updated).toMatchObject([{ branch: 'main', status: 'fast-forward', after: remoteBefore }]);
    // A real three-way merge: a merge commit with both heads as parents, and both edits of row 1 kept.
    expect(gitOut(b, 'rev-list', '--parents', '-n', '1', 'main').trim().split(' ').slice(1)).toEqual([ours, remoteBefore]);
    expect(await rows(b)).toEqual([
      { id: 1, name: 'ANN', score: 11 },
      { id: 2, name: 'bob', score: 20 },
      { id: 3, name: 'cy', score: 30 },
    ]);
    expect(gitOut(b, 'status', '--porcelain')).toBe('');

    await dgitRemoteOk(b, env, 'push');
    expect(gitRef(bare, 'refs/heads/main')).toBe(gitRef(b, 'main'));
    const fastForward = JSON.parse(await dgitRemoteOk(a, env, 'pull', '--json'));
    expect(fastForward.merge).toEqual({ status: 'fast-forward', commit: gitRef(b, 'main') });
    expect(await rows(a)).toEqual(await rows(b));
    expect(gitOut(a, 'status', '--porcelain')).toBe('');
    fsckStrict(bare);
  });

  it('pull with conflicting edits of one cell stops with the conflicts stored, exit 1', async () => {
    const url = serve('conflict.git');
    const a = await cloneAs(url, 'conflict-a');
    const b = await cloneAs(url, 'conflict-b');
    await edit(a, 'UPDATE t SET score = 100 WHERE id = 3', 'a');
    await dgitRemoteOk(a, env, 'push');
    await edit(b, 'UPDATE t SET score = 300 WHERE id = 3', 'b');
    const pulled = await dgitRemote(b, env, 'pull');
    expect(pulled.code).toBe(1);
    expect(pulled.stdout).toMatch(/Conflicts in t \(1\)/);
    const conflicts = JSON.parse(dgitOk(b, 'conflicts', '--json')).tables[0].conflicts;
    expect(conflicts).toMatchObject([{ key: { id: 3 }, kind: 'cell', ours: { score: 300 }, theirs: { score: 100 } }]);
    // With a merge in progress (or uncommitted changes) pull refuses before downloading anything.
    const again = await dgitRemote(b, env, 'pull');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/a merge is in progress/);
  });

  it('--force-with-lease overwrites only while the remote is where origin/main says', async () => {
    const url = serve('lease.git');
    const bare = server.repositoryPath('lease.git');
    const a = await cloneAs(url, 'lease-a');
    const b = await cloneAs(url, 'lease-b');
    await edit(a, "UPDATE t SET name = 'from-a' WHERE id = 2", 'a');
    await dgitRemoteOk(a, env, 'push');
    const aHead = gitRef(a, 'main');
    await edit(b, "UPDATE t SET name = 'from-b' WHERE id = 2", 'b rewrites history');

    // B's origin/main is stale: the lease fails and the remote keeps A's commit, whichever way the push is written
    // (as git, the word after --force-with-lease is the remote: a lease's commit goes after `=`).
    for (const args of [['--force-with-lease'], ['--force-with-lease', 'origin', 'main'], ['origin', 'main', '--force-with-lease'], ['--force-with-lease', 'origin']]) {
      const refused = await dgitRemote(b, env, 'push', ...args);
      expect({ args, code: refused.code }).toEqual({ args, code: 1 });
      expect(refused.stderr).toMatch(/push refused by --force-with-lease: origin's main is at [0-9a-f]{12}, but the lease expected [0-9a-f]{12}; someone else pushed: run `dgit fetch origin`/);
    }
    const explicit = await dgitRemote(b, env, 'push', `--force-with-lease=${gitRef(b, 'refs/remotes/origin/main')}`, 'origin', 'main');
    expect(explicit.stderr).toMatch(/push refused by --force-with-lease/);
    const tooMany = await dgitRemote(b, env, 'push', '--force-with-lease', 'origin', 'main', 'extra');
    expect(tooMany.code).toBe(2);
    expect(gitRef(bare, 'refs/heads/main')).toBe(aHead);

    // After fetching (and looking), B may overwrite.
    await dgitRemoteOk(b, env, 'fetch');
    const forced = JSON.parse(await dgitRemoteOk(b, env, 'push', '--force-with-lease', '--json'));
    expect(forced).toMatchObject({ status: 'forced', before: aHead, after: gitRef(b, 'main') });
    expect(gitRef(bare, 'refs/heads/main')).toBe(gitRef(b, 'main'));
    expect(gitRef(b, 'refs/remotes/origin/main')).toBe(gitRef(b, 'main'));
    fsckStrict(bare);
  });

  it('the lease holds against a push that lands between the check and the update', async () => {
    const url = serve('lease-race.git');
    const bare = server.repositoryPath('lease-race.git');
    const a = await cloneAs(url, 'race-a');
    await edit(a, "UPDATE t SET name = 'mine' WHERE id = 1", 'a');
    let racer = '';
    onNextPush = () => {
      // Someone else's commit reaches the remote after our lease check, before our update.
      const main = gitRef(bare, 'refs/heads/main')!;
      racer = execFileSync('git', ['commit-tree', `${main}^{tree}`, '-p', main, '-m', 'racer'], { cwd: bare, env: remoteEnv(), encoding: 'utf8' }).trim();
      execFileSync('git', ['update-ref', 'refs/heads/main', racer, main], { cwd: bare, env: remoteEnv() });
    };
    const result = await dgitRemote(a, env, 'push', '--force-with-lease');
    expect(racer).not.toBe('');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/push refused by --force-with-lease: origin's main moved while pushing/);
    expect(gitRef(bare, 'refs/heads/main')).toBe(racer);
    fsckStrict(bare);
  });

  it('a push with nothing new is up to date; uncommitted changes are noted, not pushed', async () => {
    const url = serve('noop.git');
    const a = await cloneAs(url, 'noop-a');
    const started = server.exchanges.length;
    dgitOk(a, 'sql', 'UPDATE t SET score = 0 WHERE id = 1');
    const result = await dgitRemote(a, env, 'push');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Everything up-to-date/);
    expect(result.stderr).toMatch(/uncommitted changes; they were not pushed/);
    expect(server.since(started).some((e) => e.method === 'POST')).toBe(false);
  });
});

describe('credentials', () => {
  it('a bad token, a missing token or a read-only token fails clearly and changes nothing locally', async () => {
    const url = serve('auth.git');
    const bare = server.repositoryPath('auth.git');
    const a = await cloneAs(url, 'auth-a');
    await edit(a, 'UPDATE t SET score = 1 WHERE id = 1', 'edit');
    const snapshot = repositorySnapshot(a);
    const remoteBefore = gitRef(bare, 'refs/heads/main');

    const bad = await dgitRemote(a, remoteEnv({ DGIT_TOKEN: 'wrong' }), 'push');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^dgit: error: authentication failed while trying to push \(HTTP 401\): the credentials from DGIT_TOKEN were refused; set DGIT_TOKEN/);
    expect(bad.stderr).not.toContain('wrong');

    const none = await dgitRemote(a, remoteEnv(), 'fetch');
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/authentication failed while trying to fetch \(HTTP 401\): no credentials were found/);

    // GITHUB_TOKEN is for GitHub's hosts only: it is never offered to this server.
    const github = await dgitRemote(work, remoteEnv({ GITHUB_TOKEN: TOKEN }), 'clone', url, 'auth-github');
    expect(github.code).toBe(1);
    expect(fs.existsSync(path.join(work, 'auth-github'))).toBe(false);

    const readOnly = await dgitRemote(a, remoteEnv({ DGIT_TOKEN: READ_ONLY_TOKEN }), 'push');
    expect(readOnly.code).toBe(1);
    expect(readOnly.stderr).toMatch(/permission denied while trying to push \(HTTP 403\)/);

    expect(repositorySnapshot(a)).toBe(snapshot);
    expect(gitRef(bare, 'refs/heads/main')).toBe(remoteBefore);
  });

  it('falls back to git credential helpers, and a token in the URL works too', async () => {
    const url = serve('helper.git');
    const helperConfig = writeFile(tempDir(), 'gitconfig', `[credential]\n\thelper = "!f() { echo username=x-access-token; echo password=${TOKEN}; }; f"\n`);
    await dgitRemoteOk(work, remoteEnv({ GIT_CONFIG_GLOBAL: helperConfig }), 'clone', url, 'helper-clone');
    expect(await rows(path.join(work, 'helper-clone'))).toHaveLength(4);

    const withToken = url.replace('http://', `http://x-access-token:${TOKEN}@`);
    const result = await dgitRemote(work, remoteEnv(), 'clone', withToken, 'url-token-clone');
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain(TOKEN);
    expect(await rows(path.join(work, 'url-token-clone'))).toHaveLength(4);
  });
});
