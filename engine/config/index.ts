/** dgit.yml: its schema, parsing with line-precise errors, validation against a revision, reading and writing. */
export * from './config-schema.js';
export { ConfigError, formatConfigIssue, formatConfigPath, type ConfigIssue, type ConfigPath } from './config-error.js';
export { parseConfig, type LoadedConfig } from './config-file.js';
export { validateConfig, configIssues } from './config-validation.js';
export { checkedColumns, checkDefinitionKey, defaultCheckId, ROW_LOCAL_KINDS, type ConfigLiteral, type ConfigLocation, type ConfiguredCheck, type RowCountChange } from './configured-check.js';
export { literalSql, isNumericType, isTemporalType } from './config-literal.js';
export { parseDuration } from './duration.js';
export { readConfig, readConfigText, readTableSchemas, writeConfig, stageWorktreeConfig } from './repository-config.js';
export { configJsonSchema, configJsonSchemaText, CONFIG_JSON_SCHEMA_FILE } from './json-schema.js';
