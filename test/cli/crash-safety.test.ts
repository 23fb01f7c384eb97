import fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { CLI, DATA, dgit, dgitOk, gitOut, tempDir } from '../support/cli.js';
import { duck } from '../support/duckdb.js';

/**
 * Start dgit with its write trace on (DGIT_WRITE_TRACE) and SIGKILL it as soon as
 * the trace shows `killAfterWrites` durable writes begun (polled every ms, so
 * the aim does not depend on machine load); resolves with whether the kill landed
 * while it was writing: some writes begun, and no normal exit.
 */
function runAndKill(cwd: string, args: string[], killAfterWrites: number): Promise<boolean> {
  const trace = path.join(path.dirname(cwd), `${path.basename(cwd)}.trace`);
  fs.rmSync(trace, { force: true });
  const lines = () => (fs.existsSync(trace) ? fs.readFileSync(trace, 'utf8').split('\n').filter(Boolean) : []);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: 'ignore', env: { ...process.env, DGIT_WRITE_TRACE: trace } });
    const poll = setInterval(() => {
      if (lines().filter((l) => !l.endsWith(' exit')).length >= killAfterWrites) child.kill('SIGKILL');
    }, 1);
    child.on('exit', () => {
      clearInterval(poll);
      const seen = lines();
      resolve(seen.some((l) => !l.endsWith(' exit')) && !seen.some((l) => l.endsWith(' exit')));
    });
  });
}

/** How many durable writes a whole run of the command makes (its trace, run to the end). */
function countWrites(cwd: string, args: string[]): Promise<number> {
  const trace = path.join(path.dirname(cwd), `${path.basename(cwd)}.measure`);
  fs.rmSync(trace, { force: true });
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: 'ignore', env: { ...process.env, DGIT_WRITE_TRACE: trace } });
    child.on('exit', () => resolve(fs.readFileSync(trace, 'utf8').split('\n').filter((l) => l && !l.endsWith(' exit')).length));
  });
}

/** `count` kill points spread over a run of `writes` writes (after the first, before the last). */
function killPoints(writes: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => Math.max(1, Math.min(writes - 1, Math.round(1 + ((writes - 2) * i) / Math.max(1, count - 1)))));
}

function rowCount(dir: string, rev?: string): number {
  const args = rev ? ['tables', '--rev', rev, '--json'] : ['tables', '--json'];
  return JSON.parse(dgitOk(dir, ...args)).tables.find((t: { table: string }) => t.table === 'flights')?.rows ?? 0;
}

/**
 * A process killed at any instant during import or commit leaves the old state or
 * the new one: git fsck is clean, dgit status works, the data is one of the two.
 */
/**
 * Real rows of flights-3m, enough for a few dozen chunks: the write window of an
 * import or a commit spans many durable writes (test/trust/crash-kill.test.ts
 * covers every other command that writes, with kills aimed by bisection).
 */
const ROWS = 60_000;
/** The upsert: every third row with its id doubled (half of those ids are past ROWS: new rows) and its delay changed. */
const AFTER_UPSERT = ROWS + Math.floor(ROWS / 3) - Math.floor(ROWS / 6);

describe('crash safety under SIGKILL', () => {
  let work: string;
  let base: string;
  let update: string;
  beforeAll(async () => {
    work = tempDir();
    base = path.join(work, 'base.parquet');
    update = path.join(work, 'update.parquet');
    const flights = path.join(DATA, 'flights-3m.parquet');
    await duck(`
      COPY (SELECT row_number() OVER () AS id, * FROM read_parquet('${flights}') LIMIT ${ROWS}) TO '${base}' (FORMAT parquet);
      COPY (SELECT id * 2 AS id, date, delay + 1 AS delay, distance, origin, destination FROM read_parquet('${base}') WHERE id % 3 = 0) TO '${update}' (FORMAT parquet)`);
  });

  it('import killed at random points: old state or new, never corrupt', async () => {
    const dir = path.join(work, 'import-repo');
    dgitOk(work, 'init', 'import-repo');
    dgitOk(dir, 'import', base, '--table', 'flights', '--key', 'id');
    dgitOk(dir, 'commit', '-m', 'base');
    const old = rowCount(dir);
    const head = gitOut(dir, 'rev-parse', 'HEAD');
    const outcomes = new Set<string>();
    let midWrite = 0;
    // Aim the kills at the import's own write window, measured on a whole run (then undone).
    const writes = await countWrites(dir, ['import', update, '--table', 'flights', '--mode', 'upsert']);
    dgitOk(dir, 'reset', '--hard');
    for (const point of killPoints(writes, 3)) {
      if (await runAndKill(dir, ['import', update, '--table', 'flights', '--mode', 'upsert'], point)) midWrite++;
      execFileSync('git', ['fsck', '--strict', '--no-dangling'], { cwd: dir, stdio: 'pipe' });
      expect(dgit(dir, 'status').code === 0 || dgit(dir, 'tables').code === 0).toBe(true);
      const rows = rowCount(dir);
      outcomes.add(rows === old ? 'old' : 'new');
      expect([old, AFTER_UPSERT]).toContain(rows);
      expect(gitOut(dir, 'rev-parse', 'HEAD')).toBe(head);
      dgitOk(dir, 'reset', '--hard');
    }
    expect(outcomes.has('old')).toBe(true);
    // At least one kill must have landed while the import was writing, or the test proved nothing.
    expect(midWrite).toBeGreaterThan(0);
  });

  it('commit killed at random points: the branch is at the old commit or the new one', async () => {
    const dir = path.join(work, 'commit-repo');
    dgitOk(work, 'init', 'commit-repo');
    dgitOk(dir, 'import', base, '--table', 'flights', '--key', 'id');
    dgitOk(dir, 'commit', '-m', 'base');
    let midWrite = 0;
    dgitOk(dir, 'import', update, '--table', 'flights', '--mode', 'upsert');
    const writes = await countWrites(dir, ['commit', '-m', 'measured']);
    dgitOk(dir, 'reset', '--hard', 'HEAD~1');
    for (const point of killPoints(writes, 3)) {
      const head = gitOut(dir, 'rev-parse', 'HEAD').trim();
      dgitOk(dir, 'import', update, '--table', 'flights', '--mode', 'upsert');
      if (await runAndKill(dir, ['commit', '-m', `update killed after ${point} writes`], point)) midWrite++;
      execFileSync('git', ['fsck', '--strict', '--no-dangling'], { cwd: dir, stdio: 'pipe' });
      const now = gitOut(dir, 'rev-parse', 'HEAD').trim();
      if (now === head) {
        // old state: the change is still uncommitted and commits cleanly now
        expect(rowCount(dir)).toBe(AFTER_UPSERT);
        dgitOk(dir, 'commit', '-m', 'retry');
      } else {
        expect(gitOut(dir, 'rev-parse', 'HEAD~1').trim()).toBe(head);
      }
      expect(rowCount(dir, 'HEAD')).toBe(AFTER_UPSERT);
      expect(dgit(dir, 'tables').code).toBe(0);
      // A kill while the working directory was being mirrored leaves git's own
      // `.git/index.lock`, exactly as a killed `git checkout` does: the data state is
      // already whole (checked above); the stale lock is removed, as git tells its users to.
      fs.rmSync(path.join(dir, '.git', 'index.lock'), { force: true });
      dgitOk(dir, 'reset', '--hard', 'HEAD~1');
    }
    expect(midWrite).toBeGreaterThan(0);
  });
});
