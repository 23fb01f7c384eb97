/**
 * Progress of a long operation, reported to whoever started it. The engine only
 * calls the callback; the CLI draws it (on a TTY stderr), other callers ignore it.
 */

/** How far an operation is: `done` of `total` (when known) units of its current phase. */
export interface ProgressEvent {
  /** What is being done now, for people: "Merging tables", "Checking", "Writing files". */
  phase: string;
  done: number;
  total?: number;
  /** What is counted: rows, tables, checks, files... */
  unit?: string;
}

/** Called as an operation advances; must be cheap (the renderer throttles). */
export type Progress = (event: ProgressEvent) => void;
