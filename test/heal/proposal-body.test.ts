import { describe, expect, it } from 'vitest';
import { proposalBody, type HealingProposal } from '../../bot/render/proposal.js';

/** The heal pull request leads with what the fix did, from the healer's trailers, and folds the incident memory away. */
describe('the body of a heal pull request', () => {
  const proposal = (message: string): HealingProposal => ({
    branch: 'heal/weather.temp_max.not_null-1a2b3c4d5e',
    incident: 'weather.temp_max.not_null-1a2b3c4d5e',
    baseBranch: 'main',
    head: 'f'.repeat(40),
    message,
    fixed: [],
    stillFailing: [],
    newlyFailing: [],
    headChecks: { kind: 'report', report: { revision: 'f'.repeat(40), passed: true, config: true, results: [] } },
  });

  it('says the kind, the counts and the evidence commit first', async () => {
    const message = ['heal: weather.temp_max.not_null by restore+quarantine', '', 'dgit-fix: restored 25, quarantined 2', 'dgit-resolution: contained', `dgit-evidence: ${'a'.repeat(40)}`, ''].join('\n');
    const body = await proposalBody(proposal(message), () => Promise.resolve('DIFF'));
    const fix = body.indexOf('**The fix** (contained): restored 25, quarantined 2');
    expect(fix).toBeGreaterThan(0);
    expect(fix).toBeLessThan(body.indexOf('Commit message'));
    expect(body).toContain('Restored values come from `aaaaaaaaaaaa`, the last revision where the check passed.');
    expect(body).toContain('Some rows were only defaulted or moved to quarantine');
    expect(body).toContain('it is left out of the diff below');
    expect(body).not.toContain('Marked for review');
  });

  it('marks a proposal that needs a review', async () => {
    const body = await proposalBody(proposal('heal: x\n\ndgit-fix: restored 112\ndgit-resolution: fixed\ndgit-review: required\n'), () => Promise.resolve(''));
    expect(body).toContain('**The fix** (fixed): restored 112');
    expect(body).toContain('**Marked for review:**');
  });

  it("an agent's commit without trailers gets no fix section", async () => {
    const body = await proposalBody(proposal('heal: x by agent\n'), () => Promise.resolve(''));
    expect(body).not.toContain('The fix');
  });
});
