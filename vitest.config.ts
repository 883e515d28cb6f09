import { defineConfig } from 'vitest/config';

// Two projects: `unit` needs nothing but Node; `integration` (files named *.int.test.ts)
// talks to the real Docker Engine and real MQTT brokers, which its global setup checks
// first so that a missing service fails loudly instead of skipping.
const skipIntegration = process.env.ALOFT_SKIP_INTEGRATION === '1' && process.env.CI !== 'true';

export default defineConfig({
  test: {
    reporters: ['default', './scripts/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{delta,sdk,device,wasm,examples,bench}/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**', '**/dist/**', 'bench/.cache/**'],
          testTimeout: 60_000,
        },
      },
      ...(skipIntegration
        ? []
        : [
            {
              test: {
                name: 'integration',
                include: ['{delta,sdk,device,wasm,examples,bench}/**/*.int.test.ts'],
                exclude: ['**/node_modules/**', '**/dist/**', 'bench/.cache/**'],
                globalSetup: ['./scripts/integration-setup.ts'],
                testTimeout: 180_000,
                hookTimeout: 300_000,
                // Tests share one Docker Engine and one Mosquitto; files run one at a time so
                // timing-sensitive tests (hand-over gaps, chaos latency) are not starved.
                fileParallelism: false,
              },
            },
          ]),
    ],
  },
});
