import crypto from 'node:crypto';
import zlib from 'node:zlib';

/**
 * The bytes git keeps for an object: its id and its deflated forms. Apart from
 * object-store.ts (which reads and writes files) so that a chunk encoding worker
 * thread can compute them too (see engine/store/parquet/chunk-encoding-pool.ts).
 */

/** A git object id: 40 lowercase hex digits. */
export type ObjectId = string & { readonly __brand: 'ObjectId' };
export type ObjectType = 'blob' | 'tree' | 'commit' | 'tag';

export function hashObject(type: ObjectType, content: Uint8Array): ObjectId {
  const hash = crypto.createHash('sha1');
  hash.update(`${type} ${content.length}\0`);
  hash.update(content);
  return hash.digest('hex') as ObjectId;
}

/** A loose object's file: header and content in one zlib stream. */
export function deflateObject(type: ObjectType, content: Uint8Array): Buffer {
  const header = Buffer.from(`${type} ${content.length}\0`, 'latin1');
  return zlib.deflateSync(Buffer.concat([header, content]), { level: deflateLevel(content) });
}

/** An object's body as a packfile holds it: the bare content, deflated. */
export function deflatePackedObject(content: Uint8Array): Buffer {
  return zlib.deflateSync(content, { level: deflateLevel(content) });
}

/** Parquet chunks are already ZSTD: store them (level 0) rather than spend time deflating noise. */
function deflateLevel(content: Uint8Array): number {
  return content.length > 8 && content[0] === 0x50 && content[1] === 0x41 && content[2] === 0x52 && content[3] === 0x31 ? 0 : 1;
}

/**
 * A blob with what storing it costs computed ahead (by a worker thread): its id and
 * its packfile body. The writer then only stages bytes; the result is the same
 * objects as writing `bytes` plainly.
 */
export interface PreparedBlob {
  bytes: Uint8Array;
  oid: ObjectId;
  /** `deflatePackedObject(bytes)`. */
  packed: Uint8Array;
}

/** Prepare a blob: what a worker thread computes for the writer. */
export function prepareBlob(bytes: Uint8Array): PreparedBlob {
  return { bytes, oid: hashObject('blob', bytes), packed: deflatePackedObject(bytes) };
}
