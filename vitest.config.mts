import { defineConfig } from 'vitest/config';

// Three layers, run one after the other by scripts/test.cjs (see README: `npm test`).
export default defineConfig({
  test: {
    projects: [
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
