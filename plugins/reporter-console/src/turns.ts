import type { SummaryStats } from '@llmbench/plugin-api';
import { formatCount, formatMs, MISSING, textTable } from '@llmbench/plugin-api/format';

/** Multi-turn conversations: one row per turn (requests, ok, latency and TTFT p50/p95, prompt tokens). */
export function turnLines(s: SummaryStats): string[] {
  const turns = s.turns;
  if (!turns?.length) return [];
  const pair = (x: { p50: number; p95: number } | null) => (x ? `${formatMs(x.p50)} / ${formatMs(x.p95)}` : MISSING);
  const rows = turns.map((t) => [
    String(t.turn),
    formatCount(t.requests),
    formatCount(t.successes),
    pair(t.latency_ms),
    pair(t.ttft_ms),
    t.input_tokens ? `${formatCount(Math.round(t.input_tokens.avg))} / ${formatCount(t.input_tokens.p95)}` : MISSING,
  ]);
  const text = textTable(['Turn', 'Requests', 'OK', 'Latency p50/p95', 'TTFT p50/p95', 'Input tokens avg/p95'], rows);
  return ['  Per turn:', ...text.split('\n').map((l) => `    ${l}`)];
}
