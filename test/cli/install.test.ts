import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../support/cli.js';

const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  bin: Record<string, string>;
  scripts: Record<string, string>;
};

describe('installing the dgit command', () => {
  it('the bin entry is the built CLI, which starts with a node shebang', () => {
    expect(manifest.bin).toEqual({ dgit: 'dist/bundle/dgit.js' });
    const first = fs.readFileSync(path.join(ROOT, manifest.bin['dgit']!), 'utf8').split('\n')[0];
    expect(first).toBe('#!/usr/bin/env node');
  });

  it('runs from PATH through a link, as `npm link` makes it', () => {
    const bin = tempDir('dgit-bin-');
    const target = path.join(ROOT, manifest.bin['dgit']!);
    fs.chmodSync(target, 0o755); // npm makes bin targets executable when it links them
    fs.symlinkSync(target, path.join(bin, 'dgit'));
    const result = spawnSync('dgit', ['--version'], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env['PATH'] ?? ''}` } });
    expect(result.error).toBeUndefined();
    expect({ code: result.status, stdout: result.stdout }).toEqual({ code: 0, stdout: `${manifest.version}\n` });
  });

  it('builds once: `npm ci` builds through prepare, and the demo script runs the built CLI without building again', () => {
    expect(manifest.scripts['prepare']).toBe('npm run build');
    expect(manifest.scripts['demo']).toBe('node dist/bundle/dgit.js demo');
  });
});
