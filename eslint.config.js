// Lint rules: typescript-eslint recommended, plus the purity rule that keeps machines/ free of I/O.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const ioModules = ['ioredis', 'pg', 'pg-copy-streams', 'dockerode', 'ws', 'undici'];
const nodeIo = ['net', 'fs', 'fs/promises', 'http', 'https', 'child_process', 'dgram', 'tls'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'coverage/**', 'out/**', 'dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['bin/**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    files: ['machines/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...ioModules, ...nodeIo.flatMap((m) => [m, `node:${m}`])].map((name) => ({
            name,
            message: 'machines/ is pure: effects are injected with provide().',
          })),
        },
      ],
    },
  },
);
