import fs from 'node:fs';
import { performance } from 'node:perf_hooks';

/**
 * A trace of the durable writes a process makes, for crash tests only: with
 * `DGIT_WRITE_TRACE=<file>` set, every write of an object, ref, state file,
 * index or working-directory file appends `<ms since start> <what>` to the file
 * before it happens, and a process that ends by itself appends `exit`. A SIGKILL
 * test reads the trace to tell where the kill landed: before the first write,
 * between writes (mid-write), or after the last. Unset, it costs one check.
 */
const traceFile = process.env['DGIT_WRITE_TRACE'];

if (traceFile) process.on('exit', () => fs.appendFileSync(traceFile, `${Math.round(performance.now())} exit\n`));

/** Record that a durable write is about to happen (no-op unless DGIT_WRITE_TRACE is set). */
export function traceWrite(what: string): void {
  if (traceFile) fs.appendFileSync(traceFile, `${Math.round(performance.now())} ${what}\n`);
}
