import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { editManifest } from './support/edit-manifest.js';
import { describe, expect, it } from 'vitest';
import { exportTable } from '../../engine/commands/export.js';
import { log } from '../../engine/commands/log.js';
import { show } from '../../engine/commands/show.js';
import { runSql } from '../../engine/commands/sql.js';
import { Repository } from '../../engine/repository/repository.js';
import { commitOnBranch, baseRow, queueRepository } from '../queue/queue-fixtures.js';
import { tempDir } from '../support/cli.js';

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Plain', '-c', 'user.email=plain@example.com', ...args], { cwd: dir, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

async function count(repository: Repository, rev?: string): Promise<unknown> {
  const result = await runSql(repository, 'SELECT count(*) AS n FROM t', { rev });
  return result.kind === 'rows' ? result.rows[0]!['n'] : undefined;
}

describe('reads never trust damaged or mismatched bytes', () => {
  it('a truncated cached chunk file is detected against its blob id and rebuilt', async () => {
    const { repository } = await queueRepository(6);
    expect(await count(repository)).toBe(6);
    const cache = path.join(repository.gitdir, 'dgit', 'cache', 'chunks');
    const bucket = fs.readdirSync(cache)[0]!;
    const file = path.join(cache, bucket, fs.readdirSync(path.join(cache, bucket)).find((n) => n.endsWith('.parquet'))!);
    const whole = fs.readFileSync(file);
    fs.writeFileSync(file, whole.subarray(0, whole.length >> 1));
    expect(await count(await Repository.open(repository.dir))).toBe(6);
    expect(fs.readFileSync(file)).toEqual(whole);
  });

  it('a chunk whose valid Parquet holds other rows than its manifest entry says gives an error, not an answer', async () => {
    const { dir } = await queueRepository(4);
    editManifest(dir, (text) => text.replaceAll('"rows":4', '"rows":5'));
    git(dir, 'add', '-A', 'tables');
    git(dir, 'commit', '-q', '-m', 'hand-edited manifest');
    const error = await count(await Repository.open(dir), 'HEAD').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CORRUPT' });
    expect(String((error as Error).message)).toContain('holds 4 rows, the manifest says 5');
  });

  it('export onto a FIFO or a device node writes into it and never replaces it', async () => {
    const { repository } = await queueRepository(3);
    const dir = tempDir('dgit-special-');
    const fifo = path.join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const reader = spawn('cat', [fifo]);
    let received = '';
    reader.stdout.on('data', (chunk: Buffer) => (received += chunk.toString()));
    const closed = new Promise((resolve) => reader.on('close', resolve));
    await exportTable(repository, 't', { format: 'csv', output: fifo });
    await closed;
    expect(fs.statSync(fifo).isFIFO()).toBe(true);
    expect(received.trim().split('\n')).toHaveLength(4);
    if (process.getuid?.() === 0) {
      const device = path.join(dir, 'null');
      execFileSync('mknod', [device, 'c', '1', '3']);
      await exportTable(repository, 't', { format: 'csv', output: device });
      expect(fs.statSync(device).isCharacterDevice()).toBe(true);
      expect(fs.readdirSync(dir).sort()).toEqual(['null', 'pipe']);
    }
  });

  it('read-only commands work on a depth-1 clone; a missing object says how to fetch it', async () => {
    const { repository, dir } = await queueRepository(3);
    await commitOnBranch(repository, 'main', { upsert: [{ ...baseRow(1), score: 3 }] });
    const clone = tempDir('dgit-shallow-');
    git(clone, 'clone', '-q', '--depth', '1', `file://${dir}`, 'c');
    const shallow = await Repository.open(path.join(clone, 'c'));
    const entries = await log(shallow);
    expect(entries).toHaveLength(1);
    expect(entries[0]!.parents).toEqual([]);
    expect((await show(shallow, 'HEAD')).commit.commit).toBe(entries[0]!.commit);
    expect(await count(shallow, 'HEAD')).toBe(3);
    const missing = await shallow.store.read((await repository.resolve('main~1')) as never).catch((e: unknown) => e);
    expect(String((missing as Error).message)).toContain('git fetch --unshallow');
  });
});
