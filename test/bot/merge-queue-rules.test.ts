import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeQueueModule } from '../../bot/queue/merge-queue-module.js';
import { QUEUE_LABEL } from '../../bot/render/markers.js';
import { BotHarness } from './support/bot-harness.js';
import { DataRepository, flights, flightsRepository, FLIGHTS_CONFIG } from './support/data-repository.js';
import { branchHead, isAncestor, type Actor, type PullRecord, type StandInRepository } from './support/github-stand-in.js';
import { faultyPushes, type PushFaults } from './support/git-faults.js';
import { GitHubSimulation } from './support/github-simulation.js';
import { expectInert } from './support/inert-text.js';

/**
 * The merge queue's rules, one at a time, against the GitHub stand-in and a real
 * git server: forks are merged only on a maintainer's word and never pushed to; a
 * pull request into another branch is not queued; a push to a queued pull request
 * or `/dgit dequeue` takes it out; a bot that stopped anywhere (git failing under
 * it) resumes from the state in the repository, even on an empty disk, and a
 * landing it had pushed is recognised as done, not pushed again.
 */

const MAINTAINER: Actor = { login: 'maintainer', type: 'User' };
const FORKER: Actor = { login: 'someone', type: 'User' };

let harness: BotHarness;
let simulation: GitHubSimulation;
let data: DataRepository;
let base: StandInRepository;
/**
 * How long an instance works the queue without renewing its claim: a stopped one
 * is replaced after it. Measured on a clock the tests move by hand, so a lease runs
 * out when a test says so and never because the machine is busy.
 */
const LEASE_MS = 5 * 60_000;
const clock = { now: Date.parse('2026-01-01T00:00:00Z') };
/** Receive-packs (pushes) to let through, then how many to fail, or to precede with someone's push to main. */
const faults: PushFaults = { pass: 0, fail: 0, pushToMain: 0 };
/** Commits someone pushed straight to main. */
const outsidePushes: string[] = [];

const main = () => branchHead(base, 'main')!;
const botComments = (pull: PullRecord) => harness.github.comments.filter((c) => c.issueNumber === pull.number && c.user.login === harness.github.appLogin);
const queueState = () => JSON.parse(execFileSync('git', ['show', 'refs/dgit/bot-queue:queue.json'], { cwd: base.gitPath, encoding: 'utf8' })) as {
  entries: Array<{ id: number; pull: number; state: string; departure: string | null; reason: string | null; commit: string | null; finished_by: string | null; attempts: number }>;
  landing: { candidate: string } | null;
};
const latest = (pull: PullRecord) => queueState().entries.filter((e) => e.pull === pull.number).at(-1)!;
/** Git tokens the bot asked GitHub for with `contents: <access>`. */
const gitTokenRequests = (access: 'read' | 'write') =>
  harness.github.requests.filter((r) => r.operationId === 'apps/create-installation-access-token' && (r.body as { permissions?: { contents?: string } } | undefined)?.permissions?.contents === access).length;
const queueRuns = (pull: PullRecord) => harness.github.checkRuns.filter((r) => r.name === 'dgit/queue' && r.headSha === pull.head.sha);

/** A branch off main with one more flight (id), pushed to the server, and its pull request opened. */
async function pullRequest(branch: string, id: number, options: { base?: string; into?: StandInRepository } = {}): Promise<PullRecord> {
  await data.switch(branch, { create: true, start: 'main' });
  await data.load('flights', [{ ...flights(1)[0]!, id, note: `flight ${id} from ${branch}` }], { mode: 'upsert' });
  await data.commit(`flight ${id}`);
  await data.switch('main');
  const into = options.into ?? base;
  data.push(into.gitPath, branch);
  const pull = harness.github.openPullRequest({ repository: base, head: { ref: branch, repository: into }, base: options.base, title: `Flight ${id}`, user: into === base ? MAINTAINER : FORKER });
  harness.github.emitted.push({ name: 'pull_request', action: 'opened', pull, sender: pull.user });
  await simulation.flush();
  return pull;
}

/** Every commit main pointed at on the server, oldest first. */
function mainHistory(): string[] {
  const file = path.join(base.gitPath, 'logs/refs/heads/main');
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => line.split(' ')[1]!);
}

beforeAll(async () => {
  harness = await BotHarness.start({
    beforeGitRequest: faultyPushes(faults, () => base, outsidePushes),
  });
  data = await flightsRepository(FLIGHTS_CONFIG.replace('      - kind: not_null\n        column: delay\n', ''));
  base = harness.serve(data);
  execFileSync('git', ['config', 'core.logAllRefUpdates', 'always'], { cwd: base.gitPath });
  harness.github.permissions.set(MAINTAINER.login, 'admin');
  simulation = await GitHubSimulation.start(harness, [mergeQueueModule({ workerLeaseMs: LEASE_MS, now: () => clock.now })]);
});

afterAll(async () => {
  await simulation?.close();
  await harness?.close();
});

describe('a pull request from a fork', () => {
  let fork: StandInRepository;
  let pull: PullRecord;

  beforeAll(async () => {
    fork = harness.serve(data, 'someone', 'flights', 7_000_002);
    simulation.watch(fork);
    pull = await pullRequest('more-flights', 101, { into: fork });
  });

  it('is not queued by its author, who has no write access', async () => {
    harness.github.comment(pull, FORKER, '/dgit queue');
    await simulation.flush();
    expect(botComments(pull).at(-1)!.body).toContain('Sorry, `/dgit queue` needs write access to this repository, and `someone` has none.');
    expect(queueRuns(pull)).toEqual([]);
    // The queue read its state and pushed nothing: it never asked for a token that may push.
    expect(gitTokenRequests('read')).toBeGreaterThan(0);
    expect(gitTokenRequests('write')).toBe(0);
  });

  it('lands on a maintainer\'s `/dgit queue`, and nothing is ever pushed to the fork', async () => {
    const forkRefs = execFileSync('git', ['for-each-ref'], { cwd: fork.gitPath, encoding: 'utf8' });
    const exchanges = harness.git.exchanges.length;
    harness.github.comment(pull, MAINTAINER, '/dgit queue');
    await simulation.flush();
    expect(latest(pull)).toMatchObject({ state: 'merged', departure: 'merged' });
    expect(isAncestor(base, pull.head.sha, main())).toBe(true);
    expect(pull.mergedAt).not.toBeNull();
    const pushes = harness.git.since(exchanges).filter((e) => e.service === 'git-receive-pack');
    expect(pushes.length).toBeGreaterThan(0);
    expect(gitTokenRequests('write')).toBeGreaterThan(0); // asked for once it had to push
    expect(pushes.every((e) => e.path.startsWith('/octo-org/flights.git/'))).toBe(true);
    expect(execFileSync('git', ['for-each-ref'], { cwd: fork.gitPath, encoding: 'utf8' })).toBe(forkRefs);
    expect(harness.github.requests.filter((r) => r.path.startsWith('/repos/someone/'))).toEqual([]);
  });
});

describe('a pull request into another branch than the default one', () => {
  it('is not queued, and the reply says why', async () => {
    execFileSync('git', ['push', '--quiet', base.gitPath, 'refs/heads/main:refs/heads/release'], { cwd: data.dir });
    const pull = await pullRequest('for-release', 102, { base: 'release' });
    harness.github.comment(pull, MAINTAINER, '/dgit queue');
    await simulation.flush();
    expect(botComments(pull).at(-1)!.body).toContain('This pull request goes into `release`; the merge queue merges into `main` only.');
    expect(queueState().entries.some((e) => e.pull === pull.number)).toBe(false);
  });
});

describe('a queued pull request', () => {
  it('leaves the queue on a new push, saying so, and its label comes off', async () => {
    const pull = await pullRequest('pushed-to', 103);
    // The queue takes it, but git fails from then on: it waits.
    Object.assign(faults, { pass: 1, fail: Infinity });
    harness.github.label(pull, MAINTAINER, QUEUE_LABEL);
    await simulation.flush();
    faults.fail = 0;
    expect(latest(pull)).toMatchObject({ state: 'queued' });
    expect(queueRuns(pull).map((r) => r.status)).toEqual(['in_progress']);

    const queuedHead = pull.head.sha;
    await data.switch('pushed-to');
    await data.load('flights', [{ ...flights(1)[0]!, id: 104, note: 'one more' }], { mode: 'upsert' });
    await data.commit('one more flight');
    await data.switch('main');
    data.push(base.gitPath, 'pushed-to');
    const before = main();
    await simulation.flush();

    expect(main()).toBe(before);
    expect(latest(pull)).toMatchObject({ state: 'dequeued', departure: 'new-push' });
    const outcome = botComments(pull).find((c) => c.body.startsWith(`<!-- dgit:queue-outcome:${latest(pull).id} -->`))!;
    expect(outcome.body).toContain('Removed from the merge queue: new commits were pushed while it was queued');
    expectInert(outcome.body);
    const run = harness.github.checkRuns.find((r) => r.name === 'dgit/queue' && r.headSha === queuedHead)!;
    expect(run).toMatchObject({ status: 'completed', conclusion: 'cancelled' });
    expect(pull.labels).not.toContain(QUEUE_LABEL);
  });

  it('leaves the queue on `/dgit dequeue`: the reply says it, the check run is cancelled, no other comment', async () => {
    const pull = await pullRequest('dequeued', 105);
    Object.assign(faults, { pass: 1, fail: Infinity });
    harness.github.comment(pull, MAINTAINER, '/dgit queue');
    await simulation.flush();
    faults.fail = 0;
    expect(latest(pull)).toMatchObject({ state: 'queued' });
    const comments = botComments(pull).length;

    const command = harness.github.comment(pull, MAINTAINER, '/dgit dequeue');
    await simulation.flush();
    expect(latest(pull)).toMatchObject({ state: 'dequeued', departure: 'removed', finished_by: `comment/${command.id}` });
    expect(botComments(pull)).toHaveLength(comments + 1);
    expect(botComments(pull).at(-1)!.body).toBe(`<!-- dgit:reply:comment-${command.id} -->\nRemoved from the merge queue.`);
    expect(queueRuns(pull)).toMatchObject([{ status: 'completed', conclusion: 'cancelled' }]);
    expect(pull.state).toBe('open');
  });
});

describe('a default branch that moves while the queue lands', () => {
  it('makes the push lose its lease: the merge is built again on the new main and lands', async () => {
    const pull = await pullRequest('raced', 108);
    // Queue (1st push), claim the queue (2nd), record the landing (3rd); someone pushes main just before the 4th.
    Object.assign(faults, { pass: 3, pushToMain: 1 });
    harness.github.comment(pull, MAINTAINER, '/dgit queue');
    await simulation.flush();
    const outside = outsidePushes.at(-1)!;
    expect(latest(pull)).toMatchObject({ state: 'merged', departure: 'merged' });
    const landed = latest(pull).commit!;
    expect(main()).toBe(landed);
    expect(mainHistory().slice(-2)).toEqual([outside, landed]);
    expect(execFileSync('git', ['rev-parse', `${landed}^1`], { cwd: base.gitPath, encoding: 'utf8' }).trim()).toBe(outside);
    expect(queueState().entries.find((e) => e.pull === pull.number)).toMatchObject({ attempts: 1 });
  });

  it('gives up after three lost leases, saying so, and main holds none of it', async () => {
    const pull = await pullRequest('outrun', 109);
    Object.assign(faults, { pass: 1, pushToMain: Infinity });
    harness.github.comment(pull, MAINTAINER, '/dgit queue');
    await simulation.flush();
    faults.pushToMain = 0;
    await simulation.flush();
    expect(latest(pull)).toMatchObject({ state: 'dequeued', departure: 'lost-race' });
    expect(latest(pull).reason).toContain('main moved under the queue 3 times');
    expect(isAncestor(base, pull.head.sha, main())).toBe(false);
    expect(botComments(pull).some((c) => c.body.includes('Removed from the merge queue: main moved under the queue 3 times'))).toBe(true);
  });
});

describe('a bot that stopped', () => {
  it('resumes a waiting pull request on the next event, on an empty disk', async () => {
    const pull = await pullRequest('waiting', 106);
    Object.assign(faults, { pass: 1, fail: Infinity });
    harness.github.comment(pull, MAINTAINER, '/dgit queue');
    await simulation.flush();
    faults.fail = 0;
    expect(latest(pull)).toMatchObject({ state: 'queued' });

    await simulation.restartBot({ wipe: true });
    clock.now += LEASE_MS; // a new machine: the stopped instance's claim must run out
    harness.github.comment(pull, { login: 'bystander', type: 'User' }, 'is this in yet?');
    await simulation.flush();
    expect(latest(pull)).toMatchObject({ state: 'merged' });
    expect(main()).toBe(latest(pull).commit);
    expect(pull.mergedAt).not.toBeNull();
  });

  it('recognises a landing it pushed but did not record as done: main moves once, one comment', async () => {
    const pull = await pullRequest('landed-unrecorded', 107);
    // Queue (1st push), claim the queue (2nd), record the landing (3rd), move main (4th); the 5th, recording the merge, fails.
    Object.assign(faults, { pass: 4, fail: Infinity });
    const moves = mainHistory().length;
    harness.github.comment(pull, MAINTAINER, '/dgit queue');
    await simulation.flush();
    faults.fail = 0;
    expect(queueState().landing).not.toBeNull();
    expect(latest(pull)).toMatchObject({ state: 'queued' });
    expect(isAncestor(base, pull.head.sha, main())).toBe(true);

    await simulation.restartBot({ wipe: true });
    clock.now += LEASE_MS;
    await simulation.redeliver(simulation.deliveries.at(-1)!);
    harness.github.comment(pull, { login: 'bystander', type: 'User' }, 'merged?');
    await simulation.flush();
    expect(queueState().landing).toBeNull();
    expect(latest(pull)).toMatchObject({ state: 'merged', departure: 'merged', commit: main() });
    expect(mainHistory()).toHaveLength(moves + 1);
    expect(botComments(pull).filter((c) => c.body.startsWith(`<!-- dgit:queue-outcome:${latest(pull).id} -->`))).toHaveLength(1);
  });

  it('made every request within GitHub\'s API', () => {
    expect(harness.github.violations).toEqual([]);
  });
});
