import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { byteSize, print, printJson, ProgressLine } from '../output.js';
import { addRemote, clone, DgitError, loadSyncApi, redactUrl, useChunkStore, fetch, listRemotes, pull, push, removeRemote, UsageError, type Repository, type TrackingRefUpdate, type TransferCounts, type TransferOptions } from '../../engine/index.js';
import { printBlocked, printFastForwardBlocked } from './merge.js';

/** `dgit remote`, `clone`, `fetch`, `pull` and `push`: git's smart HTTP through isomorphic-git. */
export function registerRemote(program: Command, context: CommandContext): void {
  const remote = program
    .command('remote')
    .description('list, add or remove remotes (HTTP(S) git repositories)')
    // No --json here: commander would give the parent's option precedence over `remote list --json`.
    .option('-v, --verbose', 'show URLs (always shown; accepted as git does)')
    .addHelpText('after', '\nExamples:\n  dgit remote add origin https://github.com/acme/data.git\n  dgit remote list --json\n  dgit remote remove origin')
    .action(async () => listRemotesCommand(context, {}));

  remote
    .command('list')
    .description('list remotes and their URLs')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  dgit remote list')
    .action(async (options: { json?: boolean }) => listRemotesCommand(context, options));

  remote
    .command('add')
    .description('add a remote')
    .argument('<name>', 'remote name, e.g. origin')
    .argument('<url>', 'HTTP(S) URL of a git repository')
    .option('--chunks <s3url>', 'keep the chunks in this S3 bucket (s3://bucket/prefix) instead of git; recorded in dgit.yml')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  dgit remote add origin https://github.com/acme/data.git\n  dgit remote add origin https://github.com/acme/data.git --chunks s3://acme-data/flights')
    .action(async (name: string, url: string, options: { chunks?: string; json?: boolean }) => {
      const repository = await context.repository();
      if (options.chunks !== undefined) {
        // Refuse a bad URL, or a second bucket, before adding anything.
        const { chunkStoreOf, parseChunkStoreUrl } = await loadSyncApi();
        const wanted = parseChunkStoreUrl(options.chunks, '--chunks');
        const current = chunkStoreOf(repository);
        if (current && current.url !== wanted.url) throw new DgitError('UNSUPPORTED', `this repository keeps its chunks in ${current.url}; moving them to another bucket is not supported`, wanted.url);
      }
      const added = await addRemote(repository, name, url);
      const chunks = options.chunks === undefined ? undefined : await useChunkStore(repository, options.chunks);
      if (options.json) printJson({ ...added, url: redacted(added.url), ...(chunks ? { chunks } : {}) });
      else {
        print(`Added remote ${added.name} (${redacted(added.url)})`);
        if (chunks) print(`Chunks now live in ${chunks.location.url}${chunks.configStaged ? ' (dgit.yml changed: commit it so clones find them)' : ''}; the next push uploads them`);
      }
    });

  remote
    .command('chunks')
    .description('show the chunk store (S3 bucket) of this repository, or start keeping chunks in one')
    .argument('[s3url]', 's3://bucket/prefix to keep the chunks in from now on (recorded in dgit.yml)')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  dgit remote chunks\n  dgit remote chunks s3://acme-data/flights')
    .action(async (s3url: string | undefined, options: { json?: boolean }) => {
      const repository = await context.repository();
      if (s3url === undefined) {
        const { chunkStoreOf, committedChunkStore } = await loadSyncApi();
        const location = chunkStoreOf(repository);
        // A plain `git clone` of a repository whose dgit.yml names a bucket: say so, and how to read from it.
        const named = location ? undefined : await committedChunkStore(repository, (await repository.revision(undefined)).tree);
        if (options.json) return printJson({ chunks: location?.url ?? null, ...(named ? { named: named.url } : {}) });
        if (named) return print(`this clone keeps no chunk store, but dgit.yml names ${named.url}: \`dgit remote chunks ${named.url}\` reads the chunks from it`);
        return print(location ? location.url : 'chunks live in git');
      }
      const change = await useChunkStore(repository, s3url);
      if (options.json) return printJson(change);
      print(`Chunks now live in ${change.location.url}${change.configStaged ? ' (dgit.yml changed: commit it so clones find them)' : ''}; the next push uploads them`);
    });

  remote
    .command('remove')
    .alias('rm')
    .description('remove a remote, its remote-tracking branches and the upstream settings that name it')
    .argument('<name>', 'remote name')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  dgit remote remove origin')
    .action(async (name: string, options: { json?: boolean }) => {
      const removed = await removeRemote(await context.repository(), name);
      if (options.json) printJson(removed);
      else print(`Removed remote ${removed.name}`);
    });

  program
    .command('clone')
    .description('copy a dgit (or plain git) repository from an HTTP(S) URL and check out its default branch')
    .argument('<url>', 'HTTP(S) URL; a token comes from DGIT_TOKEN, GITHUB_TOKEN (GitHub hosts) or git credential helpers')
    .argument('[dir]', 'folder to create (default: from the URL)')
    .option('-b, --branch <name>', 'branch to check out instead of the remote HEAD')
    .option('-o, --origin <name>', 'name of the remote', 'origin')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  dgit clone https://github.com/acme/data.git\n  DGIT_TOKEN=ghp_... dgit clone https://github.com/acme/private-data.git data')
    .action(async (url: string, dir: string | undefined, options: { branch?: string; origin: string; json?: boolean }) => {
      const progress = new ProgressLine();
      try {
        const outcome = await clone(url, dir, { branch: options.branch, remote: options.origin, cwd: context.cwd, ...transferCallbacks(progress) });
        progress.done();
        // As git warns "remote HEAD refers to nonexistent ref"; dgit checked out a branch anyway (see guessDefaultBranch).
        if (outcome.guessedBranch) {
          const why = outcome.guessedBranch === 'only-branch' ? "the remote's only branch" : `the usual name of a default branch; \`dgit clone -b BRANCH\` picks another`;
          process.stderr.write(`dgit: warning: the remote's HEAD names no existing branch; checked out ${outcome.branch} (${why})\n`);
        }
        if (options.json) return printJson(outcome);
        if (outcome.empty) print(`Cloned an empty repository into ${outcome.dir}; branch ${outcome.branch} has no commit yet.`);
        else print(`Cloned ${outcome.url} into ${outcome.dir}: branch ${outcome.branch} at ${outcome.commit!.slice(0, 12)} (${byteSize(outcome.transfer.bytesReceived)} received)`);
      } finally {
        progress.done();
      }
    });

  program
    .command('fetch')
    .description('download commits and chunks from a remote and update its remote-tracking branches (REMOTE/BRANCH)')
    .argument('[remote]', 'remote name (default: the upstream of the current branch, else origin)')
    .option('--prune', 'remove remote-tracking branches deleted on the remote')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  dgit fetch\n  dgit fetch upstream --prune\n  dgit diff main..origin/main --stat')
    .action(async (name: string | undefined, options: { prune?: boolean; json?: boolean }) => {
      const repository = await context.repository();
      const progress = new ProgressLine();
      try {
        const outcome = await fetch(repository, { remote: name, prune: options.prune, ...transferCallbacks(progress) });
        progress.done();
        if (options.json) return printJson(outcome);
        printTrackingUpdates(outcome.url, outcome.remote, outcome.updated);
      } finally {
        progress.done();
      }
    });

  program
    .command('pull')
    .description('fetch, then three-way merge the remote branch into the current one (by key and cell)')
    .argument('[remote]', 'remote name (default: the upstream of the current branch, else origin)')
    .argument('[branch]', "the remote's branch (default: the upstream's, else the current branch's name)")
    .option('-m, --message <msg>', 'merge commit message')
    .option('--no-verify', 'commit a clean merge without running the checks of dgit.yml on it')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  dgit pull\n  dgit pull origin main\n  dgit conflicts   # when the pull stopped on conflicts')
    .action(async (name: string | undefined, branch: string | undefined, options: { message?: string; verify: boolean; json?: boolean }) => {
      const repository = await context.repository();
      const progress = new ProgressLine();
      try {
        const outcome = await pull(repository, { remote: name, branch, message: options.message, noVerify: !options.verify, ...transferCallbacks(progress) });
        progress.done();
        const merge = outcome.merge;
        if (options.json) printJson(outcome);
        else {
          printTrackingUpdates(outcome.fetch.url, outcome.fetch.remote, outcome.fetch.updated, true);
          if (merge.status === 'up-to-date') print('Already up to date.');
          else if (merge.status === 'fast-forward') print(`Fast-forward to ${merge.commit.slice(0, 12)}`);
          else if (merge.status === 'merged') print(`Merged ${outcome.merged.replace(/^refs\/remotes\//, '')}: ${merge.commit.slice(0, 12)}`);
          else if (merge.status === 'staged') print('Merge result is in the working set; `dgit merge --continue` commits it.');
          else if (merge.status === 'blocked' && merge.fastForward) printFastForwardBlocked(merge.reason, outcome.merged.replace(/^refs\/remotes\//, ''), 'dgit pull --no-verify');
          else if (merge.status === 'blocked') printBlocked(merge.reason);
          else {
            print(`Conflicts in ${merge.conflicts.map((c) => `${c.table} (${c.count})`).join(', ')}.`);
            print('See `dgit conflicts`, resolve with `dgit resolve TABLE --ours|--theirs|--file F`, then `dgit merge --continue` (or `--abort`).');
          }
        }
        if (merge.status === 'conflicts' || merge.status === 'blocked') process.exitCode = 1;
      } finally {
        progress.done();
      }
    });

  program
    .command('push')
    .description("send a branch's commits (only the objects the remote lacks) and move the remote branch")
    .argument('[remote]', 'remote name (default: the push remote or upstream of the branch, else origin)')
    .argument('[branch]', 'BRANCH or LOCAL:REMOTE (default: the current branch, same name on the remote)')
    .option('--force-with-lease [commit]', "overwrite the remote branch only if it is still at REMOTE/BRANCH (or at COMMIT)")
    .option('-u, --set-upstream', 'make the remote branch the upstream of the local one')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  dgit push\n  dgit push -u origin fix-delays\n  dgit push origin main --force-with-lease\n\nA token comes from DGIT_TOKEN, GITHUB_TOKEN (GitHub hosts only) or git credential helpers,\nsent as HTTP basic auth (user x-access-token) only when the server asks for it.',
    )
    .action(async (given: string | undefined, givenSpec: string | undefined, options: { forceWithLease?: string | boolean; setUpstream?: boolean; json?: boolean }, command: Command) => {
      const repository = await context.repository();
      // As git: a lease takes its commit only as `--force-with-lease=COMMIT`. Written apart, the next word is
      // the remote (`dgit push --force-with-lease origin main`), which commander would have taken as the commit.
      let [name, spec] = [given, givenSpec];
      // (commander keeps the words it parsed as `rawArgs`, a public field its types leave out.)
      const words = (command.parent as unknown as { rawArgs?: string[] } | null)?.rawArgs ?? [];
      if (typeof options.forceWithLease === 'string' && !words.some((word) => word.startsWith('--force-with-lease='))) {
        const positional = [options.forceWithLease, given, givenSpec].filter((word): word is string => word !== undefined);
        if (positional.length > 2) throw new UsageError(`push takes a remote and a branch; give a lease's commit as --force-with-lease=${options.forceWithLease}`, 'push');
        [name, spec] = positional;
        options.forceWithLease = true;
      }
      const [branch, remoteBranch] = spec === undefined ? [undefined, undefined] : splitRefspec(spec);
      const lease = await leaseOption(options.forceWithLease, repository);
      const progress = new ProgressLine();
      try {
        const outcome = await push(repository, { remote: name, branch, remoteBranch, forceWithLease: lease, setUpstream: options.setUpstream, ...transferCallbacks(progress) });
        progress.done();
        if (outcome.uncommittedChanges) process.stderr.write(`note: the working set of ${outcome.branch} has uncommitted changes; they were not pushed (commit them first)\n`);
        if (options.json) return printJson(outcome);
        if (outcome.status === 'up-to-date') return print(`Everything up-to-date (${outcome.remote}/${outcome.remoteRef.replace(/^refs\/heads\//, '')} is at ${outcome.after.slice(0, 12)})`);
        print(`To ${outcome.url}`);
        const target = outcome.remoteRef.replace(/^refs\/heads\//, '');
        const range = outcome.before ? `${outcome.before.slice(0, 7)}${outcome.status === 'forced' ? '...' : '..'}${outcome.after.slice(0, 7)}` : '* [new branch]';
        print(`   ${range.padEnd(17)} ${outcome.branch} -> ${target}${outcome.status === 'forced' ? ' (forced update)' : ''}`);
        print(`${transferLine(outcome.transfer)}`);
      } finally {
        progress.done();
      }
    });
}

async function listRemotesCommand(context: CommandContext, options: { json?: boolean }): Promise<void> {
  const remotes = await listRemotes(await context.repository());
  // A token written into a remote's URL is a secret: no output shows it, JSON included.
  if (options.json) return printJson({ remotes: remotes.map((r) => ({ ...r, url: redacted(r.url) })) });
  for (const r of remotes) print(`${r.name}\t${redacted(r.url)}`);
}

function splitRefspec(spec: string): [string, string] {
  const parts = spec.split(':');
  if (parts.length > 2 || parts.some((p) => p === '')) throw new UsageError(`expected BRANCH or LOCAL:REMOTE, got ${JSON.stringify(spec)}`, 'push');
  return [parts[0]!, parts[1] ?? parts[0]!];
}

async function leaseOption(value: string | boolean | undefined, repository: Repository) {
  if (value === undefined || value === false) return undefined;
  if (value === true) return true as const;
  return { expect: await repository.resolve(value) };
}

function printTrackingUpdates(url: string, remote: string, updates: TrackingRefUpdate[], quietWhenNone = false): void {
  if (updates.length === 0) {
    if (!quietWhenNone) print(`Nothing new on ${remote}.`);
    return;
  }
  print(`From ${url}`);
  for (const u of updates) {
    const short = (id: string | null) => (id ?? '').slice(0, 7);
    const range =
      u.status === 'new' ? '* [new branch]' : u.status === 'deleted' ? '- [deleted]' : u.status === 'forced' ? `+ ${short(u.before)}...${short(u.after)}` : `  ${short(u.before)}..${short(u.after)}`;
    print(` ${range.padEnd(19)} ${u.status === 'deleted' ? '(none)' : u.branch} -> ${remote}/${u.branch}${u.status === 'forced' ? ' (forced update)' : ''}`);
  }
}

function transferLine(transfer: TransferCounts): string {
  return `${transfer.objectsSent} object${transfer.objectsSent === 1 ? '' : 's'} sent (${byteSize(transfer.bytesSent)})`;
}


/** The URL without its secret (`user:token@` or a bare `token@`), as every output shows remotes. */
function redacted(url: string): string {
  return redactUrl(url);
}

/** The transfer callbacks of a progress line: isomorphic-git's phases and the server's lines. */
function transferCallbacks(progress: ProgressLine): Pick<TransferOptions, 'onProgress' | 'onMessage' | 'interactive'> {
  return {
    interactive: Boolean(process.stderr.isTTY) && Boolean(process.stdin.isTTY),
    onProgress: progress.enabled
      ? (event) =>
          progress.update({
            phase: event.phase,
            done: event.loaded,
            total: event.total > 0 ? event.total : undefined,
            unit: event.total > 0 ? undefined : event.phase.startsWith('Receiving') || event.phase.startsWith('Sending') ? 'bytes' : undefined,
          })
      : undefined,
    onMessage: progress.enabled ? (line) => progress.message(line) : undefined,
  };
}
