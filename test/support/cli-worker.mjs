// The dgit CLI in a worker thread, so tests run commands without a new process each
// (module loading, not the process, is most of a command's start-up cost). The test
// thread waits on a shared flag, so `dgit()` stays synchronous for its callers.
// Plain JavaScript: Node loads it directly, and it runs the built CLI as a user would.
import path from 'node:path';
import { parentPort } from 'node:worker_threads';

const { main } = await import(new URL('../../dist/cli/main.js', import.meta.url).href);

// One command at a time: the environment and the captured output are this thread's.
let queue = Promise.resolve();
parentPort.on('message', (message) => {
  queue = queue.then(() => run(message));
});

async function run({ args, cwd, env, flag, port }) {
  // A test's own leading `-C DIR` is relative to its working directory, as in git.
  while (args[0] === '-C' && args.length > 1) {
    cwd = path.resolve(cwd, args[1]);
    args = args.slice(2);
  }
  for (const key of Object.keys(process.env)) delete process.env[key];
  Object.assign(process.env, env);
  let stdout = '';
  let stderr = '';
  const writeOut = process.stdout.write;
  const writeErr = process.stderr.write;
  const capture = (append) => (chunk, encoding, callback) => {
    append(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const done = typeof encoding === 'function' ? encoding : callback;
    if (done) queueMicrotask(() => done());
    return true;
  };
  process.stdout.write = capture((text) => (stdout += text));
  process.stderr.write = capture((text) => (stderr += text));
  process.exitCode = undefined;
  let code;
  try {
    code = await main([process.execPath, 'dgit', '-C', cwd, ...args]);
  } catch (error) {
    stderr += `dgit: error: ${String(error)} (internal)\n`;
    code = 1;
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
    process.exitCode = undefined;
  }
  port.postMessage({ code, stdout, stderr });
  if (flag) {
    const view = new Int32Array(flag);
    Atomics.store(view, 0, 1);
    Atomics.notify(view, 0);
  }
}
