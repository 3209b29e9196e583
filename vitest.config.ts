import { defineConfig } from 'vitest/config';

// One process tree for every package. `unit` is pure; `integration` talks to the real PostgreSQL and
// NATS that scripts/test.ts (or the machine) provides; `temporal` adds a real Temporal dev server; `k8s` adds a
// real Kubernetes control plane built from Go modules (packages/stack/src/k8s).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            '{packages,workflows,activities,services}/**/src/**/*.test.ts',
            'bench/**/*.test.ts',
            'test/**/*.test.ts',
          ],
          exclude: ['**/*.int.test.ts', '**/*.temporal.test.ts', '**/*.k8s.test.ts', '**/node_modules/**'],
          env: { LOG_LEVEL: 'silent' },
        },
      },
      {
        test: {
          name: 'integration',
          include: ['{packages,workflows,activities,services}/**/src/**/*.int.test.ts'],
          exclude: ['**/node_modules/**'],
          globalSetup: ['packages/testkit/src/global-setup-integration.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          env: { LOG_LEVEL: 'silent' },
        },
      },
      {
        test: {
          name: 'temporal',
          include: [
            '{packages,workflows,activities,services}/**/src/**/*.temporal.test.ts',
            'test/**/*.temporal.test.ts',
          ],
          exclude: ['**/node_modules/**'],
          globalSetup: ['packages/testkit/src/global-setup-temporal.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          env: { LOG_LEVEL: 'silent' },
        },
      },
      {
        test: {
          name: 'k8s',
          include: ['{packages,workflows,activities,services}/**/src/**/*.k8s.test.ts', 'test/**/*.k8s.test.ts'],
          exclude: ['**/node_modules/**'],
          globalSetup: ['packages/testkit/src/global-setup-k8s.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          env: { LOG_LEVEL: 'silent' },
        },
      },
    ],
  },
});
