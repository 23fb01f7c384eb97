import crypto from 'node:crypto';

/** probot's well-known development secret (`defaultWebhookSecret`), used when WEBHOOK_SECRET is unset: anyone can sign with it. */
export const PROBOT_DEVELOPMENT_SECRET = 'development';

/** The webhook secret is missing, empty or public: the app must not start. */
export class WebhookSecretError extends Error {
  constructor(detail: string) {
    super(`refusing to start: ${detail}; set WEBHOOK_SECRET to the secret configured for the GitHub App's webhook (see bot/README.md)`);
    this.name = 'WebhookSecretError';
  }
}

/** Why `secret` cannot verify webhooks, or undefined when it can. */
export function webhookSecretProblem(secret: string | undefined): string | undefined {
  if (secret === undefined || secret.trim() === '') return 'no webhook secret is set';
  if (secret === PROBOT_DEVELOPMENT_SECRET) return `the webhook secret is probot's public development secret ("${PROBOT_DEVELOPMENT_SECRET}")`;
  return undefined;
}

/** `sha256=<hex>` of `body`, as GitHub signs a delivery (`X-Hub-Signature-256`). */
export function signatureOf(body: Uint8Array | string, secret: string): string {
  return `sha256=${crypto.createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Whether `signature` is GitHub's signature of exactly `body` with `secret` (compared in constant time). */
export function verifySignature(body: Uint8Array, signature: string | undefined, secret: string): boolean {
  if (signature === undefined || !/^sha256=[0-9a-f]{64}$/.test(signature)) return false;
  return crypto.timingSafeEqual(Buffer.from(signatureOf(body, secret)), Buffer.from(signature));
}

/**
 * Refuse an app whose webhooks verify with the development secret or an empty
 * one: probot falls back to "development" when WEBHOOK_SECRET is unset (so
 * `probot run` without it would accept anything signed with a public secret).
 * The secret itself is private to probot; what it signs is not.
 */
export async function refusePublicSecret(sign: (payload: string) => Promise<string>): Promise<void> {
  const probe = 'dgit: which secret signs this?';
  const signed = await sign(probe);
  if (signed === signatureOf(probe, PROBOT_DEVELOPMENT_SECRET)) throw new WebhookSecretError(webhookSecretProblem(PROBOT_DEVELOPMENT_SECRET)!);
  if (signed === signatureOf(probe, '')) throw new WebhookSecretError(webhookSecretProblem('')!);
}
