// Run npm scripts side by side and fail if any failed. A step `a,b` runs `a` then `b`
// (only if `a` passed): `npm test` runs `build,vitest` beside check (typecheck and lint), which
// need no build, so they use the core the build leaves idle. Each leaves part of a core
// idle (the tests mostly wait on git and DuckDB). The output of each script is printed
// whole when it ends, except the one named with --live, whose output streams as it comes.
// Usage: node scripts/run-parallel.mjs [--live NAME] STEP...   (STEP: SCRIPT or SCRIPT,SCRIPT...)
import { spawn } from 'node:child_process';

const args = process.argv.slice(2);
let live;
if (args[0] === '--live') {
  live = args[1];
  args.splice(0, 2);
}
const steps = args.map((step) => step.split(','));
if (steps.length === 0 || steps.some((step) => step.some((name) => name === '')) || (live !== undefined && !steps.flat().includes(live))) {
  process.stderr.write('usage: node scripts/run-parallel.mjs [--live NAME] STEP... (STEP: SCRIPT or SCRIPT,SCRIPT...; NAME among the scripts)\n');
  process.exit(2);
}
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Run one npm script; resolves whether it passed, once its report is printed. */
function run(name) {
  return new Promise((resolve) => {
    const started = Date.now();
    const streaming = name === live;
    const child = spawn(npm, ['run', '--silent', name], { stdio: ['ignore', streaming ? 'inherit' : 'pipe', streaming ? 'inherit' : 'pipe'] });
    const output = [];
    child.stdout?.on('data', (chunk) => output.push(chunk));
    child.stderr?.on('data', (chunk) => output.push(chunk));
    child.on('close', (code, signal) => {
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      process.stdout.write(`> npm run ${name}: ${code === 0 ? 'ok' : `failed (${signal ?? `exit ${code}`})`} in ${seconds} s\n`);
      if (output.length > 0) process.stdout.write(Buffer.concat(output));
      resolve(code === 0);
    });
  });
}

/** Run a step's scripts one after the other, stopping at the first that fails. */
async function sequence(names) {
  for (const name of names) {
    if (!(await run(name))) {
      const skipped = names.slice(names.indexOf(name) + 1);
      if (skipped.length > 0) process.stdout.write(`> not run: ${skipped.join(', ')} (${name} failed)\n`);
      return false;
    }
  }
  return true;
}

const results = await Promise.all(steps.map(sequence));
process.exit(results.every(Boolean) ? 0 : 1);
