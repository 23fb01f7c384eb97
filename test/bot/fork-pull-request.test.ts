import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIFF_COMMENT_MARKER } from '../../bot/render/markers.js';
import { BotHarness } from './support/bot-harness.js';
import { FLIGHTS_CONFIG, flights, flightsRepository, type DataRepository } from './support/data-repository.js';
import { tempDir } from '../support/cli.js';
import type { PullRecord, StandInRepository } from './support/github-stand-in.js';
import { pullRequestPayload, pushPayload } from './support/webhook-payloads.js';

/**
 * A pull request from a fork is diffed and checked like any other, but the bot
 * only reads the fork: no request to the fork's repository, no push anywhere, no
 * edit of the pull request itself. A pull request that changes no data gets a
 * passing check run saying so (a required `dgit/checks` must not wait forever) and
 * no comment.
 */

let harness: BotHarness;
let data: DataRepository;
let base: StandInRepository;
let fork: StandInRepository;
let pull: PullRecord;

function refsOf(gitPath: string): string {
  return execFileSync('git', ['for-each-ref', '--format=%(refname) %(objectname)'], { cwd: gitPath, encoding: 'utf8' });
}

beforeAll(async () => {
  harness = await BotHarness.start();
  data = await flightsRepository();
  base = harness.serve(data);
  // Someone forks, names the branch like a healing proposal, and changes a delay.
  await data.switch('heal/not-really', { create: true });
  await data.load('flights', [{ ...flights(60)[0]!, delay: 99, note: 'from a fork @octocat' }], { mode: 'upsert' });
  await data.commit('a change from a fork');
  await data.switch('main');
  fork = harness.serve(data, 'someone', 'flights', 7_000_001);
  pull = harness.github.openPullRequest({ repository: base, head: { ref: 'heal/not-really', repository: fork }, title: 'Fix a delay', user: { login: 'someone', type: 'User' } });
});

afterAll(async () => {
  await harness?.close();
});

describe('a pull request from a fork', () => {
  it('gets the check run and the diff comment on the base repository, and nothing is written to the fork', async () => {
    const forkRefs = refsOf(fork.gitPath);
    const baseRefs = refsOf(base.gitPath);
    const exchanges = harness.git.exchanges.length;

    await harness.deliver('pull_request', pullRequestPayload(harness.github, 'opened', pull));
    expect(harness.github.violations).toEqual([]);

    const runs = harness.github.checkRuns.filter((r) => r.headSha === pull.head.sha);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ repository: base, status: 'completed', conclusion: 'failure' });
    const comments = harness.github.comments.filter((c) => c.body.startsWith(DIFF_COMMENT_MARKER));
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain('`0` → `99`');

    // Only reads of the fork: its refs over git's upload-pack, no receive-pack (push) to any repository.
    const git = harness.git.since(exchanges);
    expect(git.some((e) => e.path.startsWith('/someone/flights.git/'))).toBe(true);
    expect(git.filter((e) => e.service === 'git-receive-pack')).toEqual([]);
    expect(refsOf(fork.gitPath)).toBe(forkRefs);
    expect(refsOf(base.gitPath)).toBe(baseRefs);
    // Nothing asked of the fork's repository on GitHub, and the pull request itself untouched.
    expect(harness.github.requests.filter((r) => r.path.startsWith('/repos/someone/'))).toEqual([]);
    expect(harness.github.requests.map((r) => r.operationId)).not.toContain('pulls/update');
    expect(harness.github.requests.map((r) => r.operationId)).not.toContain('issues/add-labels');
    expect(pull.labels).toEqual([]);
  });

  it('is not taken for a healing proposal for having a heal/ branch name: the fork push never reaches the base repository', async () => {
    // The push event of the fork's branch would come from the fork's own installation, if any: the base gets none.
    // A pull_request event is all the base sees, and it only checks.
    expect(harness.github.pulls).toHaveLength(1);
    expect(harness.github.writes().map((w) => w.operationId).sort()).toEqual(['checks/create', 'checks/update', 'issues/create-comment']);
  });
});

describe('an sql check written in a fork\'s dgit.yml', () => {
  it('cannot read a file of the bot\'s machine: the check fails saying so, and nothing of the file shows', async () => {
    const secret = path.join(tempDir('dgit-bot-secret-'), 'secret.csv');
    fs.writeFileSync(secret, 'token\nhunter2-do-not-leak\n');
    await data.switch('steal', { create: true, start: 'main' });
    await data.config(FLIGHTS_CONFIG + `      - kind: sql\n        sql: ${JSON.stringify(`SELECT * FROM read_csv('${secret}')`)}\n`);
    await data.commit('an innocent check');
    await data.switch('main');
    data.push(fork.gitPath, 'steal');
    const steal = harness.github.openPullRequest({ repository: base, head: { ref: 'steal', repository: fork }, title: 'Add a check', user: { login: 'someone', type: 'User' } });

    await harness.deliver('pull_request', pullRequestPayload(harness.github, 'opened', steal));
    expect(harness.github.violations).toEqual([]);
    const run = harness.github.checkRuns.find((r) => r.headSha === steal.head.sha)!;
    expect(run.conclusion).toBe('failure');
    expect(run.output.summary).toContain('may read only the tables of the revision');
    const written = JSON.stringify([harness.github.checkRuns, harness.github.comments]);
    expect(written).not.toContain('hunter2');
  });
});

describe('a pull request that changes no data', () => {
  it('gets a passing check run saying so, and no comment', async () => {
    // A README on a branch, committed with plain git on the server's copy.
    const work = `${base.gitPath}-work`;
    execFileSync('git', ['clone', '--quiet', base.gitPath, work]);
    execFileSync('git', ['checkout', '--quiet', '-b', 'docs'], { cwd: work });
    execFileSync('sh', ['-c', 'echo "# Flights" > README.md && git add README.md && git -c user.name=T -c user.email=t@e commit --quiet -m docs && git push --quiet origin docs'], { cwd: work });
    const docs = harness.github.openPullRequest({ repository: base, head: { ref: 'docs' }, title: 'Docs' });
    const writes = harness.github.writes().length;

    const comments = harness.github.comments.length;
    await harness.deliver('pull_request', pullRequestPayload(harness.github, 'opened', docs));
    expect(harness.github.violations).toEqual([]);
    expect(harness.github.writes().slice(writes).map((w) => w.operationId)).toEqual(['checks/create', 'checks/update']);
    const runs = harness.github.checkRuns.filter((r) => r.headSha === docs.head.sha);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ name: 'dgit/checks', status: 'completed', conclusion: 'success', output: { title: 'No data change' } });
    expect(runs[0]!.output.summary).toContain('changes neither `tables/` nor `dgit.yml`');
    expect(harness.github.comments).toHaveLength(comments);

    // The same event again (a new delivery) writes nothing more.
    const again = harness.github.writes().length;
    await harness.deliver('pull_request', pullRequestPayload(harness.github, 'opened', docs));
    expect(harness.github.writes().length).toBe(again);
  });

  it('and a push of a non-heal branch opens nothing', async () => {
    const pulls = harness.github.pulls.length;
    await harness.deliver('push', pushPayload(harness.github, base, { branch: 'docs', after: harness.github.pulls.at(-1)!.head.sha, message: 'docs' }));
    expect(harness.github.pulls.length).toBe(pulls);
  });
});
