import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A safety net for a hung test, not a performance bound: no outcome may depend on machine load.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    // Vitest's default is one worker per core less one: a single worker on the 2-core machines we
    // run on, while most tests spend their time waiting on git and DuckDB. Three files at a time:
    // the bot tests wait on git processes about half their time (a profile of the queue rules
    // test: 11.8 s idle of 23 s), so a third file fills the cores. On 2 idle cores, npm test took
    // 256-258 s with two and 232-236 s with three (268-278 s later, on the machine then 15-23% slower),
    // all tests passing, the largest process at 2.2 GB. Since the bot sends its token with the first git
    // request and the S3 server starts in the background: 206, 226, 261, 252 and 250 s; later that day,
    // with check in one process and lighter tests, 247-273 s on a slower hour (285 s before them); with dense
    // edits spliced whole and git operations reading pack indexes once, 217-308 s (273 s before them, the same evening; the machine slowed as the evening went on);
    // with about fifty more tests the next evening (1,113), 242-278 s; with the type check and lint at the lowest CPU
    // priority (scripts/run-parallel.mjs --background) and 1,131-1,136 tests, 234, 264, 249, 256, 232 and 262 s (287 s before, the same night; four workers: 271 s).
    // On 4 December the machine was slower (page faults about 12 us each): 1,153-1,156 tests took 396, 386, 433 and 425 s, the tree of the
    // day before 421 s in the same hour.
    maxWorkers: 3,
    // Test files share their worker's loaded modules (the engine, DuckDB, parquet-wasm): module loading
    // was a third of the suite's CPU. So does the in-process CLI's worker thread (test/support/cli.ts):
    // a new one cost ~0.7 s of CPU per file that ran the CLI. Files keep no state in modules: each makes its own repositories
    // in fresh temporary folders; spies and stubbed variables are undone before each test and when each file ends, and a test
    // that fakes timers restores them itself.
    isolate: false,
    restoreMocks: true,
    unstubEnvs: true,
    // Those two act before each test; this undoes stubs when each file ends too (see the file).
    setupFiles: ['test/support/between-files.ts'],
    // A real S3 server (radosgw) for test/objectstore, started only when the run includes those tests.
    globalSetup: ['test/support/s3-global-setup.ts'],
  },
});
