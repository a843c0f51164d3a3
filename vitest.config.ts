import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One DynamoDB Local for the whole run; each test file creates its own table in it.
    globalSetup: ['test/support/global-setup.ts'],
    // ...and deletes the tables a file made once the file is done.
    setupFiles: ['test/support/delete-tables.ts'],
    testTimeout: 20_000,
    // Starting Java and creating tables happens in hooks.
    hookTimeout: 60_000,
    // Handlers log every rejected request at INFO; tests only want to see real failures.
    env: { POWERTOOLS_LOG_LEVEL: 'ERROR', POWERTOOLS_METRICS_DISABLED: 'true' },
  },
});
