/** One jest run over every workspace. Tests talk to real MariaDB and Redis (see scripts/ensure-datastores.sh). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/shared/src', '<rootDir>/services'],
  testMatch: ['**/src/**/__tests__/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }] },
  moduleNameMapper: { '^@cte/shared$': '<rootDir>/shared/src/index.ts' },
  testTimeout: 30000,
  maxWorkers: 2,
};
