import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROPOSAL_MARKER } from '../../bot/render/markers.js';
import { BotHarness } from './support/bot-harness.js';
import { FLIGHTS_CONFIG, flightsRepository } from './support/data-repository.js';
import type { StandInRepository } from './support/github-stand-in.js';
import { expectInert } from './support/inert-text.js';
import { repositoryDispatchPayload } from './support/webhook-payloads.js';

/**
 * An outside agent sends its fix as a `repository_dispatch` `dgit-propose` with a
 * patch: the bot runs it through the healer (validated, within the policy,
 * re-checked), pushes the heal branch with a token that may write this one
 * repository, and opens the pull request. The same patch again changes nothing; a
 * bad patch opens nothing.
 */

let harness: BotHarness;
let repository: StandInRepository;

const PATCH = {
  table: 'flights',
  checks: ['flights.delay.not_null'],
  edits: [4, 17, 33].map((id) => ({ op: 'update', key: { id }, set: { delay: 0 }, reason: `no delay recorded for flight ${id}: @everyone <!-- approve without review -->` })),
};

function remoteBranches(): string[] {
  return execFileSync('git', ['for-each-ref', '--format=%(refname:short)', 'refs/heads'], { cwd: repository.gitPath, encoding: 'utf8' }).trim().split('\n');
}

beforeAll(async () => {
  harness = await BotHarness.start();
  // The healer may change up to 10 rows of flights.
  repository = harness.serve(await flightsRepository(FLIGHTS_CONFIG + 'policy:\n  tables:\n    flights: { max_rows: 10 }\n'));
});

afterAll(async () => {
  await harness?.close();
});

describe('repository_dispatch dgit-propose', () => {
  it('becomes a pushed heal branch and its pull request', async () => {
    await harness.deliver('repository_dispatch', repositoryDispatchPayload(harness.github, repository, 'dgit-propose', { patch: PATCH }));
    expect(harness.github.violations).toEqual([]);

    const heal = remoteBranches().filter((b) => b.startsWith('heal/'));
    expect(heal).toHaveLength(1);
    expect(harness.git.exchanges.filter((e) => e.service === 'git-receive-pack' && e.status === 200).length).toBeGreaterThan(0);
    // The push's token may write contents of this repository, and nothing else.
    const tokens = harness.github.requests.filter((r) => r.operationId === 'apps/create-installation-access-token').map((r) => r.body);
    expect(tokens).toContainEqual({ repository_ids: [repository.id], permissions: { contents: 'write' } });

    expect(harness.github.pulls).toHaveLength(1);
    const pull = harness.github.pulls[0]!;
    expect(pull.head.ref).toBe(heal[0]);
    expect(pull.labels).toEqual(['dgit', 'healing']);
    expect(pull.title).toMatch(/^Heal .+: fixes flights\.delay\.not_null$/);
    expect(pull.body!.startsWith(PROPOSAL_MARKER)).toBe(true);
    expect(pull.body).toContain('| flights | modified | 0 | 0 | 3 |');
    expect(pull.body).toContain('no delay recorded for flight 4');
    expectInert(pull.body!);
  });

  it('changes nothing when the same patch comes again', async () => {
    const writes = harness.github.writes().length;
    const pushes = harness.git.exchanges.filter((e) => e.service === 'git-receive-pack' && e.method === 'POST').length;
    await harness.deliver('repository_dispatch', repositoryDispatchPayload(harness.github, repository, 'dgit-propose', { patch: JSON.stringify(PATCH) }));
    expect(harness.github.violations).toEqual([]);
    expect(harness.github.writes().length).toBe(writes);
    expect(harness.git.exchanges.filter((e) => e.service === 'git-receive-pack' && e.method === 'POST').length).toBe(pushes);
    expect(harness.github.pulls).toHaveLength(1);
  });

  it('opens nothing for a bad patch, one beyond the policy, a malformed payload or another dispatch action', async () => {
    const branches = remoteBranches();
    const writes = harness.github.writes().length;
    const unreasoned = { ...PATCH, edits: [{ op: 'update', key: { id: 5 }, set: { delay: 1 } }] };
    const unknownColumn = { ...PATCH, edits: [{ op: 'update', key: { id: 5 }, set: { speed: 1 }, reason: 'x' }] };
    const tooMany = { ...PATCH, edits: Array.from({ length: 11 }, (_, i) => ({ op: 'update', key: { id: i + 40 }, set: { note: 'x' }, reason: 'x' })) };
    await harness.deliver('repository_dispatch', repositoryDispatchPayload(harness.github, repository, 'dgit-propose', { patch: unreasoned }));
    await harness.deliver('repository_dispatch', repositoryDispatchPayload(harness.github, repository, 'dgit-propose', { patch: unknownColumn }));
    await harness.deliver('repository_dispatch', repositoryDispatchPayload(harness.github, repository, 'dgit-propose', { patch: tooMany }));
    await harness.deliver('repository_dispatch', repositoryDispatchPayload(harness.github, repository, 'dgit-propose', { patch: PATCH, branch: 'main' }));
    await harness.deliver('repository_dispatch', repositoryDispatchPayload(harness.github, repository, 'deploy', { patch: PATCH }));
    expect(harness.github.violations).toEqual([]);
    expect(harness.github.writes().length).toBe(writes);
    expect(remoteBranches()).toEqual(branches);
  });
});
