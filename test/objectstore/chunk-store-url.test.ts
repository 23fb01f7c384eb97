import { describe, expect, it } from 'vitest';
import { chunkIdOfKey, chunkObjectKey, parseChunkStoreUrl } from '../../engine/chunkstore/chunk-store-url.js';
import { InvalidInputError } from '../../engine/errors/index.js';

describe('chunk store URLs', () => {
  it('parses s3://bucket and s3://bucket/prefix into canonical form and keys', () => {
    expect(parseChunkStoreUrl('s3://acme-data')).toEqual({ url: 's3://acme-data', bucket: 'acme-data', prefix: '' });
    const location = parseChunkStoreUrl(' s3://acme.data/team/flights/ ');
    expect(location).toEqual({ url: 's3://acme.data/team/flights', bucket: 'acme.data', prefix: 'team/flights' });
    const id = 'a'.repeat(40);
    expect(chunkObjectKey(location, id)).toBe(`team/flights/chunks/${id}.parquet`);
    expect(chunkIdOfKey(location, `team/flights/chunks/${id}.parquet`)).toBe(id);
    expect(chunkIdOfKey(location, 'team/flights/gc-state.json')).toBeUndefined();
    expect(chunkIdOfKey(location, `team/other/chunks/${id}.parquet`)).toBeUndefined();
  });

  it.each([
    ['https://acme/x', /S3 URL like s3:\/\/bucket\/prefix/],
    ['s3://', /S3 URL/],
    ['s3://Acme/x', /invalid bucket name/],
    ['s3://ab/x', /invalid bucket name/],
    ['s3://acme/a//b', /invalid key prefix/],
    ['s3://acme/a/../b', /invalid key prefix/],
    ['s3://acme/x?versionId=1', /S3 URL/],
  ])('refuses %s', (text, message) => {
    expect(() => parseChunkStoreUrl(text)).toThrow(InvalidInputError);
    expect(() => parseChunkStoreUrl(text)).toThrow(message);
  });
});
