import type http from 'node:http';
import { verifySignature } from './webhook-secret.js';

/** GitHub caps a webhook payload at 25 MB (larger events are not delivered). */
export const WEBHOOK_BODY_LIMIT = 25 * 1024 * 1024;

/** What the endpoint does with a verified delivery: keep it (durably) for the worker. */
export type AcceptDelivery = (delivery: { id: string; name: string; payload: Record<string, unknown> }) => Promise<void>;

/** The few log calls the endpoint makes; never with a body. */
export interface EndpointLog {
  warn(fields: object, message: string): void;
}

export interface WebhookEndpointOptions {
  secret: string;
  accept: AcceptDelivery;
  log: EndpointLog;
  /** Default `/api/github/webhooks` (probot's). */
  path?: string;
  /** Default WEBHOOK_BODY_LIMIT. */
  limitBytes?: number;
}

/**
 * GitHub's webhooks, received with nothing kept or logged before the signature
 * is verified: a body announced or found larger than the limit is refused (413)
 * without being read whole; the body is held in memory only up to the limit; the
 * HMAC-SHA256 signature (`X-Hub-Signature-256`) is checked on the raw bytes before
 * they are parsed; a refusal logs the delivery id and event name, never the body.
 * A verified delivery is handed to `accept` (the durable inbox) and answered 202
 * at once: the work happens later, in the worker, so GitHub never waits for it.
 *
 * Returns a request handler (true: handled) and a `checkContinue` handler: a
 * client that sends `Expect: 100-continue` with a body past the limit gets its 413
 * before it sends a byte of it.
 */
export function webhookEndpoint(options: WebhookEndpointOptions): {
  handle: (request: http.IncomingMessage, response: http.ServerResponse) => Promise<boolean>;
  checkContinue: (request: http.IncomingMessage, response: http.ServerResponse) => Promise<boolean>;
} {
  const webhookPath = options.path ?? '/api/github/webhooks';
  const limit = options.limitBytes ?? WEBHOOK_BODY_LIMIT;
  const isOurs = (request: http.IncomingMessage) => new URL(request.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '') === webhookPath;
  const announcedTooLarge = (request: http.IncomingMessage) => Number(request.headers['content-length'] ?? 0) > limit;

  const handle = async (request: http.IncomingMessage, response: http.ServerResponse): Promise<boolean> => {
    if (!isOurs(request)) return false;
    if (request.method !== 'POST') return answer(response, 405, 'webhooks are POSTed'), true;
    const id = header(request, 'x-github-delivery');
    const name = header(request, 'x-github-event');
    const where = { delivery: id, event: name };
    if (announcedTooLarge(request)) return refuseTooLarge(request, response, options.log, where, limit), true;
    if (!id || !name) return answer(response, 400, 'X-GitHub-Delivery and X-GitHub-Event are required'), true;
    const body = await readBounded(request, limit);
    if (body === 'too-large') return refuseTooLarge(request, response, options.log, where, limit), true;
    if (body === 'aborted') return true;
    if (!verifySignature(body, header(request, 'x-hub-signature-256'), options.secret)) {
      options.log.warn(where, 'webhook refused: missing or wrong signature (body not kept)');
      return answer(response, 400, 'signature does not match the body and the webhook secret'), true;
    }
    let payload: unknown;
    try {
      payload = JSON.parse(Buffer.from(body).toString('utf8'));
    } catch {
      return answer(response, 400, 'the body is not JSON'), true;
    }
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return answer(response, 400, 'the body is not a JSON object'), true;
    await options.accept({ id, name, payload: payload as Record<string, unknown> });
    return answer(response, 202, 'accepted'), true;
  };

  const checkContinue = async (request: http.IncomingMessage, response: http.ServerResponse): Promise<boolean> => {
    if (isOurs(request) && announcedTooLarge(request)) {
      refuseTooLarge(request, response, options.log, { delivery: header(request, 'x-github-delivery'), event: header(request, 'x-github-event') }, limit);
      return true;
    }
    response.writeContinue();
    return handle(request, response);
  };

  return { handle, checkContinue };
}

function header(request: http.IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function answer(response: http.ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(`${text}\n`);
}

/**
 * 413, and the connection closed once the answer is out: the body is never read
 * whole. (A client that did not ask `Expect: 100-continue` may still be sending;
 * it sees the 413 or, if it keeps writing after the close, a reset.)
 */
function refuseTooLarge(request: http.IncomingMessage, response: http.ServerResponse, log: EndpointLog, where: object, limit: number): void {
  log.warn(where, `webhook refused: body over ${limit} bytes (not read)`);
  response.writeHead(413, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' }).end(`the body is over ${limit} bytes\n`, () => request.destroy());
}

/** The request body, read only up to `limit` bytes. */
function readBounded(request: http.IncomingMessage, limit: number): Promise<Uint8Array | 'too-large' | 'aborted'> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (result: Uint8Array | 'too-large' | 'aborted') => {
      if (done) return;
      done = true;
      request.removeAllListeners('data');
      resolve(result);
    };
    request.on('data', (part: Buffer) => {
      size += part.length;
      if (size > limit) {
        request.pause();
        return finish('too-large');
      }
      parts.push(part);
    });
    request.on('end', () => finish(Buffer.concat(parts)));
    request.on('error', () => finish('aborted'));
    request.on('close', () => finish('aborted'));
  });
}
