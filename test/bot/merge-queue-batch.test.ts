import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeQueueModule } from '../../bot/queue/merge-queue-module.js';
import { BotHarness } from './support/bot-harness.js';
import { DataRepository, flights, flightsRepository, FLIGHTS_CONFIG } from './support/data-repository.js';
import { branchHead, isAncestor, type Actor, type PullRecord, type StandInRepository } from './support/github-stand-in.js';
import { faultyPushes, type PushFaults } from './support/git-faults.js';
import { GitHubSimulation } from './support/github-simulation.js';

/**
 * The GitHub merge queue with `batch: 4`, against the GitHub stand-in and a real
 * git server: pull requests queued while the bot could not work the queue (its
 * pushes failing) are tested together as one candidate; a good batch lands in one
 * push, every pull request of it merged (built again as a batch when main moved
 * under its landing); a batch with a bad pull request is
 * bisected (engine/queue/batch-plan.ts) so the good ones land and the bad one
 * leaves with its reason, even when the bot stopped half-way through: another
 * instance resumes from the plan in the queue's state ref.
 */

const MAINTAINER: Actor = { login: 'maintainer', type: 'User' };
const BYSTANDER: Actor = { login: 'bystander', type: 'User' };
const LEASE_MS = 5 * 60_000;
const clock = { now: Date.parse('2026-01-01T00:00:00Z') };
/** Receive-packs (pushes) to let through, then how many to fail, or to precede with someone's push to main. */
const faults: PushFaults = { pass: 0, fail: 0, pushToMain: 0 };
/** Commits someone pushed straight to main. */
const outsidePushes: string[] = [];

let harness: BotHarness;
let simulation: GitHubSimulation;
let data: DataRepository;
let base: StandInRepository;

interface StateEntry {
  id: number;
  pull: number;
  state: string;
  departure: string | null;
  reason: string | null;
  commit: string | null;
}
const main = () => branchHead(base, 'main')!;
const queueState = () =>
  JSON.parse(execFileSync('git', ['show', 'refs/dgit/bot-queue:queue.json'], { cwd: base.gitPath, encoding: 'utf8' })) as {
    entries: StateEntry[];
    landing: unknown;
    bisection?: { pending: number[][] };
  };
const entryOf = (pull: PullRecord) => queueState().entries.filter((e) => e.pull === pull.number).at(-1)!;
const botComments = (pull: PullRecord) => harness.github.comments.filter((c) => c.issueNumber === pull.number && c.user.login === harness.github.appLogin);
/** The queue's state commits, oldest first (their messages say what the queue did). */
const stateLog = () => execFileSync('git', ['log', '--first-parent', '--reverse', '--format=%s', 'refs/dgit/bot-queue'], { cwd: base.gitPath, encoding: 'utf8' }).split('\n').filter(Boolean);

/** Every commit main pointed at on the server, oldest first. */
function mainHistory(): string[] {
  const file = path.join(base.gitPath, 'logs/refs/heads/main');
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => line.split(' ')[1]!);
}

/** A branch off main with one more flight (a bad one: an origin the checks refuse), and its pull request. */
async function pullRequest(branch: string, id: number, options: { bad?: boolean } = {}): Promise<PullRecord> {
  await data.switch(branch, { create: true, start: 'main' });
  await data.load('flights', [{ ...flights(1)[0]!, id, origin: options.bad ? 'BOS' : 'JFK', note: `flight ${id} from ${branch}` }], { mode: 'upsert' });
  await data.commit(`flight ${id}`);
  await data.switch('main');
  data.push(base.gitPath, branch);
  return harness.github.openPullRequest({ repository: base, head: { ref: branch }, title: `Flight ${id}`, user: MAINTAINER });
}

/** Queue each pull request while the bot cannot work the queue: its queueing push passes, its claim of the queue fails. */
async function queueWhileHeld(pulls: PullRecord[]): Promise<void> {
  for (const pull of pulls) {
    Object.assign(faults, { pass: 1, fail: Infinity });
    harness.github.comment(pull, MAINTAINER, '/dgit queue');
    await simulation.flush();
  }
  faults.fail = 0;
  for (const pull of pulls) expect(entryOf(pull)).toMatchObject({ state: 'queued' });
}

/** Any event carries the queue on. */
async function nudge(pull: PullRecord): Promise<void> {
  harness.github.comment(pull, BYSTANDER, 'is this in yet?');
  await simulation.flush();
}

beforeAll(async () => {
  harness = await BotHarness.start({
    beforeGitRequest: faultyPushes(faults, () => base, outsidePushes),
  });
  // A green main: every check passes (no flight without a delay).
  data = await flightsRepository(FLIGHTS_CONFIG.replace('      - kind: not_null\n        column: delay\n', ''));
  base = harness.serve(data);
  execFileSync('git', ['config', 'core.logAllRefUpdates', 'always'], { cwd: base.gitPath });
  harness.github.permissions.set(MAINTAINER.login, 'admin');
  simulation = await GitHubSimulation.start(harness, [mergeQueueModule({ batch: 4, workerLeaseMs: LEASE_MS, now: () => clock.now })]);
});

afterAll(async () => {
  await simulation?.close();
  await harness?.close();
});

describe('the GitHub merge queue in batches', () => {
  it('lands a batch of three good pull requests in one push, each reported merged, built again when main moved under it', async () => {
    const pulls = [await pullRequest('good-1', 201), await pullRequest('good-2', 202), await pullRequest('good-3', 203)];
    await queueWhileHeld(pulls);
    const moves = mainHistory().length;
    // Claim the queue (1st push), record the landing (2nd); someone pushes main just before the 3rd, the landing's push.
    Object.assign(faults, { pass: 2, pushToMain: 1 });
    await nudge(pulls[0]!);

    const outside = outsidePushes.at(-1)!;
    const landed = main();
    expect(mainHistory().slice(moves)).toEqual([outside, landed]);
    expect(isAncestor(base, outside, landed)).toBe(true);
    for (const pull of pulls) {
      expect(entryOf(pull)).toMatchObject({ state: 'merged', departure: 'merged', commit: landed });
      expect(isAncestor(base, pull.head.sha, landed)).toBe(true);
      expect(pull.mergedAt).not.toBeNull();
      expect(botComments(pull).filter((c) => c.body.includes('dgit:queue-outcome'))).toHaveLength(1);
    }
    // Tested once as a batch, lost the lease, built and tested again on the new main as the same batch.
    expect(stateLog().filter((message) => message.startsWith('land '))).toEqual([expect.stringMatching(/^land entries 1, 2, 3 as [0-9a-f]{12}$/), `land entries 1, 2, 3 as ${landed.slice(0, 12)}`]);
    expect(queueState().bisection).toBeUndefined();
  });

  it('bisects a batch of four with one bad pull request, across a restart half-way: the three good ones land, the bad one leaves with its reason', async () => {
    const pulls = [await pullRequest('b-1', 211), await pullRequest('b-2', 212), await pullRequest('b-3', 213, { bad: true }), await pullRequest('b-4', 214)];
    const [one, two, bad, four] = pulls as [PullRecord, PullRecord, PullRecord, PullRecord];
    await queueWhileHeld(pulls);
    const ids = pulls.map((pull) => entryOf(pull).id);
    const moves = mainHistory().length;
    const log = stateLog().length;
    // Claim the queue (1st push), record the failed batch's bisection (2nd); then every push fails: the bot stops.
    Object.assign(faults, { pass: 2, fail: Infinity });
    await nudge(one);
    faults.fail = 0;
    expect(queueState().bisection).toEqual({ pending: [[ids[0], ids[1]], [ids[2], ids[3]]] });
    expect(mainHistory()).toHaveLength(moves);

    // A new machine on an empty disk resumes from the state ref (once the stopped instance's claim ran out).
    await simulation.restartBot({ wipe: true });
    clock.now += LEASE_MS;
    await nudge(two);

    for (const pull of [one, two, four]) {
      expect(entryOf(pull)).toMatchObject({ state: 'merged', departure: 'merged' });
      expect(isAncestor(base, pull.head.sha, main())).toBe(true);
      expect(pull.mergedAt).not.toBeNull();
    }
    expect(entryOf(bad)).toMatchObject({ state: 'dequeued', departure: 'checks-failed' });
    expect(entryOf(bad).reason).toContain('flights.origin.accepted_values');
    expect(isAncestor(base, bad.head.sha, main())).toBe(false);
    expect(bad.mergedAt).toBeNull();
    expect(botComments(bad).some((c) => c.body.includes('Removed from the merge queue'))).toBe(true);
    // bors: the batch (once: the new instance starts from the recorded halves), its first half lands, its second half is split.
    const decided = stateLog().slice(log).filter((message) => /^(land |entr)/.test(message)).map((message) => message.replace(/ as [0-9a-f]{12}$/, ''));
    expect(decided).toEqual([
      `entries ${ids.join(', ')}: checks-failed, bisect`,
      `land entries ${ids[0]}, ${ids[1]}`,
      `entries ${ids[2]}, ${ids[3]}: checks-failed, bisect`,
      `entry ${ids[2]}: checks-failed`,
      `land entry ${ids[3]}`,
    ]);
    expect(mainHistory()).toHaveLength(moves + 2);
    expect(queueState().bisection).toBeUndefined();
  });

  it('made every request within GitHub\'s API', () => {
    expect(harness.github.violations).toEqual([]);
  });
});
