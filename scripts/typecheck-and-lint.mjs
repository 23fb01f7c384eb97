// Type-check and lint in one process over one TypeScript program. `npm run typecheck` (tsc) and
// `npm run lint` (eslint) each build their own program of every file: parsing, binding and
// checking the same code twice. Here tsc's diagnostics come from the program typescript-eslint's
// type-aware rules then read (parserOptions.programs), so each type is computed once.
// Usage: node scripts/typecheck-and-lint.mjs   (exit 1 on a type error or a lint error)
import path from 'node:path';
import ts from 'typescript';
import { ESLint } from 'eslint';

const root = path.resolve(import.meta.dirname, '..');
const configPath = path.join(root, 'tsconfig.test.json');
const host = {
  ...ts.sys,
  onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
    throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
  },
};
const parsed = ts.getParsedCommandLineOfConfigFile(configPath, {}, host);
const options = { ...parsed.options, incremental: false, tsBuildInfoFile: undefined };
const program = ts.createProgram({ rootNames: parsed.fileNames, options, configFileParsingDiagnostics: parsed.errors });

const started = Date.now();
const diagnostics = ts.getPreEmitDiagnostics(program);
const formatHost = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' };
// As tsc prints them: with colour and the source line on a terminal, one line each in a log.
const format = process.stdout.isTTY ? ts.formatDiagnosticsWithColorAndContext : ts.formatDiagnostics;
if (diagnostics.length > 0) process.stdout.write(format(diagnostics, formatHost));
process.stdout.write(`typecheck: ${diagnostics.length} error(s) over ${parsed.fileNames.length} files of tsconfig.test.json (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);

const lintStarted = Date.now();
const eslint = new ESLint({
  cwd: root,
  overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parserOptions: { project: null, programs: [program] } } }],
});
const results = await eslint.lintFiles(['.']);
const formatter = await eslint.loadFormatter('stylish');
const text = await formatter.format(results);
if (text) process.stdout.write(text);
const errors = results.reduce((sum, r) => sum + r.errorCount + r.fatalErrorCount, 0);
process.stdout.write(`lint: ${errors} error(s) in ${results.length} files (${((Date.now() - lintStarted) / 1000).toFixed(1)} s)\n`);
process.exit(diagnostics.length > 0 || errors > 0 ? 1 : 0);
