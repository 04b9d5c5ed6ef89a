import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { z } from 'zod';
import {
  BALANCER_POLICIES, BENCHMARK_DEFAULTS, BENCHMARK_MODES, benchmarkScenario, compareResults, defaultThreads, loadScenario, PluginResolver,
  readResultsFile, redactText, runScenario, WORKLOAD_DEFAULTS,
  type BalancerPolicy, type BenchmarkOptions, type LoadedScenario, type RunOutcome,
} from '@llmbench/core';
import { FaultsSchema, MockOptionsSchema, startMockHttpServer } from '@llmbench/backend-mock';
import { ErrorCodes, LlmbenchError, PLUGIN_KINDS, writeFileAtomic, type Logger, type TextSink } from '@llmbench/plugin-api';
import { BUILTIN_PACKAGES, builtinPlugins } from './builtins.js';
import { registerNewPlugin } from './commands/new-plugin.js';
import { registerProcess } from './commands/process.js';
import { renderComparisonMarkdown, renderComparisonText } from './compare.js';
import { renderReport, REPORT_FORMATS, type ReportFormat } from './report.js';
import { displayPath, exitCodeFor, ExitCode, renderError } from './render.js';

export { ExitCode } from './render.js';
export { BUILTIN_PACKAGES, builtinPlugins } from './builtins.js';

export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export interface CliIO {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** Aborts the run (SIGINT in the real CLI). */
  readonly signal?: AbortSignal;
}

const EXIT_CODES_HELP = `
Exit codes:
  0  success
  1  the run finished but a threshold failed
  2  usage or configuration error (bad flags, invalid scenario, unknown plugin)
  3  runtime error or interrupted (Ctrl-C); results measured so far are still written
`;

/**
 * What `llmbench mock-server --profile` starts. All profiles speak every dialect (OpenAI /v1, vLLM
 * /metrics); they differ in port and in how the simulated server behaves. The vllm profile is a
 * shared GPU whose step time grows with the batch, so 50 in flight buy throughput with latency, as in
 * the batch-vs-semaphore study.
 */
const MOCK_PROFILES: Record<string, { port: number; mock: Record<string, unknown>; prefillMsPer1kTokens: number }> = {
  openai: { port: 8000, mock: {}, prefillMsPer1kTokens: 0 },
  vllm: { port: 8000, mock: { latency: { model: 'shared', step_ms: 0.12, per_request_ms: 0.03, jitter: 0.2 }, output_tokens: 16 }, prefillMsPer1kTokens: 10 },
  lmstudio: { port: 1234, mock: { latency: { model: 'tokens', ttft_ms: 40, itl_ms: 20 }, output_tokens: 16 }, prefillMsPer1kTokens: 40 },
};

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number >= 1');
  return n;
}

/** Collects a variadic option's values (`--concurrency-levels 5 10 20`) as whole numbers >= 1. */
function intList(value: string, previous: number[] | undefined): number[] {
  return [...(previous ?? []), positiveInt(value)];
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number >= 0');
  return n;
}

function portNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port from 0 to 65535 (0 picks a free one)');
  return n;
}

/** A listen failure the user can fix (a busy port, an address not on this machine) as a usage error. */
function listenError(error: unknown, host: string, port: number): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const where = `${host}:${port}`;
  if (code === 'EADDRINUSE') return new LlmbenchError(ErrorCodes.USAGE, `port ${port} is already in use (${where})`, { cause: error, hint: 'stop what is listening there, or pick another --port (0 picks a free one)' });
  if (code === 'EACCES') return new LlmbenchError(ErrorCodes.USAGE, `no permission to listen on port ${port} (${where})`, { cause: error, hint: 'use a port above 1023, or 0 for a free one' });
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new LlmbenchError(ErrorCodes.USAGE, `cannot listen on --host ${host}: not an address of this machine`, { cause: error, hint: 'use 127.0.0.1, 0.0.0.0 or an address of this machine' });
  return error;
}

function processIO(): CliIO {
  const stop = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (++interrupts > 1) process.exit(130);
    process.stderr.write(`\n${signal}: stopping; press Ctrl-C again to quit at once\n`);
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A closed terminal: stop as for Ctrl-C, so what was measured is written.
  process.on('SIGHUP', onSignal);
  return {
    signal: stop.signal,
    stdout: { write: (t) => void process.stdout.write(t), isTTY: Boolean(process.stdout.isTTY) },
    stderr: { write: (t) => void process.stderr.write(t), isTTY: Boolean(process.stderr.isTTY) },
    cwd: process.cwd(),
    env: process.env,
  };
}

/** Runs the CLI and returns the exit code. Never throws; never prints a stack trace without --debug. */
export async function main(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  let exitCode: number = ExitCode.OK;
  const debug = argv.includes('--debug');
  const program = new Command()
    .name('llmbench')
    .description('Load-test LLM inference servers with declarative scenario files.')
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .addOption(new Option('--debug', 'show stack traces and debug logs'))
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .addHelpText('after', EXIT_CODES_HELP);

  // What the loaded scenario holds as secrets: nothing the CLI prints may repeat them.
  let secrets: ReadonlySet<string> = new Set();
  const stderr = (text: string): void => io.stderr.write(redactText(text, secrets));
  const loaded = (scenario: LoadedScenario): LoadedScenario => {
    secrets = scenario.secrets;
    return scenario;
  };
  const warned = new Set<string>();
  const logger: Logger = {
    debug: (m) => void (debug && stderr(`debug: ${m}\n`)),
    info: (m) => stderr(`${m}\n`),
    // A sweep opens its servers once per point: say each distinct warning once.
    warn: (m) => {
      if (warned.has(m)) return;
      warned.add(m);
      stderr(`warning: ${m}\n`);
    },
    error: (m) => stderr(`error: ${m}\n`),
  };

  program
    .command('run')
    .description('run a scenario and write its reports')
    .argument('<scenario>', 'scenario file (.yaml, .yml or .json)')
    .option('-o, --out <dir>', 'write every report file under DIR instead of where the scenario says')
    .option('-t, --threads <n>', `worker threads sending requests (default ${defaultThreads()} on this machine)`, positiveInt)
    .option('--raw <file>', 'also write one JSON line per measured request to FILE (streamed)')
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (file: string, opts: { out?: string; threads?: number; raw?: string }) => {
      const scenario = loaded(await load(file, io));
      const outcome = await runScenario(scenario, {
        version: VERSION,
        ...(opts.out === undefined ? {} : { outDir: opts.out }),
        ...(opts.threads === undefined ? {} : { threads: opts.threads }),
        ...(opts.raw === undefined ? {} : { rawPath: resolve(io.cwd, opts.raw) }),
        cwd: io.cwd,
        out: io.stdout,
        logger,
        ...(io.signal ? { signal: io.signal } : {}),
      });
      exitCode = finish(outcome);
    });

  /** Lists the files a run wrote and its errors; returns the exit code. */
  const finish = (outcome: RunOutcome): number => {
    for (const f of outcome.files) io.stdout.write(`wrote ${displayPath(f, io.cwd)}\n`);
    for (const e of outcome.errors) stderr(renderError(e, { cwd: io.cwd, debug }));
    if (outcome.errors.length > 0) return ExitCode.RUNTIME;
    if (outcome.results.status === 'interrupted') return ExitCode.RUNTIME;
    if (!outcome.results.passed) return ExitCode.THRESHOLDS_FAILED;
    return ExitCode.OK;
  };

  program
    .command('benchmark')
    .description('the seed benchmark script: concurrency and worker scaling tests over a workers file, written as its JSON')
    .requiredOption('-c, --config <file>', 'workers file: {"workers": [{"id", "host", "port", "type", "model", "max_concurrent_requests"}]}')
    .addOption(new Option('--mode <mode>', 'which tests to run').choices(BENCHMARK_MODES).default(BENCHMARK_DEFAULTS.mode))
    .option('--requests <n>', 'requests per concurrency level / worker count', positiveInt, BENCHMARK_DEFAULTS.requests)
    .option('--concurrency-levels <n...>', `concurrency levels (default: ${BENCHMARK_DEFAULTS.concurrencyLevels.join(' ')})`, intList)
    .option('--worker-counts <n...>', `worker counts, capped at the workers in the file (default: ${BENCHMARK_DEFAULTS.workerCounts.join(' ')})`, intList)
    .option('-o, --output <file>', '"{timestamp}" is replaced', BENCHMARK_DEFAULTS.output)
    .option('--warmup <n>', `requests sent before each point to warm the workers up, not measured (default ${BENCHMARK_DEFAULTS.warmup}; 0 for none)`, nonNegativeInt)
    .option('--runs <n>', 'runs of every point, reported as mean ± 95% confidence interval (default 1)', positiveInt)
    .option('--max-tokens <n>', 'max_tokens sent with each request', positiveInt)
    .option('--timeout-ms <ms>', `whole-request timeout (default ${WORKLOAD_DEFAULTS.timeout_ms})`, positiveInt)
    .addOption(new Option('--balancer <policy>', 'how requests are spread over workers (default latency-aware)').choices(BALANCER_POLICIES))
    .option('-t, --threads <n>', `worker threads sending requests (default ${defaultThreads()} on this machine)`, positiveInt)
    .addHelpText('after', `
The JSON has concurrency_benchmark[] and scaling_benchmark[] entries (concurrency, requests_per_second,
success_rate in %, avg/p50/p95/p99_response_time in seconds, worker_stats per worker), so the seed's jq
one-liners and comparison script run on it unchanged; the full llmbench results are under "results".
${EXIT_CODES_HELP}`)
    .action(async (opts: {
      config: string; mode: BenchmarkOptions['mode']; requests: number; concurrencyLevels?: number[]; workerCounts?: number[]; output: string;
      warmup?: number; runs?: number; maxTokens?: number; timeoutMs?: number; balancer?: BalancerPolicy; threads?: number;
    }) => {
      if (!existsSync(resolve(io.cwd, opts.config))) {
        throw new LlmbenchError(ErrorCodes.FILE_NOT_FOUND, `--config ${opts.config}: no such file`, {
          hint: 'pass the workers file, e.g. -c config/my_workers.json ({"workers": [{"id", "host", "port", "type", "model", "max_concurrent_requests"}]})',
        });
      }
      const generated = benchmarkScenario({
        config: opts.config,
        mode: opts.mode,
        requests: opts.requests,
        concurrencyLevels: opts.concurrencyLevels ?? BENCHMARK_DEFAULTS.concurrencyLevels,
        workerCounts: opts.workerCounts ?? BENCHMARK_DEFAULTS.workerCounts,
        output: opts.output,
        ...(opts.warmup === undefined ? {} : { warmup: opts.warmup }),
        ...(opts.runs === undefined ? {} : { runs: opts.runs }),
        ...(opts.maxTokens === undefined ? {} : { maxTokens: opts.maxTokens }),
        ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
        ...(opts.balancer === undefined ? {} : { balancer: opts.balancer }),
        cwd: io.cwd,
      });
      const scenario = loaded(await loadScenario(generated.file, { builtins: builtinPlugins(), env: io.env, text: generated.text }));
      const warmup = opts.warmup ?? BENCHMARK_DEFAULTS.warmup;
      io.stdout.write(warmup > 0 ? `benchmark: ${warmup} warm-up requests before each point (not measured; --warmup 0 for none)\n` : 'benchmark: no warm-up (--warmup 0)\n');
      const outcome = await runScenario(scenario, {
        version: VERSION,
        ...(opts.threads === undefined ? {} : { threads: opts.threads }),
        cwd: io.cwd,
        out: io.stdout,
        logger,
        ...(io.signal ? { signal: io.signal } : {}),
      });
      exitCode = finish(outcome);
    });

  /** Prints a rendered report, or writes it (atomically) to `output` and says where. */
  const emit = async (text: string, output: string | undefined): Promise<void> => {
    if (output === undefined) return void io.stdout.write(text);
    const out = resolve(io.cwd, output);
    await writeFileAtomic(out, text);
    io.stdout.write(`wrote ${displayPath(out, io.cwd)}\n`);
  };

  program
    .command('report')
    .description('re-render a report from a results file alone (no re-run): the same Markdown the run wrote, or the console summary')
    .argument('<results>', 'results file from "llmbench run" (json reporter) or "llmbench benchmark"')
    .addOption(new Option('-f, --format <format>', 'md: the markdown reporter\'s document (with the options the scenario gave it); console: the console summary').choices(REPORT_FORMATS).default('md'))
    .option('-o, --output <file>', 'write to FILE instead of stdout')
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (file: string, opts: { format: ReportFormat; output?: string }) => {
      const results = await readResultsFile(resolve(io.cwd, file));
      const text = renderReport(results, opts.format);
      await emit(text, opts.output);
    });

  program
    .command('compare')
    .description('the seed\'s speedup table for two or more results files of the same scenario (points matched by name)')
    .argument('<files...>', 'results files from "llmbench run" (json reporter) or "llmbench benchmark"; the first is the baseline')
    .addOption(new Option('-f, --format <format>', 'console table or Markdown').choices(['console', 'md']).default('console'))
    .option('-o, --output <file>', 'write the table to FILE instead of stdout')
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (files: string[], opts: { format: 'console' | 'md'; output?: string }) => {
      const paths = files.map((f) => resolve(io.cwd, f));
      const inputs = [];
      for (const file of paths) inputs.push({ file, results: await readResultsFile(file) });
      const comparison = compareResults(inputs, io.cwd);
      const text = opts.format === 'md' ? renderComparisonMarkdown(comparison) : renderComparisonText(comparison);
      await emit(text, opts.output);
    });

  program
    .command('validate')
    .description('check a scenario file (and the project config it uses) without running it')
    .argument('<scenario>', 'scenario file (.yaml, .yml or .json)')
    .action(async (file: string) => {
      const scenario = await load(file, io);
      io.stdout.write(redactText(describeScenario(scenario, io.cwd), scenario.secrets));
    });

  program
    .command('mock-server')
    .description('serve an OpenAI-style mock LLM on loopback, driven by the mock latency models')
    .option('--profile <name>', 'defaults of a server kind: vllm (port 8000, shared-GPU latency), lmstudio (port 1234), openai (port 8000)', 'openai')
    .option('-p, --port <port>', 'port (0 picks a free one; default from the profile)', portNumber)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--latency-ms <ms>', 'fixed latency per request (shorthand for --options \'{"latency":{"model":"fixed","ms":N}}\')', Number)
    .option('--options <json>', 'mock options as JSON: latency, output_tokens, error_rate, seed (see llmbench plugins)')
    .option('--faults <json>', 'fault injection as JSON: rate, kinds (http_500, http_429, slow_first_byte, stall, reset, reset_mid_answer, malformed_json, malformed_sse), retry_after_s, slow_first_byte_ms, stall_ms, seed')
    .option('--prefill-ms <ms>', 'ms per 1,000 prompt tokens not in the prefix cache (default from the profile)', Number)
    .option('--trace', 'record each request\'s server-side start and end (GET /llmbench/stats)')
    .option('--model <id...>', 'model ids the server lists as loaded (default: mock-model)')
    .option('-n, --count <n>', 'start N independent servers on consecutive ports (a local stand-in for N machines)', positiveInt, 1)
    .action(async (opts: { profile: string; port?: number; host: string; latencyMs?: number; options?: string; faults?: string; prefillMs?: number; trace?: boolean; count: number; model?: string[] }) => {
      const profile = MOCK_PROFILES[opts.profile];
      if (!profile) throw new LlmbenchError(ErrorCodes.USAGE, `unknown profile "${opts.profile}"; use one of: ${Object.keys(MOCK_PROFILES).join(', ')}`);
      let mock: Record<string, unknown> = { ...profile.mock };
      try {
        mock = { ...mock, ...(opts.options ? (JSON.parse(opts.options) as Record<string, unknown>) : {}) };
      } catch (error) {
        throw new LlmbenchError(ErrorCodes.USAGE, `--options is not valid JSON: ${(error as Error).message}`);
      }
      if (opts.latencyMs !== undefined) mock = { ...mock, latency: { model: 'fixed', ms: opts.latencyMs } };
      const parsed = MockOptionsSchema.safeParse(mock);
      if (!parsed.success) throw new LlmbenchError(ErrorCodes.USAGE, `invalid mock options: ${z.prettifyError(parsed.error)}`);
      let faults: Record<string, unknown> = {};
      try {
        faults = opts.faults ? (JSON.parse(opts.faults) as Record<string, unknown>) : {};
      } catch (error) {
        throw new LlmbenchError(ErrorCodes.USAGE, `--faults is not valid JSON: ${(error as Error).message}`);
      }
      const faultsParsed = FaultsSchema.safeParse(faults);
      if (!faultsParsed.success) throw new LlmbenchError(ErrorCodes.USAGE, `invalid --faults: ${z.prettifyError(faultsParsed.error)}`);
      const port = opts.port ?? profile.port;
      if (opts.count > 1 && port === 0) throw new LlmbenchError(ErrorCodes.USAGE, '--count needs a fixed first --port (servers take consecutive ports)');
      if (port + opts.count - 1 > 65535) throw new LlmbenchError(ErrorCodes.USAGE, `--port ${port} with --count ${opts.count} goes past port 65535`, { hint: 'start lower, or start fewer servers' });
      const servers = [];
      try {
        for (let i = 0; i < opts.count; i++) {
          const at = port === 0 ? 0 : port + i;
          const server = await startMockHttpServer({
            host: opts.host,
            port: at,
            // Each server its own seed, so N servers are N machines, not N copies of one.
            mock: { ...parsed.data, seed: (parsed.data.seed ?? 1) + i },
            faults: { ...faultsParsed.data, seed: faultsParsed.data.seed + i },
            prefillMsPer1kTokens: opts.prefillMs ?? profile.prefillMsPer1kTokens,
            ...(opts.trace ? { trace: true } : {}),
            ...(opts.model ? { models: opts.model } : {}),
          }).catch((error: unknown) => {
            throw listenError(error, opts.host, at);
          });
          servers.push(server);
          io.stdout.write(`mock server (${opts.profile}) listening on ${server.url}\n`);
        }
        await new Promise<void>((resolveStop) => {
          if (io.signal) io.signal.addEventListener('abort', () => resolveStop(), { once: true });
        });
      } finally {
        await Promise.all(servers.map((s) => s.close()));
      }
    });

  program
    .command('plugins')
    .description('list the built-in plugins and their options')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      const list = await listPlugins(io.cwd);
      io.stdout.write(opts.json ? `${JSON.stringify(list, null, 2)}\n` : renderPlugins(list));
    });

  registerNewPlugin(program, io);
  registerProcess(program, io, { version: VERSION, logger, debug, setExitCode: (code) => void (exitCode = code) });

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return ExitCode.OK;
      return ExitCode.USAGE;
    }
    stderr(renderError(error, { cwd: io.cwd, debug }));
    return exitCodeFor(error);
  }
  return exitCode;
}

async function load(file: string, io: CliIO): Promise<LoadedScenario> {
  return loadScenario(file.startsWith('/') ? file : `${io.cwd}/${file}`, { builtins: builtinPlugins(), env: io.env });
}

function describeScenario(s: LoadedScenario, cwd: string): string {
  const lines = [`${displayPath(s.file, cwd)} is valid${s.configFile ? ` (project config: ${displayPath(s.configFile, cwd)})` : ''}`];
  lines.push(`  servers: ${s.servers.map((v) => `${v.id} [${v.backend.resolved.ref}${v.url ? ` ${v.url}` : ''}${Number.isFinite(v.maxConcurrentRequests) ? `, max ${v.maxConcurrentRequests}` : ''}]`).join(', ')}`);
  for (const e of s.experiments) {
    lines.push(`  experiment ${e.name}: ${e.strategy.resolved.ref} ${JSON.stringify(e.strategy.options)}, ${e.workload.requests} ${e.workload.conversations ? 'conversations' : 'requests'} x ${e.runs} run(s)${e.workload.warmup ? `, ${e.workload.warmup} warmup` : ''}${e.servers.length > 1 ? `, balancer ${e.balancer.policy}` : ''}`);
  }
  lines.push(`  reporters: ${s.reporters.map((r) => r.resolved.ref).join(', ')}`);
  return `${lines.join('\n')}\n`;
}

interface PluginInfo {
  kind: string;
  name: string;
  package: string;
  description: string;
  options: Record<string, { type: string; default?: unknown; description?: string }>;
}

async function listPlugins(cwd: string): Promise<PluginInfo[]> {
  const resolver = new PluginResolver({ builtins: builtinPlugins(), baseDir: cwd });
  const out: PluginInfo[] = [];
  for (const [key, pkg] of Object.entries(BUILTIN_PACKAGES)) {
    const [kind, name] = key.split(':') as [(typeof PLUGIN_KINDS)[number], string];
    const { plugin } = await resolver.resolve(kind, name);
    const schema = z.toJSONSchema(plugin.options, { io: 'input', unrepresentable: 'any' }) as {
      properties?: Record<string, { type?: string; default?: unknown; description?: string; anyOf?: unknown[]; oneOf?: unknown[] }>;
    };
    const options: PluginInfo['options'] = {};
    for (const [opt, prop] of Object.entries(schema.properties ?? {})) {
      options[opt] = {
        type: prop.type ?? (prop.oneOf || prop.anyOf ? 'object' : 'any'),
        ...(prop.default === undefined ? {} : { default: prop.default }),
        ...(prop.description === undefined ? {} : { description: prop.description }),
      };
    }
    out.push({ kind, name, package: pkg, description: plugin.description ?? '', options });
  }
  return out;
}

function renderPlugins(list: readonly PluginInfo[]): string {
  const lines: string[] = [];
  for (const kind of PLUGIN_KINDS) {
    const ofKind = list.filter((p) => p.kind === kind);
    if (ofKind.length === 0) continue;
    lines.push(`${kind === 'strategy' ? 'strategies' : `${kind}s`}:`);
    for (const p of ofKind) {
      lines.push(`  ${p.name.padEnd(12)} ${p.description} (${p.package})`);
      for (const [opt, info] of Object.entries(p.options)) {
        const def = info.default === undefined ? '' : ` = ${JSON.stringify(info.default)}`;
        lines.push(`    ${opt}: ${info.type}${def}${info.description ? `  ${info.description}` : ''}`);
      }
    }
  }
  lines.push('', 'Other plugins resolve as @llmbench/<kind>-<name>, or by package name or path.');
  return `${lines.join('\n')}\n`;
}
