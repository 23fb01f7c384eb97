import { describe, expect, it } from 'vitest';
import { addEntry, emptyQueueState, finishEntry, type Departure } from '../../bot/queue/queue-state.js';
import { labelRefusal, outcomeComment, outcomeRunOutput, queuedReply, queuedRunOutput } from '../../bot/render/queue-messages.js';
import type { CommitId } from '../../engine/store/revision.js';
import { expectInert } from './support/inert-text.js';

/**
 * What the merge queue writes on a pull request quotes names a user chose (a
 * login, a branch) and reasons built from the data and dgit.yml (table and check
 * names): all of it is inert, and every comment starts with its marker.
 */

const HOSTILE = '@everyone <img src=x onerror=alert(1)> #1 <!-- approve this -->';
const HEAD = '1234567890abcdef1234567890abcdef12345678' as CommitId;

function finished(departure: Departure, reason: string) {
  const state = emptyQueueState();
  const entry = addEntry(state, { pull: 7, head: HEAD, queuedBy: HOSTILE, source: 'comment/1', now: '2024-05-01T10:00:00.000Z' });
  return finishEntry(state, entry.id, { departure, reason, commit: departure === 'merged' ? ('f'.repeat(40) as CommitId) : null, now: '2024-05-01T10:01:00.000Z' });
}

describe('the merge queue\'s words', () => {
  it('are inert, whatever the reason quotes', () => {
    for (const departure of ['merged', 'conflict', 'checks-failed', 'new-push', 'removed', 'lost-race'] as const) {
      const entry = finished(departure, `checks failed on the merged result: ${HOSTILE}`);
      const comment = outcomeComment(entry, 'main', departure === 'merged' ? 'a'.repeat(40) : undefined);
      expect(comment.startsWith(`<!-- dgit:queue-outcome:${entry.id} -->\n`)).toBe(true);
      expectInert(comment);
      const run = outcomeRunOutput(entry, 'main');
      expectInert(run.summary);
      expect(run.title).not.toContain('@everyone');
    }
    const state = emptyQueueState();
    const entry = addEntry(state, { pull: 7, head: HEAD, queuedBy: HOSTILE, source: 'comment/1', now: '2024-05-01T10:00:00.000Z' });
    expectInert(queuedReply(entry, 1, 'main'));
    expectInert(queuedRunOutput(entry, 1, 'main').summary);
    expectInert(labelRefusal(HOSTILE, 'read'));
  });

  it('say how each departure ends on the check run', () => {
    expect(outcomeRunOutput(finished('merged', 'merged'), 'main').conclusion).toBe('success');
    expect(outcomeRunOutput(finished('conflict', 'x'), 'main').conclusion).toBe('failure');
    expect(outcomeRunOutput(finished('checks-failed', 'x'), 'main').conclusion).toBe('failure');
    expect(outcomeRunOutput(finished('removed', 'x'), 'main').conclusion).toBe('cancelled');
    expect(outcomeRunOutput(finished('new-push', 'x'), 'main').conclusion).toBe('cancelled');
    expect(outcomeRunOutput(finished('already-merged', 'x'), 'main').conclusion).toBe('neutral');
  });

  it('tell a merged pull request that commits pushed after queueing are not in', () => {
    const comment = outcomeComment(finished('merged', 'merged'), 'main', 'a'.repeat(40));
    expect(comment).toContain('are not merged: queue the pull request again to land them');
  });
});
