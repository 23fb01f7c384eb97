import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createNodeMiddleware } from 'probot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryWorkerOf, dgitBot } from '../../bot/app.js';
import { ROOT, tempDir } from '../support/cli.js';
import { BOT_CLI } from './support/bot-cli.js';
import { appKeys, BotHarness, WEBHOOK_SECRET } from './support/bot-harness.js';
import { flights, flightsRepository } from './support/data-repository.js';
import type { StandInRepository } from './support/github-stand-in.js';
import { pushPayload } from './support/webhook-payloads.js';

/**
 * Webhooks reach the bot over HTTP through probot's own middleware, which
 * verifies GitHub's signature (`X-Hub-Signature-256`, HMAC-SHA256 of the body with
 * the webhook secret): a delivery with a bad or missing signature is refused
 * before any handler runs. Proven on the middleware the app runs in, on `dgit bot`
 * and on `probot run ./dist/bot/index.js`.
 */

function sign(body: string, secret = WEBHOOK_SECRET): string {
  return `sha256=${crypto.createHmac('sha256', secret).update(body).digest('hex')}`;
}

async function post(url: string, event: string, body: string, signature: string | undefined): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': crypto.randomUUID() };
  if (signature !== undefined) headers['x-hub-signature-256'] = signature;
  const response = await fetch(url, { method: 'POST', headers, body });
  return { status: response.status, text: await response.text() };
}

describe('the webhook endpoint of the app (probot middleware)', () => {
  let harness: BotHarness;
  let repository: StandInRepository;
  let server: http.Server;
  let url: string;
  let payload: string;
  let probot: ReturnType<typeof BotHarness.probot>;

  beforeAll(async () => {
    harness = await BotHarness.start();
    const data = await flightsRepository();
    await data.switch('heal/delay-nulls', { create: true });
    await data.load('flights', flights(60).filter((r) => r.id === 4).map((r) => ({ ...r, delay: 0 })), { mode: 'upsert' });
    const head = await data.commit('heal: one delay');
    await data.switch('main');
    repository = harness.serve(data);
    payload = JSON.stringify(pushPayload(harness.github, repository, { branch: 'heal/delay-nulls', after: head, message: 'heal: one delay' }));
    probot = BotHarness.probot(harness.github, harness.privateKey);
    const middleware = await createNodeMiddleware(dgitBot({ dataDir: harness.dataDir, modules: [] }), { probot });
    server = http.createServer((request, response) =>
      void middleware(request, response, () => {
        response.writeHead(404).end();
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/github/webhooks`;
  });

  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await harness?.close();
  });

  it('refuses a delivery signed with another secret, and one with no signature: no handler runs', async () => {
    const forged = await post(url, 'push', payload, sign(payload, 'not the secret'));
    expect(forged.status).toBe(400);
    const unsigned = await post(url, 'push', payload, undefined);
    expect(unsigned.status).toBe(400);
    const tampered = await post(url, 'push', payload.replace('heal: one delay', 'heal: two delays'), sign(payload));
    expect(tampered.status).toBe(400);
    expect(harness.github.requests).toEqual([]);
    expect(harness.github.pulls).toEqual([]);
  });

  it('accepts a correctly signed delivery and handles it', async () => {
    const accepted = await post(url, 'push', payload, sign(payload));
    expect(accepted.status).toBe(200); // probot's middleware answers once the delivery is in the inbox
    await deliveryWorkerOf(probot)!.idle();
    expect(harness.github.violations).toEqual([]);
    expect(harness.github.pulls).toHaveLength(1);
  });
});

/** A free port on 127.0.0.1. */
async function freePort(): Promise<number> {
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

async function waitForPing(base: string, child: ChildProcess, output: () => string): Promise<void> {
  for (let attempt = 0; attempt < 150; attempt++) {
    if (child.exitCode !== null) throw new Error(`the server exited ${child.exitCode}: ${output()}`);
    try {
      if ((await fetch(`${base}/ping`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the server did not start: ${output()}`);
}

describe.each([
  // dgit's endpoint answers 202 (accepted, handled later); probot's middleware 200 once the delivery is kept.
  ['dgit bot', [BOT_CLI, 'bot'], 202],
  ['probot run ./dist/bot/index.js', [path.join(ROOT, 'node_modules/probot/bin/probot.js'), 'run', './dist/bot/index.js'], 200],
])('%s', (_name, args, accepted) => {
  let child: ChildProcess;
  let base: string;
  let output = '';

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: tempDir('dgit-bot-home-'),
        APP_ID: '31337',
        PRIVATE_KEY: appKeys().privateKey,
        WEBHOOK_SECRET,
        PORT: String(port),
        HOST: '127.0.0.1',
        DGIT_BOT_DATA: tempDir('dgit-bot-data-'),
        LOG_LEVEL: 'warn',
        NODE_ENV: 'production',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitForPing(base, child, () => output);
  });

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('verifies signatures: a forged delivery is refused, a signed ping accepted', async () => {
    const ping = JSON.stringify({ zen: 'Design for failure.', hook_id: 1, hook: { type: 'App', id: 1, events: ['push'] } });
    expect((await post(`${base}/api/github/webhooks`, 'ping', ping, sign(ping, 'forged'))).status).toBe(400);
    expect((await post(`${base}/api/github/webhooks`, 'ping', ping, sign(ping))).status).toBe(accepted);
  });
});

describe('dgit bot without its settings', () => {
  it('refuses to start and names what is missing (never probot\'s interactive setup)', async () => {
    const child = spawn(process.execPath, [BOT_CLI, 'bot'], { cwd: tempDir(), env: { PATH: process.env.PATH, HOME: tempDir() }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toContain('dgit: error: the GitHub App is not configured: set APP_ID');
    expect(stderr).toContain('WEBHOOK_SECRET');
  });
});
