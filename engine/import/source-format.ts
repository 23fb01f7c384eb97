import path from 'node:path';
import { InvalidInputError } from '../errors/index.js';

/** The file formats dgit imports. */
export type SourceFormat = 'csv' | 'tsv' | 'json' | 'ndjson' | 'parquet' | 'arrow';

const BY_EXTENSION: Record<string, SourceFormat> = {
  '.csv': 'csv',
  '.tsv': 'tsv',
  '.tab': 'tsv',
  '.json': 'json',
  '.ndjson': 'ndjson',
  '.jsonl': 'ndjson',
  '.parquet': 'parquet',
  '.arrow': 'arrow',
  '.feather': 'arrow',
  '.ipc': 'arrow',
};

/** The format of a file, from its extension. */
export function formatFromPath(file: string): SourceFormat {
  const extension = path.extname(file).toLowerCase();
  const format = BY_EXTENSION[extension];
  if (!format)
    throw new InvalidInputError(
      `cannot tell the format of ${JSON.stringify(file)} from its extension ${extension ? JSON.stringify(extension) : '(none)'}; ` +
        `use one of ${Object.keys(BY_EXTENSION).join(' ')} or name the format`,
      file,
    );
  return format;
}
