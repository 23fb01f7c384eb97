import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Repository } from '../repository/repository.js';
import { importTable } from './import.js';
import { commit } from './commit.js';
import { createBranch, switchBranch } from './branch.js';
import { log } from './log.js';
import { listTables } from './tables.js';
import { readTableVersion } from '../table/table-tree.js';
import { DgitError } from '../errors/index.js';

/** Where the bundled demo data lives, in a checkout or an installed package. */
export function fixturesDir(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..', 'fixtures');
}

/**
 * The guided tour on bundled real data: import, branch, edit, commit, history.
 * `say` receives the narration, one paragraph at a time.
 */
export async function runDemo(dir: string, say: (text: string) => void): Promise<{ dir: string }> {
  if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0) throw new DgitError('ALREADY_EXISTS', 'the demo needs an empty or new folder', dir);
  const source = path.join(fixturesDir(), 'demo', 'airports.csv');
  const { repository } = await Repository.init(dir);
  say(`1. A dgit repository is a git repository: created ${repository.dir}`);

  const imported = await importTable(repository, source, { table: 'airports', key: ['iata'] });
  const first = await commit(repository, { message: 'Import airports from vega-datasets' });
  const [info] = await listTables(repository, 'HEAD');
  say(
    `2. Imported ${imported.rows} airports keyed by iata into ${info!.chunks} content-addressed Parquet chunks, and committed ${first.commit.slice(0, 12)}.\n` +
      `   Columns: ${info!.columns.map((c) => `${c.name} ${c.type}`).join(', ')}`,
  );

  await createBranch(repository, 'cleanup');
  await switchBranch(repository, 'cleanup');
  say('3. Created branch cleanup (one ref, no data copied) and switched to it.');

  const edits = path.join(repository.gitdir, 'dgit', 'demo-edits.ndjson');
  fs.writeFileSync(
    edits,
    [
      { iata: 'ORD', name: "Chicago O'Hare International", city: 'Chicago', state: 'IL', country: 'USA', latitude: 41.979595, longitude: -87.90446417 },
      { iata: 'SFO', name: 'San Francisco International', city: 'San Francisco', state: 'CA', country: 'USA', latitude: 37.61900194, longitude: -122.3748433 },
      { iata: 'ZZZ', name: 'Demo Field', city: 'Nowhere', state: 'KS', country: 'USA', latitude: 38.5, longitude: -98.0 },
    ]
      .map((row) => JSON.stringify(row))
      .join('\n') + '\n',
  );
  const upserted = await importTable(repository, edits, { table: 'airports', mode: 'upsert' });
  const second = await commit(repository, { message: 'Fix two airport names, add a demo field' });
  const before = await readTableVersion(repository.store, (await repository.tableTrees((await repository.readCommit(first.commit)).tree)).get('airports')!, 'airports');
  const after = await readTableVersion(repository.store, (await repository.tableTrees((await repository.readCommit(second.commit)).tree)).get('airports')!, 'airports');
  const shared = after.manifest.chunks.filter((c) => before.manifest.chunks.some((b) => b.id === c.id)).length;
  say(
    `4. Upserted ${upserted.updated} changed and ${upserted.inserted} new row(s) on cleanup and committed ${second.commit.slice(0, 12)}.\n` +
      `   ${shared} of ${after.manifest.chunks.length} chunks are shared, byte for byte, with the previous commit; only ${upserted.chunksWritten} were written.`,
  );

  await switchBranch(repository, 'main');
  const history = await log(repository, { rev: 'cleanup' });
  say(`5. History of cleanup:\n${history.map((e) => `   ${e.commit.slice(0, 12)} ${e.message}`).join('\n')}`);
  say(
    `Explore it:\n` +
      `   cd ${repository.dir}\n` +
      `   dgit log cleanup        # history\n` +
      `   dgit tables --rev cleanup\n` +
      `   dgit sql "SELECT * FROM airports WHERE iata IN ('ORD','SFO','ZZZ')" --rev cleanup\n` +
      `   git log --stat          # it is plain git\n` +
      `   duckdb -c "SELECT count(*) FROM read_parquet('tables/airports/chunks/*/*.parquet')"`,
  );
  fs.rmSync(edits, { force: true });
  return { dir: repository.dir };
}
