import { describe, expect, it } from 'vitest';
import { runChecks } from '../../engine/checks/index.js';
import { runSql } from '../../engine/commands/sql.js';
import { ConfigError } from '../../engine/config/index.js';
import { heal, type HealIncident } from '../../engine/heal/index.js';
import { Repository } from '../../engine/repository/repository.js';
import { withTableTree } from '../../engine/table/root-tree.js';
import { commitConfig, load, movies, penguins, repositoryWith, run, yaml } from './support/heal-fixtures.js';

/**
 * Every built-in strategy on real messy rows from vega-datasets: penguins (ten
 * birds with no Sex, one whose Sex is ".", two never weighed) and movies (titles
 * that are numbers, many nulls), keyed by their row number and imported with the CLI.
 */

async function rows(repository: Repository, sql: string, rev: string): Promise<Array<Record<string, unknown>>> {
  const result = await runSql(repository, sql, { rev });
  if (result.kind !== 'rows') throw new Error('not a query');
  return result.rows;
}

function only(incidents: HealIncident[]): HealIncident {
  expect(incidents).toHaveLength(1);
  return incidents[0]!;
}

const NULL_SEX = [4, 9, 10, 11, 12, 48, 247, 287, 325, 340];

describe('fill-default', () => {
  it('fills the null Sex of ten penguins with the default dgit.yml declares, and changes nothing else', async () => {
    const dir = repositoryWith('penguins', penguins);
    await commitConfig(
      dir,
      yaml('version: 1', 'tables:', '  penguins:', '    checks:', '      - { kind: not_null, column: Sex }', '    defaults:', '      Sex: UNKNOWN', 'policy:', '  tables:', '    penguins: { columns: [Sex], delete_rows: false }'),
    );
    const repository = await Repository.open(dir);
    const incident = only((await heal(repository)).incidents);
    expect(incident).toMatchObject({ check: 'penguins.Sex.not_null', status: 'proposed', strategy: 'fill-default', rows_changed: 10, quarantined: 0 });
    expect(incident.branch).toBe(`heal/${incident.incident}`);
    expect(incident.review).toBe(`dgit diff main ${incident.branch}`);
    const filled = await rows(repository, `SELECT id FROM penguins WHERE Sex = 'UNKNOWN' ORDER BY id`, incident.branch!);
    expect(filled.map((r) => r['id'])).toEqual(NULL_SEX);
    expect(await rows(repository, 'SELECT count(*) AS n FROM penguins', incident.branch!)).toEqual([{ n: 344 }]);
    expect(await rows(repository, 'SELECT count(*) AS n FROM penguins WHERE Sex IS NULL', 'main')).toEqual([{ n: 10 }]);
    expect((await runChecks(repository, incident.branch!)).passed).toBe(true);
  });
});

describe('quarantine', () => {
  it('moves the two penguins never weighed to penguins__quarantine, with the reason, keyed like penguins', async () => {
    const dir = repositoryWith('penguins', penguins);
    await commitConfig(dir, yaml('version: 1', 'tables:', '  penguins:', '    checks:', '      - { kind: not_null, column: "Body Mass (g)" }', 'policy:', '  tables:', '    penguins: {}'));
    const repository = await Repository.open(dir);
    const incident = only((await heal(repository)).incidents);
    expect(incident.attempts.map((a) => [a.strategy, a.offered])).toEqual([
      ['fill-default', false],
      ['quarantine', true],
    ]);
    expect(incident.attempts[0]!.reason).toContain('declares no default');
    expect(incident).toMatchObject({ strategy: 'quarantine', rows_changed: 2, quarantined: 2 });
    const quarantined = await rows(repository, 'SELECT id, Species, _dgit_reason FROM penguins__quarantine ORDER BY id', incident.branch!);
    expect(quarantined.map((r) => [r['id'], r['Species']])).toEqual([
      [4, 'Adelie'],
      [340, 'Gentoo'],
    ]);
    expect(String(quarantined[0]!['_dgit_reason'])).toMatch(/^Body Mass \(g\) is null; moved to penguins__quarantine \(penguins\.Body Mass \(g\)\.not_null\)$/);
    expect(await rows(repository, 'SELECT count(*) AS n FROM penguins', incident.branch!)).toEqual([{ n: 342 }]);
    const tables = run(dir, 'tables', '--rev', incident.branch!, '--json');
    expect((JSON.parse(tables) as { tables: Array<{ table: string; key: string[] }> }).tables.find((t) => t.table === 'penguins__quarantine')?.key).toEqual(['id']);
  });
});

describe('normalize-text', () => {
  it('trims and re-cases a Sex a careless load padded and lower-cased, and quarantines the "." it cannot fix', async () => {
    const dir = repositoryWith('penguins', penguins);
    await commitConfig(dir, yaml('version: 1', 'tables:', '  penguins:', '    checks:', '      - { kind: accepted_values, column: Sex, values: [MALE, FEMALE] }', 'policy:', '  tables:', '    penguins: {}'));
    await load(dir, 'penguins', [
      { ...penguins[0]!, Sex: '  MALE' },
      { ...penguins[1]!, Sex: 'female' },
      { ...penguins[2]!, Sex: 'Female \t' },
    ]);
    const repository = await Repository.open(dir);
    const incident = only((await heal(repository)).incidents);
    expect(incident.attempts.map((a) => [a.strategy, a.offered])).toEqual([
      ['normalize-text', false],
      ['normalize-text+quarantine', true],
    ]);
    expect(incident.attempts[0]!.reason).toMatch(/cannot fix 1 of the 4 failing rows/);
    expect(await rows(repository, 'SELECT id, Sex FROM penguins WHERE id <= 3 ORDER BY id', incident.branch!)).toEqual([
      { id: 1, Sex: 'MALE' },
      { id: 2, Sex: 'FEMALE' },
      { id: 3, Sex: 'FEMALE' },
    ]);
    expect(await rows(repository, 'SELECT id, Sex FROM penguins__quarantine', incident.branch!)).toEqual([{ id: 337, Sex: '.' }]);
    const log = run(dir, 'log', '-n', '1', incident.branch!);
    expect(log).toContain('update {"id":2}: Sex "female" is a differently cased spelling of "FEMALE"');
  });
});

describe('drop-duplicates, keep-first and keep-newest', () => {
  const sample = movies.slice(0, 300);
  const config = yaml(
    'version: 1',
    'tables:',
    '  movies:',
    '    checks:',
    '      - { name: movies_release_unique, kind: unique, columns: [Title, Release Date] }',
    'policy:',
    '  tables:',
    '    movies: {}',
  );

  it('deletes the rows a load appended twice under new ids, keeping the first of each', async () => {
    const dir = repositoryWith('movies', sample);
    await commitConfig(dir, config);
    await load(dir, 'movies', sample.slice(10, 15).map((movie, i) => ({ ...movie, id: 1001 + i })), 'append');
    const repository = await Repository.open(dir);
    const incident = only((await heal(repository)).incidents);
    expect(incident).toMatchObject({ strategy: 'drop-duplicates', rows_changed: 5, quarantined: 0, failing_rows: 10 });
    expect(await rows(repository, 'SELECT count(*) AS n, max(id) AS last FROM movies', incident.branch!)).toEqual([{ n: 300, last: 300 }]);
    expect(await rows(repository, `SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'movies__quarantine'`, incident.branch!)).toEqual([{ n: 0 }]);
  });

  it('keeps the first by key of rows that share a title and date but differ, and quarantines the rest', async () => {
    const dir = repositoryWith('movies', sample);
    await commitConfig(dir, config);
    // A re-load with fresher vote counts, under new ids: not exact duplicates.
    await load(dir, 'movies', sample.slice(20, 22).map((movie, i) => ({ ...movie, id: 2001 + i, 'IMDB Votes': 123456 })), 'append');
    const repository = await Repository.open(dir);
    const incident = only((await heal(repository)).incidents);
    expect(incident.attempts.map((a) => [a.strategy, a.offered])).toEqual([
      ['drop-duplicates', false],
      ['keep-first', true],
    ]);
    expect(await rows(repository, 'SELECT id FROM movies__quarantine ORDER BY id', incident.branch!)).toEqual([{ id: 2001 }, { id: 2002 }]);
  });

  it('keeps the newest by a column when told to, quarantining the older rows', async () => {
    const dir = repositoryWith('movies', sample);
    await commitConfig(dir, config);
    await load(dir, 'movies', sample.slice(20, 22).map((movie, i) => ({ ...movie, id: 2001 + i, 'IMDB Votes': 123456 })), 'append');
    const repository = await Repository.open(dir);
    const incident = only((await heal(repository, undefined, { duplicates: { movies_release_unique: { keep: 'newest', by: 'id' } } })).incidents);
    expect(incident.strategy).toBe('keep-newest');
    expect(await rows(repository, 'SELECT id, _dgit_reason FROM movies__quarantine ORDER BY id', incident.branch!)).toEqual([
      { id: 21, _dgit_reason: expect.stringContaining('which is kept as the newest by id (2001)') },
      { id: 22, _dgit_reason: expect.stringContaining('which is kept as the newest by id (2002)') },
    ]);
  });

  it('removes the extra copies of rows in a keyless table, one copy of each kept', async () => {
    const dir = repositoryWith('movies', sample, { keyless: true });
    await commitConfig(dir, config);
    await load(dir, 'movies', sample.slice(30, 33), 'append');
    const repository = await Repository.open(dir);
    const incident = only((await heal(repository)).incidents);
    expect(incident).toMatchObject({ strategy: 'drop-duplicates', rows_changed: 3 });
    expect(await rows(repository, 'SELECT count(*) AS n FROM movies', incident.branch!)).toEqual([{ n: 300 }]);
    expect(await rows(repository, `SELECT count(*) AS n FROM movies WHERE Title = ${JSON.stringify(sample[30]!['Title']).replaceAll('"', "'")}`, incident.branch!)).toEqual([{ n: 1 }]);
  });
});

describe('coerce-type', () => {
  const sample = movies.slice(0, 120);
  const config = yaml(
    'version: 1',
    'tables:',
    '  movies:',
    '    checks:',
    '      - { kind: range, column: US Gross, min: 0 }',
    'policy:',
    '  max_rows_per_proposal: 500',
    '  tables:',
    '    movies: {}',
  );

  /**
   * An upstream pipeline replaces tables/movies with a fresh load of its own, in
   * which two grosses came quoted: DuckDB, which must not guess, types the whole
   * column as text. (dgit's own import casts into the existing column's type, so
   * this arrives by git, as any outside writer's commit would.)
   */
  async function pipelineReload(dir: string, values: (movie: Record<string, unknown>, index: number) => unknown): Promise<Repository> {
    const reload = sample.map((movie, index) => ({ ...movie, 'US Gross': values(movie, index) }));
    await load(dir, 'movies_reload', reload, 'replace', 'staging', ['id']);
    const repository = await Repository.open(dir);
    const head = await repository.resolve('main');
    const tree = (await repository.readCommit(head)).tree;
    const staged = (await repository.tableTrees(tree)).get('movies_reload')!;
    let next = await withTableTree(repository.store, repository.store, tree, 'movies', staged);
    next = await withTableTree(repository.store, repository.store, next, 'movies_reload', undefined);
    const signature = await repository.signature();
    const commit = repository.writeCommit(repository.store, { tree: next, parents: [head], author: signature, committer: signature, message: 'pipeline reload of movies' });
    await repository.refs.compareAndSwap('refs/heads/main', head, commit);
    return repository;
  }

  it('gives US Gross back its number type when every text value converts without loss', async () => {
    const dir = repositoryWith('movies', sample);
    await commitConfig(dir, config);
    const repository = await pipelineReload(dir, (movie, index) => (index === 3 || index === 7 ? ` ${String(movie['US Gross'])} ` : movie['US Gross']));
    expect((await repository.requireTable((await repository.readCommit(await repository.resolve('main'))).tree, 'movies', 'movies')).schema.columns.find((c) => c.name === 'US Gross')!.type).toBe('Utf8');
    await expect(runChecks(repository, 'main')).rejects.toBeInstanceOf(ConfigError);

    const report = await heal(repository);
    expect(report.config_error).toMatch(/checks\[0\]\.min: 0 is a number but column type Utf8 needs text/);
    const incident = only(report.incidents);
    expect(incident).toMatchObject({ check: 'movies.US Gross.type', kind: 'type', strategy: 'coerce-type', status: 'proposed' });
    const moviesAt = (rev: string) => (JSON.parse(run(dir, 'tables', '--rev', rev, '--json')) as { tables: Array<{ table: string; columns: unknown[] }> }).tables.find((t) => t.table === 'movies')!;
    const before = moviesAt('main~1');
    const after = moviesAt(incident.branch!);
    expect(after.columns).toEqual(before.columns);
    expect(await rows(repository, `SELECT "US Gross" AS gross FROM movies WHERE id IN (4, 8) ORDER BY id`, incident.branch!)).toEqual([
      { gross: sample[3]!['US Gross'] },
      { gross: sample[7]!['US Gross'] },
    ]);
    expect((await runChecks(repository, incident.branch!)).passed).toBe(true);
    // The column is the parent's again, id and all: no change of movies against the commit before the reload.
    expect(run(dir, 'diff', 'main~1', incident.branch!, '--table', 'movies', '--stat')).not.toMatch(/US Gross/);
  });

  it('leaves a column alone when a value would not convert, and then the checks cannot run', async () => {
    const dir = repositoryWith('movies', sample);
    await commitConfig(dir, config);
    const repository = await pipelineReload(dir, (movie, index) => (index === 3 ? 'n/a' : movie['US Gross']));
    await expect(heal(repository)).rejects.toBeInstanceOf(ConfigError);
    expect(run(dir, 'branch')).not.toContain('heal/');
  });
});

it('a check with no built-in strategy becomes an incident that says an agent can propose a fix', async () => {
  const dir = repositoryWith('penguins', penguins);
  await commitConfig(dir, yaml('version: 1', 'tables:', '  penguins:', '    checks:', '      - { kind: row_count, max: 300 }', 'policy:', '  tables:', '    penguins: {}'));
  const incident = only((await heal(await Repository.open(dir))).incidents);
  expect(incident).toMatchObject({ status: 'failed', outcome: 'failed', branch: null });
  expect(incident.reason).toContain('no built-in strategy fixes a row_count check; an agent can propose a fix with `dgit propose --patch FILE`');
  expect((await Repository.open(dir).then((r) => r.refs.listBranches())).some((b) => b.startsWith('heal/'))).toBe(false);
});
