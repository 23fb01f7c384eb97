import { describe, expect, it } from 'vitest';
import { gitOut } from '../support/cli.js';
import { baseRow, commitOnBranch, queueRepository } from './queue-fixtures.js';
import { dgitQueue, dgitQueueOk } from './queue-cli.js';

describe('dgit queue', () => {
  it('has help with examples for each subcommand', () => {
    const dir = process.cwd();
    for (const args of [['--help'], ['add', '--help'], ['list', '--help'], ['run', '--help']]) expect(dgitQueueOk(dir, ...args)).toMatch(/Example/);
  });

  it('add, list --json and run --json: a clean branch lands, a broken one is dropped with its reason, exit 1', async () => {
    const { repository, dir, base } = await queueRepository(4);
    const good = await commitOnBranch(repository, 'good', { upsert: [{ ...baseRow(1), score: 42 }] });
    await commitOnBranch(repository, 'bad', { upsert: [{ ...baseRow(2), score: 999 }] });

    expect(dgitQueueOk(dir, 'add', 'good')).toBe('Queued good as #1 (position 1) for main; `dgit queue run` lands it.\n');
    expect(JSON.parse(dgitQueueOk(dir, 'add', 'bad', '--json'))).toMatchObject({ id: 2, branch: 'bad', state: 'queued' });
    expect(dgitQueue(dir, 'add', 'good')).toMatchObject({ code: 1, stderr: 'dgit: error: good is already queued (#1)\n' });
    expect(dgitQueue(dir, 'add', 'main').code).toBe(2);
    expect(dgitQueue(dir, 'add', 'missing')).toMatchObject({ code: 2, stderr: 'dgit: error: branch "missing" not found; branches: bad, good, main\n' });
    expect(dgitQueue(dir, 'run', '--batch', '0')).toMatchObject({ code: 2 });

    const listed = JSON.parse(dgitQueueOk(dir, 'list', '--json'));
    expect(listed).toMatchObject({ default_branch: 'main', landing: null, entries: [{ id: 1, branch: 'good', state: 'queued' }, { id: 2, branch: 'bad', state: 'queued' }] });

    const run = dgitQueue(dir, 'run', '--batch', '2', '--json');
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ default_branch: 'main', before: base, after: good, recovered: [], warnings: [] });
    expect(report.tested.map((t: { entries: number[]; passed: boolean }) => [t.entries, t.passed])).toEqual([
      [[1, 2], false],
      [[1], true],
      [[2], false],
    ]);
    expect(report.outcomes).toEqual([
      { id: 1, branch: 'good', outcome: 'merged', departure: 'merged', reason: `landed on main as ${good.slice(0, 12)}`, commit: good },
      { id: 2, branch: 'bad', outcome: 'rejected', departure: 'checks-failed', reason: expect.stringMatching(/^check failed on the merged result: t\.score\.range/), commit: null },
    ]);
    expect(gitOut(dir, 'rev-parse', 'main').trim()).toBe(good);
    expect(gitOut(dir, 'status', '--porcelain')).toBe('');

    const table = dgitQueueOk(dir, 'list');
    expect(table).toMatch(/^#\s+branch\s+state\s+commit\s+reason$/m);
    expect(table).toMatch(new RegExp(`^1\\s+good\\s+merged\\s+${good.slice(0, 12)}`, 'm'));
    expect(table).toMatch(/^2\s+bad\s+dequeued\s+check failed on the merged result: t\.score\.range/m);
    expect(dgitQueueOk(dir, 'run')).toBe('Nothing queued.\nmain stays at ' + good.slice(0, 12) + ' (0 candidates tested).\n');
  });
});
