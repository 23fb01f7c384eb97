import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANNOTATIONS_PER_REQUEST } from '../../bot/publish/check-run.js';
import { DIFF_COMMENT_MARKER } from '../../bot/render/markers.js';
import { BotHarness } from './support/bot-harness.js';
import { DataRepository } from './support/data-repository.js';
import type { StandInRepository } from './support/github-stand-in.js';
import { expectInert } from './support/inert-text.js';
import { pullRequestPayload, pushPayload } from './support/webhook-payloads.js';

/**
 * GitHub's limits hold whatever the data: a healing proposal that rewrites every
 * row of 24 wide tables still gets a pull-request body and a diff comment under
 * 65,536 characters and a check-run summary under 65,535, and 130 failing checks
 * become 130 annotations sent 50 per request.
 */

const TABLES = 24;
const COLUMNS = 12;
const ROWS = 40;
const CHECKS = 130;

let harness: BotHarness;
let repository: StandInRepository;
let head: string;

function wideRows(table: number, version: string): Array<Record<string, unknown>> {
  return Array.from({ length: ROWS }, (_, row) => {
    const record: Record<string, unknown> = { id: row + 1 };
    for (let c = 1; c < COLUMNS; c++) record[`column_${c}`] = `${version} value of table ${table} row ${row} column ${c} @someone #${row} <i>x</i> `.repeat(3);
    return record;
  });
}

beforeAll(async () => {
  harness = await BotHarness.start();
  const data = await DataRepository.create('wide');
  for (let t = 0; t < TABLES; t++) await data.load(`wide_${t}`, wideRows(t, 'old'), { key: ['id'] });
  // 130 checks that fail on every row, each on its own dgit.yml line.
  const checks = Array.from({ length: CHECKS }, (_, i) => `      - { kind: accepted_values, column: column_1, values: [none], name: impossible_${i} }`);
  await data.config(['version: 1', 'tables:', '  wide_0:', '    checks:', ...checks].join('\n') + '\n');
  await data.commit('wide tables');
  await data.switch('heal/rewrite-everything', { create: true });
  for (let t = 0; t < TABLES; t++) await data.load(`wide_${t}`, wideRows(t, 'new'), { mode: 'upsert' });
  head = await data.commit('heal: rewrite every row');
  await data.switch('main');
  repository = harness.serve(data, 'octo-org', 'wide', 555);
}, 120_000);

afterAll(async () => {
  await harness?.close();
});

describe('GitHub size limits', () => {
  it('keep a huge healing proposal body under 65,536 characters', async () => {
    await harness.deliver('push', pushPayload(harness.github, repository, { branch: 'heal/rewrite-everything', after: head, message: 'heal: rewrite every row' }));
    expect(harness.github.violations).toEqual([]);
    const body = harness.github.pulls[0]!.body!;
    expect(body.length).toBeLessThanOrEqual(65_536);
    expect(body.length).toBeGreaterThan(30_000);
    expect(body).toContain("to stay within GitHub's comment size limit");
    expectInert(body);
  });

  it('keep the diff comment under 65,536 and the check-run summary under 65,535, and send 130 annotations 50 per request', async () => {
    await harness.deliver('pull_request', pullRequestPayload(harness.github, 'opened', harness.github.pulls[0]!));
    expect(harness.github.violations).toEqual([]);

    const comment = harness.github.comments.find((c) => c.body.startsWith(DIFF_COMMENT_MARKER))!;
    expect(comment.body.length).toBeLessThanOrEqual(65_536);
    expect(comment.body.length).toBeGreaterThan(30_000);
    expect(comment.body).toContain(`| wide\\_${TABLES - 1} | modified | 0 | 0 | ${ROWS} |`);
    expectInert(comment.body);

    const run = harness.github.checkRuns.find((r) => r.headSha === head)!;
    expect(run.output.summary!.length).toBeLessThanOrEqual(65_535);
    expectInert(run.output.summary!);
    expect(run.conclusion).toBe('failure');
    const failures = run.annotations.filter((a) => a.path === 'dgit.yml');
    expect(failures).toHaveLength(CHECKS);
    expect(new Set(failures.map((a) => a.start_line)).size).toBe(CHECKS);
    // Create (in progress), then updates of at most 50 annotations, the conclusion only with the last.
    const updates = run.writes.slice(1);
    expect(run.writes[0]).toMatchObject({ status: 'in_progress', annotations: 0 });
    expect(updates.length).toBe(Math.ceil(run.annotations.length / ANNOTATIONS_PER_REQUEST));
    expect(updates.every((w) => w.annotations <= ANNOTATIONS_PER_REQUEST)).toBe(true);
    expect(updates.slice(0, -1).every((w) => w.conclusion === undefined)).toBe(true);
    expect(updates.at(-1)!.conclusion).toBe('failure');
  });
});
