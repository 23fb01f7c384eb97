/** Renderers of the one diff model: JSON (the CLI contract), terminal, GitHub Markdown, standalone HTML. */
export type { DiffReport, NamedTableDiff } from '../../engine/diff/diff-report.js';
export { writeDiffJson, rowChangeToJson, schemaChangesToJson, type JsonDiffOptions } from './json.js';
export { writeDiffTerminal, type TerminalDiffOptions } from './terminal.js';
export { renderDiffMarkdown, escapeMarkdown, GITHUB_COMMENT_LIMIT, type MarkdownDiffOptions } from './markdown.js';
export { writeDiffHtml, escapeHtml, type HtmlDiffOptions } from './html.js';
