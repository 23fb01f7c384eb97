import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeQueueModule } from '../../bot/queue/merge-queue-module.js';
import { DIFF_COMMENT_MARKER, PROPOSAL_MARKER, QUEUE_LABEL, replyMarker } from '../../bot/render/markers.js';
import { CLI, tempDir } from '../support/cli.js';
import { BotHarness, WRITE_TOKEN } from './support/bot-harness.js';
import { DataRepository, flights } from './support/data-repository.js';
import { isAncestor, branchHead, type Actor, type CheckRunRecord, type PullRecord, type StandInRepository } from './support/github-stand-in.js';
import { GitHubSimulation } from './support/github-simulation.js';
import { expectInert } from './support/inert-text.js';

/**
 * The whole loop, without GitHub: a local stand-in serves the REST endpoints the
 * bot uses (each request validated against GitHub's OpenAPI description) and the
 * data repository over real git smart HTTP (`git http-backend`), and sends the app
 * the webhooks GitHub would, signed with the secret. A data person heals a red main
 * with the real `dgit heal` and `dgit push`; the bot opens the pull request with
 * the data diff and checks it; a maintainer queues it and the bot lands the tested
 * merge on main; a second healing proposal that conflicts is dequeued with the
 * reason; a read-only user's `/dgit queue` and `dgit:queue` label are refused.
 */

const CONFIG = [
  'version: 1',
  'tables:',
  '  flights:',
  '    defaults:',
  '      delay: 0',
  '    checks:',
  '      - kind: not_null',
  '        column: delay',
  '      - kind: accepted_values',
  '        column: origin',
  '        values: [JFK, LAX, SFO, ORD]',
  'policy:',
  '  tables:',
  '    flights: {}',
].join('\n') + '\n';

const WRITER: Actor = { login: 'maintainer', type: 'User' };
const READER: Actor = { login: 'drive-by', type: 'User' };

let harness: BotHarness;
let simulation: GitHubSimulation;
let repository: StandInRepository;
let work: string;
let healBranches: { delay: string; origin: string };

/**
 * The dgit CLI in the data person's clone, with a token for the git server. Run
 * asynchronously: the git server answers from this very process.
 */
async function dgit(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: fs.existsSync(work) ? work : path.dirname(work),
    env: { ...process.env, NO_COLOR: '1', DGIT_TOKEN: WRITE_TOKEN, GIT_AUTHOR_NAME: 'Data Person', GIT_AUTHOR_EMAIL: 'data@example.com', GIT_COMMITTER_NAME: 'Data Person', GIT_COMMITTER_EMAIL: 'data@example.com' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number>((resolve) => child.once('close', (status) => resolve(status ?? -1)));
  return { code, stdout, stderr };
}

async function dgitOk(...args: string[]): Promise<string> {
  const result = await dgit(...args);
  if (result.code !== 0) throw new Error(`dgit ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout;
}

const main = () => branchHead(repository, 'main')!;
const pullOf = (branch: string) => harness.github.pulls.find((p) => p.head.ref === branch)!;
const runsOn = (sha: string, name: string): CheckRunRecord[] => harness.github.checkRuns.filter((r) => r.headSha === sha && r.name === name);
const commentsOn = (pull: PullRecord) => harness.github.comments.filter((c) => c.issueNumber === pull.number);
const botCommentsOn = (pull: PullRecord) => commentsOn(pull).filter((c) => c.user.login === harness.github.appLogin);
const queueState = () => JSON.parse(execFileSync('git', ['show', 'refs/dgit/bot-queue:queue.json'], { cwd: repository.gitPath, encoding: 'utf8' })) as {
  entries: Array<{ id: number; pull: number; state: string; departure: string | null; reason: string | null; commit: string | null; head: string }>;
  landing: unknown;
};

beforeAll(async () => {
  harness = await BotHarness.start();
  const data = await DataRepository.create();
  // main is red: three flights without a delay, one origin in lower case.
  await data.load('flights', flights(60, [4, 17, 33]).map((row) => (row.id === 8 ? { ...row, origin: 'jfk' } : row)), { key: ['id'] });
  await data.config(CONFIG);
  await data.commit('flights, loaded overnight');
  repository = harness.serve(data);
  execFileSync('git', ['config', 'core.logAllRefUpdates', 'always'], { cwd: repository.gitPath });
  harness.github.permissions.set(WRITER.login, 'write');
  harness.github.permissions.set(READER.login, 'read');
  simulation = await GitHubSimulation.start(harness, [mergeQueueModule()]);
  work = path.join(tempDir('dgit-person-'), 'flights');
});

afterAll(async () => {
  await simulation?.close();
  await harness?.close();
});

describe('the healing loop through GitHub, with the merge queue', () => {
  it('starts from a failing check on main', async () => {
    await dgitOk('clone', repository.cloneUrl, work);
    const check = await dgit('check');
    expect(check.code).toBe(1);
    expect(check.stdout).toContain('FAIL flights.delay.not_null');
    expect(check.stdout).toContain('FAIL flights.origin.accepted_values');
  });

  it('heals with `dgit heal` and `dgit push`: the bot opens the pull request with the data diff, and its check fails', async () => {
    await dgit('heal');
    const branches = execFileSync('git', ['for-each-ref', '--format=%(refname:short)', 'refs/heads/heal/'], { cwd: work, encoding: 'utf8' }).split('\n').filter(Boolean);
    healBranches = { delay: branches.find((b) => b.includes('delay'))!, origin: branches.find((b) => b.includes('origin'))! };
    expect(healBranches.delay).toMatch(/^heal\/flights\.delay\.not_null-/);
    expect(healBranches.origin).toMatch(/^heal\/flights\.origin\.accepted_values-/);
    await dgitOk('push', 'origin', healBranches.delay);

    await simulation.flush();
    const pull = pullOf(healBranches.delay);
    expect(pull).toMatchObject({ state: 'open', labels: ['dgit', 'healing'], user: { login: harness.github.appLogin } });
    expect(pull.title).toContain('fixes flights.delay.not_null');
    expect(pull.body!.startsWith(PROPOSAL_MARKER)).toBe(true);
    expect(pull.body).toMatch(/\| flights \| modified \| 0 \| 0 \| 3 \|/);
    // The proposal fixes the delays; the lower-case origin still fails on its head.
    const [run] = runsOn(pull.head.sha, 'dgit/checks');
    expect(run).toMatchObject({ status: 'completed', conclusion: 'failure' });
    const diff = botCommentsOn(pull).filter((c) => c.body.startsWith(DIFF_COMMENT_MARKER));
    expect(diff).toHaveLength(1);
    expect(diff[0]!.body).toContain('*NULL* → `0`');
  });

  it('checks again on the next push to the branch, and passes', async () => {
    const pull = pullOf(healBranches.delay);
    const firstHead = pull.head.sha;
    // The data person looks flight 8 up: it left from SFO.
    await dgitOk('switch', healBranches.delay);
    const fix = path.join(path.dirname(work), 'fix.csv');
    const row = flights(60).find((r) => r.id === 8)!;
    fs.writeFileSync(fix, `id,origin,dest,delay,note\n8,SFO,${row.dest},${row.delay},${row.note}\n`);
    await dgitOk('import', fix, '--table', 'flights', '--mode', 'upsert');
    await dgitOk('commit', '-m', 'flight 8 left from SFO');
    await dgitOk('push', 'origin', healBranches.delay);

    await simulation.flush();
    expect(pull.head.sha).not.toBe(firstHead);
    expect(runsOn(firstHead, 'dgit/checks').map((r) => r.conclusion)).toEqual(['failure']);
    expect(runsOn(pull.head.sha, 'dgit/checks').map((r) => r.conclusion)).toEqual(['success']);
    expect(botCommentsOn(pull).filter((c) => c.body.startsWith(DIFF_COMMENT_MARKER))).toHaveLength(1);
  });

  it('refuses `/dgit queue` from a read-only user, politely, and queues nothing', async () => {
    const pull = pullOf(healBranches.delay);
    const before = main();
    const comment = harness.github.comment(pull, READER, '/dgit queue');
    await simulation.flush();
    const reply = botCommentsOn(pull).find((c) => c.body.startsWith(replyMarker({ kind: 'comment', id: comment.id })))!;
    expect(reply.body).toContain('Sorry, `/dgit queue` needs write access to this repository, and `drive-by` has read.');
    expect(main()).toBe(before);
    expect(pull.state).toBe('open');
    expect(harness.github.checkRuns.filter((r) => r.name === 'dgit/queue')).toEqual([]);
  });

  it('lands the pull request on `/dgit queue` by a writer: main moves to the tested commit, which contains the head', async () => {
    const pull = pullOf(healBranches.delay);
    const before = main();
    const comment = harness.github.comment(pull, WRITER, '/dgit queue');
    await simulation.flush();

    const reply = botCommentsOn(pull).find((c) => c.body.startsWith(replyMarker({ kind: 'comment', id: comment.id })))!;
    expect(reply.body).toContain('Queued for `main`, position 1');
    const [entry] = queueState().entries;
    expect(entry).toMatchObject({ pull: pull.number, state: 'merged', departure: 'merged', head: pull.head.sha });
    // main moved once, from where it was to exactly the tested commit, which holds the pull request's head.
    expect(main()).toBe(entry!.commit);
    expect(reflog()).toEqual([before, entry!.commit]);
    expect(isAncestor(repository, pull.head.sha, main())).toBe(true);
    expect(pull).toMatchObject({ state: 'closed' });
    expect(pull.mergedAt).not.toBeNull();
    const [queueRun] = runsOn(pull.head.sha, 'dgit/queue');
    expect(queueRun).toMatchObject({ status: 'completed', conclusion: 'success' });
    expect(botCommentsOn(pull).some((c) => c.body.includes('Merged by the dgit merge queue'))).toBe(true);
    // And main is green now.
    await dgitOk('switch', 'main');
    await dgitOk('pull', 'origin', 'main');
    expect((await dgit('check')).code).toBe(0);
  });

  it('dequeues a second proposal that conflicts with main, saying why on the pull request and in its check run', async () => {
    await dgitOk('push', 'origin', healBranches.origin);
    await simulation.flush();
    const pull = pullOf(healBranches.origin);
    expect(pull.state).toBe('open');
    const before = main();

    harness.github.comment(pull, WRITER, '/dgit queue');
    await simulation.flush();

    expect(main()).toBe(before);
    const entry = queueState().entries.find((e) => e.pull === pull.number)!;
    expect(entry).toMatchObject({ state: 'dequeued', departure: 'conflict' });
    expect(entry.reason).toContain('conflicts in flights');
    const outcome = botCommentsOn(pull).find((c) => c.body.startsWith(`<!-- dgit:queue-outcome:${entry.id} -->`))!;
    expect(outcome.body).toContain('❌ Removed from the merge queue: the data merge with main conflicts in flights: 1 conflict, at id=8 \\(origin\\)');
    expect(outcome.body).toContain('/dgit retry');
    expectInert(outcome.body);
    const [queueRun] = runsOn(pull.head.sha, 'dgit/queue');
    expect(queueRun).toMatchObject({ status: 'completed', conclusion: 'failure', output: { title: 'Removed from the merge queue' } });
    expect(queueRun!.output.summary).toContain('conflicts in flights');
    expect(pull.state).toBe('open');
  });

  it('takes off the `dgit:queue` label of a read-only user, with a comment, and queues nothing', async () => {
    const pull = pullOf(healBranches.origin);
    const entries = queueState().entries.length;
    harness.github.label(pull, READER, QUEUE_LABEL);
    await simulation.flush();
    expect(pull.labels).not.toContain(QUEUE_LABEL);
    expect(botCommentsOn(pull).at(-1)!.body).toContain('Sorry, the label `dgit:queue` needs write access to this repository, and `drive-by` has read: the label was removed.');
    expect(queueState().entries).toHaveLength(entries);
  });

  it('did it all within GitHub\'s API and with every webhook signed and handled', () => {
    expect(harness.github.violations).toEqual([]);
    expect(simulation.deliveries.filter((d) => d.status !== 202 || d.handled !== 'handled')).toEqual([]);
    expect(queueState().landing).toBeNull();
    // Only the bot pushed main, and only tested commits.
    expect(reflog().slice(1)).toEqual(queueState().entries.filter((e) => e.state === 'merged').map((e) => e.commit));
  });
});

/** Every commit main has pointed at on the git server since the test began, oldest first (its reflog). */
function reflog(): string[] {
  const file = path.join(repository.gitPath, 'logs/refs/heads/main');
  if (!fs.existsSync(file)) return [main()];
  const moves = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => line.split(' ') as [string, string]);
  return [moves[0]![0], ...moves.map(([, to]) => to)];
}
