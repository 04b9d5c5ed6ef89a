import type { RunResults } from '@llmbench/plugin-api';
import { ConsoleOptions, renderExperiment, renderSummary } from '@llmbench/reporter-console';
import { MarkdownOptions, renderMarkdown } from '@llmbench/reporter-markdown';

export const REPORT_FORMATS = ['md', 'console'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/**
 * The options the scenario gave its first reporter of this kind (by short or package name), as
 * written in the results file.
 */
function reporterOptions(results: RunResults, name: string): Record<string, unknown> {
  const reporters = results.scenario.definition.reporters;
  if (!Array.isArray(reporters)) return {};
  const matches = (use: unknown) => use === name || use === `@llmbench/reporter-${name}`;
  for (const r of reporters) {
    if (matches(r)) return {};
    if (typeof r === 'object' && r !== null && matches((r as { use?: unknown }).use)) return (r as { options?: Record<string, unknown> }).options ?? {};
  }
  return {};
}

/**
 * A report rendered from a results file alone, with the options the run's reporter had: the
 * Markdown is byte-identical to the file the run wrote.
 */
export function renderReport(results: RunResults, format: ReportFormat): string {
  if (format === 'md') {
    const parsed = MarkdownOptions.safeParse(reporterOptions(results, 'markdown'));
    return renderMarkdown(results, parsed.success ? parsed.data : MarkdownOptions.parse({}));
  }
  const parsed = ConsoleOptions.safeParse(reporterOptions(results, 'console'));
  const options = parsed.success ? parsed.data : ConsoleOptions.parse({});
  return `${results.experiments.map((e) => `${renderExperiment(e, options)}\n`).join('')}${renderSummary(results, options)}`;
}
