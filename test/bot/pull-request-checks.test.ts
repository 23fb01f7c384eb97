import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIFF_COMMENT_MARKER } from '../../bot/render/markers.js';
import { BotHarness } from './support/bot-harness.js';
import { FLIGHTS_CONFIG, flights, flightsRepository, type DataRepository } from './support/data-repository.js';
import type { CheckRunRecord, PullRecord, StandInRepository } from './support/github-stand-in.js';
import { expectInert } from './support/inert-text.js';
import { checkRunRerequestedPayload, mergeGroupPayload, pullRequestPayload } from './support/webhook-payloads.js';

/**
 * A person's pull request that changes the data: the `dgit/checks` check run
 * (conclusion, summary, annotations on dgit.yml and schema.json) and the one
 * data-diff comment, updated in place on every push, with every piece of text
 * from the data inert.
 */

const HOSTILE = '@everyone <script>alert(1)</script> #1 <!-- ignore previous instructions -->';

let harness: BotHarness;
let data: DataRepository;
let repository: StandInRepository;
let pull: PullRecord;

function runsOf(sha: string): CheckRunRecord[] {
  return harness.github.checkRuns.filter((run) => run.headSha === sha);
}

function diffComments() {
  return harness.github.comments.filter((c) => c.body.startsWith(DIFF_COMMENT_MARKER));
}

beforeAll(async () => {
  harness = await BotHarness.start();
  data = await flightsRepository();
  await data.switch('people/more-flights', { create: true });
  // Five new flights, one from an airport dgit.yml does not accept, notes written to provoke, and a new column.
  const added = flights(65).slice(60).map((row, i) => ({ ...row, origin: i === 2 ? 'BOS' : row.origin, note: HOSTILE, gate: `G${i}` }));
  await data.load('flights', added, { mode: 'upsert' });
  await data.config(FLIGHTS_CONFIG + '      - kind: not_null\n        column: gate\n        severity: warn\n        description: "gates @data-team #7 <b>bold</b>"\n');
  await data.commit('five more flights, with gates');
  await data.switch('main');
  repository = harness.serve(data);
  pull = harness.github.openPullRequest({ repository, head: { ref: 'people/more-flights' }, title: 'More flights', body: 'Adds five flights.' });
});

afterAll(async () => {
  await harness?.close();
});

describe('a pull request that changes the data', () => {
  it('gets a dgit/checks check run: failure, the check results and diff counts, annotations on dgit.yml lines and schema.json', async () => {
    await harness.deliver('pull_request', pullRequestPayload(harness.github, 'opened', pull));
    expect(harness.github.violations).toEqual([]);

    const [run, ...others] = runsOf(pull.head.sha);
    expect(others).toEqual([]);
    expect(run).toMatchObject({ name: 'dgit/checks', status: 'completed', conclusion: 'failure', externalId: `pull/${pull.number}` });
    expect(run!.output.title).toBe('2 of 3 checks failed, 1 warning');
    expect(run!.output.summary).toContain('flights.origin.accepted\\_values');
    expect(run!.output.summary).toMatch(/\| flights \| modified \| 5 \| 0 \| 0 \| 1 added \|/);
    expectInert(run!.output.summary!);

    const byLine = Object.fromEntries(run!.annotations.map((a) => [`${a.path}:${a.start_line}`, a]));
    expect(byLine['dgit.yml:5']).toMatchObject({ annotation_level: 'failure', title: 'dgit check flights.delay.not_null' });
    expect(byLine['dgit.yml:7']).toMatchObject({ annotation_level: 'failure', title: 'dgit check flights.origin.accepted_values' });
    expect(byLine['dgit.yml:7']!.message).toContain('"BOS"');
    expect(byLine['dgit.yml:10']).toMatchObject({ annotation_level: 'warning' });
    const schema = run!.annotations.find((a) => a.path === 'tables/flights/schema.json')!;
    expect(schema).toMatchObject({ annotation_level: 'notice', message: 'Column gate (Utf8) added.' });
    expect(schema.start_line).toBeGreaterThan(1);
    // In progress first, then completed with the annotations.
    expect(run!.writes.map((w) => w.status ?? w.conclusion)).toEqual(['in_progress', 'completed']);
  });

  it('gets one data-diff comment, with the data made inert', async () => {
    const comments = diffComments();
    expect(comments).toHaveLength(1);
    const comment = comments[0]!;
    expect(comment.user.login).toBe('dgit-test[bot]');
    expect(comment.body).toContain('| flights | modified | 5 | 0 | 0 | columns: 1 added |');
    expect(comment.body).toContain('- added column **gate** (Utf8)');
    expect(comment.body).toContain('❌ Checks at');
    // The hostile note is there, escaped: no ping, no link, no HTML, no hidden comment.
    expect(comment.body).toContain('@&#8203;everyone &lt;script&gt;');
    expectInert(comment.body);
  });

  it('on a new push, gets a check run for the new head and the same comment edited in place', async () => {
    const firstHead = pull.head.sha;
    const comment = { ...diffComments()[0]! };
    await data.switch('people/more-flights');
    await data.load('flights', [{ ...flights(65)[62]!, origin: 'SFO', note: 'fixed the airport', gate: 'G2' }], { mode: 'upsert' });
    await data.commit('BOS is not served: SFO');
    await data.switch('main');
    data.push(repository.gitPath, 'people/more-flights');
    harness.github.refreshHead(pull);
    expect(pull.head.sha).not.toBe(firstHead);

    await harness.deliver('pull_request', pullRequestPayload(harness.github, 'synchronize', pull, { before: firstHead, after: pull.head.sha }));
    expect(harness.github.violations).toEqual([]);
    const [run] = runsOf(pull.head.sha);
    expect(run).toMatchObject({ conclusion: 'failure' });
    expect(run!.output.title).toBe('1 of 3 checks failed, 1 warning');
    expect(run!.annotations.map((a) => `${a.path}:${a.start_line}`)).not.toContain('dgit.yml:7');

    const comments = diffComments();
    expect(comments).toHaveLength(1);
    expect(comments[0]!.id).toBe(comment.id);
    expect(comments[0]!.body).not.toBe(comment.body);
    expect(comments[0]!.body).toContain('fixed the airport');
    expect(harness.github.comments).toHaveLength(1);
  });

  it('changes nothing on a redelivery, and writes nothing for the same head under a new delivery', async () => {
    const payload = pullRequestPayload(harness.github, 'synchronize', pull);
    const id = await harness.deliver('pull_request', payload);
    const requests = harness.github.requests.length;
    const writes = harness.github.writes().length;
    await harness.deliver('pull_request', payload, id);
    expect(harness.github.requests.length).toBe(requests);
    await harness.deliver('pull_request', payloadWithNewId(payload));
    expect(harness.github.writes().length).toBe(writes);
    expect(runsOf(pull.head.sha)).toHaveLength(1);
    expect(diffComments()).toHaveLength(1);
  });

  it('re-runs the checks in a new check run on check_run.rerequested', async () => {
    const [run] = runsOf(pull.head.sha);
    await harness.deliver('check_run', checkRunRerequestedPayload(harness.github, repository, run!));
    expect(harness.github.violations).toEqual([]);
    const runs = runsOf(pull.head.sha);
    expect(runs).toHaveLength(2);
    expect(runs[1]).toMatchObject({ status: 'completed', conclusion: 'failure', externalId: `pull/${pull.number}` });
    expect(runs[1]!.annotations.length).toBe(run!.annotations.length);
    expect(diffComments()).toHaveLength(1);
  });

  it('reports a check run on merge_group.head_sha for GitHub merge queue', async () => {
    const head = pull.head.sha;
    const base = await data.head('main');
    await harness.deliver('merge_group', mergeGroupPayload(harness.github, repository, { headSha: head, headRef: `gh-readonly-queue/main/pr-${pull.number}-${base}`, baseSha: base }));
    expect(harness.github.violations).toEqual([]);
    const group = runsOf(head).find((r) => r.externalId === `merge_group/${base}`);
    expect(group).toMatchObject({ name: 'dgit/checks', status: 'completed', conclusion: 'failure' });
    expect(group!.output.summary).toContain('#### Data changed since');
  });
});

function payloadWithNewId(payload: Record<string, unknown>): Record<string, unknown> {
  return structuredClone(payload);
}
