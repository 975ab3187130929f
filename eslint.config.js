import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'node_modules/',
      'reports/',
      'bin/',
      '**/*.bundle.js',
      'examples/*/dist/',
      '.scratch/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'exit',
          message: 'Only src/cli.ts exits; throw a ChaosError instead.',
        },
      ],
    },
  },
  {
    files: ['src/cli.ts', 'examples/**', 'scripts/**', 'bench/**', 'test/**', 'testbed/**'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // k6 scripts run in k6's runtime, not Node: typed by @types/k6 under their own tsconfig.
    files: ['k6/**/*.ts'],
    languageOptions: {
      parserOptions: {
        projectService: false,
        project: ['k6/tsconfig.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
  },
  {
    files: [
      'eslint.config.js',
      '.dependency-cruiser.mjs',
      'testbed/**/*.mjs',
      'examples/custom-script/**/*.js',
      'bench/**/*.cjs',
    ],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // A user's plain k6 script, as the README shows it.
    files: ['examples/custom-script/**/*.js'],
    languageOptions: { globals: { __ENV: 'readonly', __VU: 'readonly', __ITER: 'readonly' } },
  },
  {
    files: ['testbed/**/*.mjs'],
    languageOptions: { globals: { console: 'readonly', process: 'readonly', setTimeout: 'readonly' } },
  },
  {
    // A --require preload: CommonJS, loaded by plain node before chaos.
    files: ['bench/**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', process: 'readonly', setInterval: 'readonly', setTimeout: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
