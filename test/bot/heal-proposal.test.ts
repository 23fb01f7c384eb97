import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROPOSAL_MARKER } from '../../bot/render/markers.js';
import { BotHarness } from './support/bot-harness.js';
import { flights, flightsRepository, type DataRepository } from './support/data-repository.js';
import type { StandInRepository } from './support/github-stand-in.js';
import { pushPayload } from './support/webhook-payloads.js';

/**
 * A healer (or an agent) pushes `heal/<incident>`: the bot opens the pull request
 * to the default branch, says which incident and checks it fixes, carries the data
 * diff, labels it; any repetition of the event changes nothing.
 */

let harness: BotHarness;
let data: DataRepository;
let repository: StandInRepository;
let head: string;
const MESSAGE = 'heal: fill 3 missing delays with 0\n\nIncident delay-nulls: flights.delay.not_null failed on main.';

beforeAll(async () => {
  harness = await BotHarness.start();
  data = await flightsRepository();
  await data.switch('heal/delay-nulls', { create: true });
  const fixed = flights(60).filter((row) => [4, 17, 33].includes(row.id));
  await data.load('flights', fixed.map((row) => ({ ...row, delay: 0 })), { mode: 'upsert' });
  head = await data.commit(MESSAGE);
  await data.switch('main');
  repository = harness.serve(data);
});

afterAll(async () => {
  await harness?.close();
});

describe('a pushed heal branch', () => {
  let deliveryId: string;
  let payload: Record<string, unknown>;

  it('becomes a pull request to the default branch with the incident, the fixed checks, the data diff and the labels', async () => {
    payload = pushPayload(harness.github, repository, { branch: 'heal/delay-nulls', after: head, message: MESSAGE });
    deliveryId = await harness.deliver('push', payload);

    expect(harness.github.violations).toEqual([]);
    expect(harness.github.pulls).toHaveLength(1);
    const pull = harness.github.pulls[0]!;
    expect(pull.head).toMatchObject({ ref: 'heal/delay-nulls', sha: head });
    expect(pull.base.ref).toBe('main');
    expect(pull.user.login).toBe('dgit-test[bot]');
    expect(pull.title).toBe('Heal delay-nulls: fixes flights.delay.not_null');
    expect(pull.labels).toEqual(['dgit', 'healing']);
    const body = pull.body!;
    expect(body.startsWith(PROPOSAL_MARKER)).toBe(true);
    expect(body).toContain('## Healing proposal for incident `delay-nulls`');
    expect(body).toContain('**Fixes** (failing on `main`, passing here):');
    expect(body).toContain('- `flights.delay.not_null`: ');
    expect(body).toContain('> heal: fill 3 missing delays with 0');
    // The data diff: three rows modified, the delay cells from null to 0.
    expect(body).toMatch(/\| flights \| modified \| 0 \| 0 \| 3 \|/);
    expect(body).toContain('*NULL* → `0`');
    // Before the diff, the profile of the three affected rows: their delays went from null to 0.
    expect(body).toContain('**Affected rows, before → after');
    expect(body).toContain('| delay | 3 → 0 | 0 → 1 | — → 0 | — → 0 |');
    expect(body.indexOf('Affected rows')).toBeLessThan(body.indexOf('| flights | modified'));
    expect(body.length).toBeLessThanOrEqual(65_536);

    // Requests, in order: a token for git, the event's token, find an open PR by head, closed ones, create, label.
    expect(harness.github.requests.map((r) => r.operationId)).toEqual([
      'apps/create-installation-access-token',
      'apps/create-installation-access-token',
      'pulls/list',
      'pulls/list',
      'pulls/create',
      'issues/add-labels',
    ]);
    // git gets a token that can only read this one repository.
    expect(harness.github.requests[0]!.body).toEqual({ repository_ids: [repository.id], permissions: { contents: 'read' } });
    expect(harness.github.requests[2]!.query).toContain('head=octo-org%3Aheal%2Fdelay-nulls');
  });

  it('changes nothing when GitHub redelivers the same delivery, even after a restart', async () => {
    const before = harness.github.requests.length;
    await harness.deliver('push', payload, deliveryId);
    await harness.restart();
    await harness.deliver('push', payload, deliveryId);
    expect(harness.github.requests.length).toBe(before);
    expect(harness.github.pulls).toHaveLength(1);
  });

  it('writes nothing for the same push under a new delivery id: the pull request is found by its branch', async () => {
    const before = harness.github.writes().length;
    await harness.deliver('push', payload);
    expect(harness.github.writes().length).toBe(before);
    expect(harness.github.pulls).toHaveLength(1);
    expect(harness.github.violations).toEqual([]);
  });

  it('updates the open pull request in place when the heal branch moves', async () => {
    await data.switch('heal/delay-nulls');
    await data.load('flights', [{ ...flights(60)[9]!, note: 'checked by hand' }], { mode: 'upsert' });
    const next = await data.commit('heal: note the flight checked by hand');
    await data.switch('main');
    data.push(repository.gitPath, 'heal/delay-nulls');

    await harness.deliver('push', pushPayload(harness.github, repository, { branch: 'heal/delay-nulls', before: head, after: next, message: 'heal: note the flight checked by hand' }));
    expect(harness.github.violations).toEqual([]);
    expect(harness.github.pulls).toHaveLength(1);
    const pull = harness.github.pulls[0]!;
    expect(pull.body).toMatch(/\| flights \| modified \| 0 \| 0 \| 4 \|/);
    expect(harness.github.writes().at(-1)!.operationId).toBe('pulls/update');
  });

  it('ignores pushes of other branches and deleted heal branches', async () => {
    const before = harness.github.requests.length;
    await harness.deliver('push', pushPayload(harness.github, repository, { branch: 'main', after: await data.head('main'), message: 'x' }));
    const deleted = pushPayload(harness.github, repository, { branch: 'heal/delay-nulls', before: head, after: '0'.repeat(40), message: 'x' });
    deleted['deleted'] = true;
    await harness.deliver('push', deleted);
    expect(harness.github.requests.length).toBe(before);
  });
});
