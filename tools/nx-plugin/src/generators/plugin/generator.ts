import { installPackagesTask, joinPathFragments, type GeneratorCallback, type Tree } from '@nx/devkit';
import { ErrorCodes, LlmbenchError, type PluginKind } from '@llmbench/plugin-api';
import { pluginDirName, pluginFiles, validatePluginName } from 'llmbench/scaffold';

/** The options of `nx g @llmbench/tools:plugin` (schema.json). */
export interface PluginGeneratorSchema {
  readonly kind: PluginKind;
  readonly name: string;
  readonly description?: string;
  readonly skipInstall?: boolean;
}

/**
 * Writes `plugins/<kind>-<name>`, the package `@llmbench/<kind>-<name>`, from the scaffold that
 * `llmbench new-plugin` uses too; then `npm install` links it into the workspace.
 */
export async function pluginGenerator(tree: Tree, schema: PluginGeneratorSchema): Promise<GeneratorCallback | undefined> {
  validatePluginName(schema.name);
  const dir = joinPathFragments('plugins', pluginDirName(schema.kind, schema.name));
  if (tree.exists(dir)) {
    throw new LlmbenchError(ErrorCodes.USAGE, `${dir} already exists`, { hint: 'choose another --name, or remove that folder' });
  }
  const files = pluginFiles({
    kind: schema.kind,
    name: schema.name,
    mode: 'workspace',
    ...(schema.description === undefined ? {} : { description: schema.description }),
  });
  for (const [path, text] of Object.entries(files)) tree.write(joinPathFragments(dir, path), text);
  if (schema.skipInstall) return undefined;
  return () => installPackagesTask(tree, true);
}

export default pluginGenerator;
