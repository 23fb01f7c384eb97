import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { CHECK_KINDS, CONFIG_JSON_SCHEMA_FILE, configJsonSchema, configJsonSchemaText } from '../../engine/config/index.js';
import { ROOT } from '../support/cli.js';

const SCHEMA_FILE = path.join(ROOT, CONFIG_JSON_SCHEMA_FILE);

describe('the JSON Schema of dgit.yml', () => {
  it('the committed dgit.schema.json is the one generated from the zod schema', () => {
    const generated = configJsonSchemaText();
    // Regenerate with: DGIT_UPDATE_SCHEMA=1 npx vitest run test/config/json-schema.test.ts
    if (process.env['DGIT_UPDATE_SCHEMA']) fs.writeFileSync(SCHEMA_FILE, generated);
    expect(fs.readFileSync(SCHEMA_FILE, 'utf8'), `${CONFIG_JSON_SCHEMA_FILE} is stale; regenerate it (see this test)`).toBe(generated);
  });

  it('describes every check kind', () => {
    const text = JSON.stringify(configJsonSchema());
    for (const kind of CHECK_KINDS) expect(text).toContain(`"const":"${kind}"`);
  });

  it('accepts a full example and rejects a misspelt kind and an unknown key, as an editor would', () => {
    const editorSchema = z.fromJSONSchema(JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8')) as Parameters<typeof z.fromJSONSchema>[0]);
    const example = parse(
      [
        'version: 1',
        'tables:',
        '  flights:',
        '    checks:',
        '      - { kind: not_null, column: delay, severity: warn, description: delays are reported }',
        '      - { kind: unique, columns: [origin, dest, day] }',
        '      - { kind: accepted_values, column: carrier, values: [AA, UA, 1], case_sensitive: false }',
        '      - { kind: range, column: delay, min: -60, max: 1440, max_inclusive: false }',
        '      - { kind: pattern, column: origin, pattern: "^[A-Z]{3}$" }',
        '      - { kind: row_count, min: 1, max_change: "10%" }',
        '      - { kind: foreign_key, column: origin, references: { table: airports, column: iata } }',
        '      - { kind: freshness, column: day, max_age: 2d }',
        '      - { kind: sql, name: no_time_travel, sql: "SELECT * FROM flights WHERE arrival < departure" }',
        '    defaults: { carrier: UNKNOWN }',
        'policy:',
        '  max_rows_per_proposal: 200',
        '  tables: { flights: { columns: [carrier], delete_rows: false, max_rows: 20 } }',
      ].join('\n'),
    );
    expect(editorSchema.safeParse(example).success).toBe(true);
    const misspelt = parse('version: 1\ntables: { t: { checks: [ { kind: not_nul, column: a } ] } }\n');
    expect(editorSchema.safeParse(misspelt).success).toBe(false);
    const unknownKey = parse('version: 1\ntables: { t: { checks: [ { kind: not_null, colum: a } ] } }\n');
    expect(editorSchema.safeParse(unknownKey).success).toBe(false);
  });
});
