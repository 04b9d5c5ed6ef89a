// The two parts of hdr-histogram-js used here, not its index: the index loads every histogram kind,
// its WebAssembly build and log formats, twice the CPU of these at every thread's start.
// Required, not imported: the same CommonJS modules under Node and under the test runner's transform.
import { createRequire } from 'node:module';
import type { Histogram as HdrHistogram } from 'hdr-histogram-js';
import type { JsHistogram } from 'hdr-histogram-js/dist/JsHistogram.js';
import type Int32HistogramModule from 'hdr-histogram-js/dist/Int32Histogram.js';
import type * as Encoding from 'hdr-histogram-js/dist/JsHistogram.encoding.js';
import type { LatencyStats } from '@llmbench/plugin-api';

export type Histogram = HdrHistogram;

const require = createRequire(import.meta.url);
const Int32Histogram = (require('hdr-histogram-js/dist/Int32Histogram.js') as typeof Int32HistogramModule).default;
const encoding = require('hdr-histogram-js/dist/JsHistogram.encoding.js') as typeof Encoding;

/** Latencies are recorded in integer microseconds with 3 significant digits (0.1% resolution). */
export const SIGNIFICANT_DIGITS = 3;

/** Integer microseconds from 1 to 2^31, auto-resizing (what `hdr.build` makes with bitBucketSize 32). */
export function createHistogram(): Histogram {
  const h = new Int32Histogram(1, 2 ** 31, SIGNIFICANT_DIGITS);
  h.autoResize = true;
  return h;
}

/** hdr-histogram-js's compressed base64 encoding (`encodeIntoCompressedBase64`), as in results files. */
export function encodeHistogram(h: Histogram): string {
  // Every histogram here is a JsHistogram (`createHistogram`, `decodeHistogram`); the encoding module adds the method.
  return (h as JsHistogram).encodeIntoCompressedBase64();
}

/**
 * The histogram an encoding holds, with the layout `createHistogram` gives (the encoding carries
 * its lowest value and digits), auto-resizing so later merges never overflow: used as it is, not
 * copied into a new one (a copy walks every bucket, ~23,000 of them).
 */
export function decodeHistogram(encoded: string): Histogram {
  const decoded = encoding.doDecode(encoding.decompress(Buffer.from(encoded.trim(), 'base64')), 32, 0);
  decoded.autoResize = true;
  return decoded;
}

/** Microseconds to milliseconds, rounded to 0.001 ms. */
export function usToMs(us: number): number {
  return Math.round(us) / 1000;
}

/**
 * Exact moments of a sample (count, sum, sum of squares, min, max), kept beside the histogram so
 * avg/min/max/stddev are exact while percentiles come from the histogram.
 */
export interface Moments {
  count: number;
  sum: number;
  sumSquares: number;
  min: number;
  max: number;
}

export function emptyMoments(): Moments {
  return { count: 0, sum: 0, sumSquares: 0, min: Infinity, max: -Infinity };
}

export function addMoments(into: Moments, from: Readonly<Moments>): void {
  into.count += from.count;
  into.sum += from.sum;
  into.sumSquares += from.sumSquares;
  if (from.min < into.min) into.min = from.min;
  if (from.max > into.max) into.max = from.max;
}

/** Percentile of a histogram in ms: the highest value equivalent to the recorded one at that rank. */
export function percentileMs(h: Histogram, p: number): number {
  return usToMs(h.getValueAtPercentile(p));
}

/**
 * Latency statistics: avg, min, max and stddev from exact moments (ms); percentiles from the HDR
 * histogram, whose value at percentile p is the smallest recorded value v such that at least p% of
 * samples are <= v, reported to within 0.1%.
 */
export function latencyStats(h: Histogram, m: Readonly<Moments>, extra: readonly number[] = []): LatencyStats | null {
  if (m.count === 0) return null;
  const avg = m.sum / m.count;
  const variance = Math.max(0, m.sumSquares / m.count - avg * avg);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    avg: round(avg),
    min: round(m.min),
    max: round(m.max),
    stddev: round(Math.sqrt(variance)),
    p50: percentileMs(h, 50),
    p90: percentileMs(h, 90),
    p95: percentileMs(h, 95),
    p99: percentileMs(h, 99),
    ...(extra.length ? { extra: Object.fromEntries(extra.map((p) => [`p${p}`, percentileMs(h, p)])) } : {}),
  };
}

/** Records one millisecond sample: microseconds in the histogram (at least 1), exact moments (negatives as 0). */
export function recordMs(h: Histogram, m: Moments, ms: number): void {
  const v = Math.max(ms, 0);
  h.recordValue(Math.max(1, Math.round(v * 1000)));
  m.count++;
  m.sum += v;
  m.sumSquares += v * v;
  if (v < m.min) m.min = v;
  if (v > m.max) m.max = v;
}

export interface SerializedDistribution {
  readonly histogram: string;
  readonly moments: Moments;
}

/**
 * Millisecond samples kept two ways, as everywhere in llmbench: an HDR histogram for percentiles and
 * exact moments for avg/min/max/stddev. Mergeable exactly and serializable across threads.
 *
 * A run of one value (a queue time of 0, the same answer length request after request) goes into
 * the histogram once, with its count, when a different value comes or the histogram is read.
 */
export class Distribution {
  private counts: Histogram = createHistogram();
  readonly moments: Moments = emptyMoments();
  /** The value (µs) of the run not yet in the histogram, and its length. */
  private runUs = 0;
  private run = 0;

  get histogram(): Histogram {
    this.flush();
    return this.counts;
  }

  record(ms: number): void {
    const v = Math.max(ms, 0);
    const us = Math.max(1, Math.round(v * 1000));
    if (us !== this.runUs) {
      this.flush();
      this.runUs = us;
    }
    this.run++;
    const m = this.moments;
    m.count++;
    m.sum += v;
    m.sumSquares += v * v;
    if (v < m.min) m.min = v;
    if (v > m.max) m.max = v;
  }

  merge(other: Distribution): void {
    if (other.moments.count === 0) return;
    this.histogram.add(other.histogram);
    addMoments(this.moments, other.moments);
  }

  /** An empty distribution (most are, in a run that does not stream) crosses threads without its histogram. */
  serialize(): SerializedDistribution {
    return { histogram: this.moments.count === 0 ? '' : encodeHistogram(this.histogram), moments: { ...this.moments } };
  }

  static deserialize(data: SerializedDistribution): Distribution {
    return new Distribution().load(data);
  }

  /** Takes a serialized distribution into this empty one, its histogram as decoded (no copy). */
  load(data: SerializedDistribution): this {
    if (this.moments.count !== 0 || this.run !== 0) throw new Error('a distribution is loaded only while empty');
    if (data.histogram !== '') this.counts = decodeHistogram(data.histogram);
    Object.assign(this.moments, data.moments);
    return this;
  }

  /** Null when nothing was recorded. `extra`: percentiles beyond p50/p90/p95/p99. */
  stats(extra: readonly number[] = []): LatencyStats | null {
    return latencyStats(this.histogram, this.moments, extra);
  }

  private flush(): void {
    if (this.run === 0) return;
    this.counts.recordValueWithCount(this.runUs, this.run);
    this.run = 0;
  }
}
