import { execFileSync } from 'node:child_process';
import type { StandInRepository } from './github-stand-in.js';

/** Someone pushes a commit straight to main on the git server (the queue's lease must then fail). Returns the commit. */
export function pushToMainOutsideTheQueue(repository: StandInRepository): string {
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=Someone', '-c', 'user.email=someone@example.com', ...args], { cwd: repository.gitPath, encoding: 'utf8' }).trim();
  const main = git('rev-parse', 'refs/heads/main');
  const commit = git('commit-tree', `${main}^{tree}`, '-p', main, '-m', 'a push straight to main');
  git('update-ref', '-m', 'outside push', 'refs/heads/main', commit, main);
  return commit;
}

/** Faults armed by a test, counted down by the pushes they hit: let `pass` through, then push to main first, then fail. */
export interface PushFaults {
  pass: number;
  pushToMain: number;
  fail: number;
}

/**
 * A `beforeGitRequest` hook for BotHarness that applies `faults` to the bot's
 * pushes (git-receive-pack) to `repository()`: commits pushed to main meanwhile
 * are added to `outsidePushes`.
 */
export function faultyPushes(faults: PushFaults, repository: () => StandInRepository, outsidePushes: string[]) {
  return ({ method, service }: { method: string; service: string | undefined }): void => {
    if (method !== 'POST' || service !== 'git-receive-pack') return;
    if (faults.pass > 0) faults.pass -= 1;
    else if (faults.pushToMain > 0) {
      faults.pushToMain -= 1;
      outsidePushes.push(pushToMainOutsideTheQueue(repository()));
    } else if (faults.fail > 0) {
      faults.fail -= 1;
      throw new Error('the git server is having a bad day');
    }
  };
}
