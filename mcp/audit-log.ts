import fs from 'node:fs';
import path from 'node:path';
import type { RefusalReason } from './refusal.js';

/** The default audit file, relative to the repository's git directory. */
export const DEFAULT_AUDIT_FILE = path.join('dgit', 'mcp-audit.log');

/**
 * One line of the audit log: what an agent asked, and what came of it. Written
 * after the call ends, with `time` the instant it arrived.
 */
export interface AuditEntry {
  /** ISO time the call arrived. */
  time: string;
  /** The agent's session: its sandbox is heal/agent-<session>/. */
  session: string;
  transport: 'stdio' | 'http';
  /** A tool call, a resource read, or the session starting or ending. */
  kind: 'tool' | 'resource' | 'session';
  /** The tool's name, the resource's URI, or `start` / `end`. */
  name: string;
  /** The call's arguments, as sent (long strings and lists cut; see `capArguments`). */
  arguments?: unknown;
  /** ok; refused (least privilege, sandbox, policy, read-only SQL, a size or time cap); error (the call failed). */
  outcome: 'ok' | 'refused' | 'error';
  reason?: RefusalReason;
  /** The error's code (dgit's `DgitError.code`, or INTERNAL). */
  code?: string;
  message?: string;
  duration_ms: number;
  /** What the call did, in a few fields (rows returned, branch created, …). */
  result?: Record<string, unknown>;
  /** The client's name and version from the MCP handshake, when known. */
  client?: { name: string; version: string };
}

const MAX_LOGGED_STRING = 4000;
const MAX_LOGGED_ITEMS = 200;
const MAX_LOGGED_BYTES = 64 * 1024;

/**
 * The audit log: JSON lines appended to one file (created 0600). Each line is
 * one `write` to a file opened for appending, so lines of concurrent servers do
 * not interleave. A line that cannot be written is an error for the call: the
 * interface does not act unlogged.
 */
export class AuditLog {
  constructor(readonly file: string) {}

  /** Make sure the file can be written (called at startup, so a bad --audit path fails before serving). */
  open(): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    fs.closeSync(fs.openSync(this.file, 'a', 0o600));
  }

  record(entry: AuditEntry): void {
    const line = JSON.stringify(entry, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value)) + '\n';
    fs.appendFileSync(this.file, line, { mode: 0o600 });
  }

  /** Every entry of the file, oldest first (for tests and reviewers). */
  static read(file: string): AuditEntry[] {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as AuditEntry);
  }
}

/** Arguments as the log keeps them: strings past 4000 characters and lists past 200 items cut, the whole past 64 KB replaced by a preview. */
export function capArguments(value: unknown): unknown {
  const cap = (item: unknown): unknown => {
    if (typeof item === 'string') return item.length > MAX_LOGGED_STRING ? `${item.slice(0, MAX_LOGGED_STRING)}…[${item.length} characters in all]` : item;
    if (Array.isArray(item)) {
      const kept = item.slice(0, MAX_LOGGED_ITEMS).map(cap);
      if (item.length > MAX_LOGGED_ITEMS) kept.push(`…[${item.length} items in all]`);
      return kept;
    }
    if (item !== null && typeof item === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, inner] of Object.entries(item as Record<string, unknown>)) out[key] = cap(inner);
      return out;
    }
    return item;
  };
  const capped = cap(value);
  const text = JSON.stringify(capped) ?? 'null';
  if (text.length <= MAX_LOGGED_BYTES) return capped;
  return { cut: true, bytes: text.length, preview: text.slice(0, MAX_LOGGED_STRING) };
}
