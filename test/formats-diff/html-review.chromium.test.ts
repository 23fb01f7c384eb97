import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir, writeFile } from '../support/cli.js';
import { dgitInOk } from '../cli/in-process.js';

/** The headless Chromium to load pages in: $CHROMIUM, else the first of the usual names on PATH. */
function findChromium(): string {
  const names = [process.env['CHROMIUM'], 'chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'].filter((n): n is string => Boolean(n));
  for (const name of names) {
    if (path.isAbsolute(name) && fs.existsSync(name)) return name;
    for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
      const candidate = path.join(dir, name);
      if (dir && fs.existsSync(candidate)) return candidate;
    }
  }
  throw new Error('no Chromium found: install it (`apt-get install -y chromium`, as .ci/run does) or set CHROMIUM to its path');
}

/** The page as Chromium parsed and laid it out, serialised back (`--dump-dom`). */
function loadInChromium(file: string): string {
  const result = spawnSync(
    findChromium(),
    ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', `--user-data-dir=${tempDir('dgit-chromium-')}`, '--dump-dom', `file://${file}`],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  if (result.status !== 0) throw new Error(`chromium exited ${result.status}: ${result.stderr}`);
  return result.stdout;
}

/** The text a reader sees, in page order: tags dropped, entities decoded, spaces squeezed. */
function visibleTextOf(dom: string): string {
  return dom
    .replace(/<(style|title)[^>]*>[\s\S]*?<\/\1>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}

beforeAll(() => {
  Object.assign(process.env, { GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@example.com' });
});

describe('the HTML review page, as a browser shows it', () => {
  it('summary first, names as typed, user tables before folded internal ones, key and changed columns, a row limit, old → new with signs and spaces', async () => {
    const dir = tempDir();
    const files = tempDir();
    await dgitInOk(dir, 'init');
    const header = 'id,city,delay,c1,c2,c3,c4,c5\n';
    const rows = Array.from({ length: 150 }, (_, i) => `${i + 1},Los Angeles,${i === 0 ? -5 : i},x,x,x,x,x`).join('\n');
    await dgitInOk(dir, 'import', writeFile(files, 'airports.csv', `${header}${rows}\n`), '--table', 'airports', '--key', 'id');
    await dgitInOk(dir, 'import', writeFile(files, 'inc.csv', 'id,what\n1,old\n'), '--table', '_dgit_incidents', '--key', 'id');
    await dgitInOk(dir, 'commit', '-m', 'v0');
    await dgitInOk(dir, 'tag', 'v0');
    await dgitInOk(dir, 'sql', 'UPDATE airports SET delay = delay + 8');
    await dgitInOk(dir, 'sql', "UPDATE airports SET city = 'Los Angeles ' WHERE id = 2");
    await dgitInOk(dir, 'import', writeFile(files, 'inc2.csv', 'id,what\n1,new\n'), '--table', '_dgit_incidents');
    await dgitInOk(dir, 'commit', '-m', 'v1');

    const page = path.join(files, 'review.html');
    fs.writeFileSync(page, await dgitInOk(dir, 'diff', 'v0', 'main', '--format', 'html'));
    const dom = loadInChromium(page);
    const text = visibleTextOf(dom);

    expect(text).toMatch(/^Data diff: v0 → main /);
    // The summary comes before any table's rows, and counts every table.
    const summary = text.indexOf('2 tables changed: 0 rows added, 0 deleted, 151 modified.');
    expect(summary).toBeGreaterThan(0);
    expect(summary).toBeLessThan(text.indexOf('airports (modified)'));
    // The user's table first; dgit's own folded below it, closed.
    expect(text.indexOf('airports (modified)')).toBeLessThan(text.indexOf('_dgit_incidents (modified)'));
    expect(dom).toMatch(/<details class="internal">\s*<summary>dgit's internal tables \(1\)<\/summary>/);
    expect(dom).not.toMatch(/<details[^>]* open/);
    // Key and changed columns only; the unchanged ones are named, not shown.
    expect(text).toContain('change id city delay');
    expect(text).toContain('5 unchanged columns not shown: c1, c2, c3, c4, c5');
    // A default row limit, with how many more there are.
    expect(text).toContain('50 more changed rows not shown.');
    // Old → new, a minus sign in plain sight, a trailing space made visible.
    expect(text).toContain('modified 1 Los Angeles -5 → 3');
    expect(text).toContain('modified 2 Los Angeles → "Los Angeles " 1 → 9');
    expect(dom).not.toContain('<del>');

    fs.writeFileSync(page, await dgitInOk(dir, 'diff', 'v0', 'main', '--format', 'html', '--stat'));
    const stat = visibleTextOf(loadInChromium(page));
    expect(stat).toContain('2 tables changed');
    expect(stat).not.toContain('-5 → 3');
    fs.writeFileSync(page, await dgitInOk(dir, 'diff', 'v0', 'main', '--format', 'html', '--all-columns', '--limit', '1'));
    const all = visibleTextOf(loadInChromium(page));
    expect(all).toContain('change id city delay c1 c2 c3 c4 c5');
    expect(all).toContain('149 more changed rows not shown.');
  });

  it('--stat is honoured by Markdown too, and Markdown shows a trailing space', async () => {
    const dir = tempDir();
    await dgitInOk(dir, 'init');
    await dgitInOk(dir, 'import', writeFile(tempDir(), 'a.csv', 'id,city\n1,Los Angeles\n'), '--table', 'airports', '--key', 'id');
    await dgitInOk(dir, 'commit', '-m', 'v0');
    await dgitInOk(dir, 'sql', "UPDATE airports SET city = 'Los Angeles '");
    const full = await dgitInOk(dir, 'diff', '--format', 'markdown');
    expect(full).toContain('`Los Angeles` → `"Los Angeles "`');
    const stat = await dgitInOk(dir, 'diff', '--format', 'markdown', '--stat');
    expect(stat).toContain('airports');
    expect(stat).not.toContain('Los Angeles');
    expect(await dgitInOk(dir, 'diff')).toContain('Los Angeles → "Los Angeles "');
  });
});
