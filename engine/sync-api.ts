/**
 * The engine's synchronous helpers that live in heavy modules (zod schemas,
 * parsers, the storage layout): reached through `loadSyncApi()` of engine/index.ts
 * so that importing the index stays cheap. Fronts use it once per module:
 * `const { FixPatchSchema } = await loadSyncApi();`.
 */

// Repositories and revisions
export { Repository, WORKING } from './repository/repository.js';
export { checkRefName, checkBranchName } from './store/ref-store.js';

// Storage layout
export { TABLES_DIR, readTableVersion, writeTableTree, chunkPath } from './table/table-tree.js';
export { EMPTY_TREE } from './table/root-tree.js';
export { GitChunkStore } from './table/git-chunk-store.js';
export { buildTable } from './table/build-table.js';
export { applyEdits } from './table/apply-edits.js';

// Schemas and manifests
export { keyColumnNames } from './schema/schema.js';
export { manifestRowCount } from './chunking/manifest.js';

// Configuration
export { CONFIG_FILE } from './config/config-schema.js';
export { parseConfig } from './config/config-file.js';

// Diff
export { DiffCounter } from './diff/index.js';

// SQL
export { singleStatement } from './commands/sql.js';

// Heal: patches and policy
export { FixPatchSchema, PatchEditSchema, MAX_PATCH_BYTES, canonicalPatchText, checkPatch, parsePatch } from './heal/patch.js';
export { changeExtent, policyViolations, PolicyViolationError } from './heal/policy.js';

// Incidents
export { INCIDENT_OUTCOMES } from './incidents/incident.js';
export { HEAL_BRANCH_PREFIX, checkHistory } from './incidents/incident-memory.js';

// Trust: state refs and the error of a working set left behind by plain git
export { StaleWorkingSetError } from './workingset/carry-over.js';
export { workingSetRef, mergeStateRef } from './workingset/state-commit.js';
export { verifyChunk } from './integrity/table-integrity.js';

// Chunks in object storage: the setting, URLs, and the engine-side query texts for `dgit files`
export { chunkStoreOf, committedChunkStore } from './chunkstore/chunk-store-setting.js';
export { parseChunkStoreUrl } from './chunkstore/chunk-store-url.js';
export { duckdbQuery, sparkExpression } from './chunkstore/table-files.js';
export { DEFAULT_GRACE_MS } from './chunkstore/chunk-gc.js';
export { parseDuration } from './config/duration.js';
