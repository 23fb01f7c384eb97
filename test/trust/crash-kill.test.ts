import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBranch, switchBranch } from '../../engine/commands/branch.js';
import { commit } from '../../engine/commands/commit.js';
import { resolveConflicts } from '../../engine/commands/conflicts.js';
import { importTable } from '../../engine/commands/import.js';
import { merge } from '../../engine/commands/merge.js';
import { runSql } from '../../engine/commands/sql.js';
import { status } from '../../engine/commands/status.js';
import { writeConfig } from '../../engine/config/repository-config.js';
import { addToQueue } from '../../engine/queue/index.js';
import { Repository } from '../../engine/repository/repository.js';
import { CLI, tempDir } from '../support/cli.js';
import { GitHttpServer } from '../support/git-http-server.js';

/**
 * SIGKILL at chosen instants of every command that writes (issue 11 item 7).
 * Each command runs once whole with DGIT_WRITE_TRACE set, which gives its
 * durable writes and when they happen (ms since the process started); kills are
 * then aimed inside that window and moved by bisection (a kill that landed
 * before the first write aims later, one after the last aims earlier). A kill
 * counts as mid-write when the killed run's trace holds some but not all of the
 * whole run's writes; each command must have one. After every kill: `git fsck
 * --strict` is clean, `dgit status` works, and the repository is in the old
 * state or the new one (or, for merge, a merge in progress holding its result).
 */

const ROWS = 30_000;
/** Fixed dates make commit ids equal across runs, so "the new state" is one exact state. */
const ENV = { ...process.env, NO_COLOR: '1', GIT_AUTHOR_DATE: '1700000000', GIT_COMMITTER_DATE: '1700000000', GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@e' };
const MIN_KILLS = 2;
const MAX_KILLS = 6;

interface Trace {
  writes: number[];
  exited: boolean;
}

function readTrace(file: string): Trace {
  const lines = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
  return { writes: lines.filter((l) => !l.endsWith(' exit')).map((l) => Number(l.split(' ')[0])), exited: lines.some((l) => l.endsWith(' exit')) };
}

/**
 * Run dgit in `dir` with its write trace on; when `killAfterWrites` is given, it
 * is SIGKILLed as soon as its trace shows that many writes begun (the trace is
 * polled every millisecond), so the kill lands after them and, unless the
 * process outran the poll, before the rest. Resolves with the trace.
 */
function runTraced(dir: string, args: string[], killAfterWrites: number | undefined): Promise<Trace> {
  const trace = path.join(path.dirname(dir), `${path.basename(dir)}.trace`);
  fs.rmSync(trace, { force: true });
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, stdio: 'ignore', env: { ...ENV, DGIT_WRITE_TRACE: trace } });
    const poll =
      killAfterWrites === undefined
        ? undefined
        : setInterval(() => {
            if (readTrace(trace).writes.length >= killAfterWrites) child.kill('SIGKILL');
          }, 1);
    child.on('exit', () => {
      if (poll) clearInterval(poll);
      resolve(readTrace(trace));
    });
  });
}

/**
 * What "old" and "new" are compared on: the branches, the current branch, its
 * effective working tree and the merge in progress (a stale state ref that reads
 * as clean is the same state as none, so dgit's own refs are compared by effect).
 */
async function fingerprint(dir: string): Promise<string> {
  const repository = await Repository.open(dir);
  const heads = execFileSync('git', ['for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads'], { cwd: dir, encoding: 'utf8' }).split('\n').filter(Boolean);
  const working = await repository.workingSet();
  const mergeState = await repository.mergeInProgress();
  return JSON.stringify({ branch: working.branch, heads, tree: working.tree, merge: mergeState?.theirsName ?? null });
}

interface Scenario {
  name: string;
  template: string;
  args: string[];
  /** States besides old and new that are whole (a merge in progress holding the merge result). */
  alsoAllowed?: (newDir: string) => Promise<string[]>;
  /** Before each run: a fresh remote for the copy at `dir`, served as `name`. */
  prepare?: (dir: string, name: string) => void;
  /** State outside the copy that the command changes (the remote's branch), as text. */
  remoteState?: (name: string) => string;
}

describe('SIGKILL mid-write leaves the old state or the new one', () => {
  const work = tempDir('dgit-kill-');
  const templates = new Map<string, string>();
  let server: GitHttpServer;
  // The fixed dates the in-process setup below commits with; put back for the files that run next in this worker.
  const dates = { GIT_AUTHOR_DATE: process.env['GIT_AUTHOR_DATE'], GIT_COMMITTER_DATE: process.env['GIT_COMMITTER_DATE'] };
  afterAll(async () => {
    for (const [name, value] of Object.entries(dates)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await server?.close();
  });

  /** A copy of a template to run one command in. */
  function copyOf(template: string, name: string): string {
    const dir = path.join(work, name);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.cpSync(templates.get(template)!, dir, { recursive: true });
    return dir;
  }

  beforeAll(async () => {
    process.env['GIT_AUTHOR_DATE'] = ENV.GIT_AUTHOR_DATE;
    process.env['GIT_COMMITTER_DATE'] = ENV.GIT_COMMITTER_DATE;
    const csv = (rows: number, value: (id: number) => string) => ['id,score,code', ...Array.from({ length: rows }, (_, i) => `${i + 1},${value(i + 1)}`)].join('\n') + '\n';
    const baseFile = path.join(work, 'base.csv');
    fs.writeFileSync(baseFile, csv(ROWS, (id) => `${id % 97},c${id}`));
    fs.writeFileSync(path.join(work, 'update.csv'), csv(ROWS, (id) => `${(id * 3) % 97},c${id}`).split('\n').filter((_, i) => i === 0 || i % 2 === 1).join('\n') + '\n');

    const base = path.join(work, 'base');
    const { repository } = await Repository.init(base);
    await importTable(repository, baseFile, { table: 't', key: ['id'] });
    await writeConfig(repository, 'version: 1\ntables:\n  t:\n    checks:\n      - kind: not_null\n        column: score\n');
    await commit(repository, { message: 'base' });
    // Branch a changes scores on many rows; main changes codes on many rows: a three-way merge by cell.
    await createBranch(repository, 'a');
    await switchBranch(repository, 'a');
    await runSql(repository, 'UPDATE t SET score = score + 1 WHERE id % 5 = 0');
    await commit(repository, { message: 'scores on a' });
    await switchBranch(repository, 'main');
    await createBranch(repository, 'c');
    await runSql(repository, "UPDATE t SET code = code || 'm' WHERE id % 7 = 0");
    await commit(repository, { message: 'codes on main' });
    // Branch c conflicts with a on a few rows (for merge --continue).
    await switchBranch(repository, 'c');
    await runSql(repository, 'UPDATE t SET score = 0 WHERE id % 5000 = 0');
    await commit(repository, { message: 'scores on c' });
    await switchBranch(repository, 'main');
    templates.set('base', base);

    const imported = path.join(work, 'imported');
    fs.cpSync(base, imported, { recursive: true });
    await importTable(await Repository.open(imported), path.join(work, 'update.csv'), { table: 't', mode: 'upsert' });
    templates.set('imported', imported);

    const merging = path.join(work, 'merging');
    fs.cpSync(base, merging, { recursive: true });
    const mergingRepository = await Repository.open(merging);
    await merge(mergingRepository, 'a', { noVerify: true });
    expect((await merge(mergingRepository, 'c')).status).toBe('conflicts');
    await resolveConflicts(mergingRepository, 't', { side: 'theirs' });
    templates.set('merging', merging);

    const red = path.join(work, 'red');
    fs.cpSync(base, red, { recursive: true });
    const redRepository = await Repository.open(red);
    await runSql(redRepository, 'UPDATE t SET score = NULL WHERE id % 3000 = 0');
    await commit(redRepository, { message: 'nulls' });
    templates.set('red', red);

    const queued = path.join(work, 'queued');
    fs.cpSync(base, queued, { recursive: true });
    await addToQueue(await Repository.open(queued), 'a');
    templates.set('queued', queued);

    // Remotes: `ahead` is base with a merged into main (what push sends and pull receives).
    server = await GitHttpServer.start();
    const ahead = path.join(work, 'ahead');
    fs.cpSync(base, ahead, { recursive: true });
    await merge(await Repository.open(ahead), 'a', { noVerify: true });
    execFileSync('git', ['remote', 'add', 'origin', 'http://127.0.0.1/none.git'], { cwd: ahead });
    templates.set('ahead', ahead);
    const behind = path.join(work, 'behind');
    fs.cpSync(base, behind, { recursive: true });
    execFileSync('git', ['remote', 'add', 'origin', 'http://127.0.0.1/none.git'], { cwd: behind });
    templates.set('behind', behind);
  }, 600_000);

  /** Point the copy's origin at a fresh server copy of `source`. */
  const remoteOf = (source: string) => (dir: string, name: string) => {
    server.serveCopyOf(templates.get(source)!, `${name}.git`);
    execFileSync('git', ['config', 'remote.origin.url', server.url(`${name}.git`)], { cwd: dir });
  };
  const remoteMain = (name: string) => execFileSync('git', ['rev-parse', 'main'], { cwd: server.repositoryPath(`${name}.git`), encoding: 'utf8' }).trim();

  const scenarios: Scenario[] = [
    { name: 'import', template: 'base', args: ['import', '../update.csv', '--table', 't', '--mode', 'upsert'] },
    { name: 'commit', template: 'imported', args: ['commit', '-m', 'update'] },
    {
      name: 'merge',
      template: 'base',
      args: ['merge', 'a', '--no-verify'],
      alsoAllowed: async (newDir) => {
        // Killed after recording the merge: a merge in progress whose working set is the result, as after --no-commit.
        const repository = await Repository.open(newDir);
        const tree = (await repository.readCommit(await repository.resolve('main'))).tree;
        const heads = execFileSync('git', ['for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads'], { cwd: templates.get('base')!, encoding: 'utf8' }).split('\n').filter(Boolean);
        return [JSON.stringify({ branch: 'main', heads, tree, merge: 'a' })];
      },
    },
    { name: 'merge --continue', template: 'merging', args: ['merge', '--continue', '--no-verify'] },
    { name: 'switch', template: 'base', args: ['switch', 'a'] },
    { name: 'reset --hard', template: 'base', args: ['reset', '--hard', 'a'] },
    { name: 'heal', template: 'red', args: ['heal'] },
    { name: 'queue run', template: 'queued', args: ['queue', 'run'] },
    { name: 'push', template: 'ahead', args: ['push', 'origin', 'main'], prepare: remoteOf('base'), remoteState: remoteMain },
    { name: 'pull', template: 'behind', args: ['pull', 'origin', 'main'], prepare: remoteOf('ahead') },
  ];

  for (const scenario of scenarios) {
    it(`${scenario.name}: killed mid-write, git fsck is clean, status works, the state is old or new`, async () => {
      const slug = scenario.name.replace(/\W+/g, '-');
      const remote = (name: string) => (scenario.remoteState ? ` remote ${scenario.remoteState(name)}` : '');
      const whole = copyOf(scenario.template, `${slug}-whole`);
      scenario.prepare?.(whole, `${slug}-whole`);
      const oldState = (await fingerprint(templates.get(scenario.template)!)) + remote(`${slug}-whole`);
      const full = await runTraced(whole, scenario.args, undefined);
      expect(full.exited).toBe(true);
      expect(full.writes.length).toBeGreaterThan(0);
      const newState = (await fingerprint(whole)) + remote(`${slug}-whole`);
      const allowed = new Set([oldState, newState, ...((await scenario.alsoAllowed?.(whole)) ?? [])]);

      // Kill after k of the whole run's N writes, k spread over the run; a kill the process outran moves k earlier.
      const total = full.writes.length;
      let high = total;
      let k = Math.max(1, Math.floor(total / 3));
      const landed: string[] = [];
      for (let attempt = 0; attempt < MAX_KILLS; attempt++) {
        const dir = copyOf(scenario.template, `${slug}-${attempt}`);
        scenario.prepare?.(dir, `${slug}-${attempt}`);
        const trace = await runTraced(dir, scenario.args, k);
        const where = trace.exited ? 'finished' : trace.writes.length === 0 ? 'before' : trace.writes.length < total ? 'mid' : 'after';
        landed.push(`${k}/${total} writes:${where}`);
        execFileSync('git', ['fsck', '--strict', '--no-dangling'], { cwd: dir, stdio: 'pipe' });
        // A kill while files were mirrored leaves git's index.lock, as a killed git checkout does; git's users remove it.
        fs.rmSync(path.join(dir, '.git', 'index.lock'), { force: true });
        await status(await Repository.open(dir));
        expect(allowed, `after a kill past ${k} writes (${where})`).toContain((await fingerprint(dir)) + remote(`${slug}-${attempt}`));
        fs.rmSync(dir, { recursive: true, force: true });
        const mids = landed.filter((l) => l.endsWith(':mid')).length;
        if (mids > 0 && attempt + 1 >= MIN_KILLS) break;
        if (where === 'mid') k = Math.max(1, Math.min(total - 1, Math.ceil((k + high) / 2)));
        else {
          high = k;
          k = Math.max(1, Math.floor(k / 2));
        }
      }
      expect(landed.some((l) => l.endsWith(':mid')), `no kill landed mid-write: ${landed.join(', ')}`).toBe(true);
    }, 300_000);
  }
});
