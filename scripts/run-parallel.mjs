// Run npm scripts side by side and fail if any failed. Build, typecheck, lint and the
// tests are independent once the build is done, and each leaves part of a core idle
// (the tests mostly wait on git and DuckDB). The output of each script is printed whole
// when it ends, except the one named with --live, whose output streams as it comes.
// Usage: node scripts/run-parallel.mjs [--live NAME] SCRIPT...
import { spawn } from 'node:child_process';

const args = process.argv.slice(2);
let live;
if (args[0] === '--live') {
  live = args[1];
  args.splice(0, 2);
}
if (args.length === 0 || (live !== undefined && !args.includes(live))) {
  process.stderr.write('usage: node scripts/run-parallel.mjs [--live NAME] SCRIPT... (NAME among the scripts)\n');
  process.exit(2);
}
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const runs = args.map(
  (name) =>
    new Promise((resolve) => {
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
    }),
);
const results = await Promise.all(runs);
process.exit(results.every(Boolean) ? 0 : 1);
