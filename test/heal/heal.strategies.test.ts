import { describe, expect, it } from 'vitest';
import { runChecks } from '../../engine/checks/index.js';
import { runSql } from '../../engine/commands/sql.js';
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

  it('late corrections: keeps the row of the latest load (by default) and deletes the superseded ones, each listed', async () => {
    const dir = repositoryWith('movies', sample);
    await commitConfig(dir, config);
    // A re-load with fresher vote counts, under new ids: not exact duplicates.
    const correction = await load(dir, 'movies', sample.slice(20, 22).map((movie, i) => ({ ...movie, id: 2001 + i, 'IMDB Votes': 123456 })), 'append');
    const repository = await Repository.open(dir);
    const incident = only((await heal(repository)).incidents);
    expect(incident.attempts.map((a) => [a.strategy, a.offered])).toEqual([
      ['drop-duplicates', false],
      ['keep-latest-load', true],
    ]);
    expect(incident).toMatchObject({ kinds: { deduplicated: 2 }, resolution: 'fixed', quarantined: 0 });
    expect(await rows(repository, 'SELECT id, "IMDB Votes" AS votes FROM movies WHERE id IN (21, 22, 2001, 2002) ORDER BY id', incident.branch!)).toEqual([
      { id: 2001, votes: 123456 },
      { id: 2002, votes: 123456 },
    ]);
    const message = (await repository.readCommit(incident.commit as never)).message;
    expect(message).toContain(`- delete {"id":21}: superseded: shares Title, Release Date`);
    expect(message).toContain(`of a later load (${correction.slice(0, 12)})`);
  });

  it('keeps the first by key when dgit.yml says keep: first, quarantining the rest', async () => {
    const dir = repositoryWith('movies', sample);
    await commitConfig(dir, config.replace('name: movies_release_unique', 'name: movies_release_unique, keep: first'));
    await load(dir, 'movies', sample.slice(20, 22).map((movie, i) => ({ ...movie, id: 2001 + i, 'IMDB Votes': 123456 })), 'append');
    const repository = await Repository.open(dir);
    const incident = only((await heal(repository)).incidents);
    expect(incident.attempts.map((a) => [a.strategy, a.offered])).toEqual([
      ['drop-duplicates', false],
      ['keep-first', true],
    ]);
    expect(incident).toMatchObject({ kinds: { quarantined: 2 }, resolution: 'contained' });
    expect(await rows(repository, 'SELECT id FROM movies__quarantine ORDER BY id', incident.branch!)).toEqual([{ id: 2001 }, { id: 2002 }]);
  });

  it('refuses to guess between rows that arrived in the same load (an import keeps no line order)', async () => {
    const dir = repositoryWith('movies', sample);
    await commitConfig(dir, config);
    await load(dir, 'movies', [...sample.slice(20, 21).map((movie) => ({ ...movie, id: 2001, 'IMDB Votes': 1 })), ...sample.slice(20, 21).map((movie) => ({ ...movie, id: 2002, 'IMDB Votes': 2 }))], 'append');
    const incident = only((await heal(await Repository.open(dir))).incidents);
    expect(incident.status).toBe('failed');
    expect(incident.reason).toContain('keep-latest-load');
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
  async function pipelineReload(dir: string, values: (movie: Record<string, unknown>, index: number) => unknown, extra: Array<Record<string, unknown>> = []): Promise<Repository> {
    const reload = [...sample.map((movie, index) => ({ ...movie, 'US Gross': values(movie, index) })), ...extra];
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

  it('type drift is a failing schema check, never a config error; coerce-type gives US Gross its number type back', async () => {
    const dir = repositoryWith('movies', sample);
    await commitConfig(dir, config);
    const repository = await pipelineReload(dir, (movie, index) => (index === 3 || index === 7 ? ` ${String(movie['US Gross'])} ` : movie['US Gross']));
    expect((await repository.requireTable((await repository.readCommit(await repository.resolve('main'))).tree, 'movies', 'movies')).schema.columns.find((c) => c.name === 'US Gross')!.type).toBe('Utf8');
    const checked = await runChecks(repository, 'main');
    expect(checked.passed).toBe(false);
    expect(checked.results.map((r) => [r.check, r.kind, r.passed, r.blocked_by ?? null])).toEqual([
      ['movies.US Gross.schema', 'schema', false, null],
      ['movies.US Gross.range', 'range', false, 'movies.US Gross.schema'],
    ]);
    expect(checked.results[0]!.message).toMatch(/^type drift: US Gross is Utf8 but was Int64 at [0-9a-f]{12} \(the checks of dgit.yml need a number\); all 119 values convert back to Int64 exactly$/);

    const report = await heal(repository);
    const incident = only(report.incidents);
    // Only the two re-spelled values change (the policy counts them, not the 120 rows of the column).
    expect(incident).toMatchObject({ check: 'movies.US Gross.schema', kind: 'schema', strategy: 'coerce-type', status: 'proposed', rows_changed: 2, kinds: { coerced: 2 }, resolution: 'fixed' });
    const moviesAt = (rev: string) => (JSON.parse(run(dir, 'tables', '--rev', rev, '--json')) as { tables: Array<{ table: string; columns: unknown[] }> }).tables.find((t) => t.table === 'movies')!;
    expect(moviesAt(incident.branch!).columns).toEqual(moviesAt('main~1').columns);
    expect(await rows(repository, `SELECT "US Gross" AS gross FROM movies WHERE id IN (4, 8) ORDER BY id`, incident.branch!)).toEqual([
      { gross: sample[3]!['US Gross'] },
      { gross: sample[7]!['US Gross'] },
    ]);
    expect((await runChecks(repository, incident.branch!)).passed).toBe(true);
    expect(run(dir, 'diff', 'main~1', incident.branch!, '--table', 'movies', '--stat')).not.toMatch(/US Gross/);
  });

  it('restores an "n/a" in a re-sent row from the revision the type comes from', async () => {
    const dir = repositoryWith('movies', sample);
    await commitConfig(dir, config);
    const repository = await pipelineReload(dir, (movie, index) => (index === 3 ? 'n/a' : movie['US Gross']));
    const incident = only((await heal(repository)).incidents);
    expect(incident).toMatchObject({ status: 'proposed', kinds: { restored: 1 }, resolution: 'fixed', rows_changed: 1 });
    expect(await rows(repository, `SELECT "US Gross" AS gross FROM movies WHERE id = 4`, incident.branch!)).toEqual([{ gross: sample[3]!['US Gross'] }]);
  });

  it('turns "n/a" of a new row into null only where the policy allows it, and lists it', async () => {
    const newMovie = { ...sample[0]!, id: 999, Title: 'New', 'US Gross': 'n/a' };
    const dir = repositoryWith('movies', sample);
    await commitConfig(dir, config);
    const repository = await pipelineReload(dir, (movie) => movie['US Gross'], [newMovie]);
    const refused = only((await heal(repository)).incidents);
    expect(refused.status).toBe('failed');
    expect(refused.reason).toContain('1 value of US Gross is not Int64 ({"id":999} "n/a"); policy.tables.movies.null_unconvertible does not allow turning them into null');
    expect(run(dir, 'branch')).not.toContain('heal/');

    const allowing = repositoryWith('movies', sample);
    await commitConfig(allowing, config.replace('    movies: {}', '    movies: { null_unconvertible: true }'));
    const again = await pipelineReload(allowing, (movie) => movie['US Gross'], [newMovie]);
    const incident = only((await heal(again)).incidents);
    expect(incident).toMatchObject({ status: 'proposed', kinds: { defaulted: 1 }, resolution: 'contained', rows_changed: 1 });
    const message = (await again.readCommit(incident.commit as never)).message;
    expect(message).toContain('- null {"id":999}: US Gross "n/a" is no Int64');
  });

  it('never rounds: "181.5" into an integer column is refused and listed row by row', async () => {
    const dir = repositoryWith('movies', sample);
    await commitConfig(dir, config.replace('    movies: {}', '    movies: { null_unconvertible: true }'));
    const repository = await pipelineReload(dir, (movie, index) => (index === 5 ? '181.5' : index === 6 ? '12.0' : movie['US Gross']));
    const checked = await runChecks(repository, 'main');
    expect(checked.results[0]!.message).toContain('1 of 119 values do not convert back to Int64 exactly');
    const incident = only((await heal(repository)).incidents);
    expect(incident.status).toBe('failed');
    expect(incident.reason).toContain('1 value of US Gross cannot be held exactly by Int64 and would be rounded, so there is no type fix: {"id":6} "181.5"');
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

describe('restore of long values', () => {
  it('restores a value longer than a reason may be, quoting it cut in the reason (the heal failed on the patch limit)', async () => {
    const plot = `${movies[0]!['Title'] as string}: ${'a long plot, '.repeat(200)}`;
    const dir = repositoryWith('movies', [{ id: 1, Title: 'Long', Plot: plot, Score: 7 }, { id: 2, Title: 'Short', Plot: 'short', Score: 8 }]);
    await commitConfig(dir, yaml('version: 1', 'tables:', '  movies:', '    checks:', '      - { kind: not_null, column: Plot }', 'policy:', '  tables:', '    movies: {}'));
    run(dir, 'sql', 'UPDATE movies SET Plot = NULL WHERE id = 1');
    run(dir, 'commit', '-m', 'lost a plot');
    const repository = await Repository.open(dir);
    const incident = only((await heal(repository)).incidents);
    expect(incident).toMatchObject({ check: 'movies.Plot.not_null', strategy: 'restore', status: 'proposed', rows_changed: 1 });
    expect(await rows(repository, 'SELECT Plot FROM movies WHERE id = 1', incident.branch!)).toEqual([{ Plot: plot }]);
    const message = run(dir, 'log', '-n', '1', incident.branch!);
    expect(message).toContain(`… (${JSON.stringify(plot).length} characters)`);
  });
});

describe('restore takes a row\'s last version, not an older one', () => {
  const checks = yaml('version: 1', 'tables:', '  p:', '    checks:', '      - { kind: accepted_values, column: sex, values: [MALE, FEMALE] }', 'policy:', '  tables:', '    p: { columns: [sex] }');
  const commitSql = (dir: string, message: string, ...statements: string[]) => {
    for (const statement of statements) run(dir, 'sql', statement);
    run(dir, 'commit', '-m', message);
  };

  it('a cell corrected after the last passing revision is not put back to its value there; a row that broke in between is', async () => {
    const dir = repositoryWith('p', [{ id: 1, sex: 'MALE' }, { id: 5, sex: 'MALE' }, { id: 9, sex: 'FEMALE' }]);
    await commitConfig(dir, checks);
    commitSql(dir, 'row 9 breaks: the check is red from here', "UPDATE p SET sex = '??' WHERE id = 9");
    commitSql(dir, 'the field team corrects penguin 5', "UPDATE p SET sex = 'FEMALE' WHERE id = 5");
    commitSql(dir, 'a sloppy reload pads it', "UPDATE p SET sex = ' female' WHERE id = 5");
    const repository = await Repository.open(dir);
    const incident = only((await heal(repository)).incidents);
    expect(incident.status).toBe('proposed');
    // Row 9 broke and stayed broken: restored from the last passing revision. Row 5's last version was FEMALE, not MALE.
    expect(await rows(repository, 'SELECT id, sex FROM p ORDER BY id', incident.branch!)).toEqual([
      { id: 1, sex: 'MALE' },
      { id: 5, sex: 'FEMALE' },
      { id: 9, sex: 'FEMALE' },
    ]);
  });

  it('a key deleted and taken by another row is not given the deleted row\'s value', async () => {
    // Four rows: repositoryWith keeps one template per table name and row count.
    const dir = repositoryWith('p', [{ id: 1, species: 'Adelie', sex: 'MALE' }, { id: 2, species: 'Gentoo', sex: 'FEMALE' }, { id: 3, species: 'Adelie', sex: 'FEMALE' }, { id: 4, species: 'Gentoo', sex: 'MALE' }]);
    await commitConfig(dir, checks);
    commitSql(dir, 'penguin 2 died; penguin 3 of unknown sex', 'DELETE FROM p WHERE id = 2', "UPDATE p SET sex = '?' WHERE id = 3");
    commitSql(dir, 'a new penguin takes id 2', "INSERT INTO p VALUES (2, 'Chinstrap', 'X')");
    const repository = await Repository.open(dir);
    const incident = only((await heal(repository)).incidents);
    expect(await rows(repository, 'SELECT id, species, sex FROM p ORDER BY id', incident.branch!)).not.toContainEqual({ id: 2, species: 'Chinstrap', sex: 'FEMALE' });
    expect(await rows(repository, 'SELECT id, sex FROM p WHERE id = 3', incident.branch!)).toEqual([{ id: 3, sex: 'FEMALE' }]);
  });
});
