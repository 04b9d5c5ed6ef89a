export {
  DEPENDENCY_RANGES,
  pluginDirName,
  pluginFiles,
  pluginPackageName,
  scaffoldVersions,
  validatePluginName,
  type PluginScaffold,
  type ScaffoldMode,
  type ScaffoldVersions,
} from './plugin.js';
