import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import rxjsX from 'eslint-plugin-rxjs-x';
import globals from 'globals';

export default tseslint.config(
  {
    // examples/angular is its own npm project (Angular 21 on TypeScript 5.9), checked by its own
    // ngc, tsc and jest through scripts/test-angular-example.mjs.
    ignores: [
      'dist/',
      'node_modules/',
      'coverage/',
      'bench/results/',
      '.tmp/',
      'docs-site/',
      'demo-output/',
      'examples/angular/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    files: ['lib/**/*.ts', 'spec/**/*.ts', 'bench/**/*.ts', 'examples/**/*.ts'],
    plugins: { 'rxjs-x': rxjsX },
    rules: {
      'rxjs-x/no-ignored-subscription': 'off',
      'rxjs-x/no-unsafe-takeuntil': 'error',
      'rxjs-x/no-nested-subscribe': 'error',
      'rxjs-x/no-internal': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    // The core and the webhook entry must run in browsers: no Node modules, no Node globals.
    files: ['lib/**/*.ts'],
    ignores: ['lib/node/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['node:*', 'fs', 'http', 'crypto', 'path', 'os'] }],
      'no-restricted-globals': ['error', 'Buffer', 'process', '__dirname', 'require', 'setImmediate'],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js', '**/*.cjs', 'jest.config.ts', 'jest.rxjs-oldest.config.ts'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { ...globals.node },
    },
  },
  {
    files: ['spec/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/require-await': 'off',
    },
  },
);
