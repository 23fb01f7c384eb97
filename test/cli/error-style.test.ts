import { describe, expect, it } from 'vitest';
import { tempDir, writeFile } from '../support/cli.js';
import { dgitIn, dgitInOk } from './in-process.js';

describe('one error style: dgit: error: <what> (<where>)', () => {
  it("commander's errors are one dgit line with a suggestion, never the whole help", async () => {
    const dir = tempDir();
    await dgitInOk(dir, 'init');
    const cases: Array<[string[], string]> = [
      [['commit'], "dgit: error: required option '-m, --message <msg>' not specified (see dgit commit --help)\n"],
      [['comit', '-m', 'x'], "dgit: error: unknown command 'comit'; did you mean commit?\n"],
      [['xyzzy'], "dgit: error: unknown command 'xyzzy' (see dgit --help)\n"],
      [['diff', '--tabel', 'x'], "dgit: error: unknown option '--tabel'; did you mean --table?\n"],
      [['queue', 'ad', 'x'], "dgit: error: unknown command 'ad'; did you mean add?\n"],
      [['export'], "dgit: error: missing required argument 'table' (see dgit export --help)\n"],
    ];
    for (const [args, stderr] of cases) expect(await dgitIn(dir, ...args)).toEqual({ code: 2, stdout: '', stderr });
  });

  it('the "(where)" is left out when it repeats the message, and kept when it adds a place', async () => {
    const dir = tempDir();
    await dgitInOk(dir, 'init');
    const missing = await dgitIn(dir, 'import', '/no/such/file.csv', '--table', 't');
    expect(missing.stderr).toBe('dgit: error: file "/no/such/file.csv" not found\n');
    const bad = await dgitIn(dir, 'import', writeFile(tempDir(), 'bad.csv', 'id,x\n1,2,3\n'), '--table', 't');
    expect(bad.stderr).toMatch(/^dgit: error: \S*bad\.csv:2: [^\n]*\n$/);
    const key = await dgitIn(dir, 'import', writeFile(tempDir(), 'k.csv', 'id,x\n1,2\n'), '--table', 't', '--key', 'ident');
    expect(key.code).not.toBe(0);
    expect(key.stderr).toMatch(/^dgit: error: .*key column "ident" is missing from the file; its columns: id, x\n$/);
  });
});
