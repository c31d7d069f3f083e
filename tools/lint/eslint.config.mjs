// ESLint over every TypeScript file of the repository (run from the root: `npm run lint`, `make lint`).
// Type-aware rules read the program of tsconfig.check.json (the same strict options as the build,
// tests included).
import Module, { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// typescript-eslint needs the TypeScript 5 compiler API, which TypeScript 7 (the build's compiler,
// node_modules/typescript) no longer has. This workspace pins TypeScript 5.9, but npm hoists
// ts-api-utils (peer range "typescript >=4.8.4") to the root, where it would load TypeScript 7.
// So in the lint process every require('typescript') gets this workspace's TypeScript 5.9.
const require = createRequire(import.meta.url);
const typescript5 = require.resolve('typescript');
const { version } = require('typescript/package.json');
if (!version.startsWith('5.')) throw new Error(`tools/lint needs TypeScript 5 for typescript-eslint, found ${version}`);
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return request === 'typescript' ? typescript5 : resolveFilename.call(this, request, ...rest);
};
const { default: tseslint } = await import('typescript-eslint');

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export default tseslint.config(
  { ignores: ['**/dist/**', '**/gen/**', '**/node_modules/**', '**/coverage/**', '.cache/**'] },
  {
    files: ['shared/**/*.ts', 'services/**/*.ts', 'tools/**/*.ts', 'tests/**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { project: [path.join(root, 'tsconfig.check.json')], tsconfigRootDir: root },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      // As the build's noUnusedLocals/noUnusedParameters: a leading underscore marks a name that is
      // there on purpose (an unused handler argument, an `infer _Req`, a property left out of a rest).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // Off: implementations of Promise-returning contracts (venues, gRPC handlers through unary(),
      // repositories' test doubles) are `async` without awaiting so that a synchronous throw becomes
      // a rejection; the rule would have them drop `async` and throw synchronously instead.
      '@typescript-eslint/require-await': 'off',
      // A handle declared before the shutdown hooks that close it and assigned once it exists is read
      // (in those hooks) before its one assignment: `let` is right there.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // AbortSignal.reason is typed `any`; rejecting with it passes the aborter's reason on, as
      // signal.throwIfAborted() does.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true }],
    },
  },
  {
    // Engines and the kit's pure core run in one process with no network and no datastore (the
    // backtester): nothing they import may load an I/O package. tests/engine-isolation.test.ts checks
    // the built modules too.
    files: [
      'services/*/src/engine/**/*.ts',
      'shared/src/{core,errors,describe,json-input,channels,book-channel,feed-channel,trace}.ts',
      'shared/src/domain/**/*.ts',
      'shared/src/bus/{envelope,types}.ts',
    ],
    ignores: ['**/__tests__/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: '@cte/shared', message: 'engines import the pure kit: @cte/shared/core' }],
          patterns: [
            {
              regex: '^(mysql2|ioredis|express|@grpc|grpc-health-check|prom-client|pino|lru-cache|ccxt|ws|kafkajs|adm-zip)(/|$)',
              message: 'an I/O package: engines and the pure kit stay importable with no network or datastore',
            },
            {
              regex: '^(node:)?(fs|net|http|https|http2|tls|dgram|dns|child_process|worker_threads|cluster)(/|$)',
              message: 'I/O: engines and the pure kit take data in and hand results out; the adapters do I/O',
            },
            { regex: '(^|/)adapters(/|$)', message: 'engines do not depend on adapters (the dependency goes the other way)' },
            { regex: '^@cte/[a-z-]+/(dist|src)/', message: "a service's engine is imported as @cte/<service>/engine" },
          ],
        },
      ],
    },
  },
  {
    files: ['**/__tests__/**/*.ts', 'tests/**/*.ts'],
    rules: {
      // Jest's asymmetric matchers (expect.any, expect.stringMatching, expect.objectContaining, ...) are
      // typed `any` in @types/jest, so every expected object that holds one would be reported. Member
      // access, calls, returns and arguments of `any` stay errors in tests too.
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
);
