import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { commit, importTable, initRepository, writeConfig } from '../../engine/index.js';
import { CLI, dgitOk, tempDir, writeFile } from '../support/cli.js';

/** util-linux `script` runs a command on a pseudo-terminal: the only way to test what a TTY sees. */
const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

const env = { ...process.env, NO_COLOR: '1', DGIT_PROGRESS_DELAY_MS: '0', GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 'test@example.com', GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 'test@example.com' };

const shellQuoted = (args: string[]) => args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');

/** Runs `dgit ARGS` in `dir` with stdout and stderr on a terminal; returns what the terminal showed. */
function onTerminal(dir: string, ...args: string[]): string {
  return execFileSync('script', ['-qec', shellQuoted([process.execPath, CLI, ...args]), '/dev/null'], { cwd: dir, env, encoding: 'utf8' });
}

/** Runs `dgit ARGS` with stderr on a terminal and stdout into a file; returns what the terminal showed and the file. */
function stdoutToFile(dir: string, ...args: string[]): { shown: string; stdout: string } {
  const file = path.join(dir, 'stdout.txt');
  const shown = execFileSync('script', ['-qec', `${shellQuoted([process.execPath, CLI, ...args])} > ${shellQuoted([file])}`, '/dev/null'], { cwd: dir, env, encoding: 'utf8' });
  return { shown, stdout: fs.readFileSync(file, 'utf8') };
}

/** Runs `dgit ARGS` with stdout and stderr piped: no progress at all. */
function piped(dir: string, ...args: string[]): string {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return result.stdout;
}

describe('progress on stderr', () => {
  let dir: string;

  beforeAll(async () => {
    dir = tempDir();
    const { repository } = await initRepository(dir);
    const rows = Array.from({ length: 50 }, (_, i) => `${i},${i % 7}`).join('\n');
    await importTable(repository, writeFile(dir, 'numbers.csv', `id,n\n${rows}\n`), { table: 'numbers', key: ['id'] });
    await writeConfig(repository, 'version: 1\ntables:\n  numbers:\n    checks:\n      - { kind: not_null, column: n }\n      - { kind: unique, columns: [id] }\n');
    await commit(repository, { message: 'numbers' });
  });

  it.skipIf(!hasScript)('a check on a terminal shows a progress line, then clears it', () => {
    const shown = onTerminal(dir, 'check');
    expect(shown).toMatch(/Checking: \d+% \(\d+\/2 checks\)/);
    expect(shown).toContain('\r\u001b[K');
  });

  it.skipIf(!hasScript)('--quiet keeps a terminal free of progress', () => {
    const shown = onTerminal(dir, '--quiet', 'check');
    expect(shown).not.toContain('Checking:');
    expect(shown).not.toContain('\u001b[K');
  });

  it('a piped run prints no progress', () => {
    const result = spawnSync(process.execPath, [CLI, 'check'], { cwd: dir, env, encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).not.toContain('Checking:');
  });
});

describe('diff progress on stderr', () => {
  let dir: string;
  /** One progress drawing: the line erased, then the phase and the amount. */
  const drawing = /\r\u001b\[K(Comparing [^\r\n\u001b]*)/g;

  beforeAll(async () => {
    dir = tempDir();
    const { repository } = await initRepository(dir);
    // Big enough for several chunks a side; a few rows in many chunks change.
    const rows = (edited: boolean) => Array.from({ length: 40_000 }, (_, i) => `${i},${i % 97 + (edited && i % 3000 === 0 ? 1 : 0)},name ${i}`).join('\n');
    await importTable(repository, writeFile(dir, 'v1.csv', `id,n,name\n${rows(false)}\n`), { table: 'big', key: ['id'] });
    await commit(repository, { message: 'v1' });
    await importTable(repository, writeFile(dir, 'v2.csv', `id,n,name\n${rows(true)}\n`), { table: 'big' });
    await commit(repository, { message: 'v2' });
  }, 120_000);

  it.skipIf(!hasScript)('a diff on a terminal shows chunks compared, and erases the line before each write of output', () => {
    const shown = onTerminal(dir, 'diff', 'HEAD~1', 'HEAD', '--limit', '3');
    expect(shown).toMatch(/Comparing big \(table 1 of 1\): \d+% \(\d+\/\d+ chunks\)/);
    // Every drawing is erased before anything else reaches the terminal: no row ever shares its line.
    for (const match of shown.matchAll(drawing)) expect(shown.slice(match.index + match[0].length, match.index + match[0].length + 4)).toBe('\r\u001b[K');
    // Without the drawings, the terminal shows exactly the piped output (the terminal turns \n into \r\n).
    const output = shown.replace(drawing, '').replaceAll('\r\u001b[K', '');
    expect(output).toBe(piped(dir, 'diff', 'HEAD~1', 'HEAD', '--limit', '3').replaceAll('\n', '\r\n'));
    expect(output).toContain('14 modified');
  });

  it.skipIf(!hasScript)('progress changes no byte of stdout, in any format, for diff and show', () => {
    // `show --json` writes around the diff itself: its braces must stay in place.
    const runs = [['diff', 'HEAD~1', 'HEAD'], ...['json', 'markdown', 'html'].map((format) => ['diff', 'HEAD~1', 'HEAD', '--format', format]), ['show', '--json']];
    for (const args of runs) {
      const { shown, stdout } = stdoutToFile(dir, ...args);
      expect(shown, args.join(' ')).toMatch(/Comparing big \(table 1 of 1\)/);
      expect(stdout, args.join(' ')).toBe(dgitOk(dir, ...args));
    }
  });

  it.skipIf(!hasScript)('--quiet keeps a diff on a terminal free of progress', () => {
    const shown = onTerminal(dir, '--quiet', 'diff', 'HEAD~1', 'HEAD', '--limit', '3');
    expect(shown).not.toContain('Comparing');
    expect(shown).not.toContain('\u001b[K');
    expect(shown).toContain('14 modified');
  });
});
