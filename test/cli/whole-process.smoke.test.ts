import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, dgitProcess, gitOut, tempDir, writeFile } from '../support/cli.js';

/**
 * The few tests that run dgit as its own process, as a shell does: the rest of the
 * suite runs the same CLI in process (test/support/cli.ts) for speed.
 */
describe('dgit as a process', () => {
  it('the built binary starts with a shebang and answers --version', () => {
    expect(fs.readFileSync(CLI, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    const result = dgitProcess(tempDir(), '--version');
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('init, import, commit and log work end to end, and errors exit 2 on stderr only', () => {
    const work = tempDir('dgit-process-');
    const repo = path.join(work, 'repo');
    expect(dgitProcess(work, 'init', 'repo').code).toBe(0);
    const csv = writeFile(work, 't.csv', 'id,x\n1,a\n2,b\n');
    expect(dgitProcess(repo, 'import', csv, '--table', 't', '--key', 'id').code).toBe(0);
    const committed = dgitProcess(repo, 'commit', '-m', 'first', '--json');
    expect(committed.code).toBe(0);
    const id = (JSON.parse(committed.stdout) as { commit: string }).commit;
    expect(gitOut(repo, 'rev-parse', 'HEAD').trim()).toBe(id);
    const log = JSON.parse(dgitProcess(repo, 'log', '--json').stdout) as { commits: { commit: string }[] };
    expect(log.commits.map((c) => c.commit)).toEqual([id]);
    const missing = dgitProcess(repo, 'log', '--no-such-flag');
    expect(missing.code).toBe(2);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/error: unknown option '--no-such-flag'/);
  });
});
