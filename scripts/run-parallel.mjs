// Run npm scripts side by side and fail if any failed. A step `a,b` runs `a` then `b`
// (only if `a` passed): `npm test` runs `build,vitest` beside check (typecheck and lint), which
// need no build, so they use the core the build leaves idle. Each leaves part of a core
// idle (the tests mostly wait on git and DuckDB). The output of each script is printed
// whole when it ends, except the one named with --live, whose output streams as it comes.
// A script named with --background runs at the lowest CPU priority: it takes the cycles the
// others leave (the tests wait on git and DuckDB a tenth of the time) instead of slowing them.
// Usage: node scripts/run-parallel.mjs [--live NAME] [--background NAME] STEP...   (STEP: SCRIPT or SCRIPT,SCRIPT...)
import { spawn } from 'node:child_process';
import os from 'node:os';

const args = process.argv.slice(2);
let live;
let background;
while (args[0] === '--live' || args[0] === '--background') {
  if (args[0] === '--live') live = args[1];
  else background = args[1];
  args.splice(0, 2);
}
const steps = args.map((step) => step.split(','));
const named = (name) => name === undefined || steps.flat().includes(name);
if (steps.length === 0 || steps.some((step) => step.some((name) => name === '')) || !named(live) || !named(background)) {
  process.stderr.write('usage: node scripts/run-parallel.mjs [--live NAME] [--background NAME] STEP... (STEP: SCRIPT or SCRIPT,SCRIPT...; NAME among the scripts)\n');
  process.exit(2);
}
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Run one npm script; resolves whether it passed, once its report is printed. */
function run(name) {
  return new Promise((resolve) => {
    const started = Date.now();
    const streaming = name === live;
    const child = spawn(npm, ['run', '--silent', name], { stdio: ['ignore', streaming ? 'inherit' : 'pipe', streaming ? 'inherit' : 'pipe'] });
    // npm starts its script after loading itself, so the script and what it starts inherit this priority.
    if (name === background && child.pid !== undefined) {
      try {
        os.setPriority(child.pid, os.constants.priority.PRIORITY_LOW);
      } catch {
        // Not permitted here: it runs at normal priority.
      }
    }
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
