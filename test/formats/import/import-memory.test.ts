import { describe, expect, it } from 'vitest';
import { DEFAULT_IMPORT_MEMORY_MB, importDuckDbMemoryLimit } from '../../../engine/import/source.js';

describe('import memory setting', () => {
  it('gives DuckDB the setting less what Node holds, 900 MiB in all by default', () => {
    expect(DEFAULT_IMPORT_MEMORY_MB).toBeLessThan(1024);
    expect(importDuckDbMemoryLimit(undefined)).toBe('600MiB');
    expect(importDuckDbMemoryLimit('2048')).toBe('1748MiB');
  });

  it('refuses a setting too small or not a number', () => {
    expect(() => importDuckDbMemoryLimit('100')).toThrow(/DGIT_IMPORT_MEMORY_MB/);
    expect(() => importDuckDbMemoryLimit('lots')).toThrow(/DGIT_IMPORT_MEMORY_MB/);
  });
});
