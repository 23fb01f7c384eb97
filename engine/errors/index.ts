/**
 * One error hierarchy for the whole engine. Every error carries a stable `code`
 * that callers (CLI, bot, MCP server, tests) branch on, and a `where` that names
 * the file, line, column, table or ref the problem is in.
 */

export type ErrorCode =
  | 'USAGE'
  | 'NOT_A_REPOSITORY'
  | 'NOT_FOUND'
  | 'INVALID_NAME'
  | 'INVALID_INPUT'
  | 'SCHEMA_MISMATCH'
  | 'DUPLICATE_KEY'
  | 'NULL_KEY'
  | 'CONCURRENT_UPDATE'
  | 'UNCOMMITTED_CHANGES'
  | 'MERGE_IN_PROGRESS'
  | 'NO_MERGE_IN_PROGRESS'
  | 'CONFLICTS_REMAIN'
  | 'CORRUPT'
  | 'NOTHING_TO_COMMIT'
  | 'ALREADY_EXISTS'
  | 'UNSUPPORTED'
  | 'INTERNAL';

export class DgitError extends Error {
  /** Whether retrying the same operation may succeed (a lost compare-and-swap race). */
  readonly retryable: boolean;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly where?: string,
    options?: { cause?: unknown; retryable?: boolean },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DgitError';
    this.retryable = options?.retryable ?? false;
  }
}

export class UsageError extends DgitError {
  constructor(message: string, where?: string) {
    super('USAGE', message, where);
    this.name = 'UsageError';
  }
}

export class NotARepositoryError extends DgitError {
  constructor(dir: string) {
    super('NOT_A_REPOSITORY', 'not a dgit repository (run `dgit init` first)', dir);
    this.name = 'NotARepositoryError';
  }
}

export class NotFoundError extends DgitError {
  constructor(what: string, where?: string) {
    super('NOT_FOUND', `${what} not found`, where);
    this.name = 'NotFoundError';
  }
}

/**
 * A name the user typed (a table, column, branch or revision) that does not exist.
 * The message lists the names that do, so a typo is one look away; a usage error (exit 2).
 */
export class UnknownNameError extends NotFoundError {
  constructor(
    kind: string,
    name: string,
    readonly known: readonly string[],
    where?: string,
    knownLabel = `${kind === 'branch' ? 'branche' : kind}s`,
  ) {
    super(`${kind} ${JSON.stringify(name)}`, where);
    this.name = 'UnknownNameError';
    const shown = known.slice(0, 20).join(', ');
    const more = known.length > 20 ? `, and ${known.length - 20} more` : '';
    this.message += known.length === 0 ? `; there are no ${knownLabel}` : `; ${knownLabel}: ${shown}${more}`;
  }
}

/**
 * A revision whose `~N` or `^N` walks past the history there is (`HEAD~5` with two
 * commits): no such revision, a usage error (exit 2) like an unknown name. The
 * message says where history ends.
 */
export class NoSuchRevisionError extends NotFoundError {
  constructor(revision: string, reason: string) {
    super(`revision ${JSON.stringify(revision)}`, revision);
    this.name = 'NoSuchRevisionError';
    this.message += `; ${reason}`;
  }
}

export class InvalidNameError extends DgitError {
  constructor(kind: string, name: string, reason: string) {
    super('INVALID_NAME', `invalid ${kind} name ${JSON.stringify(name)}: ${reason}`, kind);
    this.name = 'InvalidNameError';
  }
}

export class InvalidInputError extends DgitError {
  constructor(message: string, where?: string, cause?: unknown) {
    super('INVALID_INPUT', message, where, { cause });
    this.name = 'InvalidInputError';
  }
}

export class SchemaMismatchError extends DgitError {
  constructor(message: string, where?: string) {
    super('SCHEMA_MISMATCH', message, where);
    this.name = 'SchemaMismatchError';
  }
}

export class DuplicateKeyError extends DgitError {
  constructor(message: string, where?: string) {
    super('DUPLICATE_KEY', message, where);
    this.name = 'DuplicateKeyError';
  }
}

export class NullKeyError extends DgitError {
  constructor(message: string, where?: string) {
    super('NULL_KEY', message, where);
    this.name = 'NullKeyError';
  }
}

/** Another writer moved a ref or state file first; the operation did nothing and may be retried. */
export class ConcurrentUpdateError extends DgitError {
  /** `message` says more than the default when dgit knows more (a lock left behind, say). */
  constructor(what: string, message = `${what} was changed by another process; nothing was written, retry`) {
    super('CONCURRENT_UPDATE', message, what, {
      retryable: true,
    });
    this.name = 'ConcurrentUpdateError';
  }
}

export class UncommittedChangesError extends DgitError {
  /** `remedy` says what the command accepts; by default, commit or `--discard` (as `switch` takes). */
  constructor(action: string, branch: string, remedy = 'commit them or use --discard') {
    super('UNCOMMITTED_CHANGES', `uncommitted changes on ${branch}; ${remedy} before ${action}`, branch);
    this.name = 'UncommittedChangesError';
  }
}

export class CorruptError extends DgitError {
  constructor(message: string, where?: string, cause?: unknown) {
    super('CORRUPT', message, where, { cause });
    this.name = 'CorruptError';
  }
}

/** Exit status for an error, as CLI.md fixes it: 2 for usage errors, 1 for failures. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof UnknownNameError || error instanceof NoSuchRevisionError) return 2;
  return error instanceof DgitError && (error.code === 'USAGE' || error.code === 'INVALID_NAME') ? 2 : 1;
}

export class UnsupportedTypeError extends DgitError {
  constructor(message: string, where?: string) {
    super('UNSUPPORTED', message, where);
    this.name = 'UnsupportedTypeError';
  }
}
