import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git';

/**
 * A remote whose HEAD names no branch: the normal state of a `git init --bare`
 * repository (HEAD -> refs/heads/master) into which only `main` was pushed.
 * git's upload-pack then advertises no HEAD at all, and isomorphic-git cannot
 * fetch from it: a clone or fetch that names no branch resolves the remote's
 * HEAD first, and every fetch resolves it again once the pack has arrived
 * (isomorphic-git issue #1654), failing with "Could not find HEAD.". So the
 * client below gives such an advertisement a stand-in HEAD, a branch it does
 * have, and tells the caller, which removes the `refs/remotes/<remote>/HEAD` the
 * stand-in leaves: as with git, the remote has no default branch to follow.
 */
export interface MissingRemoteHead {
  /** The remote's branches, as advertised (names without `refs/heads/`). */
  branches: string[];
  /** The branch given as the stand-in HEAD, if any. */
  standIn: string | undefined;
}

/** Filled in by `withStandInHead` from the remote's advertisement. */
export interface RemoteHeadWatch {
  /** Set when the advertisement has no HEAD. */
  missing?: MissingRemoteHead;
  /** The remote's branches (names without `refs/heads/`), whether or not it has a HEAD. */
  branches?: string[];
}

/** Why a clone checked out a branch the remote's HEAD does not name. */
export type DefaultBranchGuess = { branch: string; reason: 'only-branch' | 'main' | 'master' };

/**
 * The branch to check out of a remote whose HEAD names none, or undefined when
 * there is no sensible choice. git clones such a remote without a checkout
 * ("remote HEAD refers to nonexistent ref, unable to checkout"); a dgit clone
 * without a branch has no working set, tables or upstream, so nothing works until
 * the user picks one, and when the choice is clear dgit makes it (and says so):
 * the only branch is the only choice, and `main`, then `master`, are the names
 * git and the hosts give a default branch (the usual cause is exactly a bare
 * repository made with git's old default `master` into which `main` was pushed).
 * Among other names a guess would surprise: the caller asks the user instead.
 */
export function guessDefaultBranch(branches: readonly string[]): DefaultBranchGuess | undefined {
  if (branches.length === 1) return { branch: branches[0]!, reason: 'only-branch' };
  if (branches.includes('main')) return { branch: 'main', reason: 'main' };
  if (branches.includes('master')) return { branch: 'master', reason: 'master' };
  return undefined;
}

/**
 * `client`, but an upload-pack ref advertisement with refs and no HEAD comes back
 * with HEAD standing for `pick(branches)` (a symref to it, as git advertises a
 * real HEAD), recorded in `watch.missing`. When `pick` names no advertised
 * branch, HEAD stands for the first advertised ref's commit without a symref, so
 * a fetch of every branch still succeeds. `pick` may throw to stop the transfer
 * before any pack is asked for (a clone that cannot choose).
 */
export function withStandInHead(client: HttpClient, pick: (branches: string[]) => string | undefined, watch: RemoteHeadWatch): HttpClient {
  return {
    async request(request: GitHttpRequest): Promise<GitHttpResponse> {
      const response = await client.request(request);
      if (request.method !== 'GET' || response.statusCode !== 200 || !response.body || !/\/info\/refs\?service=git-upload-pack$/.test(request.url)) return response;
      const parts: Uint8Array[] = [];
      for await (const part of response.body) parts.push(part);
      const advertisement = Buffer.concat(parts);
      const body = addStandInHead(advertisement, pick, watch) ?? advertisement;
      return { ...response, body: once(body) };
    },
  };
}

async function* once(bytes: Uint8Array): AsyncIterableIterator<Uint8Array> {
  yield bytes;
}

/** A protocol v1 advertisement with a HEAD line added, or undefined to leave it as it is. */
function addStandInHead(advertisement: Buffer, pick: (branches: string[]) => string | undefined, watch: RemoteHeadWatch): Buffer | undefined {
  const lines = pktLines(advertisement);
  if (!lines) return undefined;
  // The first ref carries the capabilities after a NUL; no such line: no refs (an empty repository) or protocol v2.
  const first = lines.findIndex((line) => line !== null && line.includes(0));
  if (first < 0) return undefined;
  const refs: Array<{ id: string; name: string }> = [];
  for (let index = first; index < lines.length && lines[index] !== null; index += 1) {
    const [id = '', name = ''] = lines[index]!.toString('utf8').split('\0')[0]!.trim().split(' ');
    refs.push({ id, name });
  }
  const branches = refs.filter((ref) => ref.name.startsWith('refs/heads/')).map((ref) => ref.name.slice('refs/heads/'.length));
  watch.branches = branches;
  if (refs[0]!.name === 'capabilities^{}' || refs.some((ref) => ref.name === 'HEAD')) return undefined;
  watch.missing = { branches, standIn: undefined };
  const standIn = pick(branches);
  const target = standIn === undefined ? undefined : refs.find((ref) => ref.name === `refs/heads/${standIn}`);
  if (target) watch.missing.standIn = standIn;
  const [firstRef = '', capabilities = ''] = lines[first]!.toString('utf8').replace(/\n$/, '').split('\0');
  const kept = capabilities.split(' ').filter((capability) => capability && !capability.startsWith('symref=HEAD:'));
  if (target) kept.push(`symref=HEAD:${target.name}`);
  const head = `${(target ?? refs[0]!).id} HEAD\0${kept.join(' ')}\n`;
  const rewritten = [...lines.slice(0, first), Buffer.from(head), Buffer.from(`${firstRef}\n`), ...lines.slice(first + 1)];
  return Buffer.concat(rewritten.map((line) => (line === null ? Buffer.from('0000') : Buffer.concat([Buffer.from((line.length + 4).toString(16).padStart(4, '0')), line]))));
}

/** The pkt-lines of `bytes` (null for a flush), or undefined when they are not all well-formed. */
function pktLines(bytes: Buffer): Array<Buffer | null> | undefined {
  const lines: Array<Buffer | null> = [];
  let at = 0;
  while (at < bytes.length) {
    const size = Number.parseInt(bytes.subarray(at, at + 4).toString('latin1'), 16);
    if (!/^[0-9a-f]{4}$/i.test(bytes.subarray(at, at + 4).toString('latin1')) || (size > 0 && size < 4) || at + Math.max(size, 4) > bytes.length) return undefined;
    lines.push(size === 0 ? null : bytes.subarray(at + 4, at + size));
    at += size === 0 ? 4 : size;
  }
  return lines;
}
