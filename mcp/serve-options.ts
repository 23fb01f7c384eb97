import path from 'node:path';
import { AuditLog, DEFAULT_AUDIT_FILE } from './audit-log.js';
import { agentLimits, type AgentLimits } from './limits.js';
import { Sandbox } from './sandbox.js';
import { openRepository } from '../engine/index.js';

/** How `dgit mcp` serves, over either transport. */
export interface ServeOptions {
  /** The repository's directory (or one below it). */
  dir: string;
  /** Offer propose_fix and request_review. Default false: a read-only server, without those tools listed. */
  allowPropose?: boolean;
  /** The sandbox name: proposals go to heal/agent-<session>/<n>. Default: a random name per session. */
  session?: string;
  /** The audit log (JSON lines). Default: .git/dgit/mcp-audit.log. */
  auditFile?: string;
  limits?: Partial<AgentLimits>;
  /** dgit's version, for the MCP handshake. */
  version?: string;
}

export interface PreparedServe {
  dir: string;
  audit: AuditLog;
  limits: AgentLimits;
  allowPropose: boolean;
  /** A sandbox for each new session: the named one, or a fresh random one. */
  sandbox(): Sandbox;
}

/** Check the options before serving: the repository opens, the session name is valid, the audit file can be written. */
export async function prepareServe(options: ServeOptions): Promise<PreparedServe> {
  const repository = await openRepository(options.dir);
  if (options.session !== undefined) new Sandbox(options.session);
  const audit = new AuditLog(path.resolve(options.auditFile ?? path.join(repository.gitdir, DEFAULT_AUDIT_FILE)));
  audit.open();
  return {
    dir: repository.dir,
    audit,
    limits: agentLimits(options.limits),
    allowPropose: options.allowPropose ?? false,
    sandbox: () => (options.session !== undefined ? new Sandbox(options.session) : Sandbox.fresh()),
  };
}
