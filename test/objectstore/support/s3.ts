import crypto from 'node:crypto';
import fs from 'node:fs';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { inject } from 'vitest';
import { resetRemoteChunkStores } from '../../../engine/chunkstore/index.js';
import type { S3Ready } from '../../support/s3-global-setup.js';

/**
 * The real S3 server of this run (see test/support/s3-global-setup.ts), its
 * credentials put in this process's environment so the SDK's default chain
 * finds them as it would a user's. Fails loudly when there is none.
 */
export async function useS3Server(): Promise<Record<string, string>> {
  const server = inject('s3');
  if (server.error) throw new Error(server.error);
  const env = server.readyFile === undefined ? server.env : await whenReady(server.readyFile);
  for (const [key, value] of Object.entries({ ...env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' })) {
    if (!replaced.has(key)) replaced.set(key, process.env[key]);
    process.env[key] = value;
  }
  resetRemoteChunkStores();
  return env;
}

/** What useS3Server replaced in this process's environment, to put back. */
const replaced = new Map<string, string | undefined>();

/**
 * Put the environment back as it was before useS3Server, in the file's afterAll: the
 * files that run next in this worker (isolate: false) must not find S3 credentials.
 */
export function releaseS3Server(): void {
  for (const [key, value] of replaced) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  replaced.clear();
  resetRemoteChunkStores();
}

/** How long a server still starting is waited for (s3-start.sh tries six times, about 6 s a failed try). */
const START_WAIT_MS = 600_000;

/** The environment of a server started in the background, once its ready file appears. */
async function whenReady(readyFile: string): Promise<Record<string, string>> {
  const deadline = Date.now() + START_WAIT_MS;
  while (!fs.existsSync(readyFile)) {
    if (Date.now() > deadline) throw new Error(`the S3 server did not start within ${START_WAIT_MS / 1000} s (no ${readyFile})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const ready = JSON.parse(fs.readFileSync(readyFile, 'utf8')) as S3Ready;
  if (ready.error !== undefined) throw new Error(ready.error);
  return ready.env;
}

/** A raw client, for what tests do behind dgit's back (corrupt an object, read a key). */
export function rawClient(): S3Client {
  return new S3Client({ forcePathStyle: true, region: process.env.AWS_REGION ?? 'us-east-1' });
}

/** A fresh bucket for one test file. */
export async function freshBucket(prefix: string): Promise<string> {
  const bucket = `${prefix}-${crypto.randomBytes(5).toString('hex')}`;
  await rawClient().send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

export async function getObject(bucket: string, key: string): Promise<Uint8Array> {
  const result = await rawClient().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return result.Body!.transformToByteArray();
}

/** Overwrite an object unconditionally (what a damaged or tampered bucket looks like). */
export async function putObject(bucket: string, key: string, bytes: Uint8Array): Promise<void> {
  await rawClient().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes }));
}
