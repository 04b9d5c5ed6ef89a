// llmbench benchmarks. Every figure is measured against a peer in the same run, medians of repeats.
//   node tools/bench/bench.mjs [overhead] [streaming] [accuracy] [scale] [micro] [--repeats 3] [--threads 1,2] [--quick] [--pin]
// Over 400 lines on purpose: the five sections share the server, client and table helpers.
// Default: all five. --quick: every section, shorter and once (a smoke run, under 2 minutes on a
// quiet 2-core machine; its figures are not the ones to quote). See docs/performance.md.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = join(root, 'packages/cli/bin/llmbench.js');
const here = fileURLToPath(new URL('.', import.meta.url));

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const QUICK = args.includes('--quick');
const sections = args.filter((a, i) => !a.startsWith('--') && !(args[i - 1]?.startsWith('--') && args[i - 1] !== '--quick'));
const want = (s) => sections.length === 0 || sections.includes(s);
const REPEATS = Number(flag('repeats', QUICK ? 1 : 3));
const THREADS = String(flag('threads', QUICK ? '1' : '1,2'))
  .split(',')
  .map(Number);
// --pin: the server on CPU 0, every client on the others (taskset), so that a client's threads
// compete with each other and not with the server: how --threads scales on a bigger machine.
const PIN = args.includes('--pin');
const CPUS = availableParallelism();
const pinned = (cpus, argv) => (PIN ? ['taskset', ['-c', cpus, process.execPath, ...argv]] : [process.execPath, argv]);
const SERVER_CPUS = '0';
const CLIENT_CPUS = CPUS > 1 ? `1-${CPUS - 1}` : '0';
const PROMPT = 'Say hi';
const MAX_TOKENS = 16;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const fmt = (x, d = 1) => (x === undefined || x === null || Number.isNaN(x) ? '-' : Number(x).toFixed(d));

/** Starts `llmbench mock-server` in its own process; resolves with its URL and a stop function. */
function startServer(mock, trace = false) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      ...pinned(SERVER_CPUS, [
        cli,
        'mock-server',
        '--port',
        '0',
        '--options',
        JSON.stringify(mock),
        ...(trace ? ['--trace'] : []),
      ]),
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (\S+)/.exec(out);
      if (m)
        resolve({
          url: m[1],
          stop: () =>
            new Promise((r) => {
              child.once('exit', r);
              child.kill('SIGINT');
            }),
        });
    });
    child.once('exit', (code) => reject(new Error(`mock server exited (${code})`)));
  });
}

async function serverStats(url) {
  return (await fetch(`${url}/llmbench/stats`)).json();
}

async function resetServer(url) {
  await fetch(`${url}/llmbench/reset`, { method: 'POST' });
}

/** Runs a client script in a child process and returns the JSON line it prints. */
function client(script, cfg) {
  return new Promise((resolve, reject) => {
    const child = spawn(...pinned(CLIENT_CPUS, [join(here, 'clients', script), JSON.stringify(cfg)]), {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.once('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop())) : reject(new Error(`${script} exited ${code}`)),
    );
  });
}

async function requestBody(stream = false, maxTokens = MAX_TOKENS) {
  const { OpenAIClient, OpenAIOptionsSchema } = await import('@llmbench/backend-openai');
  const c = new OpenAIClient(OpenAIOptionsSchema.parse({}), 'http://127.0.0.1:1', { now: () => 0 }, 1);
  const body = c.body({ index: 0, messages: [{ role: 'user', content: PROMPT }], maxTokens, stream, warmup: false });
  await c.close();
  return body.toString();
}

async function overhead() {
  console.log('\n== overhead: llmbench vs autocannon, concurrency 64, zero-latency mock server, same request ==');
  const server = await startServer({ latency: { model: 'fixed', ms: 0 }, output_tokens: MAX_TOKENS });
  const body = await requestBody();
  const requests = Number(flag('requests', QUICK ? 30_000 : 150_000));
  const duration = Number(flag('duration', QUICK ? 2 : 6));
  const rows = [];
  let inprocess;
  try {
    for (let r = 1; r <= REPEATS; r++) {
      const order = r % 2 ? ['llmbench', 'autocannon', 'undici'] : ['undici', 'autocannon', 'llmbench'];
      const run = {};
      for (const who of order) {
        if (who === 'autocannon') {
          await resetServer(server.url);
          run.autocannon = await client('autocannon.mjs', { url: server.url, connections: 64, duration, body });
        } else if (who === 'undici') {
          await resetServer(server.url);
          run.undici = await client('undici.mjs', { url: server.url, connections: 64, requests, body });
        } else {
          for (const threads of THREADS) {
            await resetServer(server.url);
            run[`llmbench-${threads}`] = await client('llmbench.mjs', {
              url: server.url,
              concurrency: 64,
              requests,
              threads,
              warmup: QUICK ? 500 : 2000,
              prompt: PROMPT,
              maxTokens: MAX_TOKENS,
            });
            // What a run costs whatever its length (worker threads starting, modules loading, results merged).
            run[`llmbench-${threads}`].fixed_ms = (
              await client('llmbench.mjs', {
                url: server.url,
                concurrency: 1,
                requests: 1,
                threads,
                warmup: 0,
                prompt: PROMPT,
                maxTokens: MAX_TOKENS,
              })
            ).cpu_ms;
          }
        }
      }
      rows.push(run);
      for (const [name, x] of Object.entries(run)) {
        console.log(
          `  run ${r} ${name.padEnd(12)} ${fmt(x.rps, 0).padStart(7)} req/s  cpu ${fmt((x.cpu_ms * 1000) / x.requests, 2)} µs/req  p50 ${fmt(x.p50_ms, 2)} ms  p99 ${fmt(x.p99_ms, 2)} ms  (${x.requests} requests${x.non2xx ? `, ${x.non2xx} non-2xx` : ''}${x.errors ? `, ${x.errors} errors` : ''}${x.fixed_ms === undefined ? '' : `; a 1-request run costs ${fmt(x.fixed_ms, 0)} ms cpu`})`,
        );
      }
    }
    // The sending path alone, in one process, alternating with bare undici round by round.
    inprocess = await client('inprocess.mjs', {
      url: server.url,
      connections: 64,
      requests: QUICK ? 10_000 : 30_000,
      rounds: Math.max(3, 2 * REPEATS),
      body,
      prompt: PROMPT,
      maxTokens: MAX_TOKENS,
    });
  } finally {
    await server.stop();
  }
  const cpuPerRequest = (x) => (x.cpu_ms * 1000) / x.requests;
  const ac = rows.map((r) => r.autocannon);
  const un = rows.map((r) => r.undici);
  console.log(`\n  medians of ${REPEATS}; ratios from each run's own pair (llmbench / peer)`);
  console.log(
    `  ${'client'.padEnd(14)} ${'req/s'.padStart(8)} ${'cpu µs/req'.padStart(11)} ${'p99 ms'.padStart(8)} ${'req/s vs ac'.padStart(12)} ${'cpu vs ac'.padStart(10)} ${'req/s vs undici'.padStart(16)} ${'p99 vs undici'.padStart(14)}`,
  );
  const line = (name, xs, vsAc, vsUn) =>
    console.log(
      `  ${name.padEnd(14)} ${fmt(median(xs.map((x) => x.rps)), 0).padStart(8)} ${fmt(median(xs.map(cpuPerRequest)), 2).padStart(11)} ${fmt(median(xs.map((x) => x.p99_ms)), 2).padStart(8)} ` +
        `${(vsAc ? fmt(median(rows.map((r) => vsAc(r).rps / r.autocannon.rps)), 2) : '').padStart(12)} ${(vsAc ? fmt(median(rows.map((r) => cpuPerRequest(vsAc(r)) / cpuPerRequest(r.autocannon))), 2) : '').padStart(10)} ` +
        `${(vsUn ? fmt(median(rows.map((r) => vsUn(r).rps / r.undici.rps)), 2) : '').padStart(16)} ${(vsUn ? fmt(median(rows.map((r) => vsUn(r).p99_ms / r.undici.p99_ms)), 2) : '').padStart(14)}`,
    );
  line('autocannon', ac);
  line('bare undici', un, (r) => r.undici);
  for (const threads of THREADS)
    line(
      `llmbench -t ${threads}`,
      rows.map((r) => r[`llmbench-${threads}`]),
      (r) => r[`llmbench-${threads}`],
      (r) => r[`llmbench-${threads}`],
    );
  console.log('  (bare undici is the floor for any undici client: a Pool.dispatch loop with a minimal handler)');
  for (const threads of THREADS) {
    const key = `llmbench-${threads}`;
    const own = median(rows.map((r) => cpuPerRequest(r[key]) - cpuPerRequest(r.undici)));
    const marginal = median(
      rows.map((r) => ((r[key].cpu_ms - r[key].fixed_ms) * 1000) / (r[key].requests - 1) - cpuPerRequest(r.undici)),
    );
    const rps = median(rows.map((r) => r[key].rps / r.undici.rps));
    const p99 = median(rows.map((r) => r[key].p99_ms / r.undici.p99_ms));
    const ok = (x) => (x ? 'met' : 'NOT met');
    console.log(
      `  llmbench -t ${threads}: own overhead above bare undici ${fmt(own, 1)} µs CPU per request (target <= 8: ${ok(own <= 8)}); req/s ${fmt(rps, 2)}x bare undici (target >= 0.95: ${ok(rps >= 0.95)}); p99 ${fmt(p99, 2)}x (target <= 1.2: ${ok(p99 <= 1.2)})`,
    );
    console.log(
      `    of which per request, without the cost of starting a run (${fmt(median(rows.map((r) => r[key].fixed_ms)), 0)} ms cpu, from a 1-request run): ${fmt(marginal, 1)} µs`,
    );
  }
  console.log(`  vs autocannon (not an undici client): req/s target >= 1.00, cpu target <= 1.00; load average ${loadavg()}`);
  const pairs = inprocess.rounds.map((r) => r.llmbench - r.bare);
  console.log(
    `  sending path in one process (engine partition + backend-openai vs bare undici, ${inprocess.rounds.length} alternating rounds of ${QUICK ? '10,000' : '30,000'}): ` +
      `llmbench ${fmt(median(inprocess.rounds.map((r) => r.llmbench)), 1)}, bare undici ${fmt(median(inprocess.rounds.map((r) => r.bare)), 1)} µs CPU/request; ` +
      `own ${fmt(median(pairs), 1)} µs (rounds: ${pairs.map((x) => fmt(x, 1)).join(', ')})`,
  );
}

/** Streamed answers with no delay: client CPU per token against a bare undici + SSE parse floor. */
async function streaming() {
  const tokens = Number(flag('stream-tokens', 256));
  const requests = Number(flag('stream-requests', QUICK ? 600 : 3000));
  console.log(
    `\n== streaming: ${tokens} tokens per answer, concurrency 64, zero-latency mock server, ${requests} requests per client ==`,
  );
  const server = await startServer({ latency: { model: 'fixed', ms: 0 }, output_tokens: tokens });
  const body = await requestBody(true, tokens);
  const warmup = QUICK ? 64 : 200;
  const perToken = (x) => (x.cpu_ms * 1000) / x.cpu_tokens;
  const rows = [];
  try {
    for (let r = 1; r <= REPEATS; r++) {
      const order = r % 2 ? ['llmbench', 'floor'] : ['floor', 'llmbench'];
      const run = {};
      for (const who of order) {
        await resetServer(server.url);
        if (who === 'floor') run.floor = await client('undici-sse.mjs', { url: server.url, connections: 64, requests, body });
        else
          run.llmbench = await client('llmbench.mjs', {
            url: server.url,
            concurrency: 64,
            requests,
            threads: THREADS[0],
            warmup,
            prompt: PROMPT,
            maxTokens: tokens,
            stream: true,
          });
      }
      // The floor's CPU is for its tokens; llmbench's also for its warmup's, which its summary does not count.
      run.floor.cpu_tokens = run.floor.tokens;
      run.llmbench.cpu_tokens = run.llmbench.tokens * (1 + warmup / requests);
      rows.push(run);
      for (const [name, x] of Object.entries(run)) {
        console.log(
          `  run ${r} ${name.padEnd(9)} ${fmt(x.tokens / x.wall_s, 0).padStart(8)} tokens/s  cpu ${fmt(perToken(x), 3)} µs/token  ${fmt(1e6 / perToken(x), 0).padStart(8)} tokens per cpu-s  TTFT p50 ${fmt(x.ttft_p50_ms, 2)} ms  (${x.tokens} tokens${x.errors ? `, ${x.errors} errors` : ''})`,
        );
      }
    }
  } finally {
    await server.stop();
  }
  const lbPerToken = perToken;
  const perCpuSecond = (x) => 1e6 / x;
  console.log(`\n  medians of ${REPEATS}:`);
  console.log(
    `  ${'client'.padEnd(26)} ${'tokens/s'.padStart(9)} ${'cpu µs/token'.padStart(13)} ${'tokens per cpu-s'.padStart(17)} ${'cpu vs floor'.padStart(13)}`,
  );
  const fl = median(rows.map((r) => perToken(r.floor)));
  const lb = median(rows.map((r) => lbPerToken(r.llmbench)));
  const ratio = median(rows.map((r) => lbPerToken(r.llmbench) / perToken(r.floor)));
  console.log(
    `  ${'bare undici + SSE + JSON'.padEnd(26)} ${fmt(median(rows.map((r) => r.floor.tokens / r.floor.wall_s)), 0).padStart(9)} ${fmt(fl, 3).padStart(13)} ${fmt(perCpuSecond(fl), 0).padStart(17)}`,
  );
  console.log(
    `  ${`llmbench -t ${THREADS[0]}`.padEnd(26)} ${fmt(median(rows.map((r) => r.llmbench.tokens / r.llmbench.wall_s)), 0).padStart(9)} ${fmt(lb, 3).padStart(13)} ${fmt(perCpuSecond(lb), 0).padStart(17)} ${fmt(ratio, 2).padStart(13)}`,
  );
  const ok = (x) => (x ? 'met' : 'NOT met');
  console.log(
    `  targets: >= 300,000 tokens per client cpu-second (${ok(perCpuSecond(lb) >= 300_000)}); cpu per token <= 1.3x the floor (${ok(ratio <= 1.3)}); load average ${loadavg()}`,
  );
}

async function accuracy() {
  console.log(
    '\n== accuracy: llmbench latency vs the time the mock server recorded, and vs a bare undici client, same server, same run ==',
  );
  const cases = [
    { name: 'fixed 2 ms', mock: { latency: { model: 'fixed', ms: 2 } }, requests: QUICK ? 500 : 2000 },
    {
      name: '5 ms + jitter (normal, sd 1)',
      mock: { latency: { model: 'normal', mean_ms: 5, stddev_ms: 1 } },
      requests: QUICK ? 500 : 2000,
    },
    { name: 'fixed 50 ms', mock: { latency: { model: 'fixed', ms: 50 } }, requests: QUICK ? 100 : 400 },
  ];
  const body = await requestBody();
  const bound = (x) => Math.max(0.01 * x, 0.2);
  const rows = [];
  for (const c of cases) {
    const server = await startServer({ ...c.mock, output_tokens: MAX_TOKENS }, true);
    try {
      const serverPercentiles = async () => {
        const trace = (await serverStats(server.url)).trace.map(([s, e]) => e - s).sort((a, b) => a - b);
        const rank = (p) => trace[Math.max(0, Math.ceil((p / 100) * trace.length) - 1)];
        return { p50: rank(50), p99: rank(99) };
      };
      const reps = [];
      for (let r = 1; r <= REPEATS; r++) {
        await resetServer(server.url);
        const floor = await client('undici.mjs', { url: server.url, connections: 4, requests: c.requests, body });
        const floorServer = await serverPercentiles();
        await resetServer(server.url);
        const lb = await client('llmbench.mjs', {
          url: server.url,
          concurrency: 4,
          requests: c.requests,
          threads: 1,
          warmup: 0,
          prompt: PROMPT,
          maxTokens: MAX_TOKENS,
        });
        const lbServer = await serverPercentiles();
        reps.push({
          server50: lbServer.p50,
          server99: lbServer.p99,
          lb50: lb.p50_ms,
          lb99: lb.p99_ms,
          vsServer50: lb.p50_ms - lbServer.p50,
          vsServer99: lb.p99_ms - lbServer.p99,
          floorVsServer50: floor.p50_ms - floorServer.p50,
          floorVsServer99: floor.p99_ms - floorServer.p99,
          vsFloor50: lb.p50_ms - lbServer.p50 - (floor.p50_ms - floorServer.p50),
          vsFloor99: lb.p99_ms - lbServer.p99 - (floor.p99_ms - floorServer.p99),
        });
      }
      const m = (k) => median(reps.map((x) => x[k]));
      rows.push({ name: c.name, m });
    } finally {
      await server.stop();
    }
  }
  console.log(`  medians of ${REPEATS}; ms; "vs server" = measured - server-recorded (request headers to response flushed)`);
  console.log(
    `  ${'injected'.padEnd(30)} ${'server'.padStart(7)} ${'llmbench'.padStart(8)} ${'vs server'.padStart(9)} ${'undici vs server'.padStart(16)} ${'llmbench vs undici'.padStart(18)} ${'bound'.padStart(6)}`,
  );
  for (const { name, m } of rows) {
    for (const p of ['50', '99']) {
      const own = m(`vsFloor${p}`);
      console.log(
        `  ${`${name} p${p}`.padEnd(30)} ${fmt(m(`server${p}`), 3).padStart(7)} ${fmt(m(`lb${p}`), 3).padStart(8)} ${fmt(m(`vsServer${p}`), 3).padStart(9)} ${fmt(m(`floorVsServer${p}`), 3).padStart(16)} ${fmt(own, 3).padStart(18)} ${fmt(bound(m(`server${p}`)), 2).padStart(6)}  ${Math.abs(m(`vsServer${p}`)) <= bound(m(`server${p}`)) ? 'ok' : Math.abs(own) <= bound(m(`server${p}`)) ? 'harness ok (loopback floor exceeds bound)' : 'NO'}`,
      );
    }
  }
  console.log('  bound = max(1%, 0.2 ms); "undici vs server" is the loopback floor any client pays on this machine');
}

async function scale() {
  const requests = Number(flag('scale-requests', QUICK ? 50_000 : 1_000_000));
  console.log(`\n== scale: ${requests.toLocaleString('en-US')} requests, concurrency 64, zero-latency mock server ==`);
  const server = await startServer({ latency: { model: 'fixed', ms: 0 }, output_tokens: MAX_TOKENS });
  try {
    const run = await client('llmbench.mjs', {
      url: server.url,
      concurrency: 64,
      requests,
      threads: THREADS[0],
      warmup: 0,
      prompt: PROMPT,
      maxTokens: MAX_TOKENS,
    });
    const stats = await serverStats(server.url);
    console.log(
      `  requests measured ${run.measured}, server received ${stats.requests_received}, ${fmt(run.rps, 0)} req/s, wall ${fmt(run.wall_s, 1)} s`,
    );
    console.log(
      `  peak RSS of the llmbench process (all threads): ${fmt(run.max_rss_mb, 1)} MB   target <= 250 MB${requests === 1_000_000 ? '' : ' (for 1,000,000 requests)'}: ${run.max_rss_mb <= 250 ? 'yes' : 'NO'}`,
    );
  } finally {
    await server.stop();
  }
}

async function micro() {
  console.log('\n== micro: hot paths (tinybench) ==');
  const { Bench } = await import('tinybench');
  const { OpenAIClient, OpenAIOptionsSchema, SseParser, EventTemplate } = await import('@llmbench/backend-openai');
  const { Tally, Balancer, BALANCER_CLOCKS, Control, DEFAULT_BALANCER } = await import('@llmbench/core');
  const client = new OpenAIClient(OpenAIOptionsSchema.parse({}), 'http://127.0.0.1:1', { now: () => 0 }, 1);
  const messages = [{ role: 'user', content: PROMPT }];
  const reused = { index: 0, messages, maxTokens: 16, stream: false, warmup: false };
  const chunk = (i) =>
    `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":" tok${i}"},"finish_reason":null}]}\n\n`;
  const stream = Buffer.from(
    `${Array.from({ length: 16 }, (_, i) => chunk(i)).join('')}data: {"id":"c","choices":[],"usage":{"prompt_tokens":10,"completion_tokens":16}}\n\ndata: [DONE]\n\n`,
  );
  const half = stream.length >> 1;
  const response =
    '{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":" tok0 tok1 tok2 tok3"},"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"completion_tokens":16,"total_tokens":26}}';
  const tally = new Tally(1);
  let x = 0;
  const bench = new Bench({ time: QUICK ? 100 : 500 });
  bench
    .add('request body (prompt reused: cached)', () => void client.body(reused))
    .add(
      'request body (templated prompt: built)',
      () => void client.body({ ...reused, messages: [{ role: 'user', content: `${PROMPT} ${x++}` }] }),
    )
    .add('SSE parse, 16-token stream in 2 chunks + JSON per event', () => {
      let n = 0;
      const p = new SseParser((d) => {
        if (d !== '[DONE]') n += JSON.parse(d).choices.length;
      });
      p.push(stream.subarray(0, half));
      p.push(stream.subarray(half));
      p.end();
      return n;
    })
    .add("SSE parse, same stream, events read by template (the client's path)", () => {
      let n = 0;
      const template = new EventTemplate();
      let learned = 0;
      const p = new SseParser(
        (d) => {
          if (d === '[DONE]') return;
          const chunk = JSON.parse(d);
          n += chunk.choices.length;
          if (learned++ < 4) template.learn(d, chunk);
        },
        (buf, start, end) => {
          if (template.match(buf, start, end) < 0) return false;
          n++;
          return true;
        },
      );
      p.push(stream.subarray(0, half));
      p.push(stream.subarray(half));
      p.end();
      return n;
    })
    .add('SSE parse alone (events not decoded)', () => {
      let n = 0;
      const p = new SseParser(() => void n++);
      p.push(stream.subarray(0, half));
      p.push(stream.subarray(half));
      p.end();
      return n;
    })
    .add('JSON response parse', () => JSON.parse(response).usage.completion_tokens)
    .add('histogram record (tally.succeeded)', () => {
      tally.started(0, 0);
      tally.succeeded(0, 1 + (x++ % 1000) / 7);
    });
  // The balancer's per-request work (pick a server under its cap, then release and learn), against
  // the least any shared cap costs: one atomic increment and decrement.
  const slots = new Int32Array(new SharedArrayBuffer(4));
  bench.add('peer: Atomics.add + Atomics.sub on one slot', () => {
    Atomics.add(slots, 0, 1);
    Atomics.sub(slots, 0, 1);
  });
  const ok = { kind: 'ok' };
  for (const [policy, busy] of [
    ['latency-aware', true],
    ['least-outstanding', true],
    ['round-robin', true],
    ['latency-aware', false],
  ]) {
    const control = Control.create({ batches: 0, parties: 1 });
    const balancer = Balancer.create([5, 5, 5], { ...DEFAULT_BALANCER, policy }, control, BALANCER_CLOCKS);
    // Under load servers stay busy (no idle -> busy transitions to time); idle ones time each one.
    if (busy) for (let i = 0; i < 3; i++) balancer.tryAcquire(i);
    bench.add(`balancer ${policy}: pick + release, 3 ${busy ? 'busy' : 'idle'} servers`, () => {
      const s = balancer.tryAcquireUnqueued(x++);
      balancer.release(s, ok, 10 + (x % 7));
    });
  }
  await bench.run();
  for (const t of bench.tasks) {
    const r = t.result;
    console.log(
      `  ${t.name.padEnd(68)} ${fmt(r.throughput.mean, 0).padStart(12)} ops/s   ${fmt(r.latency.mean * 1e6, 0).padStart(8)} ns/op`,
    );
  }
  await client.close();
}

console.log(
  `llmbench bench${QUICK ? ' --quick' : ''}: repeats ${REPEATS}, threads ${THREADS.join(',')}${PIN ? `, pinned: server on CPU ${SERVER_CPUS}, clients on ${CLIENT_CPUS}` : ''}, load average ${loadavg()}, ${new Date().toISOString()}`,
);
if (want('overhead')) await overhead();
if (want('streaming')) await streaming();
if (want('accuracy')) await accuracy();
if (want('scale')) await scale();
if (want('micro')) await micro();
