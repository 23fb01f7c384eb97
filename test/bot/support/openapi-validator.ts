import fs from 'node:fs';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { ROOT } from '../../support/cli.js';

/**
 * Validates HTTP requests against the part of GitHub's OpenAPI description the
 * bot uses (fixtures/github/openapi-subset.json, extracted from @octokit/openapi
 * by bot/openapi/extract.ts): the operation must exist, path and query parameters
 * must fit their schemas (unknown query parameters are refused), and a JSON body
 * must fit the operation's request-body schema. One stricter rule than GitHub's:
 * an object may not carry properties its schema does not declare, since GitHub
 * would silently ignore them and the bot would not get what it meant.
 */

type JsonObject = Record<string, unknown>;

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: JsonObject;
}

interface Operation {
  method: string;
  template: string;
  operationId: string;
  pattern: RegExp;
  pathNames: string[];
  parameters: Parameter[];
  body?: { required: boolean; validate: ValidateFunction };
  parameterValidators: Map<string, ValidateFunction>;
  literalLength: number;
}

export interface RequestCheck {
  operationId: string | undefined;
  template: string | undefined;
  pathParameters: Record<string, string>;
  errors: string[];
}

export const OPENAPI_SUBSET = path.join(ROOT, 'fixtures/github/openapi-subset.json');

export class OpenApiValidator {
  private readonly operations: Operation[] = [];

  constructor(file = OPENAPI_SUBSET) {
    const document = strictObjects(JSON.parse(fs.readFileSync(file, 'utf8'))) as JsonObject;
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
    ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
    ajv.addFormat('uri', /^[a-z][a-z0-9+.-]*:[^\s]*$/i);
    ajv.addFormat('email', /^[^\s@]+@[^\s@]+$/);
    ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
    ajv.addFormat('repo.nwo', /^[^/\s]+\/[^/\s]+$/);
    ajv.addSchema(document, 'github');
    const components = document['components'] as JsonObject;
    const paths = document['paths'] as Record<string, Record<string, JsonObject>>;
    for (const [template, item] of Object.entries(paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const parameters = ((operation['parameters'] as JsonObject[]) ?? []).map((p) => resolve(p, components) as unknown as Parameter);
        const pathNames: string[] = [];
        const pattern = new RegExp(
          '^' +
            template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{([^}]+)\\?\}/g, (_, name: string) => {
              pathNames.push(name);
              return '([^/]+)';
            }) +
            '$',
        );
        const pointer = `github#/paths/${escapePointer(template)}/${method}`;
        const parameterValidators = new Map<string, ValidateFunction>();
        for (const parameter of parameters) if (parameter.schema) parameterValidators.set(`${parameter.in}:${parameter.name}`, ajv.compile(parameter.schema));
        const requestBody = operation['requestBody'] as JsonObject | undefined;
        const json = (requestBody?.['content'] as JsonObject | undefined)?.['application/json'] as JsonObject | undefined;
        this.operations.push({
          method: method.toUpperCase(),
          template,
          operationId: operation['operationId'] as string,
          pattern,
          pathNames,
          parameters,
          parameterValidators,
          body: json ? { required: Boolean(requestBody?.['required']), validate: ajv.compile({ $ref: `${pointer}/requestBody/content/application~1json/schema` }) } : undefined,
          literalLength: template.replace(/\{[^}]+\}/g, '').length,
        });
      }
    }
  }

  /** The operation ids the description holds. */
  get operationIds(): string[] {
    return this.operations.map((o) => o.operationId);
  }

  check(method: string, url: URL, body: unknown): RequestCheck {
    const candidates = this.operations
      .filter((o) => o.method === method.toUpperCase() && o.pattern.test(url.pathname))
      .sort((a, b) => b.literalLength - a.literalLength);
    const operation = candidates[0];
    if (!operation) return { operationId: undefined, template: undefined, pathParameters: {}, errors: [`${method} ${url.pathname} is not an operation of the description (or not one the bot may use)`] };
    const errors: string[] = [];
    const match = operation.pattern.exec(url.pathname)!;
    const pathParameters: Record<string, string> = {};
    operation.pathNames.forEach((name, index) => (pathParameters[name] = decodeURIComponent(match[index + 1]!)));
    const where = `${method} ${operation.template}`;
    for (const parameter of operation.parameters) {
      const validate = operation.parameterValidators.get(`${parameter.in}:${parameter.name}`);
      if (parameter.in === 'path') {
        const value = pathParameters[parameter.name];
        if (value === undefined) errors.push(`${where}: path parameter ${parameter.name} missing`);
        else if (validate && !validate(coerce(value, parameter.schema))) errors.push(`${where}: path parameter ${parameter.name}=${value}: ${ajvText(validate)}`);
      } else if (parameter.in === 'query') {
        const value = url.searchParams.get(parameter.name);
        if (value === null) {
          if (parameter.required) errors.push(`${where}: query parameter ${parameter.name} missing`);
        } else if (validate && !validate(coerce(value, parameter.schema))) errors.push(`${where}: query parameter ${parameter.name}=${value}: ${ajvText(validate)}`);
      }
    }
    const known = new Set(operation.parameters.filter((p) => p.in === 'query').map((p) => p.name));
    for (const name of url.searchParams.keys()) if (!known.has(name)) errors.push(`${where}: unknown query parameter ${name}`);
    if (operation.body) {
      if (body === undefined) {
        if (operation.body.required) errors.push(`${where}: request body missing`);
      } else if (!operation.body.validate(body)) errors.push(`${where}: request body: ${ajvText(operation.body.validate)}`);
    } else if (body !== undefined && !(typeof body === 'object' && body !== null && Object.keys(body).length === 0)) {
      errors.push(`${where}: takes no request body`);
    }
    return { operationId: operation.operationId, template: operation.template, pathParameters, errors };
  }
}

function resolve(value: JsonObject, components: JsonObject): JsonObject {
  const reference = value['$ref'];
  if (typeof reference !== 'string') return value;
  const [, kind, name] = /^#\/components\/([^/]+)\/([^/]+)$/.exec(reference) ?? [];
  return resolve(((components[kind!] as JsonObject)[name!] as JsonObject) ?? {}, components);
}

function escapePointer(text: string): string {
  return text.replace(/~/g, '~0').replace(/\//g, '~1');
}

function coerce(value: string, schema: JsonObject | undefined): unknown {
  const type = schema?.['type'];
  if (type === 'integer' || type === 'number') return /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  if (type === 'boolean') return value === 'true' ? true : value === 'false' ? false : value;
  return value;
}

function ajvText(validate: ValidateFunction): string {
  return (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`).join('; ');
}

/** Object schemas without `additionalProperties` get `false`: see the class comment. */
function strictObjects(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(strictObjects);
  if (value === null || typeof value !== 'object') return value;
  const out: JsonObject = {};
  for (const [key, child] of Object.entries(value)) out[key] = key === 'properties' ? Object.fromEntries(Object.entries(child as JsonObject).map(([k, v]) => [k, strictObjects(v)])) : strictObjects(child);
  // With a combinator, only when its branches declare no property of their own.
  const declared = new Set(Object.keys((out['properties'] as JsonObject | undefined) ?? {}));
  const branches = ['oneOf', 'anyOf', 'allOf'].flatMap((k) => (Array.isArray(out[k]) ? (out[k] as JsonObject[]) : []));
  const closed = branches.every((branch) => Object.keys((branch['properties'] as JsonObject | undefined) ?? {}).every((name) => declared.has(name)));
  if (out['type'] === 'object' && out['properties'] && !('additionalProperties' in out) && closed) out['additionalProperties'] = false;
  return out;
}
