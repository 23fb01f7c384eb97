import { z } from 'zod';
import { DgitConfigSchema } from './config-schema.js';

/** Where the JSON Schema of dgit.yml lives in the source repository (editors point at it). */
export const CONFIG_JSON_SCHEMA_FILE = 'dgit.schema.json';

/**
 * The JSON Schema of dgit.yml, generated from the zod schema so the two cannot
 * drift (a test compares it with the committed dgit.schema.json). Input form:
 * keys with defaults are optional, as a user writes them. Draft 7, the draft
 * editors' YAML and JSON language servers support fully.
 */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(DgitConfigSchema, { io: 'input', target: 'draft-7' }) as Record<string, unknown>;
  return {
    $schema: schema['$schema'],
    title: 'dgit.yml',
    ...Object.fromEntries(Object.entries(schema).filter(([key]) => key !== '$schema')),
  };
}

/** The text of dgit.schema.json: the schema, two-space indented, with a final newline. */
export function configJsonSchemaText(): string {
  return JSON.stringify(configJsonSchema(), null, 2) + '\n';
}
