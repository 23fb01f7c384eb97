import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIFF_COMMENT_MARKER } from '../../bot/render/markers.js';
import { ROOT, tempDir } from '../support/cli.js';
import { BotHarness, WRITE_TOKEN } from './support/bot-harness.js';
import { flights, flightsRepository, type DataRepository } from './support/data-repository.js';
import type { PullRecord, StandInRepository } from './support/github-stand-in.js';
import { pullRequestPayload } from './support/webhook-payloads.js';

/**
 * The third way to run the App: inside a GitHub Actions job, through
 * `@probot/adapter-github-actions` (`node dist/bot/action.js`), with the job's
 * GITHUB_TOKEN and the event GitHub wrote to GITHUB_EVENT_PATH. The runner is new
 * each time; the comment is still found and edited, as `github-actions[bot]`'s.
 */

let harness: BotHarness;
let data: DataRepository;
let repository: StandInRepository;
let pull: PullRecord;

/** One job: a fresh runner folder, the event file, `node dist/bot/action.js`. */
async function job(event: string, payload: Record<string, unknown>, token = WRITE_TOKEN): Promise<{ code: number; output: string }> {
  const runner = tempDir('dgit-runner-');
  const eventPath = path.join(runner, 'event.json');
  const { installation: _installation, ...actionsPayload } = payload; // Actions events carry no installation
  fs.writeFileSync(eventPath, JSON.stringify(actionsPayload));
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/bot/action.js')], {
    cwd: runner,
    env: {
      PATH: process.env.PATH,
      HOME: runner,
      GITHUB_ACTIONS: 'true',
      GITHUB_TOKEN: token,
      GITHUB_EVENT_NAME: event,
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_RUN_ID: String(Date.now()),
      RUNNER_TEMP: runner,
      GHE_HOST: new URL(harness.github.url).host,
      GHE_PROTOCOL: 'http',
    },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number>((resolve) => child.once('close', (status) => resolve(status ?? -1)));
  return { code, output };
}

beforeAll(async () => {
  harness = await BotHarness.start();
  harness.github.addToken(WRITE_TOKEN, { login: 'github-actions[bot]', type: 'Bot' });
  data = await flightsRepository();
  await data.switch('people/fix', { create: true });
  await data.load('flights', [{ ...flights(60)[3]!, delay: 5 }], { mode: 'upsert' });
  await data.commit('flight 4 was 5 minutes late');
  await data.switch('main');
  repository = harness.serve(data);
  pull = harness.github.openPullRequest({ repository, head: { ref: 'people/fix' }, title: 'Fix flight 4' });
});

afterAll(async () => {
  await harness?.close();
});

describe('the App in GitHub Actions', () => {
  it('checks a pull request with the job token: check run and diff comment as github-actions[bot]', async () => {
    const result = await job('pull_request', pullRequestPayload(harness.github, 'opened', pull));
    expect(result.code, result.output).toBe(0);
    expect(harness.github.violations).toEqual([]);
    const run = harness.github.checkRuns.find((r) => r.headSha === pull.head.sha);
    expect(run).toMatchObject({ status: 'completed', conclusion: 'failure' });
    const comments = harness.github.comments.filter((c) => c.body.startsWith(DIFF_COMMENT_MARKER));
    expect(comments).toHaveLength(1);
    expect(comments[0]!.user.login).toBe('github-actions[bot]');
    // No installation token is asked for: the job's token does everything.
    expect(harness.github.requests.map((r) => r.operationId)).not.toContain('apps/create-installation-access-token');
  });

  it('edits the same comment on the next push, from a new runner', async () => {
    await data.switch('people/fix');
    await data.load('flights', [{ ...flights(60)[16]!, delay: 7 }], { mode: 'upsert' });
    await data.commit('flight 17 too');
    await data.switch('main');
    data.push(repository.gitPath, 'people/fix');
    harness.github.refreshHead(pull);
    const result = await job('pull_request', pullRequestPayload(harness.github, 'synchronize', pull));
    expect(result.code, result.output).toBe(0);
    const comments = harness.github.comments.filter((c) => c.body.startsWith(DIFF_COMMENT_MARKER));
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain('| flights | modified | 0 | 0 | 2 |');
  });

  it('fails the job when the event cannot be handled', async () => {
    const result = await job('pull_request', pullRequestPayload(harness.github, 'synchronize', pull), 'ghs_a_token_github_does_not_know');
    expect(result.code).toBe(1);
  });
});
