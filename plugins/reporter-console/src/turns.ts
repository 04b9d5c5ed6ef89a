import type { SummaryStats } from '@llmbench/plugin-api';
import { formatMs, table } from './format.js';

/** Multi-turn conversations: one row per turn (requests, ok, latency and TTFT p50/p95, prompt tokens). */
export function turnLines(s: SummaryStats): string[] {
  const turns = s.turns;
  if (!turns?.length) return [];
  const pair = (x: { p50: number; p95: number } | null) => (x ? `${formatMs(x.p50)} / ${formatMs(x.p95)}` : '-');
  const rows = turns.map((t) => [
    String(t.turn),
    String(t.requests),
    String(t.successes),
    pair(t.latency_ms),
    pair(t.ttft_ms),
    t.input_tokens ? `${Math.round(t.input_tokens.avg)} / ${t.input_tokens.p95}` : '-',
  ]);
  const text = table(['Turn', 'Requests', 'OK', 'Latency p50/p95', 'TTFT p50/p95', 'Input tokens avg/p95'], rows);
  return ['  Per turn:', ...text.split('\n').map((l) => `    ${l}`)];
}
