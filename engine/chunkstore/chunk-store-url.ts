import { InvalidInputError } from '../errors/index.js';

/** Where a repository keeps its chunks outside git: a bucket and a key prefix. */
export interface ChunkStoreLocation {
  /** The canonical URL, `s3://bucket/prefix` (no trailing slash). */
  url: string;
  bucket: string;
  /** The key prefix without leading or trailing slash; '' for the bucket's root. */
  prefix: string;
}

/**
 * Parse `s3://bucket[/prefix]`. Bucket names follow S3's rules (3-63 lowercase
 * letters, digits, dots, hyphens); the prefix is a plain key path, no `..`, no
 * empty segments, no query: what a user types is what the keys are.
 */
export function parseChunkStoreUrl(text: string, where = 'chunk store'): ChunkStoreLocation {
  const match = /^s3:\/\/([^/?#]+)(\/[^?#]*)?$/.exec(text.trim());
  if (!match) throw new InvalidInputError(`a chunk store is an S3 URL like s3://bucket/prefix, not ${JSON.stringify(text)}`, where);
  const bucket = match[1];
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) || bucket.includes('..')) {
    throw new InvalidInputError(`invalid bucket name ${JSON.stringify(bucket)} (3-63 lowercase letters, digits, dots and hyphens)`, where);
  }
  const prefix = (match[2] ?? '').replace(/^\/+|\/+$/g, '');
  if (prefix !== '' && prefix.split('/').some((segment) => segment === '' || segment === '.' || segment === '..' || /[\u0000-\u001f\\]/.test(segment))) {
    throw new InvalidInputError(`invalid key prefix ${JSON.stringify(prefix)} (no empty, "." or ".." segments, no control characters)`, where);
  }
  return { url: `s3://${bucket}${prefix ? `/${prefix}` : ''}`, bucket, prefix };
}

/** The object key of a chunk: `<prefix>/chunks/<id>.parquet`, so engines see a Parquet file by its name. */
export function chunkObjectKey(location: ChunkStoreLocation, id: string): string {
  return `${location.prefix ? `${location.prefix}/` : ''}chunks/${id}.parquet`;
}

/** The key of a bookkeeping object beside the chunks (the collector's pending list). */
export function stateObjectKey(location: ChunkStoreLocation, name: string): string {
  return `${location.prefix ? `${location.prefix}/` : ''}${name}`;
}

/** The chunk id a chunk object key names, or undefined for any other key. */
export function chunkIdOfKey(location: ChunkStoreLocation, key: string): string | undefined {
  const head = `${location.prefix ? `${location.prefix}/` : ''}chunks/`;
  if (!key.startsWith(head)) return undefined;
  const match = /^([0-9a-f]{40})\.parquet$/.exec(key.slice(head.length));
  return match?.[1];
}
