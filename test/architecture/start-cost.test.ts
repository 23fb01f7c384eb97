import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The modules a source file loads when it is evaluated: its static imports and
 * re-exports, not `import type` (erased) and not `await import(...)` (loaded on use).
 */
function staticImports(text: string): string[] {
  const out: string[] = [];
  for (const match of text.matchAll(/^(?:import|export)\s+(?!type\b)(?:[^;]*?\sfrom\s+)?'([^']+)'/gm)) out.push(match[1]!);
  return out;
}

/** Every package reached through static imports from `entry` (a .ts file under the repository root), with one path to each. */
function packagesLoadedBy(entry: string): Map<string, string[]> {
  const packages = new Map<string, string[]>();
  const seen = new Set<string>();
  const walk = (file: string, trail: string[]) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const specifier of staticImports(fs.readFileSync(path.join(root, file), 'utf8'))) {
      if (specifier.startsWith('.')) walk(path.relative(root, path.resolve(path.dirname(path.join(root, file)), specifier.replace(/\.js$/, '.ts'))), [...trail, file]);
      else if (!specifier.startsWith('node:') && !packages.has(specifier)) packages.set(specifier, [...trail, file]);
    }
  };
  walk(entry, []);
  return packages;
}

/** Packages that cost a tenth of a second of CPU or more to load (issue 13): DuckDB, Arrow, parquet-wasm, isomorphic-git, YAML, the fronts' SDKs. */
const HEAVY = ['@duckdb/node-api', 'apache-arrow', 'parquet-wasm', 'isomorphic-git', 'yaml', '@octokit/rest', 'probot', '@modelcontextprotocol/sdk', '@aws-sdk/client-s3'];

describe('start cost', () => {
  it('a merge loads isomorphic-git on use, as CommonJS (a third of the ES module build\'s load time), not at start', () => {
    expect(packagesLoadedBy('engine/commands/merge.ts').has('isomorphic-git')).toBe(false);
  });

  it('reads static imports, not type-only or dynamic ones', () => {
    const text = ["import { a } from './a.js';", "import type { B } from './b.js';", "export { c } from './c.js';", "import './d.js';", "const e = await import('./e.js');", "import {\n  f,\n} from 'f';"].join('\n');
    expect(staticImports(text)).toEqual(['./a.js', './c.js', './d.js', 'f']);
  });

  // What `dgit --version`, `status` and `commit` load before any work: none of the heavy packages.
  for (const entry of ['cli/main.ts', 'engine/repository/repository.ts', 'engine/commands/status.ts', 'engine/commands/commit.ts']) {
    it(`${entry} loads no heavy package until it needs one`, () => {
      const loaded = packagesLoadedBy(entry);
      const heavy = HEAVY.filter((p) => loaded.has(p)).map((p) => `${p} via ${loaded.get(p)!.join(' -> ')}`);
      expect(heavy).toEqual([]);
    });
  }
});

/**
 * The chunks of the bundled `dgit` (dist/bundle, see rolldown.config.mjs) loaded before
 * any work: the entry and what it imports statically, and the packages they import.
 */
function bundleLoadedAtStart(): { chunks: Map<string, string>; packages: Set<string> } {
  const dir = path.join(root, 'dist/bundle');
  const chunks = new Map<string, string>();
  const packages = new Set<string>();
  const walk = (file: string) => {
    if (chunks.has(file)) return;
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    chunks.set(file, text);
    for (const match of text.matchAll(/^(?:import|export)\s[^;]*?from\s+"([^"]+)"|^import\s+"([^"]+)"/gm)) {
      const specifier = (match[1] ?? match[2])!;
      if (specifier.startsWith('./')) walk(specifier.slice(2));
      else if (!specifier.startsWith('node:')) packages.add(specifier);
    }
  };
  walk('dgit.js');
  return { chunks, packages };
}

describe('start cost of the bundled command', () => {
  it('the bundle loads no heavy package at start: bundling kept every lazy import lazy', () => {
    const { chunks, packages } = bundleLoadedAtStart();
    expect(chunks.size).toBeGreaterThan(1);
    expect([...packages].filter((p) => HEAVY.some((heavy) => p === heavy || p.startsWith(`${heavy}/`)))).toEqual([]);
    // Arrow and YAML are copied into the bundle: their code must sit only in chunks loaded on use.
    const markers = { 'apache-arrow': 'RecordBatchReader', yaml: 'YAMLParseError' };
    const found = Object.entries(markers).flatMap(([name, marker]) => [...chunks].filter(([, text]) => text.includes(marker)).map(([file]) => `${name} in ${file}`));
    expect(found).toEqual([]);
    // The markers are real: each names code that is in the bundle, in a chunk loaded later.
    const all = fs.readdirSync(path.join(root, 'dist/bundle')).map((file) => fs.readFileSync(path.join(root, 'dist/bundle', file), 'utf8'));
    for (const marker of Object.values(markers)) expect(all.some((text) => text.includes(marker))).toBe(true);
  });
});
