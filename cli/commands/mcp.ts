import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { UsageError } from '../../engine/index.js';

interface McpOptions {
  allowPropose?: boolean;
  session?: string;
  audit?: string;
  http?: string;
  host?: string;
  token?: string;
  queryTimeout?: string;
  sessionIdleTimeout?: string;
}

/** `dgit mcp`: the agent interface, an MCP server over stdio or Streamable HTTP. */
export function registerMcp(program: Command, context: CommandContext): void {
  program
    .command('mcp')
    .description('serve AI agents over the Model Context Protocol: read-only tools, and with --allow-propose fix proposals on sandbox branches')
    .option('--allow-propose', 'offer propose_fix and request_review (writing only to heal/agent-<session>/*); without it they are not listed')
    .option('--session <name>', 'name the sandbox heal/agent-<name>/ (default: a random name per session)')
    .option('--audit <file>', 'the audit log, JSON lines (default: .git/dgit/mcp-audit.log)')
    .option('--http <port>', 'serve Streamable HTTP on this port (0: any free port) instead of stdio')
    .option('--host <address>', 'the address to bind with --http (default 127.0.0.1; others expose the server to the network)')
    .option('--token <token>', 'the bearer token for --http (default: $DGIT_MCP_TOKEN, else a random one printed to stderr)')
    .option('--query-timeout <seconds>', 'how long one query may run (default 10)')
    .option('--session-idle-timeout <seconds>', 'with --http, close a session unused this long (default 900)')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  dgit mcp                                   # stdio, read-only: for an MCP client to start',
        '  dgit mcp --allow-propose --session claude  # proposals on heal/agent-claude/1, 2, …',
        '  DGIT_MCP_TOKEN=$(openssl rand -hex 24) dgit mcp --http 8765',
        '',
        'A client configuration (e.g. claude_desktop_config.json, .mcp.json):',
        '  {"mcpServers": {"dgit": {"command": "dgit", "args": ["-C", "/path/to/repo", "mcp"]}}}',
        '',
        'Every call is logged to the audit file. Results carry repository data fenced as untrusted;',
        'query runs one read-only SELECT with row, time and memory caps. See mcp/README.md.',
      ].join('\n'),
    )
    .action(async (options: McpOptions) => {
      const limits: { queryTimeoutMs?: number } = {};
      if (options.queryTimeout !== undefined) {
        const seconds = Number(options.queryTimeout);
        if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3600) throw new UsageError('--query-timeout takes a number of seconds between 0 and 3600', '--query-timeout');
        limits.queryTimeoutMs = Math.round(seconds * 1000);
      }
      if (options.http === undefined && (options.host !== undefined || options.token !== undefined)) throw new UsageError('--host and --token go with --http PORT', '--host');
      const serve = { dir: context.cwd, allowPropose: options.allowPropose ?? false, session: options.session, auditFile: options.audit, limits };
      if (options.http === undefined) {
        const { serveStdio } = await import('../../mcp/stdio.js');
        await serveStdio(serve);
        return;
      }
      const port = Number(options.http);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--http takes a port number, not ${JSON.stringify(options.http)}`, '--http');
      let sessionIdleMs: number | undefined;
      if (options.sessionIdleTimeout !== undefined) {
        const seconds = Number(options.sessionIdleTimeout);
        if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError('--session-idle-timeout takes a positive number of seconds', '--session-idle-timeout');
        sessionIdleMs = Math.round(seconds * 1000);
      }
      const { serveHttp } = await import('../../mcp/http.js');
      const handle = await serveHttp({ ...serve, port, host: options.host, token: options.token, sessionIdleMs });
      process.stderr.write(`dgit mcp: serving ${options.allowPropose ? 'read and propose' : 'read-only'} tools on ${handle.url}\n`);
      if (!['127.0.0.1', '::1', 'localhost'].includes(handle.host)) process.stderr.write(`dgit mcp: warning: bound to ${handle.host}, reachable from the network; the bearer token is the only guard\n`);
      if (handle.tokenGenerated) process.stderr.write(`dgit mcp: bearer token (set DGIT_MCP_TOKEN to choose one): ${handle.token}\n`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void handle.close().then(resolve, resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
