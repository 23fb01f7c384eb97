import { afterAll, vi } from 'vitest';

/**
 * Run for every test file (vitest.config.ts `setupFiles`). Files share their worker
 * (`isolate: false`), and vitest's `unstubEnvs` and `restoreMocks` undo stubs before
 * each test, not after: a stub a file's last test made stayed in place for the next
 * file's `beforeAll`. On 3 December an import in the bot's actions-mode setup read the
 * `DGIT_IMPORT_COLUMN_GROUP=many` of the column-group test that had run before it in
 * the same worker. So each file also undoes them when it ends.
 */
afterAll(() => {
  vi.unstubAllEnvs();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});
