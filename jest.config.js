/** One jest run over every workspace. Tests talk to real MariaDB and Redis (see scripts/ensure-datastores.sh). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/shared/src', '<rootDir>/services', '<rootDir>/tools', '<rootDir>/tests'],
  // Each workspace's own tests in src/__tests__; tests across the fleet in tests/.
  testMatch: ['**/src/**/__tests__/**/*.test.ts', '<rootDir>/tests/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }],
    // ESM-only dependencies (loaded with require(esm) at run time) are transpiled to CommonJS for jest's module system.
    '/node_modules/(trading-signals|@noble|@scure|jose)/.+\\.js$': ['@swc/jest', { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!trading-signals/|@noble/|@scure/|jose/)'],
  moduleNameMapper: {
    '^@cte/shared$': '<rootDir>/shared/src/index.ts',
    '^@cte/shared/core$': '<rootDir>/shared/src/core.ts',
    '^@cte/shared/ccxt$': '<rootDir>/shared/src/ccxt.ts',
    '^@cte/(testkit|fleet|bench)$': '<rootDir>/tools/$1/src/index.ts',
    // A service's modules by path (package.json "exports" ./dist/*), e.g. price-stream's readers.
    '^@cte/([a-z-]+)/dist/(.*)$': '<rootDir>/services/$1/src/$2',
    // A service's pure engine (package.json "exports" ./engine).
    '^@cte/([a-z-]+)/engine$': '<rootDir>/services/$1/src/engine/index.ts',
  },
  testTimeout: 30000,
  maxWorkers: 2,
};
