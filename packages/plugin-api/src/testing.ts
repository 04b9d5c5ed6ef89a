/**
 * The backend contract kit: one call checks a backend plugin against a server the way llmbench
 * relies on it: request shape, JSON and streamed responses, token usage, every failure mapped to the
 * right outcome kind, and cancellation. Framework-agnostic: it returns the checks; assert that none
 * failed (`expect(checks.filter((c) => !c.passed)).toEqual([])`).
 *
 * The server must speak the backend's dialect and accept llmbench's fault control
 * (`POST /llmbench/faults`), as `llmbench mock-server` and `startMockHttpServer` do.
 */
import type { Backend, BackendPlugin } from './define.js';
import { exchangeTimes, type OkOutcome, type Outcome, type OutcomeKind } from './outcome.js';
import type { BenchRequest, Clock, Logger } from './types.js';

export const CONTRACT_FAULTS = ['http_500', 'http_429', 'slow_first_byte', 'stall', 'reset', 'malformed_json', 'malformed_sse'] as const;
export type ContractFault = (typeof CONTRACT_FAULTS)[number];

export interface ContractServer {
  /** Origin of the loopback server, e.g. http://127.0.0.1:8000. */
  readonly url: string;
  /** Makes every following request fail in this way (undefined: no faults). */
  setFault(kind: ContractFault | undefined): Promise<void>;
}

export interface ContractOptions {
  readonly plugin: BackendPlugin;
  /** Options as a scenario would write them (validated by the plugin's schema). */
  readonly options?: Record<string, unknown>;
  readonly server: ContractServer;
  readonly model?: string;
  /** How long a cancelled request may take to settle (ms, default 1000). */
  readonly cancelWithinMs?: number;
}

export interface ContractCheck {
  readonly name: string;
  readonly passed: boolean;
  readonly detail?: string;
}

/** A ContractServer for llmbench's mock server, driven through its HTTP control endpoint. */
export function mockServerControl(url: string): ContractServer {
  return {
    url,
    async setFault(kind) {
      const body = kind === undefined ? { rate: 0 } : { rate: 1, kinds: [kind], slow_first_byte_ms: 3000, stall_ms: 3000 };
      const res = await fetch(`${url}/llmbench/faults`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
      if (!res.ok) throw new Error(`fault control answered ${res.status}`);
    },
  };
}

/** What each fault must become. Slow and stalled responses are checked through cancellation. */
const EXPECTED: Record<Exclude<ContractFault, 'slow_first_byte' | 'stall'>, { kind: OutcomeKind; stream: boolean; status?: number }> = {
  http_500: { kind: 'http_error', stream: false, status: 500 },
  http_429: { kind: 'http_error', stream: false, status: 429 },
  reset: { kind: 'connection_error', stream: false },
  malformed_json: { kind: 'protocol_error', stream: false },
  malformed_sse: { kind: 'protocol_error', stream: true },
};

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export async function runBackendContract(opts: ContractOptions): Promise<ContractCheck[]> {
  const checks: ContractCheck[] = [];
  const check = (name: string, passed: boolean, detail?: string) => checks.push({ name, passed, ...(detail === undefined ? {} : { detail }) });
  const clock: Clock = { now: () => performance.now() };
  const request = (stream: boolean, index = 0): BenchRequest => ({
    index,
    messages: [{ role: 'system', content: 'You are a contract test.' }, { role: 'user', content: `hello ${index}` }],
    maxTokens: 8,
    stream,
    warmup: false,
    ...(opts.model === undefined ? {} : { model: opts.model }),
  });
  const send = async (backend: Backend, req: BenchRequest, signal = new AbortController().signal): Promise<Outcome> => {
    try {
      return await backend.send(req, signal);
    } catch (error) {
      return { kind: 'protocol_error', message: `send threw instead of resolving an outcome: ${(error as Error).message}` };
    }
  };

  const parsed = opts.plugin.options.safeParse(opts.options ?? {});
  check('options: the schema accepts the given options', parsed.success, parsed.success ? undefined : String(parsed.error));
  if (!parsed.success) return checks;
  let backend: Backend;
  try {
    backend = await opts.plugin.create(
      { logger: silent, clock, scenarioDir: process.cwd(), seed: 1, server: { id: 'contract', url: opts.server.url, ...(opts.model === undefined ? {} : { model: opts.model }), maxConcurrentRequests: 8 } },
      parsed.data,
    );
    await backend.setup?.();
    check('lifecycle: create and setup succeed against the server', true);
  } catch (error) {
    check('lifecycle: create and setup succeed against the server', false, (error as Error).message);
    return checks;
  }

  try {
    await opts.server.setFault(undefined);
    const jsonCalled = clock.now();
    const json = await send(backend, request(false));
    const jsonSettled = clock.now();
    check('json: a request succeeds', json.kind === 'ok', describe(json));
    if (json.kind === 'ok') {
      check('json: usage reports output tokens', (json.usage?.outputTokens ?? 0) > 0, JSON.stringify(json.usage));
      check('json: no stream timings on a JSON response', json.firstTokenAt === undefined);
      check(
        'json: sentAt and endedAt, when given, lie within the send() call, in order',
        believed(json, jsonCalled, jsonSettled),
        JSON.stringify({ call: [jsonCalled, jsonSettled], sentAt: json.sentAt, endedAt: json.endedAt }),
      );
    }

    const sentAt = clock.now();
    const streamed = await send(backend, request(true, 1));
    const settledAt = clock.now();
    check('stream: a streamed request succeeds', streamed.kind === 'ok', describe(streamed));
    if (streamed.kind === 'ok') {
      const first = streamed.firstTokenAt;
      check('stream: first token time is recorded after the send', first !== undefined && first >= (streamed.sentAt ?? sentAt), String(first));
      const times = streamed.chunkTimes ?? [];
      check('stream: chunk times are recorded in order', times.length > 0 && times[0] === first && times.every((t, i) => i === 0 || t >= times[i - 1]!), JSON.stringify(times.slice(0, 4)));
      const last = times.at(-1) ?? first;
      check(
        'stream: sentAt and endedAt, when given, lie within the send() call around the chunk times',
        believed(streamed, sentAt, settledAt) && (last === undefined || last <= exchangeTimes(streamed, sentAt, settledAt).ended),
        JSON.stringify({ call: [sentAt, settledAt], sentAt: streamed.sentAt, first, last, endedAt: streamed.endedAt }),
      );
      check('stream: output tokens are known (server usage or counted)', (streamed.usage?.outputTokens ?? 0) > 0 && streamed.usage?.source !== 'none', JSON.stringify(streamed.usage));
    }

    for (const [fault, expected] of Object.entries(EXPECTED) as [keyof typeof EXPECTED, (typeof EXPECTED)[keyof typeof EXPECTED]][]) {
      await opts.server.setFault(fault);
      const o = await send(backend, request(expected.stream, 2));
      const statusOk = expected.status === undefined || (o.kind === 'http_error' && o.status === expected.status);
      check(`failure: ${fault} becomes ${expected.kind}${expected.status ? ` ${expected.status}` : ''}`, o.kind === expected.kind && statusOk, describe(o));
      if (fault === 'http_429' && o.kind === 'http_error') check('failure: 429 carries Retry-After', o.retryAfterMs !== undefined, describe(o));
    }

    for (const fault of ['slow_first_byte', 'stall'] as const) {
      await opts.server.setFault(fault);
      const controller = new AbortController();
      const started = clock.now();
      setTimeout(() => controller.abort(new DOMException('cancelled by the contract kit', 'AbortError')), 100);
      const o = await send(backend, request(fault === 'stall', 3), controller.signal);
      const took = clock.now() - started;
      const within = opts.cancelWithinMs ?? 1000;
      check(`cancellation: aborting a ${fault === 'stall' ? 'stalled' : 'slow'} response ends it as aborted within ${within} ms`, o.kind === 'aborted' && took < within, `${describe(o)} after ${took.toFixed(0)} ms`);
    }

    await opts.server.setFault(undefined);
    const pre = new AbortController();
    pre.abort();
    const o = await send(backend, request(false, 4), pre.signal);
    check('cancellation: an already aborted signal ends the request as aborted', o.kind === 'aborted', describe(o));

    const after = await send(backend, request(false, 5));
    check('recovery: requests succeed again after the failures', after.kind === 'ok', describe(after));
  } finally {
    await opts.server.setFault(undefined).catch(() => undefined);
    try {
      await backend.teardown?.();
      check('lifecycle: teardown succeeds', true);
    } catch (error) {
      check('lifecycle: teardown succeeds', false, (error as Error).message);
    }
  }
  return checks;
}

/** Whether the engine would take the backend's own sentAt and endedAt (when given) as they are. */
function believed(o: OkOutcome, called: number, settled: number): boolean {
  const { sent, ended } = exchangeTimes(o, called, settled);
  return sent === (o.sentAt ?? called) && ended === (o.endedAt ?? settled);
}

function describe(o: Outcome): string {
  return JSON.stringify(o);
}
