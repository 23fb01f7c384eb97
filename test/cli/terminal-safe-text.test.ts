import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.js';
import { formatTable } from '../../cli/output.js';
import { tempDir, writeFile } from '../support/cli.js';

/** Runs the CLI in this process and returns what it wrote on stdout. */
async function dgitInProcess(cwd: string, ...args: string[]): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  });
  try {
    const code = await main(['node', 'dgit', '-C', cwd, ...args]);
    return { code, stdout };
  } finally {
    write.mockRestore();
  }
}

// C1 CSI (a terminal reads it as ESC [), a right-to-left override, and a plain ESC.
const CSI = '\u009b';
const RLO = '\u202e';
const ESC = '\u001b';

describe('terminal output is safe from the data it shows', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });

  it('formatTable escapes C0, C1 and bidi controls instead of passing them to the terminal', () => {
    const table = formatTable(['name'], [[`a${CSI}31mred`], [`b${RLO}txt`], [`c${ESC}[2J`], ['d\ne']]);
    expect(table).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
    expect(table).toContain('a\\u009b31mred');
    expect(table).toContain('b\\u202etxt');
    expect(table).toContain('c\\u001b[2J');
    expect(table).toContain('d\\ne');
  });

  it('`dgit sql` table output escapes U+009B and U+202E, as `dgit show` does', async () => {
    const dir = tempDir();
    expect((await dgitInProcess(dir, 'init')).code).toBe(0);
    writeFile(dir, 'people.csv', `id,name\n1,"x${CSI}31my"\n2,"evil${RLO}gnp.exe"\n`);
    expect((await dgitInProcess(dir, 'import', 'people.csv', '--table', 'people', '--key', 'id')).code).toBe(0);
    const result = await dgitInProcess(dir, 'sql', 'SELECT name FROM people ORDER BY id');
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain(CSI);
    expect(result.stdout).not.toContain(RLO);
    expect(result.stdout).toContain('x\\u009b31my');
    expect(result.stdout).toContain('evil\\u202egnp.exe');
    // JSON output is data, not terminal text: exact.
    const json = await dgitInProcess(dir, 'sql', 'SELECT name FROM people ORDER BY id', '--json');
    expect((JSON.parse(json.stdout) as { rows: Array<{ name: string }> }).rows.map((r) => r.name)).toEqual([`x${CSI}31my`, `evil${RLO}gnp.exe`]);
  });
});
