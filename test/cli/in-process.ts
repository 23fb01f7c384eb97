import { main } from '../../cli/main.js';

export interface InProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run `dgit -C cwd ...args` in this process, as `main(argv)`, capturing what it
 * writes to stdout and stderr. Much cheaper than a process; the same code path.
 */
export async function dgitIn(cwd: string, ...args: string[]): Promise<InProcessResult> {
  const out: string[] = [];
  const err: string[] = [];
  const stdoutWrite = process.stdout.write.bind(process.stdout);
  const stderrWrite = process.stderr.write.bind(process.stderr);
  const capture = (into: string[]) =>
    ((chunk: string | Uint8Array) => {
      into.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = capture(out);
  process.stderr.write = capture(err);
  const colour = process.env['NO_COLOR'];
  process.env['NO_COLOR'] = '1';
  let code: number;
  try {
    code = await main(['node', 'dgit', '-C', cwd, ...args]);
  } finally {
    process.stdout.write = stdoutWrite;
    process.stderr.write = stderrWrite;
    process.exitCode = undefined;
    if (colour === undefined) delete process.env['NO_COLOR'];
    else process.env['NO_COLOR'] = colour;
  }
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/** Run in process and fail with stderr unless it exits 0. */
export async function dgitInOk(cwd: string, ...args: string[]): Promise<string> {
  const result = await dgitIn(cwd, ...args);
  if (result.code !== 0) throw new Error(`dgit ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout;
}

/** Set environment variables for the duration of `body` (undefined removes one), then restore them. */
export async function withEnv<T>(vars: Record<string, string | undefined>, body: () => Promise<T>): Promise<T> {
  const saved = new Map(Object.keys(vars).map((name) => [name, process.env[name]]));
  for (const [name, value] of Object.entries(vars)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  try {
    return await body();
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}
