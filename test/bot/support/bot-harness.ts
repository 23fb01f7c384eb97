import crypto from 'node:crypto';
import fs from 'node:fs';
import { Probot, ProbotOctokit } from 'probot';
import { deliveryWorkerOf, dgitBot } from '../../../bot/app.js';
import type { BotModule } from '../../../bot/bot-module.js';
import { tempDir } from '../../support/cli.js';
import { GitHttpServer, type GitHttpServerOptions } from '../../support/git-http-server.js';
import type { DataRepository } from './data-repository.js';
import { GitHubStandIn, type StandInRepository } from './github-stand-in.js';

export const APP_ID = 31_337;
export const WEBHOOK_SECRET = 'a webhook secret for the tests';
/** What the stand-in hands out: a token that may push, and one that may only read (`contents: read`). */
export const WRITE_TOKEN = 'ghs_installationtokenthatmaypush00000000';
export const READ_TOKEN = 'ghs_installationtokenthatmayonlyread0000';

let keys: { privateKey: string; publicKey: crypto.KeyObject } | undefined;

/**
 * A key pair for the app, as GitHub hands out (the stand-in verifies the app's JWTs with the public
 * half). One per test process: making a 2,048-bit RSA key costs 0.1-0.5 s, and every harness is a
 * stand-in of its own, so sharing the key lets no test pass that should fail.
 */
export function appKeys(): { privateKey: string; publicKey: crypto.KeyObject } {
  if (keys === undefined) {
    const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    keys = { privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicKey };
  }
  return keys;
}

/**
 * The bot as GitHub would run it, with no network: probot (the real one, app
 * authentication included) talks to the GitHub stand-in on 127.0.0.1, and the
 * bot clones and fetches data repositories for real over git's smart HTTP from
 * `git http-backend`, which accepts only the installation token.
 */
export class BotHarness {
  private deliveries = 0;

  private constructor(
    readonly github: GitHubStandIn,
    readonly git: GitHttpServer,
    readonly probot: Probot,
    readonly dataDir: string,
    readonly privateKey: string,
  ) {}

  static async start(options: { modules?: BotModule[]; beforeGitRequest?: GitHttpServerOptions['beforeRequest'] } = {}): Promise<BotHarness> {
    const keys = appKeys();
    const github = await GitHubStandIn.start({ id: APP_ID, slug: 'dgit-test', publicKey: keys.publicKey, writeToken: WRITE_TOKEN, readToken: READ_TOKEN });
    const git = await GitHttpServer.start({ token: WRITE_TOKEN, readOnlyToken: READ_TOKEN, beforeRequest: options.beforeGitRequest });
    const dataDir = tempDir('dgit-bot-home-');
    const harness = new BotHarness(github, git, BotHarness.probot(github, keys.privateKey), dataDir, keys.privateKey);
    await harness.probot.load(dgitBot({ dataDir, modules: options.modules ?? [] }));
    return harness;
  }

  /**
   * A probot of the app, with its real Octokit pointed at the stand-in. Octokit's
   * throttling (one write a second, GitHub's advice against secondary rate limits)
   * is off: the stand-in has no rate limit, and the tests would mostly wait.
   */
  static probot(github: GitHubStandIn, privateKey: string): Probot {
    // A function, so it applies after probot's own defaults (which would win over an object).
    const Octokit = ProbotOctokit.defaults((options: Record<string, unknown>) => ({ ...options, throttle: { ...(options['throttle'] as object), enabled: false } })) as typeof ProbotOctokit;
    return new Probot({ appId: APP_ID, privateKey, secret: WEBHOOK_SECRET, baseUrl: github.url, logLevel: (process.env.BOT_TEST_LOG_LEVEL as 'warn' | undefined) ?? 'fatal', Octokit });
  }

  /** Serve a data repository as `owner/name` on the git server and announce it to the stand-in. */
  serve(data: DataRepository, owner = 'octo-org', name = 'flights', id = 1296269): StandInRepository {
    const gitPath = this.git.serveCopyOf(data.dir, `${owner}/${name}.git`);
    return this.github.addRepository({ id, owner, name, defaultBranch: 'main', gitPath, cloneUrl: this.git.url(`${owner}/${name}.git`) });
  }

  /**
   * Deliver an event as GitHub would (already verified: see the signature tests for
   * the HTTP path), and wait until the bot's worker has handled it (it is answered
   * at once and kept in the inbox); a delivery whose handlers failed rejects.
   */
  async deliver(name: string, payload: Record<string, unknown>, id = `delivery-${++this.deliveries}-${crypto.randomUUID()}`): Promise<string> {
    await this.probot.receive({ id, name, payload } as never);
    await this.idle();
    const outcome = deliveryWorkerOf(this.probot)?.resultOf(id);
    if (outcome?.result === 'failed') throw new Error(outcome.error);
    return id;
  }

  /** Wait until the bot's worker has nothing to do. */
  async idle(): Promise<void> {
    await deliveryWorkerOf(this.probot)?.idle();
  }

  /** The bot restarted: a new probot on the same data folder. */
  async restart(modules: BotModule[] = []): Promise<void> {
    (this as { probot: Probot }).probot = BotHarness.probot(this.github, this.privateKey);
    await this.probot.load(dgitBot({ dataDir: this.dataDir, modules }));
  }

  async close(): Promise<void> {
    await this.github.close();
    await this.git.close();
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}
