import { createDefaultEsmPreset } from 'ts-jest'

/** @type {import('jest').Config} */
export default {
  ...createDefaultEsmPreset({ tsconfig: 'tsconfig.json' }),
  testMatch: ['**/test/**/*.test.ts'],
  // The typed-service fixtures: each code generator's output for test/typed/proto, in test/.gen/typed.
  globalSetup: '<rootDir>/test/typed/generate.mjs',
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1', '^middy-grpc$': '<rootDir>/src/index.ts' },
  testTimeout: 20000,
  reporters: ['default', '<rootDir>/scripts/jest-summary-reporter.js'],
}
