import { optionsOfPlugin } from '@llmbench/core';
import type { RunResults } from '@llmbench/plugin-api';
import { ConsoleOptions, renderExperiment, renderSummary } from '@llmbench/reporter-console';
import { MarkdownOptions, renderMarkdown } from '@llmbench/reporter-markdown';

export const REPORT_FORMATS = ['md', 'console'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/**
 * A report rendered from a results file alone, with the options the run's reporter had: the
 * Markdown is byte-identical to the file the run wrote.
 */
export function renderReport(results: RunResults, format: ReportFormat): string {
  const reporters = results.scenario.definition.reporters;
  if (format === 'md') {
    const parsed = MarkdownOptions.safeParse(optionsOfPlugin('reporter', reporters, 'markdown'));
    return renderMarkdown(results, parsed.success ? parsed.data : MarkdownOptions.parse({}));
  }
  const parsed = ConsoleOptions.safeParse(optionsOfPlugin('reporter', reporters, 'console'));
  const options = parsed.success ? parsed.data : ConsoleOptions.parse({});
  return `${results.experiments.map((e) => `${renderExperiment(e, options)}\n`).join('')}${renderSummary(results, options)}`;
}
