/** Renderers of a CheckReport: JSON (the CLI contract), terminal, GitHub Markdown, GitHub workflow annotations. */
export { renderCheckJson } from './json.js';
export { renderCheckTerminal, type TerminalCheckOptions } from './terminal.js';
export { renderCheckMarkdown, escapeMarkdownText, escapeHtmlText, codeSpan, GITHUB_COMMENT_LIMIT, type MarkdownCheckOptions } from './markdown.js';
export { renderCheckGithub, renderConfigIssuesGithub, escapeCommandData, escapeCommandProperty, type GithubAnnotationOptions } from './github.js';
export { checkStatus, summaryText, type CheckStatus } from './check-text.js';
