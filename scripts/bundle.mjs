// Bundles tsc's output into dist/bundle (see rolldown.config.mjs), quietly: `npm run build` prints only problems.
import { rmSync } from 'node:fs';
import { build } from 'rolldown';
import config from '../rolldown.config.mjs';

// Chunk names carry content hashes: start empty so chunks of an earlier build do not pile up.
rmSync(new URL('../dist/bundle', import.meta.url), { recursive: true, force: true });
await build(config);
