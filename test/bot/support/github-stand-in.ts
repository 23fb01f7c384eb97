import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { OpenApiValidator } from './openapi-validator.js';
import { filesUnder } from '../../../engine/store/files-under.js';

/**
 * A local stand-in for GitHub's REST API, on 127.0.0.1, serving the operations
 * the bot uses with an in-memory model of pull requests, comments, labels and
 * check runs. Every request is first validated against GitHub's OpenAPI
 * description (see OpenApiValidator): one GitHub would reject is answered 422 and
 * recorded in `violations`, which every test expects to stay empty. Tokens are
 * checked as GitHub would: the app's JWT (RS256, verified with its public key)
 * only for app endpoints, installation and personal tokens for the rest. Pull
 * requests are created against the branches of the real bare repositories served
 * over git's smart HTTP, so a head that does not exist is refused.
 */

export interface Actor {
  login: string;
  type: 'User' | 'Bot';
}

/**
 * A webhook GitHub would send because of something done through the API (the
 * simulation in github-simulation.ts delivers them): a pull request opened, a label
 * put on or taken off, a comment, and, from git, a head that moved or a pull request
 * whose head reached its base branch (merged).
 */
export type StandInEvent =
  | { name: 'pull_request'; action: 'opened' | 'synchronize' | 'closed'; pull: PullRecord; sender: Actor; before?: string }
  | { name: 'pull_request'; action: 'labeled' | 'unlabeled'; pull: PullRecord; sender: Actor; label: string }
  | { name: 'issue_comment'; action: 'created'; pull: PullRecord; comment: CommentRecord };

export interface StandInRepository {
  id: number;
  owner: string;
  name: string;
  defaultBranch: string;
  /** The bare repository on disk (the git server's copy), read for branch heads. */
  gitPath: string;
  /** The clone URL webhooks announce (the git server's). */
  cloneUrl: string;
}

export interface PullRecord {
  number: number;
  repository: StandInRepository;
  state: 'open' | 'closed';
  title: string;
  body: string | null;
  user: Actor;
  head: { ref: string; sha: string; repository: StandInRepository };
  base: { ref: string; sha: string };
  labels: string[];
  mergedAt: string | null;
}

export interface CommentRecord {
  id: number;
  repository: StandInRepository;
  issueNumber: number;
  body: string;
  user: Actor;
  createdAt: string;
  updatedAt: string;
}

export interface AnnotationRecord {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: string;
  message: string;
  title?: string;
}

export interface CheckRunRecord {
  id: number;
  repository: StandInRepository;
  name: string;
  headSha: string;
  externalId: string | null;
  status: string;
  conclusion: string | null;
  output: { title?: string; summary?: string; text?: string };
  annotations: AnnotationRecord[];
  /** Requests that changed this run, in order: 'create', 'update', ... */
  writes: Array<{ status?: string; conclusion?: string; annotations: number }>;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: string;
  operationId: string | undefined;
  status: number;
  body: unknown;
  actor: string | undefined;
}

const BODY_LIMIT = 65_536;

/** The GitHub App the stand-in knows: its id, slug, public key, and the installation tokens it hands out. */
export interface StandInApp {
  id: number;
  slug: string;
  publicKey: crypto.KeyObject;
  /** The token of an installation, or of one asking `contents: write` (the git server lets it push). */
  writeToken: string;
  /** The token of one asking `contents: read` only (the git server refuses its pushes). */
  readToken: string;
}

export class GitHubStandIn {
  readonly requests: RecordedRequest[] = [];
  readonly violations: string[] = [];
  readonly repositories: StandInRepository[] = [];
  readonly pulls: PullRecord[] = [];
  readonly comments: CommentRecord[] = [];
  readonly checkRuns: CheckRunRecord[] = [];
  /** Collaborator permissions by login (`read`, `write`, ...). */
  readonly permissions = new Map<string, string>();
  /** Webhooks owed for what happened through the API or in git (see StandInEvent). */
  readonly emitted: StandInEvent[] = [];
  /**
   * Follow git as GitHub does: an open pull request's head is its branch's commit
   * now (a push moves it: `synchronize`), and one whose head is in its base branch
   * is merged and closed (`closed`), as GitHub marks a pull request merged when
   * its commits are pushed to the base branch by any means. Off by default: the
   * phase-1 tests move heads by hand (`refreshHead`).
   */
  followGit = false;
  private gitFingerprint = '';
  private readonly tokens = new Map<string, Actor>();
  private readonly validator = new OpenApiValidator();
  private nextId = 1000;
  private nextNumber = 1;

  private constructor(
    private readonly server: http.Server,
    readonly app: StandInApp,
  ) {}

  static async start(app: StandInApp): Promise<GitHubStandIn> {
    let instance: GitHubStandIn | undefined;
    const server = http.createServer((request, response) => {
      instance!.handle(request, response).catch((error: unknown) => {
        instance!.violations.push(`stand-in failure: ${String(error)}`);
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ message: String(error) }));
      });
    });
    instance = new GitHubStandIn(server, app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return instance;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get appLogin(): string {
    return `${this.app.slug}[bot]`;
  }

  addRepository(repository: StandInRepository): StandInRepository {
    this.repositories.push(repository);
    return repository;
  }

  /** A token that acts as `actor` (a personal token, or the Actions token). */
  addToken(token: string, actor: Actor): void {
    this.tokens.set(token, actor);
  }

  /** A pull request as GitHub would hold it after someone opened it (e.g. from a fork). */
  openPullRequest(fields: { repository: StandInRepository; head: { ref: string; repository?: StandInRepository }; base?: string; title: string; body?: string; user?: Actor }): PullRecord {
    const headRepository = fields.head.repository ?? fields.repository;
    const base = fields.base ?? fields.repository.defaultBranch;
    const record: PullRecord = {
      number: this.nextNumber++,
      repository: fields.repository,
      state: 'open',
      title: fields.title,
      body: fields.body ?? null,
      user: fields.user ?? { login: 'data-person', type: 'User' },
      head: { ref: fields.head.ref, sha: branchHead(headRepository, fields.head.ref)!, repository: headRepository },
      base: { ref: base, sha: branchHead(fields.repository, base)! },
      labels: [],
      mergedAt: null,
    };
    this.pulls.push(record);
    return record;
  }

  /** The pull request's head as the git server has it now (after a push). */
  refreshHead(pull: PullRecord): void {
    pull.head.sha = branchHead(pull.head.repository, pull.head.ref)!;
  }

  /**
   * What GitHub does after pushes (with `followGit`): moved heads of open pull
   * requests (`synchronize`), and pull requests whose head is now in their base
   * branch marked merged and closed. Cheap when no ref changed on the git server.
   */
  syncWithGit(): void {
    if (!this.followGit) return;
    const fingerprint = this.repositories.map((r) => refsFingerprint(r.gitPath)).join('|');
    if (fingerprint === this.gitFingerprint) return;
    this.gitFingerprint = fingerprint;
    for (const pull of this.pulls.filter((p) => p.state === 'open')) {
      const head = branchHead(pull.head.repository, pull.head.ref);
      if (head && head !== pull.head.sha) {
        const before = pull.head.sha;
        pull.head.sha = head;
        this.emitted.push({ name: 'pull_request', action: 'synchronize', pull, sender: { login: pull.user.login, type: pull.user.type }, before });
      }
      const base = branchHead(pull.repository, pull.base.ref);
      if (base) pull.base.sha = base;
      if (base && isAncestor(pull.repository, pull.head.sha, base)) {
        pull.state = 'closed';
        pull.mergedAt = new Date().toISOString();
        this.emitted.push({ name: 'pull_request', action: 'closed', pull, sender: { login: 'pusher', type: 'User' } });
      }
    }
  }

  /** A person comments on a pull request (GitHub sends `issue_comment.created`). */
  comment(pull: PullRecord, user: Actor, body: string): CommentRecord {
    const now = new Date().toISOString();
    const comment: CommentRecord = { id: this.nextId++, repository: pull.repository, issueNumber: pull.number, body, user, createdAt: now, updatedAt: now };
    this.comments.push(comment);
    this.emitted.push({ name: 'issue_comment', action: 'created', pull, comment });
    return comment;
  }

  /** A person puts a label on a pull request, or takes it off. */
  label(pull: PullRecord, user: Actor, label: string, action: 'labeled' | 'unlabeled' = 'labeled'): void {
    if (action === 'labeled' && !pull.labels.includes(label)) pull.labels.push(label);
    if (action === 'unlabeled') pull.labels = pull.labels.filter((name) => name !== label);
    this.emitted.push({ name: 'pull_request', action, pull, sender: user, label });
  }

  /** The JSON of a pull request, as GitHub's REST API and webhooks show it. */
  pullJson(pull: PullRecord): Record<string, unknown> {
    return {
      id: pull.number * 7919,
      number: pull.number,
      state: pull.state,
      title: pull.title,
      body: pull.body,
      user: this.userJson(pull.user),
      labels: pull.labels.map((name, index) => ({ id: index + 1, name, color: 'ededed', default: false })),
      html_url: `https://github.example/${pull.repository.owner}/${pull.repository.name}/pull/${pull.number}`,
      url: `${this.url}/repos/${pull.repository.owner}/${pull.repository.name}/pulls/${pull.number}`,
      merged_at: pull.mergedAt,
      draft: false,
      head: { ref: pull.head.ref, sha: pull.head.sha, label: `${pull.head.repository.owner}:${pull.head.ref}`, repo: this.repositoryJson(pull.head.repository), user: { login: pull.head.repository.owner } },
      base: { ref: pull.base.ref, sha: pull.base.sha, label: `${pull.repository.owner}:${pull.base.ref}`, repo: this.repositoryJson(pull.repository), user: { login: pull.repository.owner } },
    };
  }

  repositoryJson(repository: StandInRepository): Record<string, unknown> {
    return {
      id: repository.id,
      name: repository.name,
      full_name: `${repository.owner}/${repository.name}`,
      owner: { login: repository.owner, type: 'Organization' },
      private: false,
      default_branch: repository.defaultBranch,
      clone_url: repository.cloneUrl,
      html_url: `https://github.example/${repository.owner}/${repository.name}`,
    };
  }

  /** Requests that changed something (not GET), excluding the installation-token exchange. */
  writes(): RecordedRequest[] {
    return this.requests.filter((r) => r.method !== 'GET' && r.operationId !== 'apps/create-installation-access-token');
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- HTTP -------------------------------------------------------------------------------

  private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.url);
    // GitHub Enterprise Server's API root (GHE_HOST), as probot addresses it.
    if (url.pathname.startsWith('/api/v3/')) url.pathname = url.pathname.slice('/api/v3'.length);
    const method = request.method ?? 'GET';
    const raw = await readBody(request);
    let body: unknown;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        return this.fail(method, url, undefined, 400, 'Problems parsing JSON', response, undefined);
      }
    }
    const check = this.validator.check(method, url, body);
    const actor = this.authenticate(request.headers.authorization, check.operationId);
    const record: RecordedRequest = { method, path: url.pathname, query: url.search, operationId: check.operationId, status: 0, body, actor: actor?.login };
    this.requests.push(record);
    if (check.errors.length > 0) {
      this.violations.push(...check.errors);
      return this.reply(record, response, check.operationId ? 422 : 404, { message: check.operationId ? 'Validation Failed' : 'Not Found', errors: check.errors });
    }
    if (!actor) return this.reply(record, response, 401, { message: 'Bad credentials' });
    const params = check.pathParameters;
    const result = this.route(check.operationId!, params, url, body as Record<string, unknown> | undefined, actor);
    const headers: Record<string, string> = {};
    if (result.link) headers['link'] = result.link;
    this.reply(record, response, result.status, result.data, headers);
  }

  private fail(method: string, url: URL, operationId: string | undefined, status: number, message: string, response: http.ServerResponse, actor: Actor | undefined): void {
    const record: RecordedRequest = { method, path: url.pathname, query: url.search, operationId, status, body: undefined, actor: actor?.login };
    this.requests.push(record);
    this.violations.push(`${method} ${url.pathname}: ${message}`);
    this.reply(record, response, status, { message });
  }

  private reply(record: RecordedRequest, response: http.ServerResponse, status: number, data: unknown, headers: Record<string, string> = {}): void {
    record.status = status;
    const text = data === undefined ? '' : JSON.stringify(data);
    response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-github-request-id': String(this.requests.length), ...headers });
    response.end(text);
  }

  /** Who the request acts as; undefined when GitHub would answer 401. */
  private authenticate(header: string | undefined, operationId: string | undefined): Actor | undefined {
    const [scheme, credential] = (header ?? '').split(/\s+/, 2) as [string, string | undefined];
    const appOnly = operationId === 'apps/create-installation-access-token' || operationId === 'apps/get-authenticated';
    if (scheme.toLowerCase() === 'bearer' && credential && credential.split('.').length === 3) {
      return appOnly && this.verifyJwt(credential) ? { login: this.appLogin, type: 'Bot' } : undefined;
    }
    if ((scheme.toLowerCase() === 'token' || scheme.toLowerCase() === 'bearer') && credential && !appOnly) return this.tokens.get(credential);
    return undefined;
  }

  private verifyJwt(token: string): boolean {
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const valid = crypto.verify('RSA-SHA256', Buffer.from(`${header}.${payload}`), this.app.publicKey, Buffer.from(signature, 'base64url'));
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { iss?: unknown; exp?: number };
    return valid && String(claims.iss) === String(this.app.id) && (claims.exp ?? 0) * 1000 > Date.now();
  }

  private repository(params: Record<string, string>): StandInRepository | undefined {
    return this.repositories.find((r) => r.owner === params['owner'] && r.name === params['repo']);
  }

  private route(operationId: string, params: Record<string, string>, url: URL, body: Record<string, unknown> | undefined, actor: Actor): { status: number; data: unknown; link?: string } {
    if (operationId === 'apps/create-installation-access-token') {
      const contents = (body?.['permissions'] as { contents?: string } | undefined)?.contents;
      const token = contents === 'read' ? this.app.readToken : this.app.writeToken;
      this.tokens.set(token, { login: this.appLogin, type: 'Bot' });
      return { status: 201, data: { token, expires_at: new Date(Date.now() + 3_600_000).toISOString(), permissions: {}, repository_selection: 'all' } };
    }
    if (operationId === 'apps/get-authenticated') return { status: 200, data: { id: this.app.id, slug: this.app.slug, name: this.app.slug, owner: { login: 'octo-org' } } };
    if (operationId === 'users/get-authenticated') {
      return actor.type === 'User' ? { status: 200, data: { login: actor.login, type: 'User', id: 1 } } : { status: 403, data: { message: 'Resource not accessible by integration' } };
    }
    const repository = this.repository(params);
    if (!repository) return { status: 404, data: { message: 'Not Found' } };
    if (operationId.startsWith('pulls/')) this.syncWithGit();
    const number = Number(params['pull_number'] ?? params['issue_number']);
    switch (operationId) {
      case 'repos/get':
        return { status: 200, data: this.repositoryJson(repository) };
      case 'repos/get-collaborator-permission-level': {
        const permission = this.permissions.get(params['username']!) ?? 'none';
        const legacy = permission === 'maintain' ? 'write' : permission === 'triage' ? 'read' : permission;
        return { status: 200, data: { permission: legacy, role_name: permission, user: { login: params['username'] } } };
      }
      case 'pulls/list': {
        const state = url.searchParams.get('state') ?? 'open';
        const head = url.searchParams.get('head');
        const found = this.pulls.filter(
          (p) => p.repository === repository && (state === 'all' || p.state === state) && (!head || `${p.head.repository.owner}:${p.head.ref}` === head),
        );
        return this.page(url, found.map((p) => this.pullJson(p)));
      }
      case 'pulls/get': {
        const pull = this.pulls.find((p) => p.repository === repository && p.number === number);
        return pull ? { status: 200, data: this.pullJson(pull) } : { status: 404, data: { message: 'Not Found' } };
      }
      case 'pulls/create': {
        const headRef = String(body!['head']);
        const baseRef = String(body!['base']);
        const headSha = branchHead(repository, headRef);
        const baseSha = branchHead(repository, baseRef);
        if (!headSha || !baseSha) return { status: 422, data: { message: 'Validation Failed', errors: [{ resource: 'PullRequest', field: headSha ? 'base' : 'head', code: 'invalid' }] } };
        if (this.pulls.some((p) => p.repository === repository && p.state === 'open' && p.head.ref === headRef && p.base.ref === baseRef)) {
          return { status: 422, data: { message: 'Validation Failed', errors: [{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${repository.owner}:${headRef}.` }] } };
        }
        const text = body!['body'] as string | undefined;
        if (text !== undefined && text.length > BODY_LIMIT) return this.tooLong('pull request body', text);
        const pull: PullRecord = {
          number: this.nextNumber++,
          repository,
          state: 'open',
          title: String(body!['title']),
          body: text ?? null,
          user: actor,
          head: { ref: headRef, sha: headSha, repository },
          base: { ref: baseRef, sha: baseSha },
          labels: [],
          mergedAt: null,
        };
        this.pulls.push(pull);
        this.emitted.push({ name: 'pull_request', action: 'opened', pull, sender: actor });
        return { status: 201, data: this.pullJson(pull) };
      }
      case 'pulls/update': {
        const pull = this.pulls.find((p) => p.repository === repository && p.number === number);
        if (!pull) return { status: 404, data: { message: 'Not Found' } };
        if (typeof body!['body'] === 'string' && (body!['body'] as string).length > BODY_LIMIT) return this.tooLong('pull request body', body!['body'] as string);
        if (typeof body!['title'] === 'string') pull.title = body!['title'] as string;
        if (typeof body!['body'] === 'string') pull.body = body!['body'] as string;
        if (body!['state'] === 'open' || body!['state'] === 'closed') pull.state = body!['state'] as 'open' | 'closed';
        return { status: 200, data: this.pullJson(pull) };
      }
      case 'issues/add-labels': {
        const pull = this.pulls.find((p) => p.repository === repository && p.number === number);
        if (!pull) return { status: 404, data: { message: 'Not Found' } };
        const labels = Array.isArray(body) ? body : (body!['labels'] as unknown[]);
        for (const label of labels) {
          const name = typeof label === 'string' ? label : String((label as { name: string }).name);
          if (!pull.labels.includes(name)) {
            pull.labels.push(name);
            this.emitted.push({ name: 'pull_request', action: 'labeled', pull, sender: actor, label: name });
          }
        }
        return { status: 200, data: pull.labels.map((name, index) => ({ id: index + 1, name, color: 'ededed', default: false })) };
      }
      case 'issues/remove-label': {
        const pull = this.pulls.find((p) => p.repository === repository && p.number === number);
        const name = params['name']!;
        if (!pull || !pull.labels.includes(name)) return { status: 404, data: { message: 'Label does not exist' } };
        pull.labels = pull.labels.filter((label) => label !== name);
        this.emitted.push({ name: 'pull_request', action: 'unlabeled', pull, sender: actor, label: name });
        return { status: 200, data: pull.labels.map((label, index) => ({ id: index + 1, name: label, color: 'ededed', default: false })) };
      }
      case 'issues/list-comments': {
        const found = this.comments.filter((c) => c.repository === repository && c.issueNumber === number);
        return this.page(url, found.map((c) => this.commentJson(c)));
      }
      case 'issues/create-comment': {
        if (!this.pulls.some((p) => p.repository === repository && p.number === number)) return { status: 404, data: { message: 'Not Found' } };
        const text = String(body!['body']);
        if (text.length > BODY_LIMIT) return this.tooLong('comment body', text);
        const now = new Date().toISOString();
        const comment: CommentRecord = { id: this.nextId++, repository, issueNumber: number, body: text, user: actor, createdAt: now, updatedAt: now };
        this.comments.push(comment);
        const pull = this.pulls.find((p) => p.repository === repository && p.number === number);
        if (pull) this.emitted.push({ name: 'issue_comment', action: 'created', pull, comment });
        return { status: 201, data: this.commentJson(comment) };
      }
      case 'issues/update-comment': {
        const comment = this.comments.find((c) => c.repository === repository && c.id === Number(params['comment_id']));
        if (!comment) return { status: 404, data: { message: 'Not Found' } };
        const text = String(body!['body']);
        if (text.length > BODY_LIMIT) return this.tooLong('comment body', text);
        comment.body = text;
        comment.updatedAt = new Date().toISOString();
        return { status: 200, data: this.commentJson(comment) };
      }
      case 'issues/delete-comment': {
        const index = this.comments.findIndex((c) => c.repository === repository && c.id === Number(params['comment_id']));
        if (index < 0) return { status: 404, data: { message: 'Not Found' } };
        if (this.comments[index]!.user.login !== actor.login) return { status: 403, data: { message: 'Must have admin rights to Repository.' } };
        this.comments.splice(index, 1);
        return { status: 204, data: undefined };
      }
      case 'checks/list-for-ref': {
        const name = url.searchParams.get('check_name');
        const runs = this.checkRuns.filter((r) => r.repository === repository && r.headSha === params['ref'] && (!name || r.name === name));
        return { status: 200, data: { total_count: runs.length, check_runs: runs.map((r) => this.checkRunJson(r)) } };
      }
      case 'checks/create': {
        const output = (body!['output'] as CheckRunRecord['output'] & { annotations?: AnnotationRecord[] }) ?? {};
        const run: CheckRunRecord = {
          id: this.nextId++,
          repository,
          name: String(body!['name']),
          headSha: String(body!['head_sha']),
          externalId: (body!['external_id'] as string | undefined) ?? null,
          status: body!['conclusion'] ? 'completed' : String(body!['status'] ?? 'queued'),
          conclusion: (body!['conclusion'] as string | undefined) ?? null,
          output: { title: output.title, summary: output.summary, text: output.text },
          annotations: [...(output.annotations ?? [])],
          writes: [{ status: body!['status'] as string | undefined, conclusion: body!['conclusion'] as string | undefined, annotations: output.annotations?.length ?? 0 }],
        };
        this.checkRuns.push(run);
        return { status: 201, data: this.checkRunJson(run) };
      }
      case 'checks/update': {
        const run = this.checkRuns.find((r) => r.repository === repository && r.id === Number(params['check_run_id']));
        if (!run) return { status: 404, data: { message: 'Not Found' } };
        const output = body!['output'] as (CheckRunRecord['output'] & { annotations?: AnnotationRecord[] }) | undefined;
        if (output) {
          run.output = { title: output.title, summary: output.summary, text: output.text ?? run.output.text };
          run.annotations.push(...(output.annotations ?? []));
        }
        if (body!['conclusion']) {
          run.conclusion = String(body!['conclusion']);
          run.status = 'completed';
        } else if (body!['status']) run.status = String(body!['status']);
        run.writes.push({ status: body!['status'] as string | undefined, conclusion: body!['conclusion'] as string | undefined, annotations: output?.annotations?.length ?? 0 });
        return { status: 200, data: this.checkRunJson(run) };
      }
      default:
        return { status: 404, data: { message: `the stand-in does not serve ${operationId}` } };
    }
  }

  private tooLong(what: string, text: string): { status: number; data: unknown } {
    this.violations.push(`${what} of ${text.length} characters exceeds GitHub's ${BODY_LIMIT}`);
    return { status: 422, data: { message: 'Validation Failed', errors: [{ field: 'body', code: 'custom', message: `body is too long (maximum is ${BODY_LIMIT} characters)` }] } };
  }

  private page(url: URL, items: unknown[]): { status: number; data: unknown; link?: string } {
    const perPage = Number(url.searchParams.get('per_page') ?? 30);
    const page = Number(url.searchParams.get('page') ?? 1);
    const slice = items.slice((page - 1) * perPage, page * perPage);
    let link: string | undefined;
    if (page * perPage < items.length) {
      const next = new URL(url);
      next.searchParams.set('page', String(page + 1));
      link = `<${next.toString()}>; rel="next"`;
    }
    return { status: 200, data: slice, link };
  }

  private userJson(actor: Actor): Record<string, unknown> {
    return { login: actor.login, type: actor.type, id: actor.login.length };
  }

  private commentJson(comment: CommentRecord): Record<string, unknown> {
    return {
      id: comment.id,
      body: comment.body,
      user: this.userJson(comment.user),
      created_at: comment.createdAt,
      updated_at: comment.updatedAt,
      html_url: `https://github.example/${comment.repository.owner}/${comment.repository.name}/pull/${comment.issueNumber}#issuecomment-${comment.id}`,
    };
  }

  private checkRunJson(run: CheckRunRecord): Record<string, unknown> {
    return {
      id: run.id,
      name: run.name,
      head_sha: run.headSha,
      external_id: run.externalId,
      status: run.status,
      conclusion: run.conclusion,
      output: { title: run.output.title ?? null, summary: run.output.summary ?? null, text: run.output.text ?? null, annotations_count: run.annotations.length },
      app: { id: this.app.id, slug: this.app.slug },
      pull_requests: [],
    };
  }
}

/** A branch's commit in a bare repository on disk, or undefined. */
export function branchHead(repository: StandInRepository, branch: string): string | undefined {
  return branchRefs(repository.gitPath).get(branch);
}

/**
 * The branches of a bare repository and their commits, read from the loose ref
 * files and packed-refs as git does (a loose ref wins): no git process per read,
 * which the stand-in does on every pull request API call.
 */
export function branchRefs(gitPath: string): Map<string, string> {
  const branches = new Map<string, string>();
  let packed = '';
  try {
    packed = fs.readFileSync(path.join(gitPath, 'packed-refs'), 'utf8');
  } catch {
    // no packed refs
  }
  for (const line of packed.split('\n')) {
    const match = /^([0-9a-f]{40}) refs\/heads\/(\S+)$/.exec(line);
    if (match) branches.set(match[2]!, match[1]!);
  }
  const heads = path.join(gitPath, 'refs', 'heads');
  for (const name of filesUnder(heads)) {
    if (name.endsWith('.lock')) continue;
    const id = fs.readFileSync(path.join(heads, name), 'utf8').trim();
    if (/^[0-9a-f]{40}$/.test(id)) branches.set(name, id);
  }
  return branches;
}

/** The commit a ref of a bare repository points at (a loose ref file, else packed-refs), as git reads it; undefined when it has none. */
export function refTarget(gitPath: string, ref: string): string | undefined {
  try {
    const id = fs.readFileSync(path.join(gitPath, ref), 'utf8').trim();
    if (/^[0-9a-f]{40}$/.test(id)) return id;
  } catch {
    // not a loose ref
  }
  let packed: string;
  try {
    packed = fs.readFileSync(path.join(gitPath, 'packed-refs'), 'utf8');
  } catch {
    return undefined;
  }
  for (const line of packed.split('\n')) if (line.endsWith(` ${ref}`) && /^[0-9a-f]{40} /.test(line)) return line.slice(0, 40);
  return undefined;
}

/** Answers of `isAncestor` for commits that exist: commits never change, so neither does the answer. */
const ancestry = new Map<string, boolean>();

/** Whether `ancestor` is in the history of `descendant` in a bare repository (false when either is missing). */
export function isAncestor(repository: StandInRepository, ancestor: string, descendant: string): boolean {
  const key = `${repository.gitPath} ${ancestor} ${descendant}`;
  const known = ancestry.get(key);
  if (known !== undefined) return known;
  try {
    execFileSync('git', ['merge-base', '--is-ancestor', ancestor, descendant], { cwd: repository.gitPath, stdio: 'pipe' });
    ancestry.set(key, true);
    return true;
  } catch (error) {
    // Exit 1: both exist and it is not an ancestor (remembered); anything else (a missing commit) is not remembered.
    if ((error as { status?: number }).status === 1) ancestry.set(key, false);
    return false;
  }
}

/** The refs of a bare repository, as file names, sizes and times: changes when any ref moves. */
function refsFingerprint(gitPath: string): string {
  const parts: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else parts.push(`${full}:${fs.statSync(full).mtimeMs}:${fs.readFileSync(full, 'utf8').trim()}`);
    }
  };
  walk(path.join(gitPath, 'refs'));
  const packed = path.join(gitPath, 'packed-refs');
  if (fs.existsSync(packed)) parts.push(fs.readFileSync(packed, 'utf8'));
  return parts.join('\n');
}

async function readBody(request: http.IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of request) parts.push(part as Buffer);
  return Buffer.concat(parts);
}
