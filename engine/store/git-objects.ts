import { CorruptError } from '../errors/index.js';
import type { ObjectId } from './object-store.js';

/** One entry of a git tree. */
export interface TreeEntry {
  mode: '100644' | '100755' | '40000' | '120000' | '160000';
  name: string;
  oid: ObjectId;
}

export function isTreeEntry(entry: TreeEntry): boolean {
  return entry.mode === '40000';
}

/** Git's tree order: byte order of names, where a subtree's name counts as if it ended in "/". */
function treeSortKey(entry: TreeEntry): string {
  return entry.mode === '40000' ? entry.name + '/' : entry.name;
}

export function serializeTree(entries: readonly TreeEntry[]): Uint8Array {
  const sorted = [...entries].sort((a, b) => {
    const x = Buffer.from(treeSortKey(a));
    const y = Buffer.from(treeSortKey(b));
    return Buffer.compare(x, y);
  });
  const parts: Buffer[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const entry = sorted[i]!;
    if (i > 0 && sorted[i - 1]!.name === entry.name) throw new CorruptError(`tree has two entries named ${entry.name}`);
    parts.push(Buffer.from(`${entry.mode} ${entry.name}\0`, 'utf8'), Buffer.from(entry.oid, 'hex'));
  }
  return Buffer.concat(parts);
}

export function parseTree(content: Uint8Array, where: string): TreeEntry[] {
  const buffer = Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  const entries: TreeEntry[] = [];
  let at = 0;
  while (at < buffer.length) {
    const space = buffer.indexOf(0x20, at);
    const nul = buffer.indexOf(0, space);
    if (space < 0 || nul < 0 || nul + 21 > buffer.length) throw new CorruptError('tree object is truncated', where);
    const mode = buffer.toString('latin1', at, space);
    const name = buffer.toString('utf8', space + 1, nul);
    const oid = buffer.toString('hex', nul + 1, nul + 21) as ObjectId;
    entries.push({ mode: (mode === '040000' ? '40000' : mode) as TreeEntry['mode'], name, oid });
    at = nul + 21;
  }
  return entries;
}

/** A person and time line of a commit. */
export interface Signature {
  name: string;
  email: string;
  /** Seconds since the epoch. */
  timestamp: number;
  /** Minutes east of UTC. */
  timezoneOffset: number;
}

export interface Commit {
  tree: ObjectId;
  parents: ObjectId[];
  author: Signature;
  committer: Signature;
  message: string;
}

function formatSignature(s: Signature): string {
  const sign = s.timezoneOffset < 0 ? '-' : '+';
  const abs = Math.abs(s.timezoneOffset);
  const tz = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
  return `${s.name} <${s.email}> ${s.timestamp} ${tz}`;
}

function parseSignature(text: string, where: string): Signature {
  const match = /^(.*) <(.*)> (\d+) ([+-])(\d\d)(\d\d)$/.exec(text);
  if (!match) throw new CorruptError(`bad signature line ${JSON.stringify(text)}`, where);
  const offset = Number(match[5]) * 60 + Number(match[6]);
  return { name: match[1]!, email: match[2]!, timestamp: Number(match[3]), timezoneOffset: match[4] === '-' ? -offset : offset };
}

export function serializeCommit(commit: Commit): Uint8Array {
  const lines = [`tree ${commit.tree}`];
  for (const parent of commit.parents) lines.push(`parent ${parent}`);
  lines.push(`author ${formatSignature(commit.author)}`, `committer ${formatSignature(commit.committer)}`);
  const message = commit.message.endsWith('\n') ? commit.message : commit.message + '\n';
  return Buffer.from(lines.join('\n') + '\n\n' + message, 'utf8');
}

export function parseCommit(content: Uint8Array, where: string): Commit {
  const text = Buffer.from(content).toString('utf8');
  const split = text.indexOf('\n\n');
  const header = split < 0 ? text : text.slice(0, split);
  const message = split < 0 ? '' : text.slice(split + 2);
  let tree: ObjectId | undefined;
  const parents: ObjectId[] = [];
  let author: Signature | undefined;
  let committer: Signature | undefined;
  for (const line of header.split('\n')) {
    if (line.startsWith(' ')) continue; // continuation of a multi-line header such as gpgsig
    const space = line.indexOf(' ');
    const key = line.slice(0, space);
    const value = line.slice(space + 1);
    if (key === 'tree') tree = value as ObjectId;
    else if (key === 'parent') parents.push(value as ObjectId);
    else if (key === 'author') author = parseSignature(value, where);
    else if (key === 'committer') committer = parseSignature(value, where);
  }
  if (!tree || !author || !committer) throw new CorruptError('commit object lacks tree, author or committer', where);
  return { tree, parents, author, committer, message };
}
