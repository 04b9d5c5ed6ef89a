import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests run on the TypeScript sources of workspace packages (the "llmbench-source" export
// condition); the CLI end-to-end tests run the built binary, as users do.
// One vitest project per workspace package, named after its folder; each package's Nx `test`
// target runs its own project (`vitest run --project <folder>`), so Nx can cache it.
const conditions = ['llmbench-source', 'module', 'node', 'development|production'];

const root = fileURLToPath(new URL('.', import.meta.url));
const packageDirs = ['packages', 'plugins', 'tools'].flatMap((group) =>
  readdirSync(join(root, group), { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(root, group, d.name, 'package.json')))
    .map((d) => `${group}/${d.name}`),
);

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: packageDirs.map((dir) => ({
      extends: true,
      test: {
        name: dir.slice(dir.indexOf('/') + 1),
        include: [`${dir}/src/**/*.test.ts`, `${dir}/test/**/*.test.ts`],
        typecheck: {
          enabled: true,
          include: [`${dir}/src/**/*.test-d.ts`],
          tsconfig: './tsconfig.typetest.json',
        },
      },
    })),
  },
});
