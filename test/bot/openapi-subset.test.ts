import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GITHUB_ENDPOINTS } from '../../bot/openapi/endpoints.js';
import { extractSubset } from '../../bot/openapi/extract.js';
import { OPENAPI_SUBSET, OpenApiValidator } from './support/openapi-validator.js';

/**
 * The requests of the bot are validated against GitHub's own OpenAPI description
 * (the subset committed under fixtures/github/, extracted from @octokit/openapi by
 * bot/openapi/extract.ts). These tests keep the fixture in step with the list of
 * endpoints the bot uses, and show the validator refuses what GitHub refuses.
 */

const url = (path: string) => new URL(`http://github.test${path}`);
const SHA = 'a'.repeat(40);

describe('the OpenAPI subset', () => {
  const subset = JSON.parse(fs.readFileSync(OPENAPI_SUBSET, 'utf8')) as { info: Record<string, string>; paths: Record<string, Record<string, unknown>> };

  it('holds exactly the operations the bot uses, from GitHub\'s description', () => {
    const held = Object.entries(subset.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method} ${path}`));
    expect(held.sort()).toEqual(GITHUB_ENDPOINTS.map((e) => `${e.method} ${e.path}`).sort());
    expect(subset.info['x-dgit-extracted-from']).toMatch(/^@octokit\/openapi@\d+\.\d+\.\d+ generated\/api\.github\.com\.json$/);
  });

  it('is extracted with every component its operations reference, transitively', () => {
    const description = {
      openapi: '3.0.3',
      info: { title: 'GitHub', version: '1' },
      paths: { '/things/{id}': { patch: { operationId: 'things/update', parameters: [{ $ref: '#/components/parameters/id' }], requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/thing' } } } }, responses: { '200': { description: 'ok', content: {} } } } } },
      components: {
        parameters: { id: { name: 'id', in: 'path', required: true, schema: { type: 'integer' } } },
        schemas: { thing: { type: 'object', properties: { part: { $ref: '#/components/schemas/part' } } }, part: { type: 'string' }, unused: { type: 'number' } },
      },
    };
    const extracted = extractSubset(description, [{ method: 'patch', path: '/things/{id}' }], 'test');
    expect(Object.keys(extracted.components['schemas']!).sort()).toEqual(['part', 'thing']);
    expect(extracted.components['parameters']).toEqual({ id: description.components.parameters.id });
    expect(extracted.paths['/things/{id}']!['patch']!['responses']).toEqual({ '200': { description: 'HTTP 200' } });
    expect(() => extractSubset(description, [{ method: 'get', path: '/nowhere' }], 'test')).toThrow(/has no GET \/nowhere/);
  });
});

describe('the request validator', () => {
  const validator = new OpenApiValidator();
  const errors = (method: string, path: string, body?: unknown) => validator.check(method, url(path), body).errors;
  const annotation = { path: 'dgit.yml', start_line: 5, end_line: 5, annotation_level: 'failure', message: 'm' };

  it('accepts the calls the bot makes', () => {
    expect(errors('POST', '/repos/o/r/check-runs', { name: 'dgit/checks', head_sha: SHA, external_id: 'pull/1', status: 'in_progress', started_at: '2024-05-01T10:00:00.000Z' })).toEqual([]);
    expect(errors('PATCH', '/repos/o/r/check-runs/7', { status: 'completed', conclusion: 'failure', completed_at: '2024-05-01T10:00:01Z', output: { title: 't', summary: 's', annotations: [annotation] } })).toEqual([]);
    expect(errors('GET', '/repos/o/r/pulls?head=o%3Aheal%2Fx&state=closed&per_page=100')).toEqual([]);
    expect(errors('POST', '/repos/o/r/issues/3/labels', { labels: ['dgit', 'healing'] })).toEqual([]);
  });

  it('refuses what GitHub would refuse or ignore', () => {
    const fiftyOne = Array.from({ length: 51 }, () => annotation);
    expect(errors('PATCH', '/repos/o/r/check-runs/7', { output: { title: 't', summary: 's', annotations: fiftyOne } }).join()).toContain('must NOT have more than 50 items');
    expect(errors('PATCH', '/repos/o/r/check-runs/7', { status: 'completed' }).join()).toContain("must have required property 'conclusion'");
    expect(errors('POST', '/repos/o/r/check-runs', { name: 'dgit/checks', head_sha: SHA, conclusion: 'passed' }).join()).toContain('must be equal to one of the allowed values');
    expect(errors('POST', '/repos/o/r/check-runs', { name: 'dgit/checks' }).join()).toContain("must have required property 'head_sha'");
    expect(errors('PATCH', '/repos/o/r/check-runs/7', { output: { title: 't', summary: 's'.repeat(65_536) } }).join()).toContain('must NOT have more than 65535 characters');
    expect(errors('POST', '/repos/o/r/issues/3/comments', { body: 'x', pinned: true }).join()).toContain('must NOT have additional properties (pinned)');
    expect(errors('GET', '/repos/o/r/pulls?state=opened').join()).toContain('query parameter state=opened');
    expect(errors('GET', '/repos/o/r/pulls?author=x').join()).toContain('unknown query parameter author');
    expect(errors('PATCH', '/repos/o/r/check-runs/seven', { status: 'in_progress' }).join()).toContain('path parameter check_run_id=seven');
    expect(errors('POST', '/repos/o/r/check-runs', { name: 'dgit/checks', head_sha: SHA, started_at: 'yesterday' }).join()).toContain('must match format "date-time"');
    expect(errors('DELETE', '/repos/o/r/pulls/comments/5').join()).toContain('is not an operation of the description');
    expect(errors('PUT', '/repos/o/r/pulls/1/merge', {}).join()).toContain('is not an operation of the description');
  });
});
