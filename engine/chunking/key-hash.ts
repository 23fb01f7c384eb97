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
  let h = KEY_HASH_SEED;
  for (let i = 0; i < key.length; i++) h = feedValue(h, key[i]!, isFloat[i]!);
  return finishKeyHash(h);
}

export const KEY_HASH_SEED = 0x811c9dc5;

/** Feed one key value into a running key hash. */
export function feedValue(h: number, value: Value, isFloat: boolean): number {
  if (value === null) return byte(h, 0);
  if (typeof value === 'boolean') return byte(byte(h, 1), value ? 1 : 0);
  if (typeof value === 'number') {
    if (isFloat) {
      h = byte(h, 3);
      FLOAT_VIEW.setFloat64(0, value === 0 ? 0 : Number.isNaN(value) ? NaN : value, true);
      h = word(h, FLOAT_VIEW.getUint32(0, true));
      return word(h, FLOAT_VIEW.getUint32(4, true));
    }
    return feedInt64(h, value >>> 0, Math.floor(value / 4294967296) >>> 0);
  }
  if (typeof value === 'bigint') return feedInt64(h, Number(value & 0xffffffffn), Number((value >> 32n) & 0xffffffffn));
  if (typeof value === 'string') {
    h = byte(h, 4);
    h = word(h, value.length);
    for (let j = 0; j < value.length; j++) {
      const unit = value.charCodeAt(j);
      h = byte(byte(h, unit & 0xff), unit >>> 8);
    }
    return h;
  }
  h = byte(h, 5);
  h = word(h, value.length);
  for (let j = 0; j < value.length; j++) h = byte(h, value[j]!);
  return h;
}

/** Feed a 64-bit integer given as its low and high 32-bit words (what `feedValue` does for an integer). */
export function feedInt64(h: number, lo: number, hi: number): number {
  return word(word(byte(h, 2), lo), hi);
}

export function finishKeyHash(h: number): number {
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
