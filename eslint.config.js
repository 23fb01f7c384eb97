// ESLint flat config: typescript-eslint's type-aware recommended rules over every TypeScript folder.
// A rule switched off below is one that is wrong for this codebase; the comment says why.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'fixtures/**', 'scratch/**', 'bench/out/**', 'eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    // Plain JavaScript (the test CLI worker): no type information, Node's globals.
    files: ['**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { process: 'readonly', Buffer: 'readonly', URL: 'readonly', queueMicrotask: 'readonly', Atomics: 'readonly' } },
  },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // `x[i]!` marks reads the code knows are in range; noUncheckedIndexedAccess is off, so the rule would flag every one (565).
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // Terminal safety, name validation and the MCP's hidden-character filter match control characters on purpose.
      'no-control-regex': 'off',
      // Async functions that implement promise-returning contracts (candidate checks, tool handlers, hooks) need no await of their own.
      '@typescript-eslint/require-await': 'off',
      // String() of DuckDB/Arrow values typed `unknown`, and of Arrow types whose toString the typings omit, is the intended text.
      '@typescript-eslint/no-base-to-string': 'off',
      // A leading underscore names what is left out on purpose (a field dropped by destructuring, an unused parameter).
      // A variable a callback reads before its one assignment (a server handler and the server it belongs to) stays `let`.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
    },
  },
  {
    // apache-arrow types the children of a column as Data<any>: passing them on is not an unchecked value of ours.
    files: ['engine/store/parquet/**/*.ts'],
    rules: { '@typescript-eslint/no-unsafe-argument': 'off', '@typescript-eslint/no-unsafe-assignment': 'off', '@typescript-eslint/no-unsafe-return': 'off' },
  },
  {
    // Tests and benchmarks read the CLI's JSON output without a schema; a wrong shape fails the assertion that reads it.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
);
