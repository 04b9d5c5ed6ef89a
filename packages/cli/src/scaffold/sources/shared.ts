import type { PluginKind } from '@llmbench/plugin-api';

export interface SourceInput {
  readonly kind: PluginKind;
  readonly name: string;
  readonly description: string;
  /** workspace: the backend test starts `startMockHttpServer`; external: it starts `llmbench mock-server`. */
  readonly mode: 'workspace' | 'external';
}

/** A single-quoted TypeScript string literal of `text`. */
export const q = (text: string): string => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
