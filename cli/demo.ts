import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import {
  addToQueue,
  commit,
  createBranch,
  DgitError,
  diffRevisions,
  heal,
  importTable,
  initRepository,
  listIncidents,
  log,
  merge,
  recordIncidentOutcome,
  runChecks,
  runQueue,
  runSql,
  switchBranch,
  writeConfig,
} from '../engine/index.js';
import { renderCheckTerminal } from '../formats/checks/terminal.js';
import { writeDiffTerminal } from '../formats/diff/terminal.js';

/** Where the bundled demo data lives, in a checkout or an installed package. */
export function fixturesDir(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..', 'fixtures');
}

/** Collects what a renderer writes, to hand it to the narration. */
class TextCollector extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/**
 * The whole loop on bundled real data (vega-datasets airports and flights): import
 * with checks, branch, edit, diff and merge; then a broken upstream load lands,
 * the checks catch it, the healer proposes fixes on heal/* branches, the merge
 * queue lands them only while main stays green, and the incident memory keeps
 * what happened. `say` receives the narration, one step at a time.
 */
export async function runDemo(dir: string, say: (text: string) => void, options: { colour?: boolean } = {}): Promise<{ dir: string }> {
  if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0) throw new DgitError('ALREADY_EXISTS', 'the demo needs an empty or new folder', dir);
  const data = path.join(fixturesDir(), 'demo');
  const colour = options.colour ?? false;
  const { repository } = await initRepository(dir);
  const rendered = async (write: (out: Writable) => Promise<void>) => {
    const out = new TextCollector();
    await write(out);
    return out.text.trimEnd().replace(/^/gm, '   ');
  };

  // 1. Import with checks.
  const airports = await importTable(repository, path.join(data, 'airports.csv'), { table: 'airports', key: ['iata'] });
  const flights = await importTable(repository, path.join(data, 'flights.csv'), { table: 'flights', key: ['id'] });
  await writeConfig(repository, fs.readFileSync(path.join(data, 'dgit.yml'), 'utf8'));
  const first = await commit(repository, { message: 'Load airports and flights, with data-quality checks' });
  const green = await runChecks(repository, 'HEAD');
  say(
    `1. Imported ${airports.rows} airports and ${flights.rows} flights (vega-datasets) into ${repository.dir},\n` +
      `   a plain git repository: each table is content-addressed Parquet chunks under tables/.\n` +
      `   dgit.yml declares ${green.results.length} checks (not null, unique, range, pattern, foreign keys, row count): ${green.passed ? 'all pass' : 'some FAIL'}.\n` +
      `   Committed ${first.commit.slice(0, 12)}.`,
  );

  // 2. Branch, edit, diff, merge.
  await createBranch(repository, 'fix-airport-names');
  await switchBranch(repository, 'fix-airport-names');
  await runSql(repository, "UPDATE airports SET name = 'Denver International' WHERE iata = 'DEN'");
  await runSql(repository, "UPDATE airports SET name = 'John F Kennedy International' WHERE iata = 'JFK'");
  await commit(repository, { message: 'Spell two airport names in full' });
  await switchBranch(repository, 'main');
  const branchDiff = await rendered((out) =>
    diffRevisions(repository, 'main', 'fix-airport-names').then((report) => writeDiffTerminal(report, out, { colour })),
  );
  const merged = await merge(repository, 'fix-airport-names');
  say(
    `2. On a branch (one ref, no data copied) two airport names were edited with SQL and committed.\n` +
      `   dgit diff main fix-airport-names, by key and cell:\n${branchDiff}\n` +
      `   dgit merge fix-airport-names: ${merged.status}.`,
  );

  // 3. A broken upstream load lands on main.
  const load = await importTable(repository, path.join(data, 'nightly-load.csv'), { table: 'flights', mode: 'upsert' });
  const loaded = await commit(repository, { message: 'Nightly load from upstream' });
  const red = await runChecks(repository, 'HEAD');
  say(
    `3. The nightly load (${load.inserted} new flights) was committed straight to main as ${loaded.commit.slice(0, 12)}. It was broken upstream:\n` +
      `   re-sent duplicates, padded and lower-case airport codes, missing delays, an impossible delay, an airport that does not exist.\n` +
      `   dgit check:\n${renderCheckTerminal(red, { colour, sampleRows: 2 }).trimEnd().replace(/^/gm, '   ')}`,
  );

  // 4. Heal.
  const healed = await heal(repository);
  const proposals = healed.incidents.filter((i) => i.branch);
  say(
    `4. dgit heal turned each failing check into an incident and a proposed fix on its own branch (never on main),\n` +
      `   each within the policy of dgit.yml and re-checked before it was offered:\n` +
      healed.incidents
        .map((i) => `   - ${i.check}: ${i.status === 'failed' ? `no fix (${i.reason})` : `${i.strategy}, ${i.rows_changed} row(s) -> ${i.branch}`}`)
        .join('\n'),
  );

  // 5. Review one proposal.
  const sample = proposals.find((i) => i.check.includes('foreign_key')) ?? proposals[0];
  if (sample?.branch) {
    const review = await rendered((out) => diffRevisions(repository, 'main', sample.branch!).then((report) => writeDiffTerminal(report, out, { colour })));
    say(`5. What a reviewer (or the GitHub bot's PR comment) sees for ${sample.branch}:\n${review}`);
  }

  // 6. Queue and land.
  for (const incident of proposals) await addToQueue(repository, incident.branch!);
  const run = await runQueue(repository, { onOutcome: async (entry, outcome, reason) => void (await recordIncidentOutcome(repository, entry.branch, outcome, reason)) });
  const after = await runChecks(repository, 'HEAD');
  say(
    `6. dgit queue add + dgit queue run: each fix was merged onto the latest main in a temporary ref, checked there,\n` +
      `   and main moved (compare-and-swap) only to a commit that passed and made nothing worse:\n` +
      run.outcomes.map((o) => `   - #${o.id} ${o.branch}: ${o.outcome}`).join('\n') +
      `\n   dgit check on main now: ${after.passed ? 'all checks pass' : 'still failing'} (${after.results.filter((r) => r.passed).length}/${after.results.length}).`,
  );

  // 7. Memory.
  const incidents = await listIncidents(repository);
  const quarantine = await runSql(repository, 'SELECT count(*) AS n FROM flights__quarantine').catch(() => undefined);
  const history = await log(repository, { limit: 3 });
  say(
    `7. The incident memory travels with the data (table _dgit_incidents): ${incidents.length} incidents, ` +
      `${incidents.filter((i) => i.outcome === 'merged').length} fixed by a merged proposal.` +
      (quarantine?.kind === 'rows' ? ` ${String(quarantine.rows[0]?.['n'])} unfixable rows wait in flights__quarantine with their reason.` : '') +
      `\n   Latest history:\n${history.map((e) => `   ${e.commit.slice(0, 12)} ${e.message.split('\n')[0]}`).join('\n')}`,
  );
  say(
    `Explore it:\n` +
      `   cd ${repository.dir}\n` +
      `   dgit log --table flights          # history of one table\n` +
      `   dgit check                        # green\n` +
      `   dgit incidents                    # what failed, which fix, merged or not\n` +
      `   dgit diff ${loaded.commit.slice(0, 12)} main --stat  # what the healing changed\n` +
      `   dgit sql "SELECT * FROM flights__quarantine"\n` +
      `   git log --oneline --graph         # it is plain git\n` +
      `   duckdb -c "SELECT count(*) FROM read_parquet('tables/flights/chunks/*/*.parquet')"`,
  );
  return { dir: repository.dir };
}
