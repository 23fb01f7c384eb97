import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

/** The S3 server the object-store tests talk to: a real radosgw (Ceph), never a mock. */
export interface S3TestServer {
  env: Record<string, string>;
  /** Why no server could be started (the tests that need one then fail with it). */
  error?: string;
  /**
   * A server still starting: this file appears, holding `{ env }` or `{ error }`, once
   * it is up or has failed (test/objectstore/support/s3.ts waits for it).
   */
  readyFile?: string;
}

/** What the ready file holds. */
export type S3Ready = { env: Record<string, string>; error?: undefined } | { env?: undefined; error: string };

declare module 'vitest' {
  export interface ProvidedContext {
    s3: S3TestServer;
  }
}

const ROOT = path.resolve(import.meta.dirname, '../..');
const CACHE = path.join(ROOT, 'node_modules', '.cache', 'dgit-ceph');
/** The script beside the repository (CI: `../shared` next to the clone; here: /work/shared). */
const SCRIPT_CANDIDATES = [process.env.DGIT_S3_CEPH_SCRIPT, path.join(ROOT, '..', 'shared', 'tools', 's3-ceph.sh'), '/work/shared/tools/s3-ceph.sh'];

/**
 * Vitest global setup: when `AWS_ENDPOINT_URL` is set, tests use that server
 * (`.ci/run` starts one); otherwise, if the run includes test/objectstore, start
 * a one-node Ceph radosgw with shared/tools/s3-ceph.sh (through s3-start.sh, on free
 * ports, retried) into
 * node_modules/.cache/dgit-ceph (packages downloaded once), in the background, and
 * stop it after.
 */
export default function setup(project: TestProject): (() => Promise<void>) | undefined {
  if (process.env.AWS_ENDPOINT_URL) {
    project.provide('s3', { env: pickAws(process.env) });
    return undefined;
  }
  const filters = process.argv.slice(2).filter((arg) => !arg.startsWith('-') && arg !== 'run' && !arg.endsWith('vitest'));
  if (filters.length > 0 && !filters.some((f) => f.includes('objectstore'))) {
    project.provide('s3', { env: {}, error: 'no S3 server started: the run did not select test/objectstore' });
    return undefined;
  }
  const script = SCRIPT_CANDIDATES.find((candidate) => candidate && fs.existsSync(candidate));
  if (!script) {
    project.provide('s3', { env: {}, error: `no S3 server: AWS_ENDPOINT_URL is not set and s3-ceph.sh is not found (${SCRIPT_CANDIDATES.filter(Boolean).join(', ')})` });
    return undefined;
  }
  // Started in the background: the other test files run meanwhile (the start takes ~20 s, mostly
  // waiting on the daemons), and the object-store tests wait for the ready file.
  const readyFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dgit-s3-ready-')), 'ready.json');
  const starter = spawn('bash', [path.join(ROOT, 'test', 'support', 's3-start.sh'), script, CACHE], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  starter.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  starter.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  const started = new Promise<void>((resolve) => {
    const publish = (ready: S3Ready) => {
      if (fs.existsSync(readyFile)) return;
      fs.writeFileSync(`${readyFile}.tmp`, JSON.stringify(ready));
      fs.renameSync(`${readyFile}.tmp`, readyFile);
      resolve();
    };
    starter.on('error', (error) => publish({ error: `starting radosgw with ${script} failed: ${error.message}` }));
    starter.on('close', (code, signal) => {
      let ready: S3Ready;
      if (code === 0) {
        const env: Record<string, string> = {};
        for (const line of Buffer.concat(stdout).toString('utf8').split('\n')) {
          const match = /^(AWS_[A-Z_]+)=(.*)$/.exec(line.trim());
          if (match) env[match[1]!] = match[2]!;
        }
        ready = { env };
      } else {
        ready = { error: `starting radosgw with ${script} failed (${signal ?? `exit ${code}`}): ${Buffer.concat(stderr).toString('utf8').slice(-2000)}` };
      }
      publish(ready);
    });
  });
  project.provide('s3', { env: {}, readyFile });
  return async () => {
    await started;
    fs.rmSync(path.dirname(readyFile), { recursive: true, force: true });
    // The script's stop signals the daemons at once, then waits up to 10 s for pid files they do not
    // remove: it finishes in the background instead of holding the end of the run.
    spawn('bash', [script, 'stop', CACHE], { stdio: 'ignore', detached: true }).unref();
  };
}

function pickAws(source: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(source)) if (key.startsWith('AWS_') && value !== undefined) env[key] = value;
  return env;
}
