/**
 * Numbers for people, with units and sensible precision, identical on every machine (no locale).
 */

/** 1234567 -> "1,234,567". */
function group(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function fmtCount(n: number): string {
  return n < 0 ? `-${group(String(Math.round(-n)))}` : group(String(Math.round(n)));
}

/** Rates: 3 significant figures below 100, whole numbers (grouped) above. */
export function fmtRate(x: number): string {
  if (!Number.isFinite(x)) return '-';
  if (Math.abs(x) >= 100) return fmtCount(x);
  if (Math.abs(x) >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

/** Durations: "850µs", "25.6ms", "1.23s", "2m 05s". */
export function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms < 1) return `${Math.round(ms * 1000)}µs`;
  if (ms < 10) return `${ms.toFixed(2)}ms`;
  if (ms < 100) return `${ms.toFixed(1)}ms`;
  if (ms < 1000) return `${ms.toFixed(0)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)}s`;
  return fmtDuration(ms);
}

/** Long durations: "2m 05s", "1h 02m". */
export function fmtDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  if (ms < 60_000) return fmtMs(ms);
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function fmtPercent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)}%`;
}

/** A value in a headline metric's unit. `bare` drops the unit (for "± x"). */
export function fmtMetric(unit: string, x: number, bare = false): string {
  switch (unit) {
    case 'req/s':
    case 'tok/s':
      return bare ? fmtRate(x) : `${fmtRate(x)} ${unit}`;
    case 'ms':
      return fmtMs(x);
    case 's':
      return fmtMs(x * 1000);
    case 'ratio':
      return bare ? `${(x * 100).toFixed(1)} pts` : fmtPercent(x);
    default:
      return Number.isInteger(x) ? fmtCount(x) : Math.abs(x) >= 100 ? fmtCount(x) : x.toPrecision(3);
  }
}
