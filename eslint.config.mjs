/**
 * Lint that catches what matters here: type-aware typescript-eslint (floating promises, exhaustive switches, type
 * imports), import cycles, the layering of docs/architecture.md (imports only point down), and the bans that keep
 * workflow and domain code runnable in Temporal's deterministic sandbox (no Node built-ins, no I/O modules).
 */
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

/**
 * Rooms, low to high, and what each may import from the project. Anything not listed is a higher room (or a
 * neighbour that must stay apart, such as the emulators) and may not be imported. `workflows/contract.ts`,
 * `workflows/search-attributes.ts` and `workflows/card-state.ts` (what a card shows for a state) are the workflows'
 * public contract: lower rooms may use them, never the workflow code itself.
 */
const contract = ['workflows/contract.ts', 'workflows/search-attributes.ts', 'workflows/card-state.ts'];
const rooms = {
  common: [],
  domain: [],
  rules: ['domain'],
  config: ['domain', 'rules'],
  integrations: ['common', 'domain'],
  temporal: ['common', 'domain', ...contract],
  activities: ['common', 'domain', 'rules', 'config', 'integrations', 'temporal', ...contract],
  workflows: ['domain', 'rules', 'activities'],
  api: ['common', 'domain', 'rules', 'config', 'integrations', 'temporal', ...contract],
  workers: ['common', 'domain', 'rules', 'config', 'integrations', 'temporal', 'activities', 'workflows', 'api'],
  emulators: [],
};
const allRooms = [...Object.keys(rooms), 'scripts', 'test'];

/** One zone per room: it may not import any room (or workflow file) outside its list, nor a higher one. */
const layerZones = Object.entries(rooms).flatMap(([room, allowed]) => {
  const forbiddenRooms = allRooms.filter((other) => other !== room && !allowed.includes(other));
  const zones = forbiddenRooms
    .filter((other) => other !== 'workflows' || !allowed.some((a) => a.startsWith('workflows/')))
    .map((other) => ({
      target: `./${room}`,
      from: `./${other}`,
      message: `${room}/ is below ${other}/ (docs/architecture.md): imports only point down.`,
    }));
  const contractOnly = allowed.filter((a) => a.startsWith('workflows/'));
  if (contractOnly.length > 0) {
    zones.push({
      target: `./${room}`,
      from: './workflows',
      except: contractOnly.map((file) => `./${file.slice('workflows/'.length)}`),
      message: `${room}/ may use the workflows' contract (contract.ts, search-attributes.ts), never workflow code.`,
    });
  }
  return zones;
});

const nodeBuiltins = [
  'node:*',
  'fs',
  'fs/*',
  'path',
  'os',
  'crypto',
  'child_process',
  'http',
  'https',
  'net',
  'dns',
  'stream',
  'timers',
  'worker_threads',
];
const ioModules = [
  'axios',
  'express',
  'pino',
  'ws',
  'yaml',
  'dotenv',
  'prom-client',
  'dingtalk-stream',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
  '@temporalio/testing',
];
const sandboxMessage =
  'Workflow and domain code runs in Temporal’s deterministic sandbox: no Node built-ins, no I/O (do it in an activity).';

export default tseslint.config(
  {
    ignores: ['node_modules/', 'dist/', 'coverage/', 'test-artifacts/', '.data/', '**/*.js', '*.mjs', 'test/fixtures/'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })] },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': ['error', { zones: layerZones }],
      // An async function without await is how an activity or handler keeps its Promise-returning contract.
      '@typescript-eslint/require-await': 'off',
      'no-console': 'off',
    },
  },
  {
    // Workflow code and the domain it uses: what Temporal's sandbox can run. Activities only as types (the
    // proxies are typed on createActivities; the implementation never enters the bundle).
    files: ['workflows/**/*.ts', 'domain/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: [...nodeBuiltins, ...ioModules], message: sandboxMessage },
            {
              group: ['**/activities', '**/activities/*', '**/integrations/*', '**/rules', '**/rules/*'],
              allowTypeImports: true,
              message: 'Workflow code may import activities and rules as types only (import type).',
            },
          ],
        },
      ],
    },
  },
  {
    // Tests and scripts drive everything from outside: layering does not apply, promise checks do.
    files: ['test/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      'import-x/no-restricted-paths': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
