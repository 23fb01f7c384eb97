import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { gitOut, tempDir, writeFile } from '../support/cli.js';
import { dgitInOk } from './in-process.js';

beforeAll(() => {
  Object.assign(process.env, { GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@example.com' });
});

const CONFIG = 'version: 1\ntables:\n  t:\n    checks:\n      - kind: not_null\n        column: x\n';
const EDITED = `${CONFIG}      - kind: unique\n        column: x\n`;
const FINAL = `${CONFIG}      - kind: unique\n        column: id\n`;

async function status(dir: string): Promise<{ clean: boolean; config: string | null }> {
  return JSON.parse(await dgitInOk(dir, 'status', '--json')) as { clean: boolean; config: string | null };
}

describe('dgit.yml is staged from the working file, as git add would', () => {
  it('an edit reverted with git checkout is not committed, and status agrees with git status at every step', async () => {
    const dir = tempDir();
    await dgitInOk(dir, 'init');
    await dgitInOk(dir, 'import', writeFile(dir, 'in.csv', 'id,x\n1,a\n'), '--table', 't', '--key', 'id');
    fs.rmSync(path.join(dir, 'in.csv'));
    writeFile(dir, 'dgit.yml', CONFIG);
    await dgitInOk(dir, 'commit', '-m', 'table and checks');
    const gitDirty = () => gitOut(dir, 'status', '--porcelain', '--', 'dgit.yml').trim() !== '';
    expect(gitDirty()).toBe(false);
    expect(await status(dir)).toMatchObject({ clean: true, config: null });

    writeFile(dir, 'dgit.yml', EDITED);
    expect(gitDirty()).toBe(true);
    expect(await status(dir)).toMatchObject({ clean: false, config: 'modified' });

    gitOut(dir, 'checkout', '--', 'dgit.yml');
    expect(gitDirty()).toBe(false);
    expect(await status(dir)).toMatchObject({ clean: true, config: null });
    expect((await dgitInOk(dir, 'status'))).toMatch(/nothing to commit/);
  });

  it('commit takes what the file holds at commit time, even without a status before it', async () => {
    const dir = tempDir();
    await dgitInOk(dir, 'init');
    await dgitInOk(dir, 'import', writeFile(dir, 'in.csv', 'id,x\n1,a\n'), '--table', 't', '--key', 'id');
    fs.rmSync(path.join(dir, 'in.csv'));
    writeFile(dir, 'dgit.yml', CONFIG);
    await dgitInOk(dir, 'commit', '-m', 'one');
    writeFile(dir, 'dgit.yml', EDITED);
    expect((await status(dir)).config).toBe('modified'); // staged the first edit
    writeFile(dir, 'dgit.yml', FINAL);
    const atCommit = fs.readFileSync(path.join(dir, 'dgit.yml'), 'utf8');
    await dgitInOk(dir, 'commit', '-m', 'two');
    expect(gitOut(dir, 'show', 'HEAD:dgit.yml')).toBe(atCommit);
    expect(fs.readFileSync(path.join(dir, 'dgit.yml'), 'utf8')).toBe(atCommit);
    expect(gitOut(dir, 'status', '--porcelain')).toBe('');

    fs.rmSync(path.join(dir, 'dgit.yml'));
    expect(gitOut(dir, 'status', '--porcelain', '--', 'dgit.yml')).toMatch(/^ D dgit.yml/);
    expect((await status(dir)).config).toBe('deleted');
  });
});
