/**
 * The backend contract kit: one call checks a backend plugin against a server the way llmbench
 * relies on it: request shape, JSON and streamed responses, token usage, every failure mapped to the
 * right outcome kind, and cancellation. Framework-agnostic: it returns the checks, each `passed`,
 * `failed` or `skipped` (with the reason in `detail`). A check is skipped when it does not apply: the
 * streaming checks of a backend defined with `streams: false`, checks that depend on a request that
 * already failed, and checks the server cannot give evidence for. A skipped check is never passed.
 *
 * In a test, `assertContract(checks)` throws unless no check failed and none was skipped, and
 * `assertContract(checks, { skipped: [...] })` when exactly the named checks may be skipped; so
 * `streams: false` has to be acknowledged, not mistaken for a pass.
 *
 * The server must speak the backend's dialect and accept llmbench's fault control
 * (`POST /llmbench/faults`), as `llmbench mock-server` and `startMockHttpServer` do.
 */
import type { Backend, BackendPlugin } from './define.js';
import { dispatchOf, type Dispatch } from './dispatch.js';
import { exchangeTimes, type OkOutcome, type Outcome, type OutcomeKind } from './outcome.js';
import type { BenchRequest, Clock, Logger } from './types.js';

export const CONTRACT_FAULTS = [
  'http_500',
  'http_429',
  'slow_first_byte',
  'stall',
  'reset',
  'reset_mid_answer',
  'malformed_json',
  'malformed_sse',
] as const;
export type ContractFault = (typeof CONTRACT_FAULTS)[number];

export interface ContractServer {
  /** Origin of the loopback server, e.g. http://127.0.0.1:8000. */
  readonly url: string;
  /** Makes every following request fail in this way (undefined: no faults). */
  setFault(kind: ContractFault | undefined): Promise<void>;
  /**
   * How many completion requests asking for a stream (`"stream": true`) the server has received so
   * far. The kit compares it before and after a streamed request, to know the backend did ask for
   * a stream; without it, the checks that need that evidence are skipped.
   */
  streamedRequests?(): Promise<number>;
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

export type ContractStatus = 'passed' | 'failed' | 'skipped';

export interface ContractCheck {
  readonly name: string;
  readonly status: ContractStatus;
  /** `status === 'passed'`: a skipped check is not passed. */
  readonly passed: boolean;
  /** What was seen; for a skipped check, why it does not apply. */
  readonly detail?: string;
}

export interface ContractSummary {
  readonly passed: readonly string[];
  readonly failed: readonly ContractCheck[];
  readonly skipped: readonly ContractCheck[];
}

/** The checks by status. */
export function summarizeContract(checks: readonly ContractCheck[]): ContractSummary {
  return {
    passed: checks.filter((c) => c.status === 'passed').map((c) => c.name),
    failed: checks.filter((c) => c.status === 'failed'),
    skipped: checks.filter((c) => c.status === 'skipped'),
  };
}

/**
 * Throws, listing every problem, unless no check failed, at least one passed, and the skipped
 * checks are exactly `expected.skipped` (default: none). Returns the summary.
 */
export function assertContract(
  checks: readonly ContractCheck[],
  expected: { readonly skipped?: readonly string[] } = {},
): ContractSummary {
  const summary = summarizeContract(checks);
  const allowed = new Set(expected.skipped ?? []);
  const problems = [
    ...summary.failed.map((c) => `failed: ${c.name}${c.detail === undefined ? '' : ` (${c.detail})`}`),
    ...summary.skipped
      .filter((c) => !allowed.has(c.name))
      .map((c) => `skipped, not expected to be: ${c.name} (${c.detail ?? 'no reason given'})`),
    ...[...allowed]
      .filter((name) => !summary.skipped.some((c) => c.name === name))
      .map((name) => `expected to be skipped, but was ${checks.find((c) => c.name === name)?.status ?? 'not run'}: ${name}`),
    ...(summary.passed.length === 0 ? ['no check passed'] : []),
  ];
  if (problems.length > 0)
    throw new Error(`the backend contract does not hold: ${problems.length} problem(s)\n  ${problems.join('\n  ')}`);
  return summary;
}

/** A ContractServer for llmbench's mock server, driven through its HTTP control endpoint. */
export function mockServerControl(url: string): ContractServer {
  return {
    url,
    async setFault(kind) {
      const body = kind === undefined ? { rate: 0 } : { rate: 1, kinds: [kind], slow_first_byte_ms: 3000, stall_ms: 3000 };
      const res = await fetch(`${url}/llmbench/faults`, {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      });
      if (!res.ok) throw new Error(`fault control answered ${res.status}`);
    },
    async streamedRequests() {
      const res = await fetch(`${url}/llmbench/stats`);
      if (!res.ok) throw new Error(`GET /llmbench/stats answered ${res.status}`);
      const n = ((await res.json()) as { requests_streamed?: unknown }).requests_streamed;
      if (typeof n !== 'number') throw new Error('GET /llmbench/stats has no requests_streamed count');
      return n;
    },
  };
}

/** What each fault must become. Slow and stalled responses are checked through cancellation. */
const EXPECTED: Record<
  Exclude<ContractFault, 'slow_first_byte' | 'stall'>,
  { kind: OutcomeKind; stream: boolean; status?: number }
> = {
  http_500: { kind: 'http_error', stream: false, status: 500 },
  http_429: { kind: 'http_error', stream: false, status: 429 },
  reset: { kind: 'connection_error', stream: false },
  reset_mid_answer: { kind: 'connection_error', stream: false },
  malformed_json: { kind: 'protocol_error', stream: false },
  malformed_sse: { kind: 'protocol_error', stream: true },
};

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export async function runBackendContract(opts: ContractOptions): Promise<ContractCheck[]> {
  const checks: ContractCheck[] = [];
  const check = (name: string, passed: boolean, detail?: string) =>
    checks.push({ name, status: passed ? 'passed' : 'failed', passed, ...(detail === undefined ? {} : { detail }) });
  const skip = (name: string, reason: string) => checks.push({ name, status: 'skipped', passed: false, detail: reason });
  const clock: Clock = { now: () => performance.now() };
  const streams = opts.plugin.streams !== false;
  const noStreams = 'the backend declares streams: false';
  const request = (stream: boolean, index = 0): BenchRequest => ({
    index,
    messages: [
      { role: 'system', content: 'You are a contract test.' },
      { role: 'user', content: `hello ${index}` },
    ],
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
  /** The outcomes a callback-style send (`sendFrom`) calls back with, within 10 s and 50 ms after the first (a second call is a bug). */
  const dispatched = async (dispatch: Dispatch, req: BenchRequest): Promise<Outcome[]> => {
    const calls: Outcome[] = [];
    await new Promise<void>((resolve) => {
      const bound = setTimeout(resolve, 10_000);
      const done = (outcome: Outcome): void => {
        calls.push(outcome);
        clearTimeout(bound);
        setTimeout(resolve, 50);
      };
      try {
        dispatch(req, new AbortController().signal, done);
      } catch (error) {
        done({ kind: 'protocol_error', message: `dispatch threw: ${(error as Error).message}` });
      }
    });
    return calls;
  };
  /** Sends a streamed request; `asked` says whether the server saw it ask for a stream (undefined: the server cannot tell). */
  const sendStreamed = async (backend: Backend, req: BenchRequest): Promise<{ outcome: Outcome; asked: boolean | undefined }> => {
    const before = await opts.server.streamedRequests?.();
    const outcome = await send(backend, req);
    const after = await opts.server.streamedRequests?.();
    return { outcome, asked: before === undefined || after === undefined ? undefined : after > before };
  };

  const parsed = opts.plugin.options.safeParse(opts.options ?? {});
  check('options: the schema accepts the given options', parsed.success, parsed.success ? undefined : String(parsed.error));
  if (!parsed.success) return checks;
  let backend: Backend;
  try {
    backend = await opts.plugin.create(
      {
        logger: silent,
        clock,
        scenarioDir: process.cwd(),
        seed: 1,
        server: {
          id: 'contract',
          url: opts.server.url,
          ...(opts.model === undefined ? {} : { model: opts.model }),
          maxConcurrentRequests: 8,
        },
      },
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
    const jsonChecks = {
      'json: usage reports output tokens': (o: OkOutcome) => [(o.usage?.outputTokens ?? 0) > 0, JSON.stringify(o.usage)] as const,
      'json: no stream timings on a JSON response': (o: OkOutcome) =>
        [
          o.firstTokenAt === undefined && o.chunkTimes === undefined,
          JSON.stringify({ firstTokenAt: o.firstTokenAt, chunkTimes: o.chunkTimes }),
        ] as const,
      'json: sentAt and endedAt, when given, lie within the send() call, in order': (o: OkOutcome) =>
        [
          believed(o, jsonCalled, jsonSettled),
          JSON.stringify({ call: [jsonCalled, jsonSettled], sentAt: o.sentAt, endedAt: o.endedAt }),
        ] as const,
    };
    for (const [name, test] of Object.entries(jsonChecks)) {
      if (json.kind === 'ok') check(name, ...test(json));
      else skip(name, 'the JSON request failed');
    }
    // Only for a send made by sendFrom(): the callback form is optional, so its absence is no skipped check.
    const dispatch = dispatchOf(backend.send);
    const dispatchCheck = "json: send's callback form (sendFrom) ends as send() did, calling back once";
    if (dispatch) {
      const calls = await dispatched(dispatch, request(false, 6));
      check(
        dispatchCheck,
        calls.length === 1 && calls[0]!.kind === json.kind,
        calls.map(describe).join('; ') || 'never called back',
      );
    }

    const streamChecks = [
      'stream: a streamed request succeeds',
      'stream: the server received a request for a stream',
      'stream: first token time is recorded after the send',
      'stream: chunk times are recorded in order',
      'stream: sentAt and endedAt, when given, lie within the send() call around the chunk times',
      'stream: output tokens are known (server usage or counted)',
    ] as const;
    if (!streams) {
      for (const name of streamChecks) skip(name, noStreams);
    } else {
      const sentAt = clock.now();
      const { outcome: streamed, asked } = await sendStreamed(backend, request(true, 1));
      const settledAt = clock.now();
      check(streamChecks[0], streamed.kind === 'ok', describe(streamed));
      if (asked === undefined) skip(streamChecks[1], 'the server cannot say what it received (ContractServer.streamedRequests)');
      else check(streamChecks[1], asked, asked ? undefined : 'the request did not ask for a stream');
      if (streamed.kind === 'ok') {
        const first = streamed.firstTokenAt;
        check(streamChecks[2], first !== undefined && first >= (streamed.sentAt ?? sentAt), String(first));
        const times = streamed.chunkTimes ?? [];
        check(
          streamChecks[3],
          times.length > 0 && times[0] === first && times.every((t, i) => i === 0 || t >= times[i - 1]!),
          JSON.stringify(times.slice(0, 4)),
        );
        const last = times.at(-1) ?? first;
        check(
          streamChecks[4],
          believed(streamed, sentAt, settledAt) &&
            (last === undefined || last <= exchangeTimes(streamed, sentAt, settledAt).ended),
          JSON.stringify({ call: [sentAt, settledAt], sentAt: streamed.sentAt, first, last, endedAt: streamed.endedAt }),
        );
        check(
          streamChecks[5],
          (streamed.usage?.outputTokens ?? 0) > 0 && streamed.usage?.source !== 'none',
          JSON.stringify(streamed.usage),
        );
      } else {
        for (const name of streamChecks.slice(2)) skip(name, 'the streamed request failed');
      }
    }

    for (const [fault, expected] of Object.entries(EXPECTED) as [
      keyof typeof EXPECTED,
      (typeof EXPECTED)[keyof typeof EXPECTED],
    ][]) {
      const name = `failure: ${fault} becomes ${expected.kind}${expected.status ? ` ${expected.status}` : ''}`;
      if (expected.stream && !streams) {
        skip(name, noStreams);
        continue;
      }
      await opts.server.setFault(fault);
      if (expected.stream) {
        // Evidence that the malformed stream was sent: a JSON request gets a malformed JSON body instead.
        const { outcome: o, asked } = await sendStreamed(backend, request(true, 2));
        if (asked === undefined)
          skip(
            name,
            `${describe(o)}, but the server cannot say whether it was asked for a stream (ContractServer.streamedRequests)`,
          );
        else
          check(
            name,
            asked && o.kind === expected.kind,
            asked ? describe(o) : `the request did not ask for a stream: ${describe(o)}`,
          );
        continue;
      }
      const o = await send(backend, request(false, 2));
      const statusOk = expected.status === undefined || (o.kind === 'http_error' && o.status === expected.status);
      check(name, o.kind === expected.kind && statusOk, describe(o));
      if (fault === 'http_429') {
        if (o.kind === 'http_error') check('failure: 429 carries Retry-After', o.retryAfterMs !== undefined, describe(o));
        else skip('failure: 429 carries Retry-After', 'the request did not end as http_error');
      }
    }

    for (const fault of ['slow_first_byte', 'stall'] as const) {
      await opts.server.setFault(fault);
      const controller = new AbortController();
      const abortAfter = 100;
      const started = clock.now();
      setTimeout(() => controller.abort(new DOMException('cancelled by the contract kit', 'AbortError')), abortAfter);
      // A stall of a backend that does not stream is a JSON body cut off mid-way.
      const o = await send(backend, request(fault === 'stall' && streams, 3), controller.signal);
      const took = clock.now() - started;
      const within = opts.cancelWithinMs ?? 1000;
      // Ended by the abort (not before it, with an aborted outcome of the backend's own), and soon after.
      check(
        `cancellation: aborting a ${fault === 'stall' ? 'stalled' : 'slow'} response ends it as aborted within ${within} ms`,
        o.kind === 'aborted' && took >= abortAfter - 5 && took < within,
        `${describe(o)} after ${took.toFixed(0)} ms`,
      );
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
