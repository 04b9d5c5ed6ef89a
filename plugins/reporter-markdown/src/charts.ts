/**
 * Mermaid `xychart-beta` blocks (they render on GitHub). One chart per question, one line per
 * series; xychart has no legend, so each series gets a fixed colour from the palette and the caption
 * names the colours.
 */
export interface Series {
  readonly name: string;
  readonly values: readonly (number | null)[];
}

export interface Chart {
  readonly title: string;
  readonly xLabel: string;
  readonly categories: readonly (number | string)[];
  readonly yLabel: string;
  readonly series: readonly Series[];
}

export const PALETTE = [
  ['#1f77b4', 'blue'],
  ['#ff7f0e', 'orange'],
  ['#2ca02c', 'green'],
  ['#d62728', 'red'],
  ['#9467bd', 'purple'],
  ['#8c564b', 'brown'],
] as const;

/** Text safe inside a Mermaid double-quoted string. */
const quoted = (s: string): string => `"${s.replace(/"/g, "'")}"`;

/** A round upper bound for the y axis: a round multiple of a power of ten (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 or 8), above the largest value. */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10])
    if (step * power >= max * 1.05) return Number((step * power).toPrecision(6));
  return 10 * power;
}

const num = (x: number): string => String(Math.round(x * 1000) / 1000);

/** The chart as a fenced Mermaid block plus its caption; null when there is nothing to draw. */
export function renderChart(chart: Chart): string | null {
  // xychart has no gaps: a series missing a point (no successful request there) would be drawn at
  // 0, i.e. as the best point. Such series are left out, and the caption says so.
  const gappy = chart.series.filter((s) => s.values.some((v) => v === null));
  const series = chart.series.slice(0, PALETTE.length).filter((s) => s.values.every((v) => v !== null));
  if (series.length === 0 || chart.categories.length < 2) return null;
  const max = Math.max(...series.flatMap((s) => s.values.filter((v): v is number => v !== null)));
  const colours = series.map((_, i) => PALETTE[i]![0]).join(', ');
  const lines = [
    '```mermaid',
    `%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "${colours}"}}}}%%`,
    'xychart-beta',
    `    title ${quoted(chart.title)}`,
    `    x-axis ${quoted(chart.xLabel)} [${chart.categories.map((c) => (typeof c === 'number' ? num(c) : quoted(c))).join(', ')}]`,
    `    y-axis ${quoted(chart.yLabel)} 0 --> ${num(niceMax(max))}`,
    ...series.map((s) => `    line [${s.values.map((v) => num(v!)).join(', ')}]`),
    '```',
  ];
  const notes = [
    ...(series.length > 1 ? [`*Lines:* ${series.map((s, i) => `${PALETTE[i]![1]} = ${s.name}`).join(', ')}.`] : []),
    ...(gappy.length ? [`*Not drawn (no value at some points):* ${gappy.map((s) => s.name).join(', ')}.`] : []),
  ];
  const caption = notes.length ? `\n\n${notes.join(' ')}` : '';
  return `${lines.join('\n')}${caption}`;
}
