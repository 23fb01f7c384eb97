import { z } from 'zod';
import type { AgentLimits } from '../limits.js';
import type { Sandbox } from '../sandbox.js';
import type { QueryGate } from '../query-gate.js';
import type { Repository } from '../../engine/index.js';

/** What a tool call runs with. */
export interface ToolContext {
  /** The repository, opened afresh for this call (so refs and packs written meanwhile are seen). */
  repository: Repository;
  sandbox: Sandbox;
  limits: AgentLimits;
  /** Bounds the DuckDB sessions of `query` running at once, across sessions of one server. */
  queryGate: QueryGate;
  /** Runs a session's writes one at a time (two proposals must not pick the same branch). */
  serialize: <T>(work: () => Promise<T>) => Promise<T>;
  /** Proposals made in this session, by patch fingerprint: the same patch again reports the first. */
  proposals: Map<string, { branch: string; result: unknown }>;
}

/** A tool of the agent interface: its schemas, whether it writes, and its work. */
export interface AgentTool<Input extends z.ZodObject = z.ZodObject, Output extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  input: Input;
  /** The structured content, without the `fence` every result gets. */
  output: Output;
  /** A writing tool is offered only when the server was started with --allow-propose. */
  writes: boolean;
  run(args: z.output<Input>, context: ToolContext): Promise<z.input<Output>>;
  /** The few fields of a result the audit log keeps. */
  audit(result: z.output<Output>): Record<string, unknown>;
}

/** A tool with its types erased, as the server's list holds it. */
export interface OfferedTool {
  name: string;
  title: string;
  description: string;
  input: z.ZodObject;
  output: z.ZodObject;
  writes: boolean;
  run(args: unknown, context: ToolContext): Promise<unknown>;
  audit(result: unknown): Record<string, unknown>;
}

export function defineTool<Input extends z.ZodObject, Output extends z.ZodObject>(tool: AgentTool<Input, Output>): OfferedTool {
  return {
    name: tool.name,
    title: tool.title,
    description: tool.description,
    input: tool.input,
    output: tool.output,
    writes: tool.writes,
    run: (args, context) => tool.run(args as z.output<Input>, context),
    audit: (result) => tool.audit(result as z.output<Output>),
  };
}
