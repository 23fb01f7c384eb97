import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

/** The S3 server the object-store tests talk to: a real radosgw (Ceph), never a mock. */
export interface S3TestServer {
  env: Record<string, string>;
  /** Why no server could be started (the tests that need one then fail with it). */
  error?: string;
}

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
 * node_modules/.cache/dgit-ceph (packages downloaded once) and stop it after.
 */
export default function setup(project: TestProject): (() => void) | undefined {
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
  let output: string;
  try {
    output = execFileSync('bash', [path.join(ROOT, 'test', 'support', 's3-start.sh'), script, CACHE], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? String(error);
    project.provide('s3', { env: {}, error: `starting radosgw with ${script} failed: ${stderr.slice(-2000)}` });
    return undefined;
  }
  const env: Record<string, string> = {};
  for (const line of output.split('\n')) {
    const match = /^(AWS_[A-Z_]+)=(.*)$/.exec(line.trim());
    if (match) env[match[1]!] = match[2]!;
  }
  project.provide('s3', { env });
  return () => {
    execFileSync('bash', [script, 'stop', CACHE], { stdio: 'ignore' });
  };
}

function pickAws(source: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(source)) if (key.startsWith('AWS_') && value !== undefined) env[key] = value;
  return env;
}
