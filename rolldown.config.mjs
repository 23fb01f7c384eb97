// The `dgit` command as users run it: dist/bundle/dgit.js, bundled from tsc's output.
//
// Why: a command's fixed cost was mostly Node resolving and loading about 300 of
// dgit's own modules and a few hundred more of apache-arrow, zod, commander and
// yaml, one file at a time. Bundled into a few files (dynamic imports stay separate
// chunks, so lazily loaded code stays lazy), `dgit status` at 3M rows went from 0.33 to
// 0.20 CPU s and `dgit diff` of 10 rows from 0.98 to 0.58 (minimum of 5, both on a
// busy machine). Packages with native code, WebAssembly or files of their own
// (DuckDB, parquet-wasm, isomorphic-git, the AWS SDK, probot, the MCP SDK) stay
// external and load from node_modules as before. tsc's dist/ stays the library and
// what the tests import; whole-process tests run the bundle.
import { builtinModules } from 'node:module';

/** Packages copied into the bundle: pure JavaScript on every command's path. */
const BUNDLED = ['apache-arrow', 'flatbuffers', 'zod', 'commander', 'yaml', 'tslib'];

const builtins = new Set(builtinModules);

/** The package a bare import names (`@scope/name/sub` -> `@scope/name`). */
function packageOf(id) {
  const parts = id.split('/');
  return id.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

export default {
  // The chunk encoding worker is a script of its own, found beside the module that starts it
  // (engine/store/parquet/chunk-encoding-pool.ts looks for ./chunk-encoding-worker.js).
  input: { dgit: 'dist/cli/main.js', 'chunk-encoding-worker': 'dist/engine/store/parquet/chunk-encoding-worker.js' },
  platform: 'node',
  logLevel: 'warn',
  external(id) {
    if (id.startsWith('.') || id.startsWith('/')) return false;
    if (id.startsWith('node:') || builtins.has(packageOf(id))) return true;
    return !BUNDLED.includes(packageOf(id));
  },
  output: { dir: 'dist/bundle', format: 'esm', entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' },
};
