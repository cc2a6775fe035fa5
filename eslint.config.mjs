// ESLint (flat config): typescript-eslint's recommended rules, no import cycles, type-only imports
// marked as such. Formatting is Prettier's business (.prettierrc.json), not ESLint's.
// Old findings are in eslint-suppressions.json (ESLint's bulk suppressions): new code meets the rules,
// and `npx eslint . --prune-suppressions` shrinks the file as they are fixed.
import js from '@eslint/js';
import importX from 'eslint-plugin-import-x';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'build/',
      // The site server's build generations, as .gitignore has them (left beside the repo after a test run).
      'build.gen/',
      'build.swap-*/',
      '.docusaurus/',
      '.fleetbook/',
      'test-results/',
      'firmware/generated/',
      'firmware/templates/',
      'tests/fixtures/',
      'static/',
      'automation/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    plugins: { 'import-x': importX, 'react-hooks': reactHooks },
    settings: { 'import-x/resolver': { node: { extensions: ['.ts', '.tsx', '.js', '.mjs'] } } },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'warn',
    },
  },
  {
    // A function longer than a screenful does several things: split it by what it does. Where one
    // must stay long, an eslint-disable comment beside it says why. Production code only.
    files: ['**/*.{ts,tsx,mts,js,mjs,cjs}'],
    ignores: ['tests/**', '**/__tests__/**', '**/*.test.{ts,tsx}', 'data-api/migrations/**', 'bench/**'],
    rules: { 'max-lines-per-function': ['error', { max: 120, skipBlankLines: true, skipComments: true }] },
  },
  {
    // The site side has one import style (as data-api): relative, naming the file with its extension.
    files: ['src/**/*.{ts,tsx}'],
    rules: {
      'import-x/extensions': ['error', 'always', { ignorePackages: true }],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@site/*'],
              message: 'import relatively, with the extension (docs/architecture: where the code lives)',
            },
          ],
        },
      ],
    },
  },
  {
    // Migrations describe old tables as they were: loose types are the point there.
    files: ['data-api/migrations/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
