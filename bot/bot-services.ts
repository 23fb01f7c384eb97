import type { Context, Probot } from 'probot';
import { DeliveryLog } from './delivery-log.js';
import { RepositoryClones, type RepositoryTarget } from './git/repository-clones.js';
import type { RepositoryCoordinates, WriterIdentity } from './github/github-client.js';
import type { RepositoryPayload } from './events/payloads.js';
import type { EventHandler } from './bot-module.js';
import type { BotSettings } from './settings.js';

/** What every handler shares: the local clones, the delivery log, who the bot is. */
export class BotServices {
  readonly clones: RepositoryClones;
  readonly deliveries: DeliveryLog;
  private identityPromise: Promise<WriterIdentity> | undefined;
  private readonly gitTokens = new Map<string, { token: string; expiresAt: number }>();
  /**
   * With a durable inbox: which payloads the worker is handing out now. A handler
   * runs only for those; the same event arriving as a webhook is kept for later.
   */
  dispatchGate: { isDispatched(payload: unknown): boolean } | undefined;

  constructor(
    readonly settings: BotSettings,
    private readonly app: Probot,
  ) {
    this.clones = new RepositoryClones(settings.dataDir);
    this.deliveries = new DeliveryLog(settings.dataDir);
  }

  /**
   * `handle` as a probot listener that runs once per delivery: a redelivered
   * event (same delivery id), even after a restart, does nothing.
   */
  handler(name: string, handle: EventHandler): (context: Context) => Promise<void> {
    return async (context) => {
      if (this.dispatchGate && !this.dispatchGate.isDispatched(context.payload)) return;
      const ran = await this.deliveries.once(context.id, name, () => handle(context, this));
      if (!ran) context.log.info({ delivery: context.id, handler: name }, 'delivery already handled; skipped');
    };
  }

  /**
   * A token for git on one repository. As an app: an installation token scoped
   * to that repository with `contents: read` only, or `write` for a push (whatever
   * leaks from a git transfer can do nothing else), made with the app's JWT and
   * kept until 10 minutes before it expires. With a plain token (Actions): that token.
   */
  async gitToken(context: Context, repositoryId: number, access: 'read' | 'write' = 'read'): Promise<string> {
    const installationId = (context.payload as { installation?: { id?: number } }).installation?.id;
    const appOctokit = await this.app.auth();
    const auth = (await appOctokit.auth({ type: 'app' })) as { type?: string; token?: string };
    if (auth.type !== 'app' || installationId === undefined) {
      const token = ((await context.octokit.auth({ type: 'installation' })) as { token?: string }).token;
      if (!token) throw new Error('no token to read the repository with');
      return token;
    }
    const key = `${installationId}/${repositoryId}/${access}`;
    const cached = this.gitTokens.get(key);
    if (cached && cached.expiresAt - 10 * 60_000 > Date.now()) return cached.token;
    const { data } = await appOctokit.rest.apps.createInstallationAccessToken({
      installation_id: installationId,
      repository_ids: [repositoryId],
      permissions: { contents: access },
    });
    this.gitTokens.set(key, { token: data.token, expiresAt: Date.parse(data.expires_at) });
    return data.token;
  }

  /**
   * Who the bot writes as: the app's `<slug>[bot]` (asked once, with the app's
   * JWT), `github-actions[bot]` inside Actions, else unknown (bots' comments count).
   */
  identity(): Promise<WriterIdentity> {
    this.identityPromise ??= (async () => {
      try {
        const octokit = await this.app.auth();
        // A token (Actions) cannot ask who the app is.
        if (((await octokit.auth({ type: 'app' })) as { type?: string }).type === 'app') {
          const { data } = await octokit.rest.apps.getAuthenticated();
          if (data?.slug) return { login: `${data.slug}[bot]` };
        }
      } catch {
        // Unknown: only comments by bots count as the bot's.
      }
      return process.env.GITHUB_ACTIONS === 'true' ? { login: 'github-actions[bot]' } : {};
    })();
    return this.identityPromise;
  }
}


export function repositoryTarget(repository: RepositoryPayload): RepositoryTarget {
  return { id: repository.id, fullName: repository.full_name, cloneUrl: repository.clone_url };
}

export function coordinates(repository: RepositoryPayload): RepositoryCoordinates {
  return { owner: repository.owner.login, repo: repository.name };
}
