import crypto from 'node:crypto';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { CorruptError, DgitError, NotFoundError, UsageError } from '../errors/index.js';
import { hashObject } from '../store/object-store.js';
import { chunkIdOfKey, chunkObjectKey, stateObjectKey, type ChunkStoreLocation } from './chunk-store-url.js';

/** Requests one S3ChunkStore sent, by S3 operation, and the bytes its bodies moved. */
export interface S3RequestCounts {
  get: number;
  put: number;
  head: number;
  list: number;
  delete: number;
  bytesUploaded: number;
  bytesDownloaded: number;
}

/** A chunk object as a listing shows it. */
export interface StoredChunk {
  id: string;
  size: number;
  /** The ETag without quotes (the MD5 of the bytes for a plain PUT). */
  etag: string | undefined;
  lastModified: Date;
}

/** How long a request to the bucket may wait on a connection or on the server's next bytes: `DGIT_S3_TIMEOUT_MS`, 30 s by default. */
function s3TimeoutMs(): number {
  const text = process.env.DGIT_S3_TIMEOUT_MS;
  const value = text === undefined || text === '' ? 30_000 : Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new UsageError(`DGIT_S3_TIMEOUT_MS must be a whole number of milliseconds above 0, not ${JSON.stringify(text)}`, 'DGIT_S3_TIMEOUT_MS');
  return value;
}

/**
 * Chunks in an S3-compatible bucket, one immutable object per git blob id
 * (`<prefix>/chunks/<id>.parquet`). Credentials, region and endpoint come from
 * the AWS SDK's default chain: `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`,
 * `AWS_PROFILE` and `~/.aws/{config,credentials}`, SSO, instance roles;
 * `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT_URL_S3`) for a server other than AWS,
 * which is then addressed path-style (`http://host/bucket/key`), as most
 * self-hosted servers (Ceph, MinIO) want.
 */
export class S3ChunkStore {
  readonly counts: S3RequestCounts = { get: 0, put: 0, head: 0, list: 0, delete: 0, bytesUploaded: 0, bytesDownloaded: 0 };
  private readonly client: S3Client;

  constructor(
    readonly location: ChunkStoreLocation,
    config: S3ClientConfig = {},
  ) {
    // The SDK warns on every process under Node 22; dgit supports Node 20 and the warning is noise on its stderr.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const customEndpoint = Boolean(process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL || config.endpoint);
    // A server that stops answering fails the request (and, after the SDK's retries, the command) instead of
    // hanging it: the SDK sets no timeout of its own. The socket timeout counts idle time, not the length of a
    // transfer (the SDK's requestTimeout would cap the whole request, and by default only warns).
    const timeout = s3TimeoutMs();
    this.client = new S3Client({
      region: process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION ? undefined : 'us-east-1',
      forcePathStyle: customEndpoint,
      requestHandler: { connectionTimeout: timeout, socketTimeout: timeout },
      ...config,
    });
    this.client.middlewareStack.add(
      (next, context) => async (args) => {
        const operation = context.commandName;
        if (operation === 'GetObjectCommand') this.counts.get++;
        else if (operation === 'PutObjectCommand') this.counts.put++;
        else if (operation === 'HeadObjectCommand') this.counts.head++;
        else if (operation === 'ListObjectsV2Command') this.counts.list++;
        else if (operation === 'DeleteObjectsCommand') this.counts.delete++;
        return next(args);
      },
      { step: 'finalizeRequest', name: 'dgitRequestCounter' },
    );
  }

  /** The `s3://` URL of a chunk, for engines that read the bucket themselves. */
  url(id: string): string {
    return `s3://${this.location.bucket}/${chunkObjectKey(this.location, id)}`;
  }

  /**
   * Create the chunk's object unless one exists (`If-None-Match: *`: never an
   * overwrite, even racing another writer), then verify what the bucket holds:
   * the MD5 ETag of a plain PUT (the body was also sent with Content-MD5, so a
   * body damaged in transit is refused) or, for an object already there, its size
   * and ETag. Returns whether this call created it.
   */
  async put(id: string, bytes: Uint8Array): Promise<'created' | 'existed'> {
    const key = chunkObjectKey(this.location, id);
    const md5 = crypto.createHash('md5').update(bytes).digest();
    try {
      const result = await this.client.send(
        new PutObjectCommand({ Bucket: this.location.bucket, Key: key, Body: bytes, IfNoneMatch: '*', ContentMD5: md5.toString('base64'), ContentType: 'application/vnd.apache.parquet' }),
      );
      this.counts.bytesUploaded += bytes.length;
      const etag = plainEtag(result.ETag);
      if (etag !== undefined && isMd5(etag) && etag !== md5.toString('hex')) {
        throw new CorruptError(`the bucket stored chunk ${id} with ETag ${etag}, not the MD5 of its bytes (${md5.toString('hex')})`, this.url(id));
      }
      return 'created';
    } catch (error) {
      if (statusOf(error) !== 412 && errorName(error) !== 'PreconditionFailed') throw s3Error(error, this.location, `upload chunk ${id}`);
    }
    const existing = await this.head(id);
    if (!existing) throw new DgitError('INTERNAL', `the bucket refused to create chunk ${id} as existing, but has no such object`, this.url(id));
    const etag = plainEtag(existing.etag);
    if (existing.size !== bytes.length || (etag !== undefined && isMd5(etag) && etag !== md5.toString('hex'))) {
      throw new CorruptError(`the bucket holds a different object under chunk id ${id} (${existing.size} bytes, ETag ${etag ?? '?'}); it was not overwritten`, this.url(id));
    }
    return 'existed';
  }

  /** Size and ETag of a chunk's object, or undefined when there is none. */
  async head(id: string): Promise<{ size: number; etag: string | undefined; lastModified: Date | undefined } | undefined> {
    try {
      const result = await this.client.send(new HeadObjectCommand({ Bucket: this.location.bucket, Key: chunkObjectKey(this.location, id) }));
      return { size: result.ContentLength ?? -1, etag: result.ETag, lastModified: result.LastModified };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw s3Error(error, this.location, `look up chunk ${id}`);
    }
  }

  /** The bytes of a chunk, checked against its id (the git blob hash): a damaged or substituted object is refused. */
  async get(id: string): Promise<Uint8Array> {
    let bytes: Uint8Array;
    try {
      const result = await this.client.send(new GetObjectCommand({ Bucket: this.location.bucket, Key: chunkObjectKey(this.location, id) }));
      bytes = await result.Body!.transformToByteArray();
    } catch (error) {
      if (statusOf(error) === 404 || errorName(error) === 'NoSuchKey') {
        throw new NotFoundError(`chunk ${id} in the chunk store (was the commit pushed?)`, this.url(id));
      }
      throw s3Error(error, this.location, `download chunk ${id}`);
    }
    this.counts.bytesDownloaded += bytes.length;
    const actual = hashObject('blob', bytes);
    if (actual !== id) throw new CorruptError(`chunk ${id} in the bucket does not match its id (its bytes hash to ${actual}): the object was damaged or replaced`, this.url(id));
    return bytes;
  }

  /** Every chunk object under the prefix (other keys are skipped). */
  async *list(): AsyncGenerator<StoredChunk> {
    let token: string | undefined;
    const prefix = chunkObjectKey(this.location, '').replace(/\.parquet$/, '');
    do {
      let page;
      try {
        page = await this.client.send(new ListObjectsV2Command({ Bucket: this.location.bucket, Prefix: prefix, ContinuationToken: token }));
      } catch (error) {
        throw s3Error(error, this.location, 'list chunks');
      }
      for (const object of page.Contents ?? []) {
        const id = object.Key ? chunkIdOfKey(this.location, object.Key) : undefined;
        if (id) yield { id, size: object.Size ?? 0, etag: plainEtag(object.ETag), lastModified: object.LastModified ?? new Date(0) };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /** Delete chunk objects, 1,000 a request (S3's limit). */
  async delete(ids: readonly string[]): Promise<void> {
    for (let at = 0; at < ids.length; at += 1000) {
      const batch = ids.slice(at, at + 1000);
      try {
        const result = await this.client.send(
          new DeleteObjectsCommand({ Bucket: this.location.bucket, Delete: { Objects: batch.map((id) => ({ Key: chunkObjectKey(this.location, id) })), Quiet: true } }),
        );
        const failed = result.Errors?.[0];
        if (failed) throw new DgitError('INTERNAL', `the bucket refused to delete ${failed.Key ?? '?'}: ${failed.Code ?? ''} ${failed.Message ?? ''}`.trim(), this.location.url);
      } catch (error) {
        throw s3Error(error, this.location, 'delete chunks');
      }
    }
  }

  /** A small JSON document beside the chunks (the collector's state), or undefined. */
  async readState(name: string): Promise<unknown> {
    try {
      const result = await this.client.send(new GetObjectCommand({ Bucket: this.location.bucket, Key: stateObjectKey(this.location, name) }));
      const text = await result.Body!.transformToString('utf8');
      try {
        return JSON.parse(text) as unknown;
      } catch (error) {
        throw new CorruptError(`${name} in the chunk store is not valid JSON`, `${this.location.url}/${name}`, error);
      }
    } catch (error) {
      if (statusOf(error) === 404 || errorName(error) === 'NoSuchKey') return undefined;
      throw s3Error(error, this.location, `read ${name}`);
    }
  }

  async writeState(name: string, value: unknown): Promise<void> {
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.location.bucket, Key: stateObjectKey(this.location, name), Body: JSON.stringify(value), ContentType: 'application/json' }));
    } catch (error) {
      throw s3Error(error, this.location, `write ${name}`);
    }
  }

  async deleteState(name: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectsCommand({ Bucket: this.location.bucket, Delete: { Objects: [{ Key: stateObjectKey(this.location, name) }], Quiet: true } }));
    } catch (error) {
      throw s3Error(error, this.location, `delete ${name}`);
    }
  }

  /** Close the client's connections (a process that ends closes them anyway). */
  close(): void {
    this.client.destroy();
  }
}

function plainEtag(etag: string | undefined): string | undefined {
  return etag?.replace(/^"|"$/g, '').toLowerCase();
}

/** A plain single-part PUT's ETag is the MD5 of the body; multipart and SSE-KMS ETags are not. */
function isMd5(etag: string): boolean {
  return /^[0-9a-f]{32}$/.test(etag);
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

function errorName(error: unknown): string | undefined {
  return (error as { name?: string } | null)?.name;
}

/** What the SDK threw, as a DgitError naming the bucket (DgitErrors pass through). */
export function s3Error(error: unknown, location: ChunkStoreLocation, action: string): unknown {
  if (error instanceof DgitError) return error;
  const name = errorName(error) ?? '';
  const status = statusOf(error);
  const where = location.url;
  const code = (error as { code?: string } | null)?.code ?? '';
  if (name === 'NoSuchBucket') return new NotFoundError(`bucket ${location.bucket} (cannot ${action})`, where);
  if (name === 'CredentialsProviderError') {
    return new DgitError('INVALID_INPUT', `no AWS credentials to ${action}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE`, where, { cause: error });
  }
  if (status === 403 || name === 'AccessDenied' || name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch') {
    return new DgitError('INVALID_INPUT', `the chunk store refused the credentials to ${action} (${name || `HTTP ${status}`})`, where, { cause: error });
  }
  if (/^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH)$/.test(code)) {
    return new DgitError('NOT_FOUND', `cannot reach the chunk store to ${action} (${code})`, where, { cause: error, retryable: true });
  }
  if (status !== undefined) return new DgitError('INTERNAL', `the chunk store answered ${status} ${name} to ${action}`.trim(), where, { cause: error, retryable: status >= 500 });
  return error;
}
