import type { Readable, Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createAgentServer } from './agent-server.js';
import { QueryGate } from './query-gate.js';
import { prepareServe, type ServeOptions } from './serve-options.js';

/**
 * Serve one agent session over stdio (the client starts `dgit mcp` and talks on
 * its stdin and stdout). Resolves when the client closes the connection.
 * Nothing else may write to stdout meanwhile.
 */
export async function serveStdio(options: ServeOptions & { stdin?: Readable; stdout?: Writable }): Promise<void> {
  const prepared = await prepareServe(options);
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? process.stdout;
  const server = createAgentServer({
    dir: prepared.dir,
    allowPropose: prepared.allowPropose,
    sandbox: prepared.sandbox(),
    audit: prepared.audit,
    transport: 'stdio',
    limits: prepared.limits,
    queryGate: new QueryGate(prepared.limits.queryConcurrency),
    version: options.version,
  });
  // A message past the arguments limit (plus room for the envelope) closes the session rather than filling memory.
  const transport = new StdioServerTransport(stdin, stdout, { maxBufferSize: prepared.limits.requestBytes * 4 });
  const closed = new Promise<void>((resolve) => {
    const previous = server.onclose;
    server.onclose = () => {
      previous?.();
      resolve();
    };
  });
  await server.connect(transport);
  const end = () => void server.close();
  stdin.once('end', end);
  stdin.once('close', end);
  await closed;
}
