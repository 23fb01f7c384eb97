// Git's smart HTTP for the tests, in a small Node process of its own (test/support/git-http-server.ts
// starts it and is its only client). It spawns `git http-backend` as a CGI per request: a fork of this
// small process costs a fraction of a fork of a test worker, whose gigabytes of mappings the kernel
// copies on every fork. Plain JavaScript: Node runs it directly.
//
// The parent talks over the IPC channel (JSON messages):
//   parent -> child: { type: 'proceed', id, error? }   answer to 'before' (error: reply 500 with it)
//                    { type: 'recorded', id }           answer to 'replied' (the exchange is logged)
//                    { type: 'close' }
//   child -> parent: { type: 'listening', port }
//                    { type: 'arrived', id, exchange }  a request arrived (after its body was read)
//                    { type: 'before', id, method, path, service }  only when the parent has a hook
//                    { type: 'replied', id, status, responseBytes }
// A reply leaves only after the parent logged it, so a test that got its answer sees the exchange.
import { spawn } from 'node:child_process';
import http from 'node:http';

const GIT_HTTP_BACKEND = '/usr/lib/git-core/git-http-backend';
const { root, token, readOnlyToken, hooked } = JSON.parse(process.env.DGIT_GIT_HTTP_CONFIG ?? '{}');

let nextId = 0;
/** Answers from the parent, by request id. */
const waiting = new Map();
const ask = (id, message) =>
  new Promise((resolve) => {
    waiting.set(id, resolve);
    process.send(message);
  });

process.on('message', (message) => {
  if (message.type === 'close') {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    return;
  }
  const resolve = waiting.get(message.id);
  waiting.delete(message.id);
  resolve?.(message);
});
// The test worker went away without closing: nothing is left to serve.
process.on('disconnect', () => process.exit(0));

const server = http.createServer((request, response) => {
  const id = ++nextId;
  handle(id, request, response).catch((error) => reply(id, response, 500, { 'content-type': 'text/plain' }, String(error)));
});
server.listen(0, '127.0.0.1', () => process.send({ type: 'listening', port: server.address().port }));

async function handle(id, request, response) {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  const method = request.method ?? 'GET';
  const service = url.searchParams.get('service') ?? /\/(git-upload-pack|git-receive-pack)$/.exec(url.pathname)?.[1];
  const body = await readBody(request);
  const credentials = basicAuth(request.headers.authorization);
  process.send({ type: 'arrived', id, exchange: { method, path: url.pathname, service, status: 0, requestBytes: body.length, responseBytes: 0, user: credentials?.user } });

  if (token !== undefined) {
    const valid = credentials && (credentials.password === token || credentials.password === readOnlyToken);
    if (!valid) return reply(id, response, 401, { 'www-authenticate': 'Basic realm="git"', 'content-type': 'text/plain' }, 'authentication required\n');
    if (service === 'git-receive-pack' && credentials.password === readOnlyToken) {
      return reply(id, response, 403, { 'content-type': 'text/plain' }, 'this token may not push\n');
    }
  }
  if (hooked) {
    const answer = await ask(id, { type: 'before', id, method, path: url.pathname, service });
    if (answer.error !== undefined) return reply(id, response, 500, { 'content-type': 'text/plain' }, answer.error);
  }

  const cgi = spawn(GIT_HTTP_BACKEND, [], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: root,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      // No `git gc --auto` after each push (receive.autogc): a hosting service packs in the background,
      // not in the push's reply, and here it was a fifth of the git processes of the bot tests.
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'receive.autogc',
      GIT_CONFIG_VALUE_0: 'false',
      REQUEST_METHOD: method,
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.replace(/^\?/, ''),
      CONTENT_TYPE: request.headers['content-type'] ?? '',
      CONTENT_LENGTH: String(body.length),
      REMOTE_USER: credentials?.user ?? 'anonymous',
      REMOTE_ADDR: '127.0.0.1',
      ...(request.headers['git-protocol'] ? { GIT_PROTOCOL: String(request.headers['git-protocol']) } : {}),
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const out = [];
  const err = [];
  cgi.stdout.on('data', (b) => out.push(b));
  cgi.stderr.on('data', (b) => err.push(b));
  cgi.stdin.on('error', () => undefined); // the CGI may exit before reading everything (an error reply)
  cgi.stdin.end(body);
  const code = await new Promise((resolve) => cgi.on('close', (c) => resolve(c ?? 1)));
  const output = Buffer.concat(out);
  const split = headerEnd(output);
  if (split === undefined) {
    return reply(id, response, 500, { 'content-type': 'text/plain' }, `git http-backend exited ${code}: ${Buffer.concat(err).toString()}`);
  }
  const headers = {};
  let status = 200;
  for (const line of output.subarray(0, split.at).toString('latin1').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'status') status = Number.parseInt(value, 10);
    else headers[name] = value;
  }
  return reply(id, response, status, headers, output.subarray(split.at + split.length));
}

/** Answer once the parent has logged the exchange's outcome. */
async function reply(id, response, status, headers, body) {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  await ask(id, { type: 'replied', id, status, responseBytes: bytes.length });
  if (!response.headersSent) response.writeHead(status, { ...headers, 'content-length': String(bytes.length) });
  response.end(bytes);
}

async function readBody(request) {
  const parts = [];
  for await (const part of request) parts.push(part);
  return Buffer.concat(parts);
}

function basicAuth(header) {
  const match = /^Basic\s+(.+)$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? { user: decoded, password: '' } : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Where the CGI's header block ends (a blank line, CRLF or LF). */
function headerEnd(output) {
  const crlf = output.indexOf('\r\n\r\n');
  const lf = output.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { at: crlf, length: 4 };
  if (lf >= 0) return { at: lf, length: 2 };
  return undefined;
}
