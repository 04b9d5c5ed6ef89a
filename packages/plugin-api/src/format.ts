/**
 * How every report writes numbers for people: the console, the Markdown and `llmbench compare`
 * all format through these functions, so a figure reads the same wherever it is shown. The rule
 * (docs/metrics.md, "How reports write numbers"):
 *
 * - three significant digits, never fewer than the whole number: `5.00`, `83.4`, `372`, `1,234`;
 * - commas between thousands in every whole number, counts included: `12,345`;
 * - durations in the largest unit below them: `850µs`, `25.6ms`, `1.23s`, `12.3s`, `2m 05s`, `1h 02m`;
 * - percentages with one decimal: `99.5%`; differences of percentages in points: `0.4 pts`;
 * - `-` where there is no value.
 *
 * No locale: the output is the same on every machine.
 */
import type { HeadlineMetric, Interval, TokenProvenance } from './metrics.js';

/** What a report shows where there is no value (nothing measured, nothing applicable). */
export const MISSING = '-';

/** Token figures not taken from the server's own usage are shown with this mark. */
export const APPROXIMATE = '≈';

/** The mark a token figure of this provenance carries in reports: none when exact. */
export function approximateMark(p: TokenProvenance): string {
  return p === 'server' || p === 'none' ? '' : `${APPROXIMATE} `;
}

type Maybe = number | null | undefined;

const absent = (x: Maybe): x is null | undefined => x === null || x === undefined || !Number.isFinite(x);

/** "1234567" -> "1,234,567". */
const group = (digits: string): string => digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** A whole number with thousands separators: 1234.4 -> "1,234". */
export function formatCount(n: Maybe): string {
  if (absent(n)) return MISSING;
  const whole = Math.round(n);
  return whole < 0 ? `-${group(String(-whole))}` : group(String(whole));
}

/** Three significant digits, grouped whole numbers from 100 up: "0.500", "5.00", "83.4", "372", "1,234". */
export function formatNumber(x: Maybe): string {
  if (absent(x)) return MISSING;
  // toPrecision rounds 99.96 to "100": the same as the whole-number form.
  return Math.abs(x) >= 100 ? formatCount(x) : x.toPrecision(3);
}

/** A value of no known kind (a threshold's actual value): whole numbers as counts, others as formatNumber. */
export function formatValue(x: Maybe): string {
  if (absent(x)) return MISSING;
  return Number.isInteger(x) ? formatCount(x) : formatNumber(x);
}

/** "2m 05s" below an hour, "1h 02m" from there. */
function longDuration(ms: number): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${pad(seconds % 60)}s`;
  const minutes = Math.round(ms / 60_000);
  return `${Math.floor(minutes / 60)}h ${pad(minutes % 60)}m`;
}

/**
 * A duration given in milliseconds: whole µs below 1 ms, three significant digits in ms below 1 s
 * and in s below a minute, then minutes and seconds, then hours and minutes. A value that rounds up
 * to the next unit is written in it ("1.00s", not "1,000ms").
 */
export function formatMs(ms: Maybe): string {
  if (absent(ms)) return MISSING;
  if (ms < 0) return `-${formatMs(-ms)}`;
  if (ms < 1 && Math.round(ms * 1000) < 1000) return `${Math.round(ms * 1000)}µs`;
  if (Number(ms.toPrecision(3)) < 1000) return `${formatNumber(ms)}ms`;
  const s = ms / 1000;
  if (Number(s.toPrecision(3)) < 60) return `${s.toPrecision(3)}s`;
  return longDuration(ms);
}

/** Time left, as precise as an estimate deserves: "1.6s", "42s", "3m 05s", "1h 02m". */
export function formatEta(ms: Maybe): string {
  if (absent(ms)) return MISSING;
  if (ms < 9_950) return `${(Math.max(0, ms) / 1000).toFixed(1)}s`;
  if (ms < 59_500) return `${Math.round(ms / 1000)}s`;
  return longDuration(ms);
}

/** A fraction as a percentage with one decimal: 0.9953 -> "99.5%". */
export function formatPercent(fraction: Maybe): string {
  if (absent(fraction)) return MISSING;
  return `${(fraction * 100).toFixed(1)}%`;
}

/** A difference of fractions in percentage points, one decimal: 0.004 -> "0.4 pts". */
export function formatPoints(fraction: Maybe): string {
  if (absent(fraction)) return MISSING;
  return `${(fraction * 100).toFixed(1)} pts`;
}

/** A ratio of two rates (a speedup): 1.234 -> "1.23x". */
export function formatFactor(x: Maybe): string {
  if (absent(x)) return MISSING;
  return `${x.toFixed(2)}x`;
}

/** A value in a headline metric's unit: "372 req/s", "26.3ms", "12.3s" (unit s), "99.5%" (ratio). */
export function formatMetric(unit: HeadlineMetric['unit'], x: Maybe): string {
  if (absent(x)) return MISSING;
  switch (unit) {
    case 'ms':
      return formatMs(x);
    case 's':
      return formatMs(x * 1000);
    case 'ratio':
      return formatPercent(x);
    default:
      return `${formatNumber(x)} ${unit}`;
  }
}

/** A mean and the half-width of its interval: "372 ± 12.4 req/s", "26.3ms ± 0.84ms", "100.0% ± 0.0 pts". */
export function formatInterval(unit: HeadlineMetric['unit'], i: Interval | null | undefined): string {
  if (!i) return MISSING;
  const half = (i.high - i.low) / 2;
  switch (unit) {
    case 'ms':
    case 's':
      return `${formatMetric(unit, i.mean)} ± ${formatMetric(unit, half)}`;
    case 'ratio':
      return `${formatPercent(i.mean)} ± ${formatPoints(half)}`;
    default:
      return `${formatNumber(i.mean)} ± ${formatNumber(half)} ${unit}`;
  }
}

/** How a table column lines up: text left, numbers right. */
export type Align = 'left' | 'right';

type Rows = readonly (readonly string[])[];

/** The first column left (names), the others right (figures). */
const defaultAlign = (header: readonly string[]): Align[] => header.map((_, i) => (i === 0 ? 'left' : 'right'));

/** A GitHub-flavoured Markdown pipe table; `|` in a cell is escaped and line breaks become spaces. */
export function markdownTable(header: readonly string[], rows: Rows, align: readonly Align[] = defaultAlign(header)): string {
  const cell = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');
  const line = (cells: readonly string[]) => `| ${cells.map(cell).join(' | ')} |`;
  const rule = `|${header.map((_, i) => (align[i] === 'right' ? ' ---: ' : ' --- ')).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** A plain-text table for a terminal: columns two spaces apart, a dashed rule under the header, no trailing spaces. */
export function textTable(header: readonly string[], rows: Rows, align: readonly Align[] = defaultAlign(header)): string {
  const width = (s: string) => [...s].length;
  const widths = header.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const pad = (s: string, i: number) => {
    const fill = ' '.repeat(widths[i]! - width(s));
    return align[i] === 'right' ? fill + s : s + fill;
  };
  const line = (cells: readonly string[]) =>
    header
      .map((_, i) => pad(cells[i] ?? '', i))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
