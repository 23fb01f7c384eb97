/** The agent interface: an MCP server over stdio or Streamable HTTP, read-only unless told, with sandbox branches, an audit log and fenced results. */
export { serveStdio } from './stdio.js';
export { serveHttp, MCP_PATH, type HttpServeOptions, type HttpServerHandle } from './http.js';
export type { ServeOptions } from './serve-options.js';
export { createAgentServer, type AgentServerOptions } from './agent-server.js';
export { AGENT_TOOLS, offeredTools, type OfferedTool } from './tools/index.js';
export { AGENT_RESOURCES } from './resources.js';
export { AuditLog, DEFAULT_AUDIT_FILE, type AuditEntry } from './audit-log.js';
export { DEFAULT_LIMITS, agentLimits, type AgentLimits } from './limits.js';
export { Sandbox, SESSION_PATTERN } from './sandbox.js';
export { AgentRefusal, type RefusalReason } from './refusal.js';
export { requestReview, listReviewRequests, reviewsDir, ReviewRequestSchema, type ReviewRequest } from './review-requests.js';
export { runReadOnlyQuery, type ReadOnlyQueryOptions, type ReadOnlyQueryResult } from './read-only-query.js';
export { fenceData, fencedText, neutraliseMessage, instructionPatterns, INSTRUCTION_PATTERNS, UNTRUSTED_NOTICE, FLAG_MARKER, type Fence, type FlaggedValue } from './untrusted-data.js';
