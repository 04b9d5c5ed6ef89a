import type { PluginRef } from '../scenario/schema.js';

/**
 * The reports of a scenario that names none: the seed's, which printed its table and wrote its
 * numbers as JSON.
 */
export const DEFAULT_REPORTERS: readonly PluginRef[] = ['console', 'json'];
