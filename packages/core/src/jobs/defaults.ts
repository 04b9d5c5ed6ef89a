/** Defaults of a directory job, read by the CLI's --help, the scenario loader and the docs. */
export const PROCESS_DEFAULTS = { preset: 'research', out: 'answers' } as const;
