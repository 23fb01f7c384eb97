/**
 * In-process figure for dgit's diff: the library API (open the repository, diff
 * two revisions, render --stat or --json to a sink that drops the bytes), timed
 * from after the CLI's own modules are loaded (the Parquet codec's load is
 * inside the work, and also reported apart). Prints JSON.
 * Usage: node dgit-diff.js REPO FROM TO [stat|json]
 */
import { Writable } from 'node:stream';

const started = process.hrtime.bigint();
const { Repository } = await import('../../engine/repository/repository.js');
const { diffRevisions } = await import('../../engine/commands/diff.js');
const { writeDiffJson } = await import('../../formats/diff/index.js');
const [repo, from, to, mode = 'stat'] = process.argv.slice(2);
if (!repo || !from || !to) throw new Error('usage: dgit-diff REPO FROM TO [stat|json]');
const loaded = process.hrtime.bigint();
let bytes = 0;
const sink = new Writable({
  write(chunk: Buffer, _encoding, callback) {
    bytes += chunk.length;
    callback();
  },
});
// The Parquet codec (Arrow, parquet-wasm) loads on the first chunk read; load it here to time it apart.
const codecStarted = process.hrtime.bigint();
await import('../../engine/store/parquet/chunk-codec.js');
const codecLoadSeconds = Number(process.hrtime.bigint() - codecStarted) / 1e9;
const repository = await Repository.open(repo);
// Count the chunks the diff reads and the time spent reading and decoding them.
const stores: Array<{ stats: { reads: number } }> = [];
let readSeconds = 0;
const chunks = repository.chunks.bind(repository);
repository.chunks = () => {
  const store = chunks();
  stores.push(store);
  const readRows = store.readRows.bind(store);
  store.readRows = async (...args: Parameters<typeof store.readRows>) => {
    const t = process.hrtime.bigint();
    try {
      return await readRows(...args);
    } finally {
      readSeconds += Number(process.hrtime.bigint() - t) / 1e9;
    }
  };
  return store;
};
const report = await diffRevisions(repository, from, to);
await writeDiffJson(report, sink, { stat: mode === 'stat' });
const done = process.hrtime.bigint();
process.stdout.write(
  JSON.stringify({
    loadSeconds: Number(loaded - started) / 1e9,
    workSeconds: Number(done - loaded) / 1e9,
    bytes,
    chunkReads: stores.reduce((n, s) => n + s.stats.reads, 0),
    readSeconds,
    codecLoadSeconds,
    maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  }) + '\n',
);
export {};
