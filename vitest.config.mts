import { defineConfig } from 'vitest/config';

// The layers, run one after the other by scripts/test.cjs (see README: `npm test`).
export default defineConfig({
  test: {
    projects: [
      // Prettier, ESLint and madge over the whole tree (tests/lint): a new cycle or an unformatted file fails CI.
      { test: { name: 'lint', include: ['tests/lint/**/*.test.ts'], environment: 'node', testTimeout: 300_000 } },
      {
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.{ts,tsx}', 'plugins/**/__tests__/**/*.test.ts'],
          environment: 'node',
          // Generous: a loaded 2-core CI box is slow; speed is the benchmarks' business.
          testTimeout: 20_000,
        },
      },
      {
        test: {
          // The firmware scaffold's C projects: CMake builds, their cmocka tests, the ESP-IDF syntax check.
          name: 'firmware',
          include: ['tests/firmware/**/*.test.ts'],
          environment: 'node',
          testTimeout: 300_000,
          hookTimeout: 600_000,
          maxWorkers: 2,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Two cores: files in parallel, but not so many that brokers and databases starve.
          maxWorkers: 2,
        },
      },
      {
        test: {
          name: 'faults',
          include: ['tests/faults/**/*.test.ts'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
