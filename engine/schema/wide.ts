/**
 * A table of more than this many columns is wide. Its chunks are written in the wide
 * Parquet form (see chunk-parquet.ts) and, unless told otherwise, a new one is cut into
 * chunks of fewer rows (see `defaultChunking`): in both cases because parquet-wasm's
 * cost and memory per chunk grow with the column count.
 */
export const WIDE_COLUMNS = 256;
