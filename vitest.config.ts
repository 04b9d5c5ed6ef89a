import { defineConfig } from 'vitest/config';

// Tests run on the TypeScript sources of workspace packages (the "llmbench-source" export
// condition); the CLI end-to-end tests run the built binary, as users do.
const conditions = ['llmbench-source', 'module', 'node', 'development|production'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['llmbench-source'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'plugins/*/src/**/*.test.ts'],
    typecheck: {
      enabled: true,
      include: ['packages/*/src/**/*.test-d.ts'],
      tsconfig: './tsconfig.typetest.json',
    },
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
