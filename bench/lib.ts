/** Helpers shared by the benchmark scripts: child processes timed under GNU time, medians, sizes. */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const OUT = path.join(ROOT, 'bench', 'out');
export const FLIGHTS = path.join(ROOT, 'node_modules/vega-datasets/data/flights-3m.parquet');
export const ROWS = Number(process.env.BENCH_ROWS ?? 3_000_000);

let dist = path.join(ROOT, 'dist');
/**
 * Run the benchmark on a copy of dist/ taken now (under bench/out, so node_modules
 * still resolve): a rebuild of the working tree during a long run cannot mix versions.
 */
export function snapshotDist(): void {
  const to = path.join(OUT, 'dist');
  fs.rmSync(to, { recursive: true, force: true });
  fs.cpSync(path.join(ROOT, 'dist'), to, { recursive: true });
  dist = to;
}
/** The built CLI, and a benchmark child script, in the snapshot. */
export const cli = () => path.join(dist, 'bundle/dgit.js');
export const childScript = (name: string) => path.join(dist, 'bench/child', name);

/** Which parts run: BENCH_ONLY=import (issue 2), diff, merge, or a comma list; unset = all. */
export function selected(part: string): boolean {
  const only = process.env.BENCH_ONLY;
  if (!only) return true;
  return only.split(',').map((s) => s.trim()).includes(part);
}

export interface Timed {
  seconds: number;
  /** User + system CPU time of the process (and its children): less sensitive than wall time to other work on the machine. */
  cpuSeconds: number;
  peakMiB: number;
  stdout: string;
  status: number | null;
  stderr: string;
}

/** Run a command under /usr/bin/time: wall time, CPU time and peak RSS. Throws on a non-zero exit unless allowFailure. */
export function timed(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}, allowFailure = false): Timed {
  const started = process.hrtime.bigint();
  const result = spawnSync('/usr/bin/time', ['-f', '%M %U %S', cmd, ...args], { cwd, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 29 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0 && !allowFailure) throw new Error(`${cmd} ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  const [kib, user, system] = (result.stderr ?? '').trim().split('\n').at(-1)!.split(' ').map(Number);
  return {
    seconds,
    cpuSeconds: Number.isFinite(user) && Number.isFinite(system) ? user! + system! : NaN,
    peakMiB: Number.isFinite(kib) ? Math.round(kib! / 1024) : NaN,
    stdout: result.stdout,
    status: result.status,
    stderr: result.stderr,
  };
}

export const GIT_ENV = { GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'b@b' };

export function dgit(cwd: string, ...args: string[]): Timed {
  return timed(process.execPath, [cli(), ...args], cwd, GIT_ENV);
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Run `fn` n times; the run with the median time (its other figures with it). */
export function medianRun<T extends { seconds: number }>(n: number, fn: () => T): T & { runs: number[] } {
  const runs: T[] = [];
  for (let i = 0; i < n; i++) runs.push(fn());
  const sorted = [...runs].sort((a, b) => a.seconds - b.seconds);
  return { ...sorted[(sorted.length - 1) >> 1]!, runs: runs.map((r) => r.seconds) };
}

export function du(dir: string): number {
  return Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]);
}

export const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
export const ms = (seconds: number) => `${(seconds * 1000).toFixed(0)} ms`;
export const since = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e9;

/** The 1-minute load average and the share of CPU time the whole machine was busy since `since` (from /proc/stat). */
export function cpuSample(): { busy: number; total: number } {
  const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = fields[3]! + (fields[4] ?? 0);
  const total = fields.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}
export function loadAverage(): number {
  return Number(fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}
