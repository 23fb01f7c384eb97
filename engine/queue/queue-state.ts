import path from 'node:path';
import { z } from 'zod';
import { CorruptError, DgitError } from '../errors/index.js';
import { readFileIfExists, writeFileAtomic } from '../store/atomic-file.js';
import type { CommitId } from '../store/revision.js';
import { ProcessLock } from '../store/process-lock.js';

import { DEPARTURES, QUEUE_ENTRY_STATES, type Departure } from './outcome.js';
export type { QueueEntryState, QueueOutcome } from './outcome.js';

const Id = z.string().regex(/^[0-9a-f]{40}$/);
const Timestamp = z.string();

const QueueEntrySchema = z.object({
  id: z.number().int().min(1),
  branch: z.string().min(1),
  // `dropped` is what state files written before the queue's vocabulary was unified say for `dequeued`.
  state: z.preprocess((value) => (value === 'dropped' ? 'dequeued' : value), z.enum(QUEUE_ENTRY_STATES)),
  /** Why it left the queue (engine/queue/outcome.ts), null while queued (and in state files older than the field). */
  departure: z.enum(DEPARTURES).nullable().default(null),
  outcome: z.enum(['merged', 'rejected', 'failed']).nullable(),
  /** Why it was dropped (or a note on how it merged), null while queued. */
  reason: z.string().nullable(),
  added_at: Timestamp,
  finished_at: Timestamp.nullable(),
  /** The branch's commit the queue last judged. */
  head: Id.nullable(),
  /** Merged: the tested commit the default branch moved to. */
  commit: Id.nullable(),
  /** Whether the outcome hook has seen this outcome (hooks run at least once per outcome). */
  reported: z.boolean(),
});

/**
 * A candidate about to become the default branch, recorded before the
 * compare-and-swap: after a crash, the next run finds out whether the move
 * happened (the branch contains `candidate`) and finishes or forgets it.
 */
const LandingSchema = z.object({
  entries: z.array(z.number().int()),
  /** The default branch's commit the candidate was merged onto and the swap expects (null: it had none). */
  onto: Id.nullable(),
  candidate: Id,
  /** Each entry's branch commit inside the candidate, by entry id. */
  heads: z.record(z.string(), Id),
  started_at: Timestamp,
});

const QueueStateSchema = z.object({
  version: z.literal(1),
  next_id: z.number().int().min(1),
  entries: z.array(QueueEntrySchema),
  landing: LandingSchema.nullable(),
});

export type QueueEntry = Omit<z.infer<typeof QueueEntrySchema>, 'head' | 'commit' | 'departure'> & { head: CommitId | null; commit: CommitId | null; departure: Departure | null };
export type Landing = Omit<z.infer<typeof LandingSchema>, 'onto' | 'candidate' | 'heads'> & {
  onto: CommitId | null;
  candidate: CommitId;
  heads: Record<string, CommitId>;
};
export interface QueueState {
  version: 1;
  next_id: number;
  entries: QueueEntry[];
  landing: Landing | null;
}

/** How long a writer waits for another to finish its (millisecond-long) state update. */
const STATE_LOCK_WAIT_MS = 10_000;

/**
 * The merge queue's state: `.git/dgit/queue.json`, replaced atomically (temp file,
 * fsync, rename) under `queue.json.lock`, so `queue add` during a `queue run`
 * is never lost and a crash leaves the old state or the new, never a mix.
 */
export class QueueStateStore {
  readonly file: string;
  private readonly lockFile: string;

  constructor(gitdir: string) {
    this.file = path.join(gitdir, 'dgit', 'queue.json');
    this.lockFile = `${this.file}.lock`;
  }

  read(): QueueState {
    const text = readFileIfExists(this.file);
    if (text === undefined) return { version: 1, next_id: 1, entries: [], landing: null };
    try {
      return QueueStateSchema.parse(JSON.parse(text)) as QueueState;
    } catch (error) {
      throw new CorruptError('the merge queue state is unreadable', this.file, error);
    }
  }

  /** Read, change and write the state under its lock; `change` returns what the caller wants back. */
  async update<T>(change: (state: QueueState) => T): Promise<T> {
    const lock = await ProcessLock.acquire(this.lockFile, STATE_LOCK_WAIT_MS);
    if (!lock) throw new DgitError('CONCURRENT_UPDATE', `the merge queue state is locked by another process (remove ${this.lockFile} if none runs)`, this.lockFile, { retryable: true });
    try {
      const state = this.read();
      const result = change(state);
      writeFileAtomic(this.file, JSON.stringify(QueueStateSchema.parse(state), null, 2) + '\n');
      return result;
    } finally {
      lock.release();
    }
  }
}
