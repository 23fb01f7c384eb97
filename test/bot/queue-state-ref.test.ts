import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_STATE_REF, QueueStore } from '../../bot/queue/queue-store.js';
import { addEntry, type QueueState } from '../../bot/queue/queue-state.js';
import { clone } from '../../engine/remote/index.js';
import { Repository } from '../../engine/repository/repository.js';
import type { CommitId } from '../../engine/store/revision.js';
import { tempDir } from '../support/cli.js';
import { GitHttpServer } from '../support/git-http-server.js';
import { flightsRepository } from './support/data-repository.js';

/**
 * The merge queue's state lives in the data repository as `refs/dgit/bot-queue`:
 * a commit per change, whose tree holds queue.json, pushed with a lease. Two
 * writers that read the same state cannot both advance it: the second is refused,
 * reads the new state and applies its change to that. A recorded landing carries
 * its candidate commit, so any clone that reads the state can finish it.
 */

const TOKEN = 'ghs_statereftoken';
let server: GitHttpServer;
let url: string;
let bare: string;
/** Run in the git server's `beforeRequest` hook (once), to interleave another writer. */
let interleave: (() => Promise<void>) | undefined;

async function cloneOf(name: string): Promise<Repository> {
  const dir = path.join(tempDir('dgit-queue-ref-'), name);
  await clone(url, dir, { token: TOKEN });
  return Repository.open(dir);
}

const entry = (state: QueueState, pull: number) => addEntry(state, { pull, head: 'a'.repeat(40) as CommitId, queuedBy: 'maintainer', source: `comment/${pull}`, now: '2024-05-01T10:00:00.000Z' });

beforeAll(async () => {
  server = await GitHttpServer.start({
    token: TOKEN,
    beforeRequest: async ({ method, service }) => {
      if (method !== 'POST' || service !== 'git-receive-pack' || !interleave) return;
      const other = interleave;
      interleave = undefined;
      await other();
    },
  });
  const data = await flightsRepository();
  bare = server.serveCopyOf(data.dir, 'flights.git');
  url = server.url('flights.git');
});

afterAll(async () => server?.close());

describe('the queue state ref', () => {
  it('starts empty, and each change is a commit on the remote ref holding queue.json', async () => {
    const store = new QueueStore(await cloneOf('a'), TOKEN);
    expect((await store.load()).state).toEqual({ version: 1, next_id: 1, entries: [], landing: null, worker: null });
    const { result } = await store.update('queue pull request 1', (state) => entry(state, 1));
    expect(result).toMatchObject({ id: 1, pull: 1, state: 'queued' });
    const json = JSON.parse(execFileSync('git', ['show', `${QUEUE_STATE_REF}:queue.json`], { cwd: bare, encoding: 'utf8' }));
    expect(json.entries).toHaveLength(1);
    expect(execFileSync('git', ['log', '--format=%s', QUEUE_STATE_REF], { cwd: bare, encoding: 'utf8' })).toBe('queue pull request 1\n');
  });

  it('refuses a writer whose state is stale: it reads the state again and changes that', async () => {
    const first = new QueueStore(await cloneOf('b'), TOKEN);
    const second = new QueueStore(await cloneOf('c'), TOKEN);
    let runs = 0;
    // Just as the first writer's push reaches the server, the second one advances the state.
    interleave = async () => {
      await second.update('queue pull request 3', (state) => entry(state, 3));
    };
    await first.update('queue pull request 2', (state) => {
      runs += 1;
      return entry(state, 2);
    });
    expect(runs).toBe(2);
    const { state } = await new QueueStore(await cloneOf('d'), TOKEN).load();
    expect(state.entries.map((e) => [e.id, e.pull])).toEqual([
      [1, 1],
      [2, 3],
      [3, 2],
    ]);
    expect(execFileSync('git', ['log', '--format=%s', QUEUE_STATE_REF], { cwd: bare, encoding: 'utf8' }).split('\n').filter(Boolean)).toEqual([
      'queue pull request 2',
      'queue pull request 3',
      'queue pull request 1',
    ]);
  });

  it('writes nothing when the change is none', async () => {
    const store = new QueueStore(await cloneOf('e'), TOKEN);
    const before = execFileSync('git', ['rev-parse', QUEUE_STATE_REF], { cwd: bare, encoding: 'utf8' });
    const { result } = await store.update('nothing', () => undefined);
    expect(result).toBeUndefined();
    expect(execFileSync('git', ['rev-parse', QUEUE_STATE_REF], { cwd: bare, encoding: 'utf8' })).toBe(before);
  });

  it('changes a state the caller just read without reading it again, and reads again when it is stale or the change is none', async () => {
    const store = new QueueStore(await cloneOf('f'), TOKEN);
    const other = new QueueStore(await cloneOf('g'), TOKEN);
    const requests = () => server.exchanges.length;

    // Fresh: one push, no fetch (one GET for the push's refs, one POST for its pack).
    const known = await store.load();
    let before = requests();
    const fresh = await store.update('queue pull request 4', (state) => entry(state, 4), known);
    expect(requests() - before).toBe(2);
    expect(fresh.stored.state.entries.at(-1)).toMatchObject({ pull: 4 });

    // Stale: another writer moved the ref since; the lease refuses the push, the state is read again and changed.
    const stale = fresh.stored;
    await other.update('queue pull request 5', (state) => entry(state, 5));
    const seen: number[][] = [];
    const changed = await store.update('queue pull request 6', (state) => (seen.push(state.entries.map((e) => e.pull)), entry(state, 6)), stale);
    expect(seen.at(-1)).toContain(5);
    expect(changed.stored.state.entries.map((e) => e.pull).slice(-3)).toEqual([4, 5, 6]);

    // "Nothing to change" is never decided on a state that may be old: pull request 7 is queued elsewhere after the
    // caller's read; on the caller's state the change finds nothing, on the state as it is now it finds pull 7.
    const old = changed.stored;
    await other.update('queue pull request 7', (state) => entry(state, 7));
    before = requests();
    const dequeued = await store.update('dequeue pull request 7', (state) => {
      const queued = state.entries.find((e) => e.pull === 7 && e.state === 'queued');
      if (!queued) return undefined;
      queued.state = 'dequeued';
      return true;
    }, old);
    expect(dequeued.result).toBe(true);
    expect(requests() - before).toBeGreaterThan(2); // read again, then pushed
    expect((await new QueueStore(await cloneOf('h'), TOKEN).load()).state.entries.find((e) => e.pull === 7)?.state).toBe('dequeued');
  });

  it('reads a state it was shown from the clone when the clone holds that commit, and fetches it otherwise', async () => {
    const writer = new QueueStore(await cloneOf('s1'), TOKEN);
    const reader = new QueueStore(await cloneOf('s2'), TOKEN);
    const requests = () => server.exchanges.length;
    const written = await writer.update('queue pull request 8', (state) => entry(state, 8));
    const shown = written.stored.commit!;

    // The writer holds the commit it pushed: no request, the same state.
    let before = requests();
    expect(await writer.load(shown)).toEqual(written.stored);
    expect(requests()).toBe(before);
    // A clone that lacks it fetches it, and reads the same state.
    before = requests();
    expect(await reader.load(shown)).toEqual(written.stored);
    expect(requests()).toBeGreaterThan(before);
    // No ref when it was looked up: the empty state, without a request.
    const third = new QueueStore(await cloneOf('s3'), TOKEN);
    before = requests();
    const empty = await third.load(null);
    expect(empty.commit).toBeNull();
    expect(empty.state.entries).toEqual([]);
    expect(requests()).toBe(before);
  });

  it('carries a landing\'s candidate: a clone that never saw it gets it with the state', async () => {
    const builder = await cloneOf('f');
    // A candidate made in this clone only: a commit no branch on the server has.
    const head = (await builder.branchHead('main'))!;
    const tree = (await builder.readCommit(head)).tree;
    const signature = await builder.signature({ name: 'dgit merge queue', email: 'q@example.com' });
    const candidate = builder.writeCommit(builder.store, { tree, parents: [head], author: signature, committer: signature, message: 'candidate\n' });
    await new QueueStore(builder, TOKEN).update('land', (state) => {
      state.landing = { entry: 1, onto: head, candidate, started_at: '2024-05-01T10:00:00.000Z' };
      return true;
    });
    const reader = await cloneOf('g');
    expect(await reader.store.has(candidate)).toBe(false);
    const { state } = await new QueueStore(reader, TOKEN).load();
    expect(state.landing?.candidate).toBe(candidate);
    expect(await reader.store.has(candidate)).toBe(true);
  });
});
