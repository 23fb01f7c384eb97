import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { finish, ProgressLine } from '../../cli/output.js';

const CLEAR = '\r\u001b[K';

/** A terminal shared by stdout and stderr, recording what each wrote, in order. */
function sharedTerminal() {
  const log: string[] = [];
  const stream = (name: string) =>
    ({
      isTTY: true,
      write: (chunk: string | Uint8Array) => {
        log.push(`${name}:${typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')}`);
        return true;
      },
      once: () => undefined,
    }) as unknown as NodeJS.WriteStream;
  return { log, stderr: stream('err'), stdout: stream('out') };
}

const event = (done: number) => ({ phase: 'Comparing t (table 1 of 1)', done, total: 4, unit: 'chunks' });

describe('a progress line above streamed output', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.stubEnv('DGIT_PROGRESS_DELAY_MS', '0');
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllEnvs();
  });

  it('is erased before each write of output and drawn again by the next event', async () => {
    const { log, stderr, stdout } = sharedTerminal();
    const line = new ProgressLine(stderr);
    const out = line.outputStream(stdout);
    line.update(event(1));
    out.write('row 1\n');
    vi.advanceTimersByTime(200);
    line.update(event(2));
    await finish(out);
    line.done();
    expect(log).toEqual([`err:${CLEAR}Comparing t (table 1 of 1): 25% (1/4 chunks)`, `err:${CLEAR}`, 'out:row 1\n', `err:${CLEAR}Comparing t (table 1 of 1): 50% (2/4 chunks)`, `err:${CLEAR}`]);
  });

  it('is not drawn while the output on the terminal ends mid-line (a \\r would erase it)', async () => {
    const { log, stderr, stdout } = sharedTerminal();
    const line = new ProgressLine(stderr);
    const out = line.outputStream(stdout);
    out.write('half a ');
    vi.advanceTimersByTime(200);
    line.update(event(1));
    out.write('row\n');
    vi.advanceTimersByTime(200);
    line.update(event(2));
    await finish(out);
    expect(log).toEqual(['out:half a ', 'out:row\n', `err:${CLEAR}Comparing t (table 1 of 1): 50% (2/4 chunks)`]);
  });

  it('leaves stdout itself in place when progress is off', () => {
    const { stderr, stdout } = sharedTerminal();
    const quiet = new ProgressLine({ ...stderr, isTTY: false } as NodeJS.WriteStream);
    expect(quiet.outputStream(stdout)).toBe(stdout);
  });
});
