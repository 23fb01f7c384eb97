import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { dgit, dgitOk, gitOut, tempDir } from '../support/cli.js';

describe('dgit demo', () => {
  it('runs the whole loop and leaves main green, the fixes merged and the incidents remembered', () => {
    const dir = path.join(tempDir(), 'demo');
    const out = dgitOk(path.dirname(dir), 'demo', dir);
    expect(out).toMatch(/dgit check on main now: all checks pass/);
    expect(dgit(dir, 'check').code).toBe(0);
    const incidents = JSON.parse(dgitOk(dir, 'incidents', '--json'));
    const list = Array.isArray(incidents) ? incidents : incidents.incidents;
    expect(list.length).toBeGreaterThanOrEqual(5);
    expect(list.every((i: { outcome: string }) => i.outcome === 'merged')).toBe(true);
    const queue = JSON.parse(dgitOk(dir, 'queue', 'list', '--json'));
    expect(queue.entries.every((e: { state: string }) => e.state === 'merged')).toBe(true);
    expect(gitOut(dir, 'status', '--porcelain')).toBe('');
    execFileSync('git', ['fsck', '--strict', '--no-dangling'], { cwd: dir, stdio: 'pipe' });
    // a second run refuses to overwrite a folder that is not empty
    expect(dgit(path.dirname(dir), 'demo', dir).code).toBe(1);
  });
});
