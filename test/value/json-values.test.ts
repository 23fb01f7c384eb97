import { describe, expect, it } from 'vitest';
import { duck } from '../support/duckdb.js';
import { formatDate, formatTimestamp, fromJsonValue } from '../../engine/value/value.js';

/**
 * Dates and timestamps written as JSON text (patches, restores, defaults, conflict
 * resolutions) read as DuckDB reads the same text: every proleptic Gregorian day,
 * years 1 to 99 included, and no day that does not exist.
 */
describe('dates and timestamps from JSON text', () => {
  it('reads every valid day as DuckDB does, years 1 to 99 and leap days included', async () => {
    const days = ['0001-01-01', '0079-08-24', '0099-12-31', '0100-03-01', '1600-02-29', '1969-12-31', '1970-01-01', '2000-02-29', '2024-02-29', '9999-12-31'];
    const expected = await duck(`SELECT ${days.map((d, i) => `CAST(DATE '${d}' - DATE '1970-01-01' AS INTEGER) AS d${i}`).join(', ')}`);
    days.forEach((day, i) => {
      const read = fromJsonValue('Date32', day, 'test');
      expect(read).toBe(expected[0]![`d${i}`]);
      expect(formatDate(read as number)).toBe(day);
    });
  });

  it('refuses days that do not exist instead of rolling them over', () => {
    for (const day of ['2021-02-29', '1900-02-29', '2021-13-45', '2021-04-31', '2021-00-10', '2021-01-00'])
      expect(() => fromJsonValue('Date32', day, 'test'), day).toThrow(/is not a date/);
    for (const time of ['2021-02-30T10:00:00', '2021-01-01T24:00:00', '2021-01-01T10:60:00', '2021-01-01 10:00:61'])
      expect(() => fromJsonValue('Timestamp<us>', time, 'test'), time).toThrow(/is not a timestamp/);
  });

  it('reads timestamps of early years exactly, and refuses digits past the unit', async () => {
    const texts = ['0079-08-24T13:00:00.123456', '1969-12-31T23:59:59.999999', '2024-02-29T00:00:00'];
    const expected = await duck(`SELECT ${texts.map((t, i) => `epoch_us(TIMESTAMP '${t}') AS t${i}`).join(', ')}`);
    texts.forEach((text, i) => {
      const read = fromJsonValue('Timestamp<us>', text, 'test') as bigint;
      expect(read).toBe(BigInt(expected[0]![`t${i}`] as string | number));
      expect(formatTimestamp('Timestamp<us>', read)).toBe(text.includes('.') ? text : `${text}.000000`);
    });
    expect(fromJsonValue('Timestamp<ms>', '2024-01-01T00:00:00.123000', 'test')).toBe(BigInt(Date.UTC(2024, 0, 1)) + 123n);
    expect(() => fromJsonValue('Timestamp<ms>', '2024-01-01T00:00:00.1234', 'test')).toThrow(/digits past the ms/);
  });
});
