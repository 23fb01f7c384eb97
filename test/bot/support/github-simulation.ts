import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Probot } from 'probot';
import { deliveryWorkerOf, dgitBot } from '../../../bot/app.js';
import { webhookEndpoint } from '../../../bot/intake/webhook-endpoint.js';
import type { BotModule } from '../../../bot/bot-module.js';
import { tempDir } from '../../support/cli.js';
import { BotHarness, WEBHOOK_SECRET } from './bot-harness.js';
import { branchRefs, type StandInEvent, type StandInRepository } from './github-stand-in.js';
import { issueCommentPayload, labelPayload, pullRequestPayload, pushPayload } from './webhook-payloads.js';

/**
 * GitHub's side of the loop, without GitHub: the REST stand-in and the git server
 * of a BotHarness, plus what GitHub does on its own. It watches the git server's
 * branches and owes a `push` webhook for every move; the stand-in owes
 * `pull_request.opened`, `labeled`, `synchronize`, `closed` (merged) and
 * `issue_comment.created` for what happened through the API or in git (with
 * `followGit`). `flush` delivers what is owed, signed with the webhook secret
 * (`X-Hub-Signature-256`), over HTTP to the app, until nothing more is owed.
 * Every delivery is kept, so a test can redeliver one as GitHub's "Redeliver" does.
 */

export interface Delivery {
  id: string;
  name: string;
  body: string;
  /** The app's HTTP answer: 202 kept for the worker, 400 refused (signature). */
  status: number;
  /** The answer's text. */
  answer?: string;
  /** What the worker made of it afterwards (the webhook was answered before). */
  handled?: 'handled' | 'failed';
  /** The error, when its handlers failed. */
  error?: string;
}

/** The app behind an HTTP endpoint on 127.0.0.1 that verifies signatures, as `dgit bot` runs it. */
export class BotEndpoint {
  private constructor(
    readonly probot: Probot,
    private readonly server: http.Server,
    readonly dataDir: string,
  ) {}

  static async start(harness: BotHarness, dataDir: string, modules: BotModule[]): Promise<BotEndpoint> {
    const probot = BotHarness.probot(harness.github, harness.privateKey);
    await probot.load(dgitBot({ dataDir, modules }));
    // dgit's own endpoint, as `dgit bot` serves it: verified, kept in the inbox, answered 202 before any work.
    const endpoint = webhookEndpoint({ secret: WEBHOOK_SECRET, log: { warn: () => undefined }, accept: (delivery) => probot.receive(delivery as never) });
    const server = http.createServer((request, response) => {
      void endpoint.handle(request, response).then((handled) => void (handled || response.writeHead(404).end()));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new BotEndpoint(probot, server, dataDir);
  }

  /** Wait until this instance's worker has handled everything it accepted. */
  async idle(): Promise<void> {
    await deliveryWorkerOf(this.probot)?.idle();
  }

  /** What the worker made of a delivery. */
  resultOf(id: string): { result: 'handled' | 'failed'; error?: string } | undefined {
    return deliveryWorkerOf(this.probot)?.resultOf(id);
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/github/webhooks`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    // A stopped process handles nothing more; what it accepted waits in its inbox.
    await deliveryWorkerOf(this.probot)?.pause();
  }
}

export class GitHubSimulation {
  readonly deliveries: Delivery[] = [];
  /** The app's instances: deliveries go to one of them (the first, unless spread). */
  readonly bots: BotEndpoint[];
  private readonly branches = new Map<StandInRepository, Map<string, string>>();
  private readonly dataDirs: string[] = [];
  private turn = 0;

  private constructor(
    readonly harness: BotHarness,
    private readonly modules: BotModule[],
    bot: BotEndpoint,
  ) {
    this.bots = [bot];
  }

  get bot(): BotEndpoint {
    return this.bots[0]!;
  }

  /** A second instance of the app, on a data folder of its own, behind the same webhooks (a load balancer). */
  async addInstance(): Promise<void> {
    const dataDir = tempDir('dgit-bot-home-');
    this.dataDirs.push(dataDir);
    this.bots.push(await BotEndpoint.start(this.harness, dataDir, this.modules));
  }

  /** Simulate GitHub around a harness; the app runs with `modules` on a data folder of its own. */
  static async start(harness: BotHarness, modules: BotModule[]): Promise<GitHubSimulation> {
    harness.github.followGit = true;
    const dataDir = tempDir('dgit-bot-home-');
    const simulation = new GitHubSimulation(harness, modules, await BotEndpoint.start(harness, dataDir, modules));
    simulation.dataDirs.push(dataDir);
    for (const repository of harness.github.repositories) simulation.branches.set(repository, branchesOf(repository));
    return simulation;
  }

  /** Watch a repository served after the simulation started. */
  watch(repository: StandInRepository): void {
    this.branches.set(repository, branchesOf(repository));
  }

  /** Stop an instance and start it again: on the same data folder, or on an empty one (a new machine). */
  async restartBot(options: { wipe: boolean; instance?: number }): Promise<void> {
    const index = options.instance ?? 0;
    const old = this.bots[index]!;
    await old.close();
    const dataDir = options.wipe ? tempDir('dgit-bot-home-') : old.dataDir;
    if (options.wipe) this.dataDirs.push(dataDir);
    this.bots[index] = await BotEndpoint.start(this.harness, dataDir, this.modules);
  }

  /** Sign and send one webhook to an instance of the app (the first by default); returns the delivery. */
  async send(name: string, payload: Record<string, unknown>, id: string = crypto.randomUUID(), bot: BotEndpoint = this.bot): Promise<Delivery> {
    const body = JSON.stringify(payload);
    const delivery: Delivery = { id, name, body, status: 0 };
    this.deliveries.push(delivery);
    Object.assign(delivery, await this.post(delivery, bot));
    return delivery;
  }

  /** GitHub's "Redeliver": the same delivery id and body, signed again (to any instance). */
  async redeliver(delivery: Delivery, bot: BotEndpoint = this.bot): Promise<number> {
    return (await this.post(delivery, bot)).status;
  }

  /**
   * Deliver every webhook GitHub owes, and those they cause, until none is owed:
   * one at a time to the first instance, or (`spread`) all owed at once, each to
   * the next instance in turn, as GitHub does when deliveries overlap.
   */
  async flush(options: { spread?: boolean; limit?: number } = {}): Promise<Delivery[]> {
    const sent: Delivery[] = [];
    for (let round = 0; round < (options.limit ?? 500); round++) {
      const owed = this.owed();
      if (owed.length === 0) return sent;
      if (options.spread) sent.push(...(await Promise.all(owed.map(([name, payload]) => this.send(name, payload, undefined, this.bots[this.turn++ % this.bots.length])))));
      else for (const [name, payload] of owed) sent.push(await this.send(name, payload));
    }
    throw new Error('webhooks kept coming: a loop between the app and GitHub?');
  }

  async close(): Promise<void> {
    for (const bot of this.bots) await bot.close();
    for (const dir of this.dataDirs) fs.rmSync(dir, { recursive: true, force: true });
  }

  /** Post a delivery, then wait for the instance's worker to handle it (the answer came before). */
  private async post(delivery: Delivery, bot: BotEndpoint): Promise<Pick<Delivery, 'status' | 'answer' | 'handled' | 'error'>> {
    const answered = await this.postOnly(delivery, bot);
    await bot.idle();
    const outcome = bot.resultOf(delivery.id);
    if (outcome?.error && process.env.BOT_TEST_LOG_LEVEL) console.error(outcome.error);
    return { ...answered, handled: outcome?.result, error: outcome?.error };
  }

  private async postOnly(delivery: Delivery, bot: BotEndpoint): Promise<{ status: number; answer: string }> {
    const signature = `sha256=${crypto.createHmac('sha256', WEBHOOK_SECRET).update(delivery.body).digest('hex')}`;
    const response = await fetch(bot.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': delivery.name, 'x-github-delivery': delivery.id, 'x-hub-signature-256': signature },
      body: delivery.body,
    });
    return { status: response.status, answer: await response.text() };
  }

  /** Webhooks owed now: pushes seen on the git server, then what the stand-in owes. */
  private owed(): Array<[string, Record<string, unknown>]> {
    const github = this.harness.github;
    const owed: Array<[string, Record<string, unknown>]> = [];
    for (const [repository, before] of this.branches) {
      const now = branchesOf(repository);
      for (const [branch, after] of now) {
        if (before.get(branch) === after) continue;
        owed.push(['push', pushPayload(github, repository, { branch, before: before.get(branch), after, message: commitMessage(repository, after) })]);
      }
      this.branches.set(repository, now);
    }
    github.syncWithGit();
    for (const event of github.emitted.splice(0)) owed.push(payloadOf(this.harness, event));
    return owed;
  }
}

function payloadOf(harness: BotHarness, event: StandInEvent): [string, Record<string, unknown>] {
  const github = harness.github;
  if (event.name === 'issue_comment') {
    return ['issue_comment', issueCommentPayload(github, event.pull, { body: event.comment.body, login: event.comment.user.login, type: event.comment.user.type, id: event.comment.id })];
  }
  if (event.action === 'labeled' || event.action === 'unlabeled') return ['pull_request', labelPayload(github, event.action, event.pull, event.label, event.sender)];
  const extra: Record<string, unknown> = { sender: { login: event.sender.login, type: event.sender.type } };
  if (event.action === 'synchronize') Object.assign(extra, { before: event.before, after: event.pull.head.sha });
  const payload = pullRequestPayload(github, event.action, event.pull, extra);
  (payload['pull_request'] as Record<string, unknown>)['merged'] = event.pull.mergedAt !== null;
  return ['pull_request', payload];
}

function branchesOf(repository: StandInRepository): Map<string, string> {
  return branchRefs(repository.gitPath);
}

/** Commit messages read so far, by repository and commit: a commit never changes. */
const messages = new Map<string, string>();

function commitMessage(repository: StandInRepository, sha: string): string {
  const key = `${repository.gitPath} ${sha}`;
  let message = messages.get(key);
  if (message === undefined) {
    message = execFileSync('git', ['log', '-1', '--format=%B', sha], { cwd: repository.gitPath, encoding: 'utf8' }).trim();
    messages.set(key, message);
  }
  return message;
}
