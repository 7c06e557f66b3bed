import js from '@eslint/js'
import tseslint from 'typescript-eslint'

// The team's line width. Prettier wraps code to it; this catches what Prettier cannot wrap (long strings).
// ESLint 9's core max-len is deprecated in favour of @stylistic but works; move when ESLint 10 drops it.
const width = { code: 120, ignoreUrls: true, ignoreRegExpLiterals: true, ignorePattern: 'String\\.raw`' }

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      '.venv/',
      '.cache/',
      'results/',
      'html/',
      '.vitest-attachments/',
      'allure-results/',
      'test/.tmp/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'max-len': ['error', width],
    },
  },
  {
    // test fixtures (scripted replies, notebooks, expected messages) are data, kept on one line to be readable
    files: ['test/**/*.ts'],
    rules: { 'max-len': ['error', { ...width, ignoreStrings: true, ignoreTemplateLiterals: true }] },
  },
  {
    files: ['scripts/**/*.mjs', 'bin/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
)
