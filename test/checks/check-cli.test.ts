import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeConfig } from '../../engine/config/index.js';
import { Repository } from '../../engine/repository/repository.js';
import { withRootFile } from '../../engine/table/root-tree.js';
import { DATA, dgit, dgitOk, tempDir } from '../support/cli.js';

/**
 * `dgit check` as users and CI run it, on real messy data from vega-datasets:
 * penguins (nulls and a "." where a sex should be) and movies (duplicate titles,
 * titles that are numbers, ratings outside the usual list), both keyless.
 */

const CONFIG = [
  'version: 1', //                                     1
  'tables:', //                                        2
  '  penguins:', //                                    3
  '    checks:', //                                    4
  '      - kind: not_null', //                         5
  '        column: Sex', //                            6
  '        severity: warn', //                         7
  '      - kind: accepted_values', //                  8
  '        column: Sex', //                            9
  '        values: [MALE, FEMALE]', //                10
  '        description: "as surveyed | @penguins #12 <b>"', // 11
  '      - kind: range', //                           12
  '        column: "Body Mass (g)"', //               13
  '        min: 2500', //                             14
  '        max: 6500', //                             15
  '      - kind: row_count', //                       16
  '        min: 300', //                              17
  '  movies:', //                                     18
  '    checks:', //                                   19
  '      - kind: unique', //                          20
  '        column: Title', //                         21
  '      - kind: accepted_values', //                 22
  '        column: MPAA Rating', //                   23
  '        values: [G, PG, PG-13, R, NC-17, Not Rated]', // 24
  '      - kind: range', //                           25
  '        column: IMDB Rating', //                   26
  '        min: 0', //                                27
  '        max: 10', //                               28
  '      - kind: pattern', //                         29
  '        column: Title', //                         30
  '        pattern: "[A-Za-z]"', //                   31
].join('\n') + '\n';

type Row = Record<string, unknown>;
const penguins = JSON.parse(fs.readFileSync(path.join(DATA, 'penguins.json'), 'utf8')) as Row[];
const movies = JSON.parse(fs.readFileSync(path.join(DATA, 'movies.json'), 'utf8')) as Row[];

let dir: string;
let commit: string;

beforeAll(async () => {
  dir = path.join(tempDir(), 'repo');
  dgitOk(path.dirname(dir), 'init', 'repo');
  dgitOk(dir, 'import', path.join(DATA, 'penguins.json'), '--table', 'penguins');
  dgitOk(dir, 'import', path.join(DATA, 'movies.json'), '--table', 'movies');
  await writeConfig(await Repository.open(dir), CONFIG);
  commit = JSON.parse(dgitOk(dir, 'commit', '-m', 'penguins, movies and their checks', '--json')).commit as string;
});

describe('dgit check', () => {
  it('--json prints the CLI.md shape, every failure counted, exits 1 on a failed error check', () => {
    const result = dgit(dir, 'check', 'HEAD', '--json');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('');
    const report = JSON.parse(result.stdout) as { revision: string; passed: boolean; results: Array<Record<string, unknown>> };
    expect(report.revision).toBe(commit);
    expect(report.passed).toBe(false);
    const byCheck = Object.fromEntries(report.results.map((r) => [r['check'], r]));

    // Expected counts, computed from the JSON files themselves.
    const nullSex = penguins.filter((p) => p['Sex'] === null).length;
    const oddSex = penguins.filter((p) => p['Sex'] !== null && p['Sex'] !== 'MALE' && p['Sex'] !== 'FEMALE');
    const titles = new Map<string, number>();
    for (const m of movies) if (m['Title'] !== null) titles.set(String(m['Title']), (titles.get(String(m['Title'])) ?? 0) + 1);
    const duplicated = [...titles.values()].filter((n) => n > 1).reduce((a, n) => a + n, 0);
    const ratings = ['G', 'PG', 'PG-13', 'R', 'NC-17', 'Not Rated'];
    const oddRatings = movies.filter((m) => m['MPAA Rating'] !== null && !ratings.includes(String(m['MPAA Rating']))).length;
    const letterless = movies.filter((m) => m['Title'] !== null && !/[A-Za-z]/.test(String(m['Title']))).length;

    expect(byCheck['penguins.Sex.not_null']).toMatchObject({ table: 'penguins', column: 'Sex', kind: 'not_null', severity: 'warn', passed: false, failing_rows: nullSex, line: 5 });
    expect(byCheck['penguins.Sex.accepted_values']).toMatchObject({
      severity: 'error',
      passed: false,
      failing_rows: oddSex.length,
      sample: [{ key: oddSex[0], value: '.' }],
      description: 'as surveyed | @penguins #12 <b>',
      line: 8,
    });
    expect(byCheck['penguins.Body Mass (g).range']).toMatchObject({ passed: true, failing_rows: 0, sample: [] });
    expect(byCheck['penguins.row_count']).toMatchObject({ passed: true, observed: { rows: penguins.length } });
    expect(byCheck['movies.Title.unique']).toMatchObject({ passed: false, failing_rows: duplicated });
    expect((byCheck['movies.Title.unique']!['sample'] as unknown[]).length).toBe(10);
    expect(byCheck['movies.MPAA Rating.accepted_values']).toMatchObject({ passed: false, failing_rows: oddRatings });
    expect(byCheck['movies.IMDB Rating.range']).toMatchObject({ passed: true });
    expect(byCheck['movies.Title.pattern']).toMatchObject({ passed: false, failing_rows: letterless });
    for (const r of report.results) expect(Object.keys(r).slice(0, 9)).toEqual(['check', 'table', 'column', 'columns', 'kind', 'severity', 'passed', 'failing_rows', 'sample']);
  });

  it('--format github annotates the dgit.yml line of each failed check, warnings as warnings', () => {
    const result = dgit(dir, 'check', 'HEAD', '--format', 'github');
    expect(result.code).toBe(1);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines.map((l) => l.replace(/::[^:]*$/, '').replace(/title=.*/, 'title'))).toEqual([
      '::warning file=dgit.yml,line=5,title',
      '::error file=dgit.yml,line=8,title',
      '::error file=dgit.yml,line=20,title',
      '::error file=dgit.yml,line=22,title',
      '::error file=dgit.yml,line=29,title',
      'dgit check: 4 of 8 checks failed, 1 warning',
    ]);
    expect(lines[1]).toBe(
      '::error file=dgit.yml,line=8,title=dgit check penguins.Sex.accepted_values::1 row whose Sex is not one of the 2 accepted values%0Aas surveyed | @penguins #12 <b>%0AFailing rows: ' +
        'Species="Gentoo", Island="Biscoe", Beak Length (mm)=44.5, Beak Depth (mm)=15.7, Flipper Length (mm)=217, Body Mass (g)=4875, Sex=".": "."',
    );
  });

  it('--format markdown renders a comment with user text escaped', () => {
    const result = dgit(dir, 'check', 'HEAD', '--format', 'markdown');
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^### ❌ dgit check: 4 of 8 checks failed, 1 warning\n/);
    expect(result.stdout).toContain('| ❌ | penguins.Sex.accepted\\_values | error | 1 | 1 row whose Sex is not one of the 2 accepted values — as surveyed \\| @&#8203;penguins #&#8203;12 &lt;b&gt; |');
  });

  it('prints a table for people, and passes (exit 0) when only warnings fail', async () => {
    const result = dgit(dir, 'check', 'HEAD');
    expect(result.code).toBe(1);
    expect(result.stdout.split('\n')[0]).toMatch(/^check +severity +status +failing rows +sample$/);
    expect(result.stdout).toContain('FAIL penguins.Sex.accepted_values (dgit.yml:8): 1 row whose Sex is not one of the 2 accepted values');
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe(`4 of 8 checks failed, 1 warning at ${commit.slice(0, 12)}`);

    await writeConfig(await Repository.open(dir), CONFIG.split('\n').slice(0, 7).join('\n') + '\n');
    const warned = dgit(dir, 'check');
    expect(warned.code).toBe(0);
    expect(warned.stdout).toContain('WARN penguins.Sex.not_null (dgit.yml:5): 10 rows with no Sex');
    expect(warned.stdout.trimEnd().split('\n').at(-1)).toBe('no check failed, 1 warning at the working set');
  });

  it('an invalid dgit.yml is an error naming line and key, and annotations under --format github', async () => {
    const repository = await Repository.open(dir);
    // As a plain `git commit` could leave it: dgit.yml written without dgit's validation.
    const broken = CONFIG.replace('        column: Sex\n        severity: warn', '        column: Sexx\n        severity: warn');
    await repository.changeWorkingSet(async ({ working, tx }) => ({
      tree: await withRootFile(repository.store, tx, working.tree, 'dgit.yml', Buffer.from(broken)),
      result: undefined,
    }));
    fs.writeFileSync(path.join(dir, 'dgit.yml'), broken); // the working file holds it too, as after such a commit
    const result = dgit(dir, 'check');
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('dgit: error: dgit.yml:6: tables.penguins.checks[0].column: column "Sexx" does not exist in table penguins (did you mean "Sex"?)\n');
    const github = dgit(dir, 'check', '--format', 'github');
    expect(github.code).toBe(1);
    expect(github.stdout).toBe(
      '::error file=dgit.yml,line=6,col=17,title=invalid dgit.yml::tables.penguins.checks[0].column: column "Sexx" does not exist in table penguins (did you mean "Sex"?)\n',
    );
  });

  it('has help with an example, refuses an unknown format, and passes where there is no dgit.yml', () => {
    const help = dgit(dir, 'check', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('dgit check HEAD --format github');
    const bad = dgit(dir, 'check', '--format', 'xml');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('dgit: error: unknown format "xml"; use one of table, json, markdown, github (--format)\n');
    const empty = path.join(tempDir(), 'empty');
    dgitOk(path.dirname(empty), 'init', 'empty');
    const none = dgit(empty, 'check', '--json');
    expect(none.code).toBe(0);
    expect(JSON.parse(none.stdout)).toEqual({ revision: 'WORKING', passed: true, config: false, results: [] });
  });
});
