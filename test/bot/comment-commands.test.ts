import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BotModule } from '../../bot/bot-module.js';
import { parseCommand } from '../../bot/commands/command-router.js';
import { mergeQueueModule } from '../../bot/queue/merge-queue-module.js';
import { BotHarness } from './support/bot-harness.js';
import { flightsRepository } from './support/data-repository.js';
import type { PullRecord } from './support/github-stand-in.js';
import { expectInert } from './support/inert-text.js';
import { issueCommentPayload } from './support/webhook-payloads.js';

/**
 * `/dgit <verb>` comments are routed to the commands of the bot's modules (the
 * merge queue brings `queue`, `dequeue`, `retry`). With no module the bot does not
 * even listen; a module's command runs only for commenters with the permission it
 * needs, checked with GitHub every time, and is answered once: the answer is
 * marked with the command's comment, and a command answered already is not run
 * again, even by a bot that lost its delivery log.
 */

/** A reply's text, without the marker naming the command it answers. */
const unmarked = (body: string) => body.replace(/^<!-- dgit:reply:comment-\d+ -->\n/, '');

describe('/dgit commands with no module', () => {
  let harness: BotHarness;
  let pull: PullRecord;

  beforeAll(async () => {
    harness = await BotHarness.start();
    const repository = harness.serve(await flightsRepository());
    pull = harness.github.openPullRequest({ repository, head: { ref: 'main' }, title: 'x' });
  });
  afterAll(async () => harness?.close());

  it('get no answer at all: `/dgit queue` is not a command without the merge queue', async () => {
    harness.github.permissions.set('maintainer', 'admin');
    await harness.deliver('issue_comment', issueCommentPayload(harness.github, pull, { body: '/dgit queue', login: 'maintainer' }));
    expect(harness.github.requests).toEqual([]);
  });
});

describe('/dgit commands of a module', () => {
  let harness: BotHarness;
  let pull: PullRecord;
  const ran: string[] = [];
  const module: BotModule = {
    name: 'test-module',
    commands: [
      {
        verb: 'ping',
        summary: 'answers pong',
        permission: 'write',
        run: async (invocation) => {
          ran.push(`${invocation.commenter}:${invocation.args.join(' ')}`);
          await invocation.reply('pong');
        },
      },
    ],
  };

  beforeAll(async () => {
    harness = await BotHarness.start({ modules: [module] });
    const repository = harness.serve(await flightsRepository());
    pull = harness.github.openPullRequest({ repository, head: { ref: 'main' }, title: 'x' });
    harness.github.permissions.set('writer', 'write');
    harness.github.permissions.set('@reader <b>', 'read');
  });
  afterAll(async () => harness?.close());

  const replies = () => harness.github.comments.map((c) => unmarked(c.body));

  it('run for a commenter with the permission, after asking GitHub', async () => {
    await harness.deliver('issue_comment', issueCommentPayload(harness.github, pull, { body: 'Looks good.\n/dgit ping now please', login: 'writer' }));
    expect(harness.github.violations).toEqual([]);
    expect(ran).toEqual(['writer:now please']);
    expect(replies()).toEqual(['pong']);
    expect(harness.github.requests.map((r) => r.operationId)).toContain('repos/get-collaborator-permission-level');
  });

  it('are refused politely, with the commenter named inertly, without the permission', async () => {
    await harness.deliver('issue_comment', issueCommentPayload(harness.github, pull, { body: '/dgit ping', login: '@reader <b>' }));
    expect(ran).toHaveLength(1);
    const refusal = replies().at(-1)!;
    expect(refusal).toBe('Sorry, `/dgit ping` needs write access to this repository, and `@reader <b>` has read.');
    expectInert(refusal);
  });

  it('list the commands for an unknown verb, and ignore bots, quotes and plain comments', async () => {
    await harness.deliver('issue_comment', issueCommentPayload(harness.github, pull, { body: '/dgit pong', login: 'writer' }));
    expect(replies().at(-1)).toBe('dgit does not know `/dgit pong`. Commands:\n\n- `/dgit ping`: answers pong');
    const count = harness.github.requests.length;
    await harness.deliver('issue_comment', issueCommentPayload(harness.github, pull, { body: '/dgit ping', login: 'other-bot[bot]', type: 'Bot' }));
    await harness.deliver('issue_comment', issueCommentPayload(harness.github, pull, { body: '> /dgit ping', login: 'writer' }));
    await harness.deliver('issue_comment', issueCommentPayload(harness.github, pull, { body: 'no command here', login: 'writer' }));
    expect(harness.github.requests.length).toBe(count);
    expect(ran).toHaveLength(1);
  });

  it('run once per delivery', async () => {
    const payload = issueCommentPayload(harness.github, pull, { body: '/dgit ping', login: 'writer' });
    const id = await harness.deliver('issue_comment', payload);
    await harness.deliver('issue_comment', payload, id);
    expect(ran).toHaveLength(2);
  });

  it('run once per comment: a command answered already is not run again, under a new delivery or after a restart', async () => {
    const payload = issueCommentPayload(harness.github, pull, { body: '/dgit ping', login: 'writer' });
    await harness.deliver('issue_comment', payload);
    const comments = harness.github.comments.length;
    await harness.deliver('issue_comment', payload);
    await harness.restart([module]);
    await harness.deliver('issue_comment', payload);
    expect(ran).toHaveLength(3);
    expect(harness.github.comments).toHaveLength(comments);
    const marker = `<!-- dgit:reply:comment-${(payload['comment'] as { id: number }).id} -->`;
    expect(harness.github.comments.filter((c) => c.body.startsWith(marker))).toHaveLength(1);
  });
});

describe('/dgit commands of the merge queue', () => {
  it('are listed for an unknown verb', async () => {
    const harness = await BotHarness.start({ modules: [mergeQueueModule()] });
    try {
      const repository = harness.serve(await flightsRepository());
      const pull = harness.github.openPullRequest({ repository, head: { ref: 'main' }, title: 'x' });
      await harness.deliver('issue_comment', issueCommentPayload(harness.github, pull, { body: '/dgit', login: 'anyone' }));
      const listing = unmarked(harness.github.comments.at(-1)!.body);
      expect(listing.split('\n').slice(0, 2)).toEqual(['dgit commands:', '']);
      expect(listing).toContain('- `/dgit queue`: ');
      expect(listing).toContain('- `/dgit dequeue`: ');
      expect(listing).toContain('- `/dgit retry`: ');
      expect(harness.github.violations).toEqual([]);
    } finally {
      await harness.close();
    }
  });
});

describe('parseCommand', () => {
  it('reads the first /dgit line, verb in lower case', () => {
    expect(parseCommand('/dgit Queue')).toEqual({ verb: 'queue', args: [] });
    expect(parseCommand('thanks!\n  /dgit retry  now \n/dgit queue')).toEqual({ verb: 'retry', args: ['now'] });
    expect(parseCommand('/dgit')).toEqual({ verb: '', args: [] });
    expect(parseCommand('/dgitqueue')).toBeUndefined();
    expect(parseCommand('please /dgit queue')).toBeUndefined();
    expect(parseCommand('> /dgit queue')).toBeUndefined();
  });
});
