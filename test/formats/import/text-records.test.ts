import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { csvRecordLines, findCsvStructureError, ndjsonRecordLines, readCsvHeader } from '../../../engine/import/text-records.js';
import { fixture, makeDirs } from './fixtures.js';

let dirs: ReturnType<typeof makeDirs>;
beforeEach(() => {
  dirs = makeDirs();
});
afterEach(() => dirs.cleanup());

const comma = { delimiter: ',', quote: '"' };

describe('CSV record lines', () => {
  test('a record starts on the line after any quoted line breaks and blank lines before it', async () => {
    const file = fixture(dirs.dir, 'a.csv', 'a,b\n1,"x\ny"\n\n2,"say ""hi"""\n3,z');
    expect(await csvRecordLines(file, comma, [1, 2, 3])).toEqual(
      new Map([
        [1, 2],
        [2, 5],
        [3, 6],
      ]),
    );
  });

  test('CRLF line ends and a byte order mark count like LF', async () => {
    const file = fixture(dirs.dir, 'b.csv', '\uFEFFa,b\r\n1,2\r\n\r\n3,4\r\n');
    expect(await csvRecordLines(file, comma, [2])).toEqual(new Map([[2, 4]]));
    expect(await readCsvHeader(file, comma)).toEqual(['a', 'b']);
    expect(await findCsvStructureError(file, comma)).toBeNull();
  });

  test('the header keeps names as written, quoted or empty', async () => {
    const file = fixture(dirs.dir, 'c.csv', '"a,b","",c ""d""\n1,2,3\n');
    expect(await readCsvHeader(file, comma)).toEqual(['a,b', '', 'c ""d""']);
  });

  test('a delimiter inside quotes is not a field break', async () => {
    const file = fixture(dirs.dir, 'd.csv', 'a,b\n"1,5",2\n"x",\n');
    expect(await findCsvStructureError(file, comma)).toBeNull();
  });
});

describe('NDJSON record lines', () => {
  test('blank and white-space lines hold no record', async () => {
    const file = fixture(dirs.dir, 'e.ndjson', '{"a":1}\n\n  \n{"a":2}\n{"a":3}');
    expect(await ndjsonRecordLines(file, [2, 3])).toEqual(
      new Map([
        [2, 4],
        [3, 5],
      ]),
    );
  });
});
