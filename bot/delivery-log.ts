import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** GitHub lets a delivery be redelivered for 3 days; a week covers it with room. */
const KEEP_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * The webhook deliveries the bot has handled, kept on disk so a redelivery (same
 * `X-GitHub-Delivery` id) after a restart changes nothing. One empty file per
 * (delivery, handler), written only once the handler succeeded: a delivery whose
 * handler failed can be redelivered and runs again. A delivery being handled
 * right now is remembered in memory, so a redelivery racing it is dropped too.
 */
export class DeliveryLog {
  private readonly folder: string;
  private readonly running = new Set<string>();

  constructor(dataDir: string) {
    this.folder = path.join(dataDir, 'deliveries');
    fs.mkdirSync(this.folder, { recursive: true });
    this.prune();
  }

  /**
   * Run `work` unless this handler already handled this delivery (or is handling
   * it); returns whether it ran.
   */
  async once(deliveryId: string, handler: string, work: () => Promise<void>): Promise<boolean> {
    const key = this.key(deliveryId, handler);
    if (this.running.has(key) || fs.existsSync(path.join(this.folder, key))) return false;
    this.running.add(key);
    try {
      await work();
      fs.writeFileSync(path.join(this.folder, key), '');
      return true;
    } finally {
      this.running.delete(key);
    }
  }

  /** Whether this handler already handled this delivery. */
  handled(deliveryId: string, handler: string): boolean {
    return fs.existsSync(path.join(this.folder, this.key(deliveryId, handler)));
  }

  /** A file name from any id: GUIDs and run ids stay readable, anything else is hashed. */
  private key(deliveryId: string, handler: string): string {
    const text = `${deliveryId}.${handler}`;
    return /^[A-Za-z0-9._-]{1,200}$/.test(text) ? text : crypto.createHash('sha256').update(text).digest('hex');
  }

  private prune(): void {
    const now = Date.now();
    for (const name of fs.readdirSync(this.folder)) {
      const file = path.join(this.folder, name);
      try {
        if (now - fs.statSync(file).mtimeMs > KEEP_MS) fs.rmSync(file, { force: true });
      } catch {
        // Removed by another process meanwhile.
      }
    }
  }
}
