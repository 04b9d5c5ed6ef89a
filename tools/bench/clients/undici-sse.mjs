// The floor for any undici-based client of streamed answers: a bare Pool.dispatch loop with a minimal
// handler that stamps each socket read on arrival, splits SSE `data:` lines, JSON.parses every event
// and counts the content tokens, recording TTFT and the gaps between token events.
// Usage: node undici-sse.mjs '{"url":..., "connections":64, "requests":2000, "body":"..."}'
import { drive, ranks, report, setup } from './closed-loop.mjs';

const { cfg, pool, body } = setup();
const headers = { 'content-type': 'application/json' };
const DATA = Buffer.from('data: ');
let failed = 0;
let tokens = 0;
let events = 0;
let itlSum = 0;
const ttft = new Float64Array(cfg.requests);
let recorded = 0;
const one = () =>
  new Promise((resolve) => {
    let status = 0;
    let rest;
    let first = -1;
    let last = -1;
    let done = false;
    const start = performance.now();
    const event = (payload, at) => {
      if (payload === '[DONE]') {
        done = true;
        return;
      }
      const chunk = JSON.parse(payload);
      const choice = chunk.choices?.[0];
      if (!choice) return;
      events++;
      if (first < 0) first = at;
      else itlSum += at - last;
      last = at;
      const text = choice.delta?.content ?? choice.text;
      if (typeof text === 'string' && text.length > 0) tokens++;
    };
    pool.dispatch(
      { method: 'POST', path: '/v1/chat/completions', headers, body },
      {
        onRequestStart() {},
        onResponseStart(_c, code) {
          status = code;
        },
        onResponseData(_c, data) {
          const at = performance.now();
          const buf = rest ? Buffer.concat([rest, data]) : data;
          let from = 0;
          for (let nl = buf.indexOf(10); nl >= 0; nl = buf.indexOf(10, from)) {
            if (nl - from > 6 && buf.compare(DATA, 0, 6, from, from + 6) === 0) event(buf.toString('utf8', from + 6, nl), at);
            from = nl + 1;
          }
          rest = from < buf.length ? buf.subarray(from) : undefined;
        },
        onResponseEnd() {
          if (status !== 200 || !done || first < 0) failed++;
          else ttft[recorded++] = first - start;
          resolve();
        },
        onResponseError() {
          failed++;
          resolve();
        },
      },
    );
  });
const { wall, cpuMs } = await drive(cfg, one);
await pool.close();
const rank = ranks(ttft, recorded);
report({
  requests: cfg.requests,
  errors: failed,
  tokens,
  rps: cfg.requests / wall,
  tokens_per_s: tokens / wall,
  wall_s: wall,
  cpu_ms: cpuMs,
  ttft_p50_ms: rank(50),
  ttft_p99_ms: rank(99),
  itl_mean_ms: itlSum / Math.max(1, events - recorded),
});
