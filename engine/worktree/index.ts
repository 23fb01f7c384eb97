/** The working directory and git's index, kept mirroring a tree (DESIGN.md section 3). */
export { syncWorktree, checkoutTree, type SyncOptions, type SyncResult } from './sync-worktree.js';
export { changedPaths, type BlobEntry, type PathChange } from './tree-changes.js';
