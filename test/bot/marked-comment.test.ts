import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postCommentOnce, upsertMarkedComment } from '../../bot/publish/marked-comment.js';
import { BotHarness } from './support/bot-harness.js';
import { flightsRepository } from './support/data-repository.js';
import type { Actor, StandInRepository } from './support/github-stand-in.js';

/**
 * A marked comment is one per pull request even when two writers make it at once:
 * GitHub has no "create unless there is one", so two instances of the bot (or two
 * events handled together) can both find none and both post. Each then keeps the
 * oldest and deletes the rest, so they settle on one comment.
 */

const BOT: Actor = { login: 'dgit-test[bot]', type: 'Bot' };
const TOKEN = 'ghs_markedcommenttoken';
const MARKER = '<!-- dgit:test-marker -->';
const where = { owner: 'octo-org', repo: 'flights' };

let harness: BotHarness;
let repository: StandInRepository;
let client: Octokit;

beforeAll(async () => {
  harness = await BotHarness.start();
  harness.github.addToken(TOKEN, BOT);
  repository = harness.serve(await flightsRepository());
  client = new Octokit({ baseUrl: harness.github.url, auth: TOKEN });
});

afterAll(async () => {
  await harness?.close();
});

const marked = (pull: number) => harness.github.comments.filter((c) => c.repository === repository && c.issueNumber === pull && c.body.startsWith(MARKER));

describe('a marked comment', () => {
  it('is one comment when two writers make it at once, holding one of their bodies', async () => {
    const pull = harness.github.openPullRequest({ repository, head: { ref: 'main' }, title: 'two writers' });
    const bodies = [`${MARKER}\nfrom the first`, `${MARKER}\nfrom the second`];
    const outcomes = await Promise.all(bodies.map((body) => upsertMarkedComment(client, where, pull.number, MARKER, body, { login: BOT.login })));
    expect(marked(pull.number)).toHaveLength(1);
    const [kept] = marked(pull.number);
    expect(bodies).toContain(kept!.body);
    expect(outcomes.map((o) => o.id)).toEqual([kept!.id, kept!.id]);
    expect(outcomes.filter((o) => o.action === 'created')).toHaveLength(1);
    expect(harness.github.violations).toEqual([]);

    // Edited in place afterwards.
    const later = await upsertMarkedComment(client, where, pull.number, MARKER, `${MARKER}\nlater`, { login: BOT.login });
    expect(later).toEqual({ action: 'updated', id: kept!.id });
    expect(marked(pull.number).map((c) => c.body)).toEqual([`${MARKER}\nlater`]);
  });

  it('said once is said once when two writers say it at once', async () => {
    const pull = harness.github.openPullRequest({ repository, head: { ref: 'main' }, title: 'said once' });
    const outcomes = await Promise.all([1, 2].map((n) => postCommentOnce(client, where, pull.number, MARKER, `${MARKER}\nsaid by ${n}`, { login: BOT.login })));
    expect(marked(pull.number)).toHaveLength(1);
    expect(outcomes.map((o) => o.id)).toEqual([marked(pull.number)[0]!.id, marked(pull.number)[0]!.id]);
  });

  it('leaves other writers\' comments with the marker alone', async () => {
    const pull = harness.github.openPullRequest({ repository, head: { ref: 'main' }, title: 'a quoted marker' });
    harness.github.comment(pull, { login: 'someone', type: 'User' }, `${MARKER}\nsomeone quoting the bot`);
    await upsertMarkedComment(client, where, pull.number, MARKER, `${MARKER}\nthe bot's`, { login: BOT.login });
    expect(marked(pull.number).map((c) => c.body)).toEqual([`${MARKER}\nsomeone quoting the bot`, `${MARKER}\nthe bot's`]);
  });
});
