import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../support/cli.js';
import type { GitHubStandIn, PullRecord, StandInRepository } from './github-stand-in.js';

/**
 * Webhook payloads for the tests, each started from a real example of
 * `@octokit/webhooks-examples` (what GitHub sent for that event) and adapted:
 * the repository, the installation, the branches and commits of the test's data
 * repository. Fields the bot does not read stay as GitHub sent them.
 */

type Payload = Record<string, unknown>;

interface ExampleEvent {
  name: string;
  examples: Payload[];
}

const EXAMPLES = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules/@octokit/webhooks-examples/api.github.com/index.json'), 'utf8')) as ExampleEvent[];

/** A deep copy of the first real example of `event` that fits. */
export function example(event: string, fits: (payload: Payload) => boolean = () => true): Payload {
  const found = EXAMPLES.find((e) => e.name === event)?.examples.find(fits);
  if (!found) throw new Error(`no example of ${event} fits`);
  return structuredClone(found);
}

export const INSTALLATION_ID = 4242;

function repositoryFields(github: GitHubStandIn, repository: StandInRepository, base: Payload): Payload {
  return { ...(base as Payload), ...github.repositoryJson(repository), owner: { ...((base['owner'] as Payload) ?? {}), login: repository.owner, name: repository.owner } };
}

function adapt(github: GitHubStandIn, repository: StandInRepository, payload: Payload): Payload {
  payload['repository'] = repositoryFields(github, repository, (payload['repository'] as Payload) ?? {});
  payload['installation'] = { ...((payload['installation'] as Payload) ?? {}), id: INSTALLATION_ID };
  return payload;
}

/** `push` of a branch, from the real example of a push to `refs/heads/master`. */
export function pushPayload(github: GitHubStandIn, repository: StandInRepository, fields: { branch: string; before?: string; after: string; message: string }): Payload {
  const payload = example('push', (p) => String(p['ref']).startsWith('refs/heads/') && p['installation'] !== undefined);
  payload['ref'] = `refs/heads/${fields.branch}`;
  payload['before'] = fields.before ?? '0'.repeat(40);
  payload['after'] = fields.after;
  payload['created'] = fields.before === undefined;
  payload['deleted'] = false;
  payload['forced'] = false;
  const head = { ...((payload['head_commit'] as Payload) ?? {}), id: fields.after, tree_id: fields.after, message: fields.message };
  payload['head_commit'] = head;
  payload['commits'] = [head];
  return adapt(github, repository, payload);
}

/** `pull_request.<action>`, from the real example of that action (the pull request as the stand-in holds it). */
export function pullRequestPayload(github: GitHubStandIn, action: string, pull: PullRecord, extra: Payload = {}): Payload {
  const payload = example('pull_request', (p) => p['action'] === action);
  const current = github.pullJson(pull);
  const original = payload['pull_request'] as Payload;
  payload['pull_request'] = {
    ...original,
    ...current,
    head: { ...(original['head'] as Payload), ...(current['head'] as Payload), repo: repositoryFields(github, pull.head.repository, (original['head'] as Payload)['repo'] as Payload) },
    base: { ...(original['base'] as Payload), ...(current['base'] as Payload), repo: repositoryFields(github, pull.repository, (original['base'] as Payload)['repo'] as Payload) },
  };
  payload['number'] = pull.number;
  Object.assign(payload, extra);
  return adapt(github, pull.repository, payload);
}

/** `check_run.rerequested` of one of the bot's runs, from the real example. */
export function checkRunRerequestedPayload(github: GitHubStandIn, repository: StandInRepository, run: { id: number; headSha: string; externalId: string | null; name: string }): Payload {
  const payload = example('check_run', (p) => p['action'] === 'rerequested');
  const original = payload['check_run'] as Payload;
  payload['check_run'] = {
    ...original,
    id: run.id,
    name: run.name,
    head_sha: run.headSha,
    external_id: run.externalId,
    status: 'completed',
    pull_requests: [],
    app: { ...((original['app'] as Payload) ?? {}), id: github.app.id, slug: github.app.slug },
  };
  return adapt(github, repository, payload);
}

/** `merge_group.checks_requested`, from the real example. */
export function mergeGroupPayload(github: GitHubStandIn, repository: StandInRepository, group: { headSha: string; headRef: string; baseSha: string }): Payload {
  const payload = example('merge_group', (p) => p['action'] === 'checks_requested');
  const original = payload['merge_group'] as Payload;
  payload['merge_group'] = {
    ...original,
    head_sha: group.headSha,
    head_ref: `refs/heads/${group.headRef}`,
    base_sha: group.baseSha,
    base_ref: `refs/heads/${repository.defaultBranch}`,
    head_commit: { ...((original['head_commit'] as Payload) ?? {}), id: group.headSha },
  };
  return adapt(github, repository, payload);
}

/**
 * `issue_comment.created` on a pull request, from the real example of a created
 * comment (on an issue: a pull request's issue carries `pull_request` links, added
 * here as GitHub sends them).
 */
let nextCommentId = 77_000;

export function issueCommentPayload(github: GitHubStandIn, pull: PullRecord, comment: { body: string; login: string; type?: 'User' | 'Bot'; id?: number }): Payload {
  const payload = example('issue_comment', (p) => p['action'] === 'created' && p['installation'] !== undefined);
  const issue = payload['issue'] as Payload;
  const html = `https://github.example/${pull.repository.owner}/${pull.repository.name}/pull/${pull.number}`;
  payload['issue'] = {
    ...issue,
    number: pull.number,
    title: pull.title,
    pull_request: { url: `${github.url}/repos/${pull.repository.owner}/${pull.repository.name}/pulls/${pull.number}`, html_url: html, diff_url: `${html}.diff`, patch_url: `${html}.patch`, merged_at: null },
  };
  const original = payload['comment'] as Payload;
  const user = { ...(original['user'] as Payload), login: comment.login, type: comment.type ?? 'User' };
  payload['comment'] = { ...original, id: comment.id ?? ++nextCommentId, body: comment.body, user };
  payload['sender'] = user;
  return adapt(github, pull.repository, payload);
}

/** `pull_request.labeled` or `.unlabeled`, from the real example of that action: who put or took which label. */
export function labelPayload(github: GitHubStandIn, action: 'labeled' | 'unlabeled', pull: PullRecord, label: string, sender: { login: string; type: 'User' | 'Bot' }): Payload {
  const payload = pullRequestPayload(github, action, pull);
  payload['label'] = { ...((payload['label'] as Payload | undefined) ?? {}), name: label };
  payload['sender'] = { ...((payload['sender'] as Payload | undefined) ?? {}), login: sender.login, type: sender.type };
  return payload;
}

/** `repository_dispatch` with an action and a client payload, from the real example. */
export function repositoryDispatchPayload(github: GitHubStandIn, repository: StandInRepository, action: string, clientPayload: unknown): Payload {
  const payload = example('repository_dispatch');
  payload['action'] = action;
  payload['branch'] = repository.defaultBranch;
  payload['client_payload'] = clientPayload;
  return adapt(github, repository, payload);
}
