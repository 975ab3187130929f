import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'node_modules/',
      'reports/',
      'k6/',
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
  { files: ['eslint.config.js', 'testbed/**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  {
    files: ['testbed/**/*.mjs'],
    languageOptions: { globals: { console: 'readonly', process: 'readonly', setTimeout: 'readonly' } },
  },
);
