import { z } from 'zod';
import { CorruptError } from '../errors/index.js';
import type { TableSchema } from '../schema/schema.js';
import { keyColumnIndexes } from '../schema/schema.js';
import { fromJsonValue, toJsonValue, type Value } from '../value/value.js';

/** A git blob id (40 hex digits) of one chunk's Parquet bytes. */
export type ChunkId = string & { readonly __brand: 'ChunkId' };

/** One chunk as the manifest lists it. Keys are the values of the key columns in key order. */
export interface ChunkEntry {
  id: ChunkId;
  rows: number;
  first: Value[];
  last: Value[];
}

/** The chunks of a table in key order. */
export interface Manifest {
  chunks: ChunkEntry[];
}

const ManifestFileSchema = z.object({
  rows: z.number().int().min(0),
  chunks: z.array(
    z.object({
      id: z.string().regex(/^[0-9a-f]{40}$/),
      rows: z.number().int().min(1),
      first: z.array(z.unknown()),
      last: z.array(z.unknown()),
    }),
  ),
});

export function manifestRowCount(manifest: Manifest): number {
  let total = 0;
  for (const chunk of manifest.chunks) total += chunk.rows;
  return total;
}

/** Canonical JSON of a manifest: one chunk a line, so git's own diff of it reads well. */
export function serializeManifest(schema: TableSchema, manifest: Manifest): string {
  const keyColumns = keyColumnIndexes(schema).map((i) => schema.columns[i]!);
  const encodeKey = (key: Value[]) => JSON.stringify(key.map((v, i) => toJsonValue(keyColumns[i]!.type, v)));
  const lines = manifest.chunks.map(
    (c) => `{"id":"${c.id}","rows":${c.rows},"first":${encodeKey(c.first)},"last":${encodeKey(c.last)}}`,
  );
  return `{"rows":${manifestRowCount(manifest)},"chunks":[\n${lines.join(',\n')}${lines.length ? '\n' : ''}]}\n`;
}

export function parseManifest(schema: TableSchema, text: string, where: string): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CorruptError('manifest is not valid JSON', where, error);
  }
  const parsed = ManifestFileSchema.safeParse(json);
  if (!parsed.success) throw new CorruptError(`manifest is invalid: ${parsed.error.issues[0]?.message ?? ''}`, where);
  const keyColumns = keyColumnIndexes(schema).map((i) => schema.columns[i]!);
  const decodeKey = (key: unknown[]) => key.map((v, i) => fromJsonValue(keyColumns[i]!.type, v, where));
  return {
    chunks: parsed.data.chunks.map((c) => ({
      id: c.id as ChunkId,
      rows: c.rows,
      first: decodeKey(c.first),
      last: decodeKey(c.last),
    })),
  };
}
