import { describe, expect, it } from 'vitest';
import type { ConfiguredCheck } from '../../engine/config/configured-check.js';
import { heal } from '../../engine/heal/index.js';
import { recallOrder } from '../../engine/heal/recall.js';
import { planName, planNamed } from '../../engine/heal/strategies/index.js';
import type { CheckHistory, KnownIncident } from '../../engine/incidents/index.js';
import { Repository } from '../../engine/repository/repository.js';
import { commitConfig, load, penguins, repositoryWith, run, yaml } from './support/heal-fixtures.js';

/**
 * Failure recall: when a check fails again, the strategy of the fix that landed
 * for it last is tried first, whichever strategy it is, and the incident names
 * the earlier incident with that fix.
 */

const SEX_VALUES = yaml('version: 1', 'tables:', '  penguins:', '    checks:', '      - { kind: accepted_values, column: Sex, values: [MALE, FEMALE] }', 'policy:', '  tables:', '    penguins: {}');
const CHECK = 'penguins.Sex.accepted_values';
/** Penguins without the one bird whose Sex is ".": the check passes until a load breaks it, so restore has a revision to restore from. */
const birds = penguins.filter((penguin) => penguin.Sex !== '.');

describe('a check that fails again', () => {
  it('tries the strategy whose fix was merged first (normalize-text, where restore would come first), and lists that incident', async () => {
    // Without memory, a re-sent bird whose Sex had a good version is restored: both strategies fix it.
    const control = repositoryWith('penguins', birds);
    await commitConfig(control, SEX_VALUES);
    await load(control, 'penguins', [{ ...penguins[0]!, Sex: 'male ' }]);
    const [restored] = (await heal(await Repository.open(control))).incidents;
    expect(restored).toMatchObject({ strategy: 'restore', memory: null, previous: [] });

    // Here a new bird with a padded Sex is normalized first, and that fix is merged.
    const dir = repositoryWith('penguins', birds);
    await commitConfig(dir, SEX_VALUES);
    await load(dir, 'penguins', [{ ...penguins[0]!, id: 900, Sex: 'male ' }]);
    const repository = await Repository.open(dir);
    const [first] = (await heal(repository)).incidents;
    expect(first).toMatchObject({ strategy: 'normalize-text', previous: [] });
    run(dir, 'merge', first!.branch!);

    // The same re-sent bird as in the control: the remembered normalize-text goes first and fixes it.
    await load(dir, 'penguins', [{ ...penguins[0]!, Sex: 'male ' }]);
    const [second] = (await heal(repository)).incidents;
    expect(second!.incident).not.toBe(first!.incident);
    expect(second).toMatchObject({ status: 'proposed', strategy: 'normalize-text', kinds: { normalized: 1 } });
    expect(second!.attempts[0]).toMatchObject({ strategy: 'normalize-text', remembered: true, offered: true });
    expect(second!.memory).toBe(`normalize-text fixed ${CHECK} before (incident ${first!.incident}, merged), so it is tried first`);
    expect(second!.previous).toEqual([{ incident: first!.incident, outcome: 'merged', strategy: 'normalize-text', fix_branch: first!.branch, reason: 'merged into main', first_seen: first!.first_seen }]);
    const message = (await repository.readCommit(second!.commit as never)).message;
    expect(message).toContain(`Memory: normalize-text fixed ${CHECK} before (incident ${first!.incident}, merged), so it is tried first.`);
  });
});

describe('recallOrder', () => {
  const merged = (strategy: string): CheckHistory => ({ merged: [{ id: 'earlier-1', strategy, outcome: 'merged' } as KnownIncident], rejected: [] });
  const names = (...list: string[]) => list.map((name) => ({ name }));
  const order = (history: CheckHistory, candidates: Array<{ name: string }>, extra?: (strategy: string) => { name: string } | undefined) =>
    recallOrder('c', history, candidates, extra).ordered.map((candidate) => `${candidate.name}${candidate.remembered ? '*' : ''}`);

  it('puts a remembered plan ahead of the fix of the cause', () => {
    expect(order(merged('normalize-text'), names('restore-referenced', 'normalize-text', 'normalize-text+quarantine', 'quarantine'))).toEqual([
      'normalize-text*',
      'restore-referenced',
      'normalize-text+quarantine',
      'quarantine',
    ]);
  });

  it('marks the fixes of a cause and coerce-type as remembered', () => {
    expect(order(merged('restore-referenced'), names('restore-referenced', 'normalize-text'))).toEqual(['restore-referenced*', 'normalize-text']);
    expect(order(merged('revert-deletes'), names('revert-deletes'))).toEqual(['revert-deletes*']);
    expect(order(merged('coerce-type'), names('coerce-type'))).toEqual(['coerce-type*']);
    expect(recallOrder('c', merged('coerce-type'), names('coerce-type')).memory).toBe('coerce-type fixed c before (incident earlier-1, merged), so it is tried first');
  });

  it('finds restore and the duplicate rules by the steps that made edits', () => {
    expect(order(merged('restore+quarantine'), names('restore', 'restore+fill-default', 'restore+quarantine'))).toEqual(['restore+quarantine*', 'restore', 'restore+fill-default']);
    const duplicates = names('drop-duplicates', 'drop-duplicates+keep-latest-load');
    expect(order(merged('keep-latest-load'), duplicates)).toEqual(['drop-duplicates+keep-latest-load*', 'drop-duplicates']);
    expect(recallOrder('c', merged('keep-latest-load'), duplicates).memory).toBe('keep-latest-load fixed c before (incident earlier-1, merged), so it is tried first (as drop-duplicates+keep-latest-load)');
  });

  it('offers a plan the check allows that the list left out, and says when no built-in strategy repeats the fix', () => {
    const check = { kind: 'accepted_values' } as ConfiguredCheck;
    const latest = { keep: 'latest-load' } as const;
    const plan = (strategy: string) => {
      const found = planNamed(check, latest, strategy, { restorable: true });
      return found ? { name: planName(found) } : undefined;
    };
    expect(order(merged('normalize-text'), names('restore', 'restore+normalize-text'), plan)).toEqual(['normalize-text*', 'restore', 'restore+normalize-text']);
    expect(planNamed(check, latest, 'restore', { restorable: false })).toBeUndefined();
    expect(planNamed({ kind: 'unique' } as ConfiguredCheck, latest, 'drop-duplicates+keep-first')).toBeUndefined();
    expect(recallOrder('c', merged('agent'), names('quarantine')).memory).toBe("an agent's patch fixed c before (incident earlier-1, merged); no built-in strategy repeats it");
  });
});

describe('a fix rejected at the revision it was proposed for', () => {
  it('heal again offers the next fix on a branch of its own, never the rejected one again; with none left it says why', async () => {
    const dir = repositoryWith('penguins', penguins);
    await commitConfig(
      dir,
      yaml('version: 1', 'tables:', '  penguins:', '    checks:', '      - { kind: not_null, column: Sex }', '    defaults:', '      Sex: UNKNOWN', 'policy:', '  tables:', '    penguins: {}'),
    );
    const repository = await Repository.open(dir);
    const first = (await heal(repository)).incidents[0]!;
    expect(first).toMatchObject({ status: 'proposed' });
    run(dir, 'incidents', '--record', first.branch!, '--outcome', 'rejected', '--reason', 'not this one');

    const second = (await heal(repository)).incidents[0]!;
    expect(second).toMatchObject({ incident: first.incident, status: 'proposed' });
    expect(second.strategy).not.toBe(first.strategy);
    expect(second.branch).not.toBe(first.branch);
    expect(second.memory).toContain(`${first.strategy} was rejected at this revision, so it is not offered again here`);
    run(dir, 'incidents', '--record', second.branch!, '--outcome', 'rejected', '--reason', 'nor this one');

    const third = (await heal(repository)).incidents[0]!;
    // Neither is offered a third time: the report says both were rejected here, and what else was tried.
    expect(third).toMatchObject({ incident: first.incident, status: 'failed' });
    expect(third.memory).toContain(`${first.strategy}, ${second.strategy} were rejected at this revision, so they are not offered again here`);
  });
});
