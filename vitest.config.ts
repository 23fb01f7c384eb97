import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // A real S3 server (radosgw) for test/objectstore, started only when the run includes those tests.
    globalSetup: ['test/support/s3-global-setup.ts'],
  },
});
