import { z } from 'zod';
import { CorruptError } from '../errors/index.js';
import type { TableSchema } from '../schema/schema.js';
import { keyColumnIndexes } from '../schema/schema.js';
import { compareKeys, fromJsonValue, toJsonValue, type Value } from '../value/value.js';
import { keyHash } from './key-hash.js';
import type { ChunkEntry, ChunkId, Manifest } from './manifest.js';

/**
 * The paged manifest ("dgit-manifest-pages-1"): the chunk list cut into small
 * content-defined pages, each a git blob, pages of pages above them while a level
 * is too long for the root, and a small root listing the top level. A page ends
 * after an entry whose last key hashes under a threshold (salted per level, so a
 * boundary at one level is not always one above), so the pages depend only on the
 * chunk list, hence only on the rows: same rows, same page ids, whatever the edits.
 * A commit that changes k chunks writes the pages on their k paths: O(k · height).
 */
export const MANIFEST_PAGES_FORMAT = 'dgit-manifest-pages-1';

/** Mean entries per page, and the bounds a page is cut within whatever the hashes say. */
export const PAGE_TARGET_ENTRIES = 32;
export const PAGE_MIN_ENTRIES = 4;
export const PAGE_MAX_ENTRIES = 256;
/** A level longer than this gets a level of pages above it; the root lists at most this many. */
export const ROOT_MAX_ENTRIES = 64;

/** One entry of a page above the leaves, or of the root: a page and what it spans. */
export interface PageEntry {
  id: string;
  rows: number;
  chunks: number;
  first: Value[];
  last: Value[];
}

/** A leaf page: its id and the run of chunks (indexes into the manifest's list) it lists. */
export interface LeafPage {
  id: string;
  start: number;
  count: number;
}

/** How a stored table's chunk list is kept: the old one-file form, or pages under a root. */
export type ManifestStorage = { form: 'flat' } | { form: 'paged'; root: string; height: number; leaves: LeafPage[]; inner: string[] };

/** Stores a blob (a page or the root) and returns its git id. */
export type PageWriter = (text: string) => string;

/** Reads a stored blob's text by id. */
export type PageReader = (id: string) => Promise<string>;

const PAGE_THRESHOLD = Math.floor(4294967296 / (PAGE_TARGET_ENTRIES - PAGE_MIN_ENTRIES));

/** Whether the entry ending in `last` closes the page that holds `count` entries, at `level`. */
function endsPage(last: readonly Value[], isFloat: readonly boolean[], level: number, count: number): boolean {
  if (count >= PAGE_MAX_ENTRIES) return true;
  if (count < PAGE_MIN_ENTRIES) return false;
  return levelHash(keyHash(last, isFloat), level) < PAGE_THRESHOLD;
}

/** A per-level rehash of a key hash (murmur3's fmix32 over the salted hash). */
function levelHash(hash: number, level: number): number {
  let h = (hash ^ Math.imul(level + 1, 0x9e3779b1)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function keyCodec(schema: TableSchema) {
  const keyColumns = keyColumnIndexes(schema).map((i) => schema.columns[i]!);
  return {
    isFloat: keyColumns.map((c) => c.type.startsWith('Float')),
    encode: (key: readonly Value[]) => JSON.stringify(key.map((v, i) => toJsonValue(keyColumns[i]!.type, v))),
    decode: (key: unknown[], where: string) => key.map((v, i) => fromJsonValue(keyColumns[i]!.type, v, where)),
  };
}

/**
 * Write the pages and the root of a chunk list through `write` (blobs already
 * stored cost nothing: their ids are simply found again) and return the root's id
 * and the page structure. With `previous` (the stored list an edit started from)
 * a leaf page whose run of chunks is unchanged is taken by id, its text neither
 * built nor hashed: a page is a function of its run alone, so the ids are the ones
 * a write from scratch gives (see nextLeafPages).
 */
export function writeManifestPages(
  schema: TableSchema,
  manifest: Manifest,
  write: PageWriter,
  previous?: { manifest: Manifest; storage?: ManifestStorage },
): Extract<ManifestStorage, { form: 'paged' }> {
  const { isFloat, encode } = keyCodec(schema);
  const chunks = manifest.chunks;
  const inner: string[] = [];
  const leafText = (start: number, end: number) =>
    pageText(
      0,
      chunks.slice(start, end).map((c) => `{"id":"${c.id}","rows":${c.rows},"first":${encode(c.first)},"last":${encode(c.last)}}`),
    );
  const leaves = nextLeafPages(chunks, isFloat, (start, end) => write(leafText(start, end)), previous?.storage?.form === 'paged' ? { chunks: previous.manifest.chunks, leaves: previous.storage.leaves } : undefined);
  // Level 0: pages of chunk entries.
  let level: PageEntry[] = leaves.map((leaf) => ({
    id: leaf.id,
    rows: sum(chunks.slice(leaf.start, leaf.start + leaf.count), (c) => c.rows),
    chunks: leaf.count,
    first: chunks[leaf.start]!.first,
    last: chunks[leaf.start + leaf.count - 1]!.last,
  }));
  let height = 1;
  while (level.length > ROOT_MAX_ENTRIES) {
    const above: PageEntry[] = [];
    let start = 0;
    for (let i = 0; i < level.length; i++) {
      const count = i - start + 1;
      if (i === level.length - 1 || endsPage(level[i]!.last, isFloat, height, count)) {
        const run = level.slice(start, i + 1);
        const id = write(pageText(height, run.map((p) => pageEntryLine(p, encode))));
        inner.push(id);
        above.push({ id, rows: sum(run, (p) => p.rows), chunks: sum(run, (p) => p.chunks), first: run[0]!.first, last: run[run.length - 1]!.last });
        start = i + 1;
      }
    }
    level = above;
    height++;
  }
  const lines = level.map((p) => pageEntryLine(p, encode));
  const root = write(
    `{"format":"${MANIFEST_PAGES_FORMAT}","rows":${sum(level, (p) => p.rows)},"chunks":${chunks.length},"height":${height},"pages":[\n${lines.join(',\n')}${lines.length ? '\n' : ''}]}\n`,
  );
  return { form: 'paged', root, height, leaves, inner };
}

/**
 * The leaf pages of `chunks`: a page ends after an entry that `endsPage` picks, or
 * at the end of the list. A page depends only on the run of entries from its
 * start, so where the run at a page's start is one of `previous`'s leaf pages
 * entry for entry, that page is taken whole (`write` is not called for it); the
 * rest are cut entry by entry and written. An edit of k chunks cuts the pages
 * around its k places (the cut falls back in step with the old pages at the first
 * common boundary), and walks the others by id.
 */
function nextLeafPages(
  chunks: readonly ChunkEntry[],
  isFloat: readonly boolean[],
  write: (start: number, end: number) => string,
  previous: { chunks: readonly ChunkEntry[]; leaves: readonly LeafPage[] } | undefined,
): LeafPage[] {
  const byFirst = new Map<string, LeafPage[]>();
  for (const leaf of previous?.leaves ?? []) {
    const first = previous!.chunks[leaf.start]?.id;
    if (first === undefined) continue;
    const list = byFirst.get(first);
    if (list) list.push(leaf);
    else byFirst.set(first, [leaf]);
  }
  const reusable = (start: number): LeafPage | undefined => {
    const old = previous?.chunks;
    if (!old) return undefined;
    for (const leaf of byFirst.get(chunks[start]!.id) ?? []) {
      if (start + leaf.count > chunks.length) continue;
      // The old list's last page ended with the list, not at a boundary: it serves only as the new last page.
      if (leaf.start + leaf.count === old.length && start + leaf.count !== chunks.length) continue;
      let same = true;
      for (let j = 0; j < leaf.count && same; j++) same = sameEntry(old[leaf.start + j]!, chunks[start + j]!);
      if (same) return leaf;
    }
    return undefined;
  };
  const leaves: LeafPage[] = [];
  let start = 0;
  while (start < chunks.length) {
    const old = reusable(start);
    if (old) {
      leaves.push({ id: old.id, start, count: old.count });
      start += old.count;
      continue;
    }
    let i = start;
    while (i < chunks.length - 1 && !endsPage(chunks[i]!.last, isFloat, 0, i - start + 1)) i++;
    leaves.push({ id: write(start, i + 1), start, count: i - start + 1 });
    start = i + 1;
  }
  return leaves;
}

/** Whether two chunk entries would be written as the same page line. */
function sameEntry(a: ChunkEntry, b: ChunkEntry): boolean {
  return a === b || (a.id === b.id && a.rows === b.rows && compareKeys(a.first, b.first) === 0 && compareKeys(a.last, b.last) === 0);
}

function pageText(level: number, lines: string[]): string {
  return `{"level":${level},"entries":[\n${lines.join(',\n')}\n]}\n`;
}

function pageEntryLine(p: PageEntry, encode: (key: readonly Value[]) => string): string {
  return `{"id":"${p.id}","rows":${p.rows},"chunks":${p.chunks},"first":${encode(p.first)},"last":${encode(p.last)}}`;
}

function sum<T>(items: readonly T[], f: (item: T) => number): number {
  let total = 0;
  for (const item of items) total += f(item);
  return total;
}

const Id = z.string().regex(/^[0-9a-f]{40}$/);
const Key = z.array(z.unknown());
const PageRefSchema = z.object({ id: Id, rows: z.number().int().min(0), chunks: z.number().int().min(1), first: Key, last: Key });
const RootSchema = z.object({
  format: z.literal(MANIFEST_PAGES_FORMAT),
  rows: z.number().int().min(0),
  chunks: z.number().int().min(0),
  height: z.number().int().min(1).max(32),
  pages: z.array(PageRefSchema),
});
const InnerPageSchema = z.object({ level: z.number().int().min(1), entries: z.array(PageRefSchema).min(1) });

const HEX_ID = /^[0-9a-f]{40}$/;

/**
 * A leaf page's entries, checked by hand rather than by a zod schema: the pages of a
 * large table are most of what opening it parses (7,368 entries at 30M rows), and the
 * schema walk cost about 10 us an entry. Refuses what the schema refused: a page
 * that is not level 0, lists no chunk, or has an entry without a 40-hex chunk id, a
 * row count of at least 1, or first and last keys (arrays, decoded by the caller).
 */
export function leafPageEntries(text: string, where: string): Array<{ id: string; rows: number; first: unknown[]; last: unknown[] }> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CorruptError('manifest page is not valid JSON', where, error);
  }
  const invalid = (why: string) => new CorruptError(`manifest page is invalid: ${why}`, where);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw invalid('not an object');
  const page = json as { level?: unknown; entries?: unknown };
  if (page.level !== 0) throw invalid('a leaf page has level 0');
  if (!Array.isArray(page.entries) || page.entries.length === 0) throw invalid('a leaf page lists at least one chunk');
  for (const entry of page.entries as unknown[]) {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw invalid('an entry is not an object');
    const { id, rows, first, last } = entry as Record<string, unknown>;
    if (typeof id !== 'string' || !HEX_ID.test(id)) throw invalid('an entry has no chunk id');
    if (typeof rows !== 'number' || !Number.isInteger(rows) || rows < 1) throw invalid('an entry has no row count');
    if (!Array.isArray(first) || !Array.isArray(last)) throw invalid('an entry has no first or last key');
  }
  return page.entries as Array<{ id: string; rows: number; first: unknown[]; last: unknown[] }>;
}

function parseJson<T>(text: string, schema: z.ZodType<T>, what: string, where: string): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CorruptError(`${what} is not valid JSON`, where, error);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new CorruptError(`${what} is invalid: ${parsed.error.issues[0]?.message ?? ''}`, where);
  return parsed.data;
}

/**
 * Leaf pages already decoded, by key types and page id, for one object store (see
 * `readManifestPages`). A page is a git blob, so its id fixes its text, and its entries
 * are a function of that text and the key columns' types: reusing them is exact.
 * `dgit status` and `diff` read a table at two revisions whose pages are nearly all
 * the same; at 30M rows (230 pages, 7,368 chunks) parsing and checking each page twice
 * was 0.35 of status's 0.6 CPU seconds. Entries are shared, never changed (a
 * ChunkEntry is a value). Bounded by entries held, oldest page out first.
 */
export class LeafPageCache {
  private readonly pages = new Map<string, readonly ChunkEntry[]>();
  private entries = 0;

  constructor(private readonly maxEntries = 200_000) {}

  async get(id: string, keyTypes: string, parse: () => Promise<ChunkEntry[]>): Promise<readonly ChunkEntry[]> {
    const key = `${keyTypes}:${id}`;
    const cached = this.pages.get(key);
    if (cached) return cached;
    const entries = await parse();
    this.pages.set(key, entries);
    this.entries += entries.length;
    for (const [old, held] of this.pages) {
      if (this.entries <= this.maxEntries) break;
      this.pages.delete(old);
      this.entries -= held.length;
    }
    return entries;
  }
}

/**
 * The chunk list of a paged manifest, read from its root down, with its page
 * structure. Every count the pages state is checked against what they hold, so a
 * page that does not match its parent is refused rather than half-read.
 */
export async function readManifestPages(
  schema: TableSchema,
  rootId: string,
  read: PageReader,
  where: string,
  cache?: LeafPageCache,
): Promise<{ manifest: Manifest; storage: Extract<ManifestStorage, { form: 'paged' }> }> {
  const { decode } = keyCodec(schema);
  const keyTypes = keyColumnIndexes(schema).map((i) => schema.columns[i]!.type).join(',');
  const root = parseJson(await read(rootId), RootSchema, 'manifest root', where);
  const chunks: ChunkEntry[] = [];
  const leaves: LeafPage[] = [];
  const inner: string[] = [];
  const visit = async (ref: z.infer<typeof PageRefSchema>, level: number): Promise<void> => {
    const at = `${where} page ${ref.id}`;
    const before = chunks.length;
    let rows = 0;
    if (level === 0) {
      const parse = async () =>
        leafPageEntries(await read(ref.id), at).map((c) => ({ id: c.id as ChunkId, rows: c.rows, first: decode(c.first, at), last: decode(c.last, at) }));
      const entries = cache ? await cache.get(ref.id, keyTypes, parse) : await parse();
      for (const c of entries) {
        chunks.push(c);
        rows += c.rows;
      }
      leaves.push({ id: ref.id, start: before, count: entries.length });
    } else {
      const page = parseJson(await read(ref.id), InnerPageSchema, 'manifest page', at);
      if (page.level !== level) throw new CorruptError(`manifest page is at level ${page.level}, expected ${level}`, at);
      inner.push(ref.id);
      for (const child of page.entries) await visit(child, level - 1);
      rows = sum(chunks.slice(before), (c) => c.rows);
    }
    if (rows !== ref.rows || chunks.length - before !== ref.chunks) throw new CorruptError('manifest page does not hold the rows and chunks its parent lists', at);
  };
  for (const ref of root.pages) await visit(ref, root.height - 1);
  if (chunks.length !== root.chunks || sum(chunks, (c) => c.rows) !== root.rows) throw new CorruptError('manifest root does not match its pages', where);
  return { manifest: { chunks }, storage: { form: 'paged', root: rootId, height: root.height, leaves, inner } };
}

/**
 * Whether two stored chunk lists are equal. Equal roots mean equal lists outright;
 * otherwise leaf pages with equal ids at the same place are skipped whole, and
 * only the chunks of the other pages are compared one by one.
 */
export function sameChunkList(a: { manifest: Manifest; storage?: ManifestStorage }, b: { manifest: Manifest; storage?: ManifestStorage }): boolean {
  const x = a.manifest.chunks;
  const y = b.manifest.chunks;
  if (x.length !== y.length) return false;
  const pagedA = a.storage?.form === 'paged' ? a.storage : undefined;
  const pagedB = b.storage?.form === 'paged' ? b.storage : undefined;
  if (pagedA && pagedB && pagedA.root === pagedB.root) return true;
  const skip = new Map<number, number>();
  if (pagedA && pagedB) {
    const byStart = new Map(pagedB.leaves.map((leaf) => [leaf.start, leaf]));
    for (const leaf of pagedA.leaves) if (byStart.get(leaf.start)?.id === leaf.id) skip.set(leaf.start, leaf.count);
  }
  for (let i = 0; i < x.length; ) {
    const run = skip.get(i);
    if (run !== undefined) {
      i += run;
      continue;
    }
    if (x[i]!.id !== y[i]!.id) return false;
    i++;
  }
  return true;
}
