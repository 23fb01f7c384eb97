/**
 * The size and time bounds of the agent interface. Every tool result and every
 * request is held inside them, so one call can neither flood the agent's context
 * nor tie up the machine.
 */
export interface AgentLimits {
  /** Most bytes of a tool call's arguments (as JSON); past it the call is refused unread. */
  requestBytes: number;
  /** Most characters of a `query` statement. */
  sqlChars: number;
  /** Rows `query` returns by default, and at most. */
  queryRows: { default: number; max: number };
  /** Wall-clock time a `query` may run before it is interrupted. */
  queryTimeoutMs: number;
  /** DuckDB's memory_limit for a `query` (past it DuckDB spills, then fails). */
  queryMemory: string;
  /** Disk DuckDB may spill to for one `query`. */
  querySpill: string;
  /** Queries running at once; later ones wait their turn. */
  queryConcurrency: number;
  /** Changed rows `diff` returns per table by default, and at most. */
  diffRows: { default: number; max: number };
  /** Wall-clock time `diff` spends reading changes before it stops and says so. */
  diffTimeoutMs: number;
  /** Most edits in one `propose_fix` patch (the dgit.yml policy usually allows far fewer). */
  patchEdits: number;
  /** Longest string value in a result; longer ones are cut and flagged. */
  cellChars: number;
  /** Most bytes of a result's data (rows are dropped past it, and the result says so). */
  resultBytes: number;
  /** Failing rows shown per check by `run_checks`. */
  checkSample: number;
  /** Failing rows `failing_rows` returns by default, and at most (each twice: now and its last good version). */
  evidenceRows: { default: number; max: number };
  /** Incidents `list_incidents` returns by default, and at most. */
  incidents: { default: number; max: number };
  /** Longest review summary an agent may write. */
  summaryChars: number;
}

export const DEFAULT_LIMITS: AgentLimits = {
  requestBytes: 1024 * 1024,
  sqlChars: 20_000,
  queryRows: { default: 100, max: 1000 },
  queryTimeoutMs: 10_000,
  queryMemory: '256MB',
  querySpill: '512MB',
  queryConcurrency: 2,
  diffRows: { default: 50, max: 500 },
  diffTimeoutMs: 20_000,
  patchEdits: 1000,
  cellChars: 1000,
  resultBytes: 256 * 1024,
  checkSample: 10,
  evidenceRows: { default: 20, max: 200 },
  incidents: { default: 50, max: 200 },
  summaryChars: 2000,
};

/** The defaults with some bounds replaced. */
export function agentLimits(overrides: Partial<AgentLimits> = {}): AgentLimits {
  return { ...DEFAULT_LIMITS, ...overrides };
}
