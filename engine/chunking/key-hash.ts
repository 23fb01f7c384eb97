import type { Value } from '../value/value.js';

/**
 * The hash of a row's key that decides chunk boundaries ("fnv1a32-fmix-v1").
 *
 * It is part of the storage format: changing a single bit of it moves every chunk
 * boundary, so it is frozen and versioned by name in schema.json. The key is fed
 * as typed, tagged bytes (integers of every width as 64-bit two's complement, so
 * widening a column keeps boundaries; strings as UTF-16 code units with their
 * length, so no encoding step is needed), then FNV-1a 32 and murmur3's fmix32
 * finaliser for avalanche in the low bits.
 */
export function keyHash(key: readonly Value[], isFloat: readonly boolean[]): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    const value = key[i]!;
    if (value === null) {
      h = byte(h, 0);
    } else if (typeof value === 'boolean') {
      h = byte(byte(h, 1), value ? 1 : 0);
    } else if (typeof value === 'number') {
      if (isFloat[i]) {
        h = byte(h, 3);
        FLOAT_VIEW.setFloat64(0, value === 0 ? 0 : Number.isNaN(value) ? NaN : value, true);
        h = word(h, FLOAT_VIEW.getUint32(0, true));
        h = word(h, FLOAT_VIEW.getUint32(4, true));
      } else {
        h = byte(h, 2);
        h = word(h, value >>> 0);
        h = word(h, Math.floor(value / 4294967296) >>> 0);
      }
    } else if (typeof value === 'bigint') {
      h = byte(h, 2);
      h = word(h, Number(value & 0xffffffffn));
      h = word(h, Number((value >> 32n) & 0xffffffffn));
    } else if (typeof value === 'string') {
      h = byte(h, 4);
      h = word(h, value.length);
      for (let j = 0; j < value.length; j++) {
        const unit = value.charCodeAt(j);
        h = byte(byte(h, unit & 0xff), unit >>> 8);
      }
    } else {
      h = byte(h, 5);
      h = word(h, value.length);
      for (let j = 0; j < value.length; j++) h = byte(h, value[j]!);
    }
  }
  return fmix32(h);
}

const FLOAT_VIEW = new DataView(new ArrayBuffer(8));

function byte(h: number, b: number): number {
  return Math.imul(h ^ b, 16777619);
}

function word(h: number, w: number): number {
  h = byte(h, w & 0xff);
  h = byte(h, (w >>> 8) & 0xff);
  h = byte(h, (w >>> 16) & 0xff);
  return byte(h, w >>> 24);
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
