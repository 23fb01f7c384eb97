import type { Writable } from 'node:stream';

/**
 * Writes text to a stream in pieces, waiting when the stream asks to (backpressure),
 * so a renderer of a million-row diff never holds it as one string.
 */
export class TextSink {
  private pending = '';

  constructor(
    private readonly out: Writable,
    private readonly highWaterMark = 64 * 1024,
  ) {}

  async write(text: string): Promise<void> {
    this.pending += text;
    if (this.pending.length >= this.highWaterMark) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const chunk = this.pending;
    this.pending = '';
    if (!this.out.write(chunk)) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = () => {
          this.out.off('error', onError);
          resolve();
        };
        const onError = (error: Error) => {
          this.out.off('drain', onDrain);
          reject(error);
        };
        this.out.once('drain', onDrain);
        this.out.once('error', onError);
      });
    }
  }
}
