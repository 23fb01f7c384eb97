import type { DeliveryInbox, PendingDelivery } from './delivery-inbox.js';

/** The few log calls the worker makes (probot's pino logger fits). */
export interface WorkerLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/** What became of a delivery the worker took. */
export type DeliveryResult = 'handled' | 'failed';

/** Results kept for `resultOf` (tests and logs ask about recent ones only). */
const KEEP_RESULTS = 1000;

/**
 * The loop in the bot's process that handles what the inbox holds, oldest first,
 * one delivery at a time: the webhook was answered as soon as the delivery was
 * kept, and the work (clones, checks, the merge queue) happens here, however long
 * it takes. It starts with whatever a stopped process left in the inbox. A
 * delivery whose handlers fail is set aside (its handlers are idempotent per
 * delivery, so GitHub's "Redeliver" can run it again), and the next is taken.
 */
export class DeliveryWorker {
  /** The payloads being handed to the handlers right now: a handler runs only for these (see BotServices.handler). */
  private readonly dispatched = new WeakSet<object>();
  private readonly results = new Map<string, { result: DeliveryResult; error?: string }>();
  private running: Promise<void> | undefined;
  private paused = false;
  private markStarted!: () => void;
  /** Resolves once `start` ran: `idle` before it would miss what a stopped process left. */
  private readonly started = new Promise<void>((resolve) => (this.markStarted = resolve));

  constructor(
    private readonly inbox: DeliveryInbox,
    /** Hand one delivery to the app's handlers (probot's `receive`). */
    private readonly dispatch: (delivery: PendingDelivery) => Promise<void>,
    private readonly log: WorkerLog,
  ) {}

  /** Whether this payload comes from the worker (so its handlers run now) rather than from a webhook (so it is kept for later). */
  isDispatched(payload: unknown): boolean {
    return typeof payload === 'object' && payload !== null && this.dispatched.has(payload);
  }

  /** Begin: handle what a stopped process left in the inbox, then whatever comes. */
  start(): void {
    this.markStarted();
    this.wake();
  }

  /** Make sure the loop runs: after a delivery was kept, and at start. */
  wake(): void {
    if (this.running || this.paused) return;
    const run = this.drain().finally(() => {
      if (this.running === run) this.running = undefined;
      // A delivery kept while the loop was finishing its last one.
      if (!this.paused && this.inbox.size > 0) this.wake();
    });
    this.running = run;
  }

  /** Resolves once nothing is being handled and (unless paused) nothing waits. */
  async idle(): Promise<void> {
    await this.started;
    while (this.running) await this.running;
  }

  /** Stop taking deliveries (the one being handled finishes); they wait in the inbox for `resume` or a restart. */
  async pause(): Promise<void> {
    this.paused = true;
    await this.idle();
  }

  resume(): void {
    this.paused = false;
    this.wake();
  }

  /** What became of a delivery this process handled, with the error when it failed (undefined: not handled here, or not yet). */
  resultOf(id: string): { result: DeliveryResult; error?: string } | undefined {
    return this.results.get(id);
  }

  private async drain(): Promise<void> {
    for (let next = this.inbox.next(); next && !this.paused; next = this.inbox.next()) {
      const { file, delivery } = next;
      this.dispatched.add(delivery.payload);
      let result: { result: DeliveryResult; error?: string };
      try {
        await this.dispatch(delivery);
        this.inbox.done(file);
        result = { result: 'handled' };
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        // The payload is verified, but still not logged: only what identifies the delivery.
        this.log.warn({ delivery: delivery.id, event: delivery.name, error: message }, 'a delivery\'s handlers failed; set aside');
        this.inbox.setAside(file);
        result = { result: 'failed', error: message };
      } finally {
        this.dispatched.delete(delivery.payload);
      }
      this.results.set(delivery.id, result);
      if (this.results.size > KEEP_RESULTS) this.results.delete(this.results.keys().next().value!);
    }
  }
}
