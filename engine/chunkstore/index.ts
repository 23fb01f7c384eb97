/** Chunks in an S3-compatible bucket, refs and manifests in git (see README.md here). */
export { parseChunkStoreUrl, chunkObjectKey, type ChunkStoreLocation } from './chunk-store-url.js';
export { LocalChunkStore, openLocalChunkStore, chunkStoreSettingPath } from './local-chunk-store.js';
export type { S3ChunkStore, S3RequestCounts, StoredChunk } from './s3-chunk-store.js';
export { readChunkBytes, localChunkFile, prefetchChunks, remoteChunkStore, resetRemoteChunkStores } from './chunk-source.js';
export { useChunkStore, adoptCommittedChunkStore, chunkStoreOf, type ChunkStoreChange } from './chunk-store-setting.js';
export { uploadCommitChunks, recheckFoundChunks, type ChunkUpload } from './chunk-upload.js';
export { collectGarbage, DEFAULT_GRACE_MS, GC_STATE_OBJECT, type GcOptions, type GcOutcome } from './chunk-gc.js';
export { tableFiles, duckdbQuery, sparkExpression, type TableFiles } from './table-files.js';
