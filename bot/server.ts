import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createProbot, type Probot } from 'probot';
import { dgitBot, deliveryWorkerOf } from './app.js';
import { webhookEndpoint } from './intake/webhook-endpoint.js';
import { webhookSecretProblem } from './intake/webhook-secret.js';
import { settingsFromEnvironment } from './settings.js';

export interface StartOptions {
  port?: number;
  host?: string;
  /** The data folder; default DGIT_BOT_DATA. */
  dataDir?: string;
  /** Where `.env` is read from; default the current folder. */
  cwd?: string;
}

/** The running `dgit bot`. */
export interface BotServer {
  probot: Probot;
  /** Where it listens, e.g. `http://127.0.0.1:3000`. */
  url: string;
  /** Stop listening, let the delivery being handled finish (the rest wait in the inbox for the next start). */
  stop(): Promise<void>;
}

/**
 * Start the app's web server for GitHub's webhooks, as `dgit bot` does. Settings
 * come from the environment or a `.env` file, as for `probot run`. Unlike `probot
 * run`, a missing APP_ID or private key is an error naming what is missing, never
 * probot's interactive setup, and the webhook secret must be set and not public.
 * Webhooks go through dgit's endpoint (bot/intake/webhook-endpoint.ts): size
 * limit, signature verified before the body is kept or logged, answered 202 as
 * soon as the delivery is in the durable inbox; `GET /ping` answers `PONG`.
 */
export async function startBot(options: StartOptions = {}): Promise<BotServer> {
  const envFile = path.join(options.cwd ?? process.cwd(), '.env');
  if (fs.existsSync(envFile)) process.loadEnvFile(envFile);
  const missing = missingSettings(process.env);
  if (missing.length > 0) throw new BotConfigurationError(missing);
  if (options.dataDir !== undefined) process.env.DGIT_BOT_DATA = path.resolve(options.dataDir);
  const probot = createProbot({ env: process.env });
  await probot.load(dgitBot(settingsFromEnvironment(process.env)));
  const endpoint = webhookEndpoint({
    secret: process.env.WEBHOOK_SECRET!,
    path: process.env.WEBHOOK_PATH,
    log: probot.log,
    // probot.receive: the app keeps the delivery in its inbox and returns (see dgitBot).
    accept: (delivery) => probot.receive(delivery as never),
  });
  const server = http.createServer((request, response) => {
    void serve(request, response, () => endpoint.handle(request, response));
  });
  server.on('checkContinue', (request: http.IncomingMessage, response: http.ServerResponse) => {
    void serve(request, response, () => endpoint.checkContinue(request, response));
  });
  const port = options.port ?? Number(process.env.PORT ?? 3000);
  const host = options.host ?? process.env.HOST ?? 'localhost';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as { port: number; address: string };
  probot.log.info(`dgit bot listening on http://${host}:${address.port}`);
  return {
    probot,
    url: `http://${host}:${address.port}`,
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await deliveryWorkerOf(probot)?.pause();
    },
  };
}

/** One request: the webhook endpoint, `/ping`, else 404; a failure is a 500 without details. */
async function serve(request: http.IncomingMessage, response: http.ServerResponse, webhook: () => Promise<boolean>): Promise<void> {
  try {
    if (await webhook()) return;
    if (request.method === 'GET' && request.url === '/ping') return void response.writeHead(200, { 'content-type': 'text/plain' }).end('PONG');
    response.writeHead(404).end();
  } catch {
    if (!response.headersSent) response.writeHead(500);
    response.end();
  }
}

/** The settings the app cannot start without, by environment variable. */
export function missingSettings(env: NodeJS.ProcessEnv): string[] {
  const missing: string[] = [];
  if (!env.APP_ID || !/^[0-9]+$/.test(env.APP_ID)) missing.push('APP_ID (the App ID, a number)');
  if (!env.PRIVATE_KEY && !env.PRIVATE_KEY_PATH) missing.push('PRIVATE_KEY or PRIVATE_KEY_PATH (the app\'s private key, PEM)');
  if (webhookSecretProblem(env.WEBHOOK_SECRET)) missing.push('WEBHOOK_SECRET (the secret GitHub signs webhooks with; not probot\'s public "development")');
  return missing;
}

/** The environment lacks what the app needs. */
export class BotConfigurationError extends Error {
  constructor(readonly missing: string[]) {
    super(`the GitHub App is not configured: set ${missing.join('; ')} (see bot/README.md)`);
    this.name = 'BotConfigurationError';
  }
}
