import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../../engine/index.js';

/** A verified webhook delivery waiting to be handled. */
export interface PendingDelivery {
  /** `X-GitHub-Delivery`. */
  id: string;
  /** `X-GitHub-Event`. */
  name: string;
  payload: Record<string, unknown>;
  received_at: string;
}

const PendingDeliverySchema = z.object({ id: z.string().min(1), name: z.string().min(1), payload: z.record(z.string(), z.unknown()), received_at: z.string() });

/** How long a delivery whose handlers failed is kept for inspection (`<data>/inbox/failed/`). */
const KEEP_FAILED_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * The deliveries the bot has accepted and not yet handled, one file each under
 * `<data>/inbox/`, written atomically and fsynced before the webhook is answered,
 * so a delivery GitHub was told we have survives a crash or a restart; the worker
 * removes it once its handlers ran. Files are named by arrival, so they are
 * handled in the order GitHub sent them.
 *
 * Why a folder and not the data repository's refs: a delivery is accepted before
 * anything is known about it (which repository, whether a handler cares), and it
 * must be answered within a second, which a push to GitHub cannot promise. What
 * must outlive the machine (the merge queue's state) stays in the repository's
 * refs (`refs/dgit/bot-queue`); the inbox only bridges answering and handling.
 */
export class DeliveryInbox {
  readonly folder: string;
  private readonly failedFolder: string;
  private sequence = 0;

  constructor(dataDir: string) {
    this.folder = path.join(dataDir, 'inbox');
    this.failedFolder = path.join(this.folder, 'failed');
    fs.mkdirSync(this.failedFolder, { recursive: true });
    this.pruneFailed();
  }

  /** Keep a delivery until it is handled (durable when this returns); false when it is waiting already. */
  put(delivery: Omit<PendingDelivery, 'received_at'>): boolean {
    const digest = digestOf(delivery.id);
    if (this.pendingFiles().some((name) => name.endsWith(`-${digest}.json`))) return false;
    // Milliseconds, then a counter: names sort in arrival order within this process and across restarts.
    const name = `${String(Date.now()).padStart(15, '0')}-${String(this.sequence++).padStart(6, '0')}-${digest}.json`;
    writeFileAtomic(path.join(this.folder, name), JSON.stringify({ ...delivery, received_at: new Date().toISOString() }));
    return true;
  }

  /** The oldest delivery waiting, with its file; undefined when none is. A damaged file is set aside as failed. */
  next(): { file: string; delivery: PendingDelivery } | undefined {
    for (const name of this.pendingFiles()) {
      const file = path.join(this.folder, name);
      try {
        return { file, delivery: PendingDeliverySchema.parse(JSON.parse(fs.readFileSync(file, 'utf8'))) };
      } catch {
        this.setAside(file);
      }
    }
    return undefined;
  }

  /** How many deliveries wait. */
  get size(): number {
    return this.pendingFiles().length;
  }

  /** The delivery was handled: forget it. */
  done(file: string): void {
    fs.rmSync(file, { force: true });
  }

  /** Its handlers failed: keep it aside for a week (GitHub's own redelivery stays possible), out of the way of the next. */
  setAside(file: string): void {
    try {
      fs.renameSync(file, path.join(this.failedFolder, path.basename(file)));
    } catch {
      fs.rmSync(file, { force: true });
    }
  }

  private pendingFiles(): string[] {
    return fs
      .readdirSync(this.folder)
      .filter((name) => name.endsWith('.json') && !name.startsWith('.'))
      .sort();
  }

  private pruneFailed(): void {
    const now = Date.now();
    for (const name of fs.readdirSync(this.failedFolder)) {
      const file = path.join(this.failedFolder, name);
      try {
        if (now - fs.statSync(file).mtimeMs > KEEP_FAILED_MS) fs.rmSync(file, { force: true });
      } catch {
        // removed meanwhile
      }
    }
  }
}

function digestOf(id: string): string {
  return crypto.createHash('sha256').update(id).digest('hex').slice(0, 32);
}
