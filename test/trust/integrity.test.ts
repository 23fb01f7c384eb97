import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runChecks } from '../../engine/checks/run-checks.js';
import { writeConfig } from '../../engine/config/repository-config.js';
import { commit } from '../../engine/commands/commit.js';
import { fsck } from '../../engine/integrity/fsck.js';
import { Repository } from '../../engine/repository/repository.js';
import { queueRepository } from '../queue/queue-fixtures.js';
import { yaml } from '../checks/check-fixtures.js';
import { editManifest } from './support/edit-manifest.js';

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Plain', '-c', 'user.email=plain@example.com', ...args], { cwd: dir, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

/** The one chunk of table t in the working directory (dgit mirrors the branch there). */
function chunkFile(dir: string): { file: string; id: string } {
  const chunks = path.join(dir, 'tables', 't', 'chunks');
  const bucket = fs.readdirSync(chunks)[0]!;
  const name = fs.readdirSync(path.join(chunks, bucket))[0]!;
  return { file: path.join(chunks, bucket, name), id: name.slice(0, 40) };
}

/** Commit a change made with plain git (as a pull request would bring it), then check that commit. */
async function checkPlainCommit(dir: string, change: () => void): Promise<{ passed: boolean; messages: string[] }> {
  change();
  git(dir, 'add', '-A', 'tables');
  git(dir, 'commit', '-q', '-m', 'plain git change');
  const report = await runChecks(await Repository.open(dir), 'HEAD');
  return { passed: report.passed, messages: report.results.filter((r) => r.kind === 'integrity').map((r) => `${r.message} ${JSON.stringify(r.sample)}`) };
}

describe('dgit check fails on what dgit did not write in tables/', () => {
  it('names a Parquet file the manifest does not reference, a chunk listed twice, a wrong count or key, and bytes that are not Parquet', async () => {
    const { dir } = await queueRepository(4);
    const base = git(dir, 'rev-parse', 'HEAD').trim();
    const { file, id } = chunkFile(dir);
    const cases: Array<{ change: () => void; expect: string }> = [
      {
        change: () => {
          const injected = path.join(dir, 'tables', 't', 'chunks', 'ff', `${'f'.repeat(40)}.parquet`);
          fs.mkdirSync(path.dirname(injected), { recursive: true });
          fs.copyFileSync(file, injected);
        },
        expect: 'a file the manifest does not reference',
      },
      { change: () => fs.writeFileSync(path.join(dir, 'tables', 't', 'notes.txt'), 'x'), expect: 'tables/t/notes.txt: a file the manifest does not reference' },
      {
        change: () => fs.writeFileSync(path.join(dir, 'tables', 't', 'manifest', 'pages', 'notes.json'), '{}'),
        expect: 'tables/t/manifest: the manifest pages are not the ones dgit writes',
      },
      { change: () => editManifest(dir, (text) => text.replace(/(\{"id".*\})\n/, '$1,\n$1\n')), expect: 'listed twice' },
      { change: () => editManifest(dir, (text) => text.replace(/"rows":4,"first"/, '"rows":5,"first"')), expect: 'holds 4 rows, the manifest says 5' },
      { change: () => editManifest(dir, (text) => text.replace('"first":[1]', '"first":[0]')), expect: 'the manifest says (0) to (4)' },
      {
        change: () => {
          const garbage = Buffer.from('PAR1 this is not a parquet file PAR1');
          const blobId = execFileSync('git', ['hash-object', '--stdin'], { cwd: dir, input: garbage, encoding: 'utf8' }).trim();
          const target = path.join(dir, 'tables', 't', 'chunks', blobId.slice(0, 2), `${blobId}.parquet`);
          fs.mkdirSync(path.dirname(target), { recursive: true });
          fs.writeFileSync(target, garbage);
          fs.rmSync(file);
          editManifest(dir, (text) => text.replace(id, blobId));
        },
        expect: 'not valid Parquet',
      },
    ];
    for (const testCase of cases) {
      git(dir, 'reset', '-q', '--hard', base);
      const result = await checkPlainCommit(dir, testCase.change);
      expect(result.passed, testCase.expect).toBe(false);
      expect(result.messages.join('\n')).toContain(testCase.expect);
    }
    git(dir, 'reset', '-q', '--hard', base);
    expect((await runChecks(await Repository.open(dir), 'HEAD')).passed).toBe(true);
  });

  it('costs what the commit changed: a later commit that leaves the table alone is not re-verified; --full and fsck --full find it', async () => {
    const { dir } = await queueRepository(4);
    await checkPlainCommit(dir, () => {
      const injected = path.join(dir, 'tables', 't', 'chunks', 'ff', `${'f'.repeat(40)}.parquet`);
      fs.mkdirSync(path.dirname(injected), { recursive: true });
      fs.copyFileSync(chunkFile(dir).file, injected);
    });
    const repository = await Repository.open(dir);
    await writeConfig(repository, yaml('version: 1', 'tables:', '  t:', '    checks:', '      - kind: not_null', '        column: score'));
    await commit(repository, { message: 'config only' });
    expect((await runChecks(repository, 'HEAD')).passed).toBe(true);
    const full = await runChecks(repository, 'HEAD', { incremental: false });
    expect(full.passed).toBe(false);
    expect(full.results[0]).toMatchObject({ check: 't.integrity', kind: 'integrity', severity: 'error' });
    const report = await fsck(repository, { full: true });
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => p.where).join('\n')).toContain(`tables/t/chunks/ff/${'f'.repeat(40)}.parquet`);
  });

  it('fsck counts the chunk-file cache, and --full names a damaged cached file with its recovery', async () => {
    const { repository } = await queueRepository(4);
    expect((await runChecks(repository, 'HEAD', { incremental: false })).passed).toBe(true); // reads the chunks through the cache
    const cache = path.join(repository.gitdir, 'dgit', 'cache', 'chunks');
    const bucket = fs.readdirSync(cache)[0]!;
    const name = fs.readdirSync(path.join(cache, bucket)).find((n) => n.endsWith('.parquet'))!;
    const quick = await fsck(repository);
    expect(quick.checked.cacheFiles).toBeGreaterThan(0);
    fs.writeFileSync(path.join(cache, bucket, name), 'not the chunk');
    const full = await fsck(repository, { full: true });
    expect(full.problems.find((p) => p.where === `.git/dgit/cache/chunks/${bucket}/${name}`)).toMatchObject({ problem: expect.stringContaining('damaged') as unknown });
  });
});
