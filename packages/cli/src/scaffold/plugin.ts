/**
 * The files of a new plugin package, for both entry points: the Nx generator (`nx g
 * @llmbench/tools:plugin`, a package under `plugins/` of this workspace) and `llmbench new-plugin`
 * (a standalone package anywhere). Pure: the callers write the files.
 */
import { createRequire } from 'node:module';
import { ErrorCodes, LlmbenchError, PLUGIN_KINDS, type PluginKind } from '@llmbench/plugin-api';
import { sourceFiles } from './sources.js';

export type ScaffoldMode = 'workspace' | 'external';

export interface PluginScaffold {
  readonly kind: PluginKind;
  /** Lowercase letters, digits and single "-" between them: the name scenarios use. */
  readonly name: string;
  /** workspace: `@llmbench/<kind>-<name>` under `plugins/`; external: a standalone package. */
  readonly mode: ScaffoldMode;
  /** One line; defaults to a sentence naming the kind. */
  readonly description?: string;
  /** External mode only: the npm package name (default `llmbench-<kind>-<name>`). */
  readonly packageName?: string;
  /** Dependency versions; default: those of this llmbench (`scaffoldVersions()`). */
  readonly versions?: ScaffoldVersions;
}

/** Version ranges the generated package.json asks for. */
export interface ScaffoldVersions {
  /** The version of `@llmbench/plugin-api` (and of `llmbench`) the plugin is written against. */
  readonly llmbench: string;
  readonly zod: string;
  readonly undici: string;
  readonly typescript: string;
  readonly vitest: string;
  readonly typesNode: string;
}

/**
 * What the workspace builds with (root package.json, backend-openai's undici); `new-plugin.test.ts`
 * checks they have not drifted. The llmbench version is read from the installed plugin-api.
 */
export const DEPENDENCY_RANGES = {
  zod: '^4.6.7',
  undici: '^7.30.2',
  typescript: '~6.0.3',
  vitest: '~4.1.12',
  typesNode: '^20.19.8',
} as const;

export function scaffoldVersions(): ScaffoldVersions {
  const api = createRequire(import.meta.url)('@llmbench/plugin-api/package.json') as { version: string };
  return { llmbench: api.version, ...DEPENDENCY_RANGES };
}

const NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
const PACKAGE_NAME = /^(?:@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/;

/** Throws a USAGE error unless `name` is a plugin name: lowercase letters, digits, "-". */
export function validatePluginName(name: string, flag = '--name'): void {
  if (!NAME.test(name)) {
    throw new LlmbenchError(
      ErrorCodes.USAGE,
      `${flag} "${name}" is not a plugin name: use lowercase letters, digits and "-", starting with a letter`,
      {
        hint: `e.g. ${flag} ${suggestName(name) || 'my-server'}`,
      },
    );
  }
}

function suggestName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^[^a-z]+|-+$/g, '');
}

function validate(options: PluginScaffold): void {
  if (!PLUGIN_KINDS.includes(options.kind)) {
    throw new LlmbenchError(
      ErrorCodes.USAGE,
      `--kind "${String(options.kind)}" is not a plugin kind; use one of: ${PLUGIN_KINDS.join(', ')}`,
    );
  }
  validatePluginName(options.name);
  if (options.packageName !== undefined) {
    if (options.mode === 'workspace') {
      throw new LlmbenchError(
        ErrorCodes.USAGE,
        `--package-name is for plugins outside the workspace; a workspace plugin is named @llmbench/${options.kind}-${options.name}`,
      );
    }
    if (!PACKAGE_NAME.test(options.packageName) || options.packageName.length > 214) {
      throw new LlmbenchError(ErrorCodes.USAGE, `--package-name "${options.packageName}" is not an npm package name`, {
        hint: 'use lowercase letters, digits, ".", "_" and "-", optionally under a scope: @me/llmbench-backend-foo',
      });
    }
  }
  if (options.description !== undefined && /[\r\n]/.test(options.description)) {
    throw new LlmbenchError(ErrorCodes.USAGE, '--description must be one line');
  }
}

/** The folder name of a plugin: `<kind>-<name>`, as every plugin under `plugins/`. */
export function pluginDirName(kind: PluginKind, name: string): string {
  return `${kind}-${name}`;
}

/** The package name the plugin gets. */
export function pluginPackageName(options: Pick<PluginScaffold, 'kind' | 'name' | 'mode' | 'packageName'>): string {
  if (options.mode === 'workspace') return `@llmbench/${options.kind}-${options.name}`;
  return options.packageName ?? `llmbench-${options.kind}-${options.name}`;
}

const DEFAULT_DESCRIPTIONS: Record<PluginKind, string> = {
  backend: 'An OpenAI-compatible chat backend',
  strategy: 'A sweep over concurrency levels',
  reporter: 'One CSV line per experiment result',
  collector: "The llmbench process's own memory",
};

/** Every file of the new plugin package, by path relative to its folder. */
export function pluginFiles(options: PluginScaffold): Record<string, string> {
  validate(options);
  const versions = options.versions ?? scaffoldVersions();
  const description = options.description ?? DEFAULT_DESCRIPTIONS[options.kind];
  const source = sourceFiles({ kind: options.kind, name: options.name, description, mode: options.mode });
  return {
    'package.json': `${JSON.stringify(packageJson(options, description, versions), null, 2)}\n`,
    ...(options.mode === 'workspace' ? workspaceTsconfigs() : externalTsconfigs()),
    ...(options.mode === 'external' ? { '.gitignore': 'node_modules/\ndist/\n' } : {}),
    'README.md': readme(options, description),
    ...source,
  };
}

function packageJson(options: PluginScaffold, description: string, versions: ScaffoldVersions): Record<string, unknown> {
  const name = pluginPackageName(options);
  const dir = pluginDirName(options.kind, options.name);
  const dependencies: Record<string, string> = {
    '@llmbench/plugin-api': options.mode === 'workspace' ? versions.llmbench : `^${versions.llmbench}`,
    ...(options.kind === 'backend' ? { undici: versions.undici } : {}),
    zod: versions.zod,
  };
  const common = {
    name,
    version: '0.1.0',
    description,
    type: 'module',
    license: 'MIT',
    keywords: ['llmbench', 'llmbench-plugin', `llmbench-${options.kind}`],
  };
  if (options.mode === 'workspace') {
    return {
      ...common,
      engines: { node: '>=20.19' },
      exports: {
        '.': { 'llmbench-source': './src/index.ts', types: './dist/index.d.ts', default: './dist/index.js' },
        './package.json': './package.json',
      },
      // As every published workspace package: tools/install-test checks the tarballs.
      files: ['dist', 'src', '!**/*.test.ts', '!**/*.test-d.ts', '!src/**/__fixtures__', '!dist/.tsbuildinfo'],
      scripts: {
        build: 'tsc -p tsconfig.json',
        typecheck: 'tsc -p tsconfig.spec.json',
        test: `vitest run --root ../.. --project ${dir} --passWithNoTests`,
      },
      dependencies,
      ...(options.kind === 'backend' ? { devDependencies: { '@llmbench/backend-mock': versions.llmbench } } : {}),
      nx: { tags: ['scope:plugin'] },
      publishConfig: { access: 'public' },
    };
  }
  return {
    ...common,
    exports: {
      '.': { types: './dist/index.d.ts', default: './dist/index.js' },
      './package.json': './package.json',
    },
    files: ['dist', '!dist/**/*.test.*'],
    engines: { node: '>=20.19' },
    scripts: {
      build: 'tsc -p tsconfig.json',
      typecheck: 'tsc -p tsconfig.spec.json',
      test: 'vitest run --dir src',
      prepublishOnly: 'tsc -p tsconfig.json',
    },
    dependencies,
    devDependencies: {
      '@types/node': versions.typesNode,
      ...(options.kind === 'backend' ? { llmbench: `^${versions.llmbench}` } : {}),
      typescript: versions.typescript,
      vitest: versions.vitest,
    },
  };
}

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

function workspaceTsconfigs(): Record<string, string> {
  return {
    'tsconfig.json': json({
      extends: '../../tsconfig.base.json',
      compilerOptions: { rootDir: 'src', outDir: 'dist', tsBuildInfoFile: 'dist/.tsbuildinfo' },
      include: ['src/**/*.ts'],
      exclude: ['src/**/*.test.ts', 'src/**/*.test-d.ts', 'src/**/__fixtures__/**'],
    }),
    'tsconfig.spec.json': json({
      extends: '../../tsconfig.base.json',
      compilerOptions: { noEmit: true, composite: false, incremental: false, declaration: false, declarationMap: false },
      include: ['src/**/*.ts'],
    }),
  };
}

/** The workspace's compiler settings, standalone: the plugin builds the way the built-in ones do. */
function externalTsconfigs(): Record<string, string> {
  return {
    'tsconfig.json': json({
      compilerOptions: {
        target: 'ES2023',
        lib: ['ES2023'],
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noUncheckedIndexedAccess: true,
        noImplicitOverride: true,
        noUnusedLocals: true,
        noUnusedParameters: true,
        isolatedModules: true,
        verbatimModuleSyntax: true,
        skipLibCheck: true,
        declaration: true,
        sourceMap: true,
        types: ['node'],
        rootDir: 'src',
        outDir: 'dist',
      },
      include: ['src/**/*.ts'],
      exclude: ['src/**/*.test.ts'],
    }),
    'tsconfig.spec.json': json({
      extends: './tsconfig.json',
      compilerOptions: { noEmit: true, declaration: false, sourceMap: false },
      include: ['src/**/*.ts'],
      exclude: [],
    }),
  };
}

const USAGE_EXAMPLES: Record<PluginKind, (ref: string) => string> = {
  backend: (ref) =>
    `servers:\n  - { id: local, url: "http://127.0.0.1:8000", backend: ${ref} }\nexperiments:\n  - name: c8\n    strategy: { use: semaphore, options: { concurrency: 8 } }`,
  strategy: (ref) =>
    `backend: mock\nexperiments:\n  - name: sweep\n    strategy: { use: ${ref}, options: { levels: [1, 4, 16] } }`,
  reporter: (ref) =>
    `backend: mock\nexperiments:\n  - name: c8\n    strategy: { use: semaphore, options: { concurrency: 8 } }\nreporters:\n  - console\n  - { use: ${ref}, options: { output: "results/{scenario}.csv" } }`,
  collector: (ref) =>
    `backend: mock\nexperiments:\n  - name: c8\n    strategy: { use: semaphore, options: { concurrency: 8 } }\ncollectors:\n  - { use: ${ref}, interval_ms: 250 }`,
};

function readme(options: PluginScaffold, description: string): string {
  const pkg = pluginPackageName(options);
  const dir = pluginDirName(options.kind, options.name);
  const ref = options.mode === 'workspace' || pkg === `@llmbench/${options.kind}-${options.name}` ? options.name : pkg;
  const test =
    options.mode === 'workspace'
      ? `npx vitest run --project ${dir}   # from the workspace root\nnpx nx run ${pkg}:typecheck --outputStyle=static`
      : 'npm install\nnpm test            # vitest run\nnpm run build       # writes dist/, which llmbench loads';
  const testing =
    options.kind === 'backend'
      ? options.mode === 'workspace'
        ? 'The tests run the contract kit (`runBackendContract` from `@llmbench/plugin-api/testing`) against `startMockHttpServer` from `@llmbench/backend-mock`.'
        : 'The tests start `llmbench mock-server` on a free loopback port and run the contract kit (`runBackendContract` from `@llmbench/plugin-api/testing`) against it.'
      : `The tests create the ${options.kind} as core would and check what it does.`;
  const found =
    options.mode === 'workspace'
      ? `Scenarios name it \`${options.name}\`: after the built-in plugins, llmbench looks for \`@llmbench/<kind>-<name>\`, and \`npm install\` links this package into the workspace's \`node_modules\`.`
      : ref === options.name
        ? `Installed next to the scenario (\`npm install ${pkg}\`), scenarios name it \`${options.name}\`: after the built-in plugins, llmbench looks for \`@llmbench/<kind>-<name>\`. A path to \`dist/index.js\` works too.`
        : `Installed next to the scenario (\`npm install ${pkg}\`, or \`npm link\`), scenarios name it by its package name, \`${pkg}\`, or by a path to its \`dist/index.js\` (\`./${dir}/dist/index.js\`).`;
  return `# ${pkg}

${description}. An llmbench ${options.kind} plugin, generated by ${options.mode === 'workspace' ? '`nx g @llmbench/tools:plugin`' : '`llmbench new-plugin`'}.

## Develop

\`\`\`sh
${test}
\`\`\`

${testing} Writing plugins: docs/plugins.md in the llmbench repository.

## Use

${found}

\`\`\`yaml
${USAGE_EXAMPLES[options.kind](ref)}
\`\`\`

Options are checked by the schema in \`src/index.ts\` (\`OptionsSchema\`) before the plugin is created.
`;
}
