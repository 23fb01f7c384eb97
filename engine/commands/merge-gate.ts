import { failsReport, runChecks, type CheckReport, type CheckResult } from '../checks/index.js';
import { ConfigError } from '../config/config-error.js';
import { readConfig } from '../config/repository-config.js';
import { checksMadeWorse } from '../queue/queue-machine.js';
import type { MergeGate } from './merge.js';

/**
 * The gate `dgit merge` and `dgit pull` run on a clean merge result before the
 * merge commit (DESIGN.md section 4): the checks of the result's own dgit.yml, on
 * the working set that holds the result, so row-local checks read only the chunks
 * changed since ours when ours passed them. The rule is the merge queue's: the
 * result passes when every error-level check passes, or, when ours was already
 * red, when no check got worse. An invalid dgit.yml on the result blocks too,
 * since then nothing vouches for the data.
 */
export const checksGate: MergeGate = async ({ repository, tree, ours, theirs }) => {
  let config;
  try {
    config = await readConfig(repository, tree);
  } catch (error) {
    if (error instanceof ConfigError) return { ok: false, reason: `dgit.yml is invalid on the merge result: ${firstLines(error.message)}`, failing: ['dgit.yml'] };
    throw error;
  }
  if (!config) return { ok: true };
  let report: CheckReport;
  try {
    // A merge's working set holds exactly its result; a fast-forward's result is theirs, not yet in the working set.
    // The result's own dgit.yml is passed, so nothing is staged from the working directory.
    const inWorkingSet = (await repository.workingSet()).tree === tree;
    report = await runChecks(repository, inWorkingSet ? undefined : theirs, { config });
  } catch (error) {
    if (error instanceof ConfigError) return { ok: false, reason: `dgit.yml does not fit the merge result: ${firstLines(error.message)}`, failing: ['dgit.yml'] };
    throw error;
  }
  if (report.passed) return { ok: true };
  let failing: CheckResult[] = report.results.filter(failsReport);
  const base = await runChecks(repository, ours).catch((error: unknown) => {
    if (error instanceof ConfigError) return undefined;
    throw error;
  });
  if (base && !base.passed) {
    failing = checksMadeWorse(report, base);
    if (failing.length === 0) return { ok: true };
  }
  const shown = failing.map((r) => `${r.check} (${r.error ? `could not run: ${r.error}` : r.message})`);
  return { ok: false, reason: `error-level check${failing.length === 1 ? '' : 's'} failed on the merge result: ${shown.join('; ')}`, failing: failing.map((r) => r.check) };
};

function firstLines(message: string): string {
  return message.split('\n').slice(0, 3).join('; ');
}
