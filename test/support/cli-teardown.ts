import { afterAll } from 'vitest';
import { stopCliWorker } from './cli.js';

// The in-process CLI runs in a worker thread per test file; it ends with the file, so the
// file's process exits at once instead of waiting on the thread's DuckDB and file handles.
afterAll(async () => {
  await stopCliWorker();
});
