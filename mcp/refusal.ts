import { DgitError } from '../engine/index.js';

/** Why the agent interface said no. */
export type RefusalReason =
  /** A tool that is not offered (a writing tool without --allow-propose), or an unknown one. */
  | 'not-offered'
  /** Arguments that do not fit the tool's input schema. */
  | 'invalid-arguments'
  /** A request or result past the limits. */
  | 'too-large'
  /** SQL that is not one read-only SELECT. */
  | 'read-only'
  /** SQL that reached for a file, the network or an extension (DuckDB's sandbox said no). */
  | 'external-access'
  /** A query stopped by the time cap. */
  | 'timeout'
  /** A branch outside the agent's sandbox, or a table the agent interface keeps to dgit itself. */
  | 'sandbox'
  /** A change the dgit.yml policy forbids. */
  | 'policy';

/**
 * A call the agent interface refused on purpose (least privilege, the sandbox,
 * the policy, read-only SQL, a size or time cap), as opposed to one that failed.
 * The audit log records it as `refused`.
 */
export class AgentRefusal extends DgitError {
  constructor(
    readonly reason: RefusalReason,
    message: string,
    where?: string,
  ) {
    super(reason === 'not-offered' ? 'UNSUPPORTED' : 'INVALID_INPUT', message, where);
    this.name = 'AgentRefusal';
  }
}
