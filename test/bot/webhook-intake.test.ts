import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Probot } from 'probot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryWorkerOf, dgitBot } from '../../bot/app.js';
import { webhookEndpoint } from '../../bot/intake/webhook-endpoint.js';
import { ROOT, tempDir } from '../support/cli.js';
import { APP_ID, appKeys, BotHarness, WEBHOOK_SECRET } from './support/bot-harness.js';
import { flights, flightsRepository } from './support/data-repository.js';
import type { StandInRepository } from './support/github-stand-in.js';
import { pushPayload } from './support/webhook-payloads.js';

/**
 * How a webhook gets in: verified before anything is kept or logged, refused past
 * a size limit, kept in a durable inbox and answered before any work, the work
 * done by the worker loop (after a restart too), with read-only git tokens unless
 * something is pushed; and no entry of the app runs on probot's public secret.
 * Payloads are real ones (@octokit/webhooks-examples) adapted to the stand-in.
 */

/** A body limit small enough to test, large enough for the push payload. */
const LIMIT = 64 * 1024;

function sign(body: string, secret = WEBHOOK_SECRET): string {
  return `sha256=${crypto.createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** The app behind dgit's webhook endpoint, on a data folder, with every endpoint log line kept. */
class Instance {
  readonly logged: string[] = [];
  private constructor(
    readonly probot: Probot,
    readonly server: http.Server,
  ) {}

  static async start(harness: BotHarness, dataDir: string): Promise<Instance> {
    const probot = BotHarness.probot(harness.github, harness.privateKey);
    await probot.load(dgitBot({ dataDir, modules: [] }));
    let instance: Instance | undefined;
    const endpoint = webhookEndpoint({
      secret: WEBHOOK_SECRET,
      limitBytes: LIMIT,
      log: { warn: (fields, message) => void instance!.logged.push(JSON.stringify(fields) + message) },
      accept: (delivery) => probot.receive(delivery as never),
    });
    const server = http.createServer((request, response) => void endpoint.handle(request, response));
    server.on('checkContinue', (request: http.IncomingMessage, response: http.ServerResponse) => void endpoint.checkContinue(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    instance = new Instance(probot, server);
    return instance;
  }

  get worker() {
    return deliveryWorkerOf(this.probot)!;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async post(body: string, headers: Record<string, string>): Promise<number> {
    const response = await fetch(`http://127.0.0.1:${this.port}/api/github/webhooks`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    await response.text();
    return response.status;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.worker.pause();
  }
}

/** Send a body with `Expect: 100-continue`: the body goes out only if the server says continue. */
function postExpectingContinue(port: number, body: Buffer): Promise<{ status: number; sentBody: boolean }> {
  return new Promise((resolve, reject) => {
    let sentBody = false;
    const request = http.request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/api/github/webhooks',
      headers: { 'content-type': 'application/json', 'content-length': body.length, expect: '100-continue', 'x-github-event': 'push', 'x-github-delivery': crypto.randomUUID(), 'x-hub-signature-256': sign(body.toString()) },
    });
    request.on('continue', () => {
      sentBody = true;
      request.end(body);
    });
    request.on('response', (response) => {
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode ?? 0, sentBody }));
    });
    request.on('error', reject);
    request.flushHeaders();
  });
}

describe('the webhook intake', () => {
  let harness: BotHarness;
  let repository: StandInRepository;
  let payload: string;
  const dataDir = tempDir('dgit-bot-home-');
  const inbox = () => fs.readdirSync(path.join(dataDir, 'inbox')).filter((name) => name.endsWith('.json'));

  beforeAll(async () => {
    harness = await BotHarness.start();
    const data = await flightsRepository();
    await data.switch('heal/delay-nulls', { create: true });
    await data.load('flights', flights(60).filter((r) => r.id === 4).map((r) => ({ ...r, delay: 0 })), { mode: 'upsert' });
    const head = await data.commit('heal: one delay');
    await data.switch('main');
    repository = harness.serve(data);
    payload = JSON.stringify(pushPayload(harness.github, repository, { branch: 'heal/delay-nulls', after: head, message: 'heal: one delay' }));
  });

  afterAll(async () => {
    await harness?.close();
  });

  it('refuses an unsigned, a forged and an oversize body: nothing kept, nothing of the body logged, no work', async () => {
    const instance = await Instance.start(harness, dataDir);
    try {
      const secretWords = 'a body nobody signed: do-not-log-me';
      const unsigned = JSON.stringify({ ...JSON.parse(payload), note: secretWords });
      const headers = { 'x-github-event': 'push', 'x-github-delivery': crypto.randomUUID() };
      expect(await instance.post(unsigned, headers)).toBe(400);
      expect(await instance.post(unsigned, { ...headers, 'x-hub-signature-256': sign(unsigned, 'not the secret') })).toBe(400);
      expect(await instance.post(unsigned, { ...headers, 'x-hub-signature-256': sign(unsigned, 'development') })).toBe(400);
      const oversize = await postExpectingContinue(instance.port, Buffer.alloc(LIMIT * 3, 'x'));
      expect(oversize).toEqual({ status: 413, sentBody: false });
      await instance.worker.idle();
      expect(inbox()).toEqual([]);
      expect(harness.github.requests).toEqual([]);
      expect(instance.logged).toHaveLength(4);
      for (const line of instance.logged) expect(line).not.toContain('do-not-log-me');
    } finally {
      await instance.stop();
    }
  });

  it('answers a signed delivery before any work, keeps it durably, and a restarted bot does the work', async () => {
    const first = await Instance.start(harness, dataDir);
    await first.worker.pause(); // the process stops working right after answering (a crash or a restart)
    const id = crypto.randomUUID();
    expect(await first.post(payload, { 'x-github-event': 'push', 'x-github-delivery': id, 'x-hub-signature-256': sign(payload) })).toBe(202);
    expect(inbox()).toHaveLength(1);
    expect(harness.github.requests).toEqual([]);
    expect(harness.github.pulls).toEqual([]);
    await first.stop();

    const second = await Instance.start(harness, dataDir);
    try {
      await second.worker.idle();
      expect(second.worker.resultOf(id)).toEqual({ result: 'handled' });
      expect(inbox()).toEqual([]);
      expect(harness.github.violations).toEqual([]);
      expect(harness.github.pulls).toHaveLength(1);
      // Opening a pull request pushes nothing: git got a read-only token, and no token that may push was asked for.
      // (Tokens asked without permissions are probot's own, for the REST calls.)
      const contents = harness.github.requests
        .filter((r) => r.operationId === 'apps/create-installation-access-token')
        .map((r) => (r.body as { permissions?: { contents?: string } } | undefined)?.permissions?.contents);
      expect(contents).toContain('read');
      expect(contents).not.toContain('write');
    } finally {
      await second.stop();
    }
  });
});

describe('the webhook secret', () => {
  const { privateKey } = appKeys();

  it("refuses to load the app on probot's development secret, or with none (probot falls back to it)", async () => {
    for (const secret of ['development', undefined]) {
      const probot = new Probot({ appId: APP_ID, privateKey, secret, logLevel: 'fatal' });
      await expect(probot.load(dgitBot({ dataDir: tempDir('dgit-bot-home-'), modules: [] }))).rejects.toThrow(/refusing to start: .*(development|no webhook secret)/);
    }
  });

  it('probot run ./dist/bot/index.js without WEBHOOK_SECRET does not start', async () => {
    const child = spawn(process.execPath, [path.join(ROOT, 'node_modules/probot/bin/probot.js'), 'run', './dist/bot/index.js'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: tempDir('dgit-bot-home-'), APP_ID: '31337', PRIVATE_KEY: privateKey, PORT: '0', HOST: '127.0.0.1', DGIT_BOT_DATA: tempDir('dgit-bot-data-'), LOG_LEVEL: 'error', NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).not.toBe(0);
    expect(output).toContain('refusing to start');
  });
});
