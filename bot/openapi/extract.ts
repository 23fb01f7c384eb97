/**
 * Extract from GitHub's OpenAPI description (`api.github.com.json` of the
 * `@octokit/openapi` package, 385 MB installed) the part the bot's tests validate
 * requests against: the operations of `GITHUB_ENDPOINTS` with their parameters and
 * request bodies, and every component they reference. Responses keep their status
 * codes only (the tests validate what the bot sends, not what GitHub answers).
 *
 *   npm install --no-save @octokit/openapi@23
 *   npm run build && node dist/bot/openapi/extract.js [api.github.com.json] [out.json]
 *
 * The result is committed as fixtures/github/openapi-subset.json, so `npm ci` never
 * downloads the whole description.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GITHUB_ENDPOINTS, type GitHubEndpoint } from './endpoints.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface OpenApiSubset {
  openapi: string;
  info: JsonObject;
  paths: Record<string, Record<string, JsonObject>>;
  components: Record<string, Record<string, Json>>;
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const DEFAULT_SOURCE = path.join(ROOT, 'node_modules/@octokit/openapi/generated/api.github.com.json');
const DEFAULT_TARGET = path.join(ROOT, 'fixtures/github/openapi-subset.json');

/** The subset of `description` that `endpoints` need, with the components they reference. */
export function extractSubset(description: JsonObject, endpoints: readonly GitHubEndpoint[], source: string): OpenApiSubset {
  const paths = description['paths'] as Record<string, Record<string, JsonObject>>;
  const components = description['components'] as Record<string, Record<string, Json>>;
  const subset: OpenApiSubset = {
    openapi: description['openapi'] as string,
    info: { ...(description['info'] as JsonObject), 'x-dgit-extracted-from': source },
    paths: {},
    components: {},
  };
  const pending: string[] = [];
  for (const endpoint of [...endpoints].sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method))) {
    const item = paths[endpoint.path];
    const operation = item?.[endpoint.method];
    if (!operation) throw new Error(`GitHub's description has no ${endpoint.method.toUpperCase()} ${endpoint.path}`);
    const kept: JsonObject = {
      summary: operation['summary'] ?? null,
      operationId: operation['operationId'] ?? null,
      parameters: [...((item['parameters'] as unknown as Json[] | undefined) ?? []), ...((operation['parameters'] as Json[] | undefined) ?? [])],
      responses: Object.fromEntries(Object.keys(operation['responses'] as JsonObject).map((status) => [status, { description: `HTTP ${status}` }])),
    };
    const body = operation['requestBody'] as JsonObject | undefined;
    if (body) kept['requestBody'] = withoutExamples(body);
    (subset.paths[endpoint.path] ??= {})[endpoint.method] = kept;
    collectReferences(kept, pending);
  }
  const seen = new Set<string>();
  while (pending.length > 0) {
    const reference = pending.pop()!;
    if (seen.has(reference)) continue;
    seen.add(reference);
    const match = /^#\/components\/([^/]+)\/([^/]+)$/.exec(reference);
    if (!match) throw new Error(`unexpected reference ${reference}`);
    const [, kind, name] = match as unknown as [string, string, string];
    const value = components[kind]?.[name];
    if (value === undefined) throw new Error(`dangling reference ${reference}`);
    const cleaned = withoutExamples(value);
    (subset.components[kind] ??= {})[name] = cleaned;
    collectReferences(cleaned, pending);
  }
  for (const kind of Object.keys(subset.components)) subset.components[kind] = sortKeys(subset.components[kind]!);
  return subset;
}

/** Request-body examples reference large example components and validate nothing. */
function withoutExamples(value: Json): Json {
  if (Array.isArray(value)) return value.map(withoutExamples);
  if (value === null || typeof value !== 'object') return value;
  const out: JsonObject = {};
  for (const [key, child] of Object.entries(value)) {
    if (key === 'examples' && child !== null && typeof child === 'object' && !Array.isArray(child)) continue;
    out[key] = withoutExamples(child);
  }
  return out;
}

function collectReferences(value: Json, into: string[]): void {
  if (Array.isArray(value)) for (const child of value) collectReferences(child, into);
  else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (key === '$ref' && typeof child === 'string') into.push(child);
      else collectReferences(child, into);
    }
  }
}

function sortKeys<T extends Record<string, Json>>(object: T): T {
  return Object.fromEntries(Object.entries(object).sort(([a], [b]) => a.localeCompare(b))) as T;
}

function main(argv: string[]): void {
  const source = path.resolve(argv[0] ?? DEFAULT_SOURCE);
  const target = path.resolve(argv[1] ?? DEFAULT_TARGET);
  if (!fs.existsSync(source)) {
    process.stderr.write(`extract: ${source} not found; run \`npm install --no-save @octokit/openapi\` or pass the path of api.github.com.json\n`);
    process.exitCode = 2;
    return;
  }
  const description = JSON.parse(fs.readFileSync(source, 'utf8')) as JsonObject;
  const packageFile = path.join(path.dirname(source), '..', 'package.json');
  const version = fs.existsSync(packageFile) ? `@octokit/openapi@${(JSON.parse(fs.readFileSync(packageFile, 'utf8')) as { version: string }).version}` : path.basename(source);
  const subset = extractSubset(description, GITHUB_ENDPOINTS, `${version} generated/${path.basename(source)}`);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, JSON.stringify(subset, null, 2) + '\n');
  process.stdout.write(`extract: ${Object.keys(subset.paths).length} paths, ${GITHUB_ENDPOINTS.length} operations -> ${path.relative(process.cwd(), target)}\n`);
}

if (process.argv[1] && fs.realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
