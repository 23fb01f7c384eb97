import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';

/**
 * Edit the chunk list as a hand would, coherently: the one leaf page of t's paged
 * manifest (one chunk entry a line) is edited as text, written under its new blob
 * id, and the root's counts, keys and page id follow, so dgit reads the edited list.
 */
export function editManifest(dir: string, edit: (text: string) => string): void {
  const folder = path.join(dir, 'tables', 't', 'manifest');
  const rootFile = path.join(folder, 'root.json');
  const root = JSON.parse(fs.readFileSync(rootFile, 'utf8')) as { rows: number; chunks: number; pages: Array<{ id: string; rows: number; chunks: number; first: unknown; last: unknown }> };
  expect(root.pages).toHaveLength(1);
  const pageFile = path.join(folder, 'pages', root.pages[0]!.id.slice(0, 2), `${root.pages[0]!.id}.json`);
  const text = edit(fs.readFileSync(pageFile, 'utf8'));
  const entries = (JSON.parse(text) as { entries: Array<{ rows: number; first: unknown; last: unknown }> }).entries;
  const id = execFileSync('git', ['hash-object', '--stdin'], { cwd: dir, input: text, encoding: 'utf8' }).trim();
  fs.rmSync(pageFile);
  fs.mkdirSync(path.join(folder, 'pages', id.slice(0, 2)), { recursive: true });
  fs.writeFileSync(path.join(folder, 'pages', id.slice(0, 2), `${id}.json`), text);
  const rows = entries.reduce((n, e) => n + e.rows, 0);
  root.rows = rows;
  root.chunks = entries.length;
  root.pages = [{ id, rows, chunks: entries.length, first: entries[0]!.first, last: entries[entries.length - 1]!.last }];
  const pageLines = root.pages.map((p) => JSON.stringify(p)).join(',\n');
  fs.writeFileSync(rootFile, `{"format":"dgit-manifest-pages-1","rows":${root.rows},"chunks":${root.chunks},"height":1,"pages":[\n${pageLines}\n]}\n`);
}
