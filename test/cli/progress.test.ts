import { execFileSync, spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { commit, importTable, initRepository, writeConfig } from '../../engine/index.js';
import { CLI, tempDir, writeFile } from '../support/cli.js';

/** util-linux `script` runs a command on a pseudo-terminal: the only way to test what a TTY sees. */
const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

const env = { ...process.env, NO_COLOR: '1', DGIT_PROGRESS_DELAY_MS: '0', GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 'test@example.com', GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 'test@example.com' };

/** Runs `dgit ARGS` in `dir` with stdout and stderr on a terminal; returns what the terminal showed. */
function onTerminal(dir: string, ...args: string[]): string {
  const quoted = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return execFileSync('script', ['-qec', quoted, '/dev/null'], { cwd: dir, env, encoding: 'utf8' });
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
