import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Every .ts file under a top-level folder of the repository. */
function sourceFiles(folder: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts')) out.push(full);
    }
  };
  walk(path.join(root, folder));
  return out;
}

/** The relative module specifiers a file imports: static, type-only, re-exports, dynamic and `import('...')` types. */
export function importedSpecifiers(text: string): string[] {
  const specifiers: string[] = [];
  const patterns = [/\bfrom\s+'([^']+)'/g, /\bimport\s+'([^']+)'/g, /\bimport\(\s*'([^']+)'\s*\)/g, /\bfrom\s+"([^"]+)"/g, /\bimport\(\s*"([^"]+)"\s*\)/g];
  for (const pattern of patterns) for (const match of text.matchAll(pattern)) specifiers.push(match[1]!);
  return specifiers.filter((s) => s.startsWith('.'));
}

/** `file imports target` pairs, targets relative to the repository root. */
function imports(folder: string): Array<{ file: string; target: string }> {
  return sourceFiles(folder).flatMap((file) =>
    importedSpecifiers(fs.readFileSync(file, 'utf8')).map((specifier) => ({
      file: path.relative(root, file),
      target: path.relative(root, path.resolve(path.dirname(file), specifier)).split(path.sep).join('/'),
    })),
  );
}

describe('layers', () => {
  it('finds every kind of import it checks', () => {
    const text = [
      "import { a } from '../engine/x.js';",
      "import type { B } from '../../engine/y.js';",
      "export { c } from './z.js';",
      "import './side-effect.js';",
      "const m = await import('../engine/lazy.js');",
      "let r: import('../engine/t.js').T;",
      "import { z } from 'zod';",
    ].join('\n');
    expect(importedSpecifiers(text).sort()).toEqual(['../../engine/y.js', '../engine/lazy.js', '../engine/t.js', '../engine/x.js', './side-effect.js', './z.js']);
  });

  it('the fronts (cli, bot, mcp) import the engine only through engine/index.js', () => {
    const deep = ['cli', 'bot', 'mcp'].flatMap(imports).filter((i) => i.target.startsWith('engine/') && i.target !== 'engine/index.js');
    expect(deep.map((i) => `${i.file} -> ${i.target}`)).toEqual([]);
  });

  it('the engine never imports formats/ (renderers take engine types, not the other way round)', () => {
    const upward = imports('engine').filter((i) => i.target.startsWith('formats/'));
    expect(upward.map((i) => `${i.file} -> ${i.target}`)).toEqual([]);
  });
});
