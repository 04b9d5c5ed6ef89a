import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import {
  BALANCER_POLICIES,
  BENCHMARK_DEFAULTS,
  BENCHMARK_MODES,
  benchmarkScenario,
  DEFAULT_BALANCER,
  defaultThreads,
  loadScenario,
  runScenario,
  SCENARIO_DEFAULTS,
  WORKLOAD_DEFAULTS,
  type BalancerPolicy,
  type BenchmarkOptions,
} from '@llmbench/core';
import { ErrorCodes, LlmbenchError } from '@llmbench/plugin-api';
import { EXIT_CODES_HELP, intList, nonNegativeInt, positiveInt, WORKERS_FILE_SHAPE } from '../args.js';
import { builtinPlugins } from '../builtins.js';
import { finishRun, type CommandContext } from '../context.js';

interface BenchmarkFlags {
  config: string;
  mode: BenchmarkOptions['mode'];
  requests: number;
  concurrencyLevels?: number[];
  workerCounts?: number[];
  output: string;
  warmup?: number;
  runs?: number;
  maxTokens?: number;
  timeoutMs?: number;
  balancer?: BalancerPolicy;
  threads?: number;
}

/** `llmbench benchmark`: the seed's benchmark script over a workers file, written as its JSON. */
export function registerBenchmark(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  program
    .command('benchmark')
    .description('the seed benchmark script: concurrency and worker scaling tests over a workers file, written as its JSON')
    .requiredOption('-c, --config <file>', `workers file: ${WORKERS_FILE_SHAPE}`)
    .addOption(new Option('--mode <mode>', 'which tests to run').choices(BENCHMARK_MODES).default(BENCHMARK_DEFAULTS.mode))
    .option('--requests <n>', 'requests per concurrency level / worker count', positiveInt, BENCHMARK_DEFAULTS.requests)
    .option(
      '--concurrency-levels <n...>',
      `concurrency levels (default: ${BENCHMARK_DEFAULTS.concurrencyLevels.join(' ')})`,
      intList,
    )
    .option(
      '--worker-counts <n...>',
      `worker counts, capped at the workers in the file (default: ${BENCHMARK_DEFAULTS.workerCounts.join(' ')})`,
      intList,
    )
    .option('-o, --output <file>', '"{timestamp}" is replaced', BENCHMARK_DEFAULTS.output)
    .option(
      '--warmup <n>',
      `requests sent before each point to warm the workers up, not measured (default ${BENCHMARK_DEFAULTS.warmup}; 0 for none)`,
      nonNegativeInt,
    )
    .option(
      '--runs <n>',
      `runs of every point, reported as mean ± 95% confidence interval (default ${SCENARIO_DEFAULTS.runs})`,
      positiveInt,
    )
    .option('--max-tokens <n>', 'max_tokens sent with each request', positiveInt)
    .option('--timeout-ms <ms>', `whole-request timeout (default ${WORKLOAD_DEFAULTS.timeout_ms})`, positiveInt)
    .addOption(
      new Option('--balancer <policy>', `how requests are spread over workers (default ${DEFAULT_BALANCER.policy})`).choices(
        BALANCER_POLICIES,
      ),
    )
    .option('-t, --threads <n>', `worker threads sending requests (default ${defaultThreads()} on this machine)`, positiveInt)
    .addHelpText(
      'after',
      `
The JSON has concurrency_benchmark[] and scaling_benchmark[] entries (concurrency, requests_per_second,
success_rate in %, avg/p50/p95/p99_response_time in seconds, worker_stats per worker), so the seed's jq
one-liners and comparison script run on it unchanged; the full llmbench results are under "results".
${EXIT_CODES_HELP}`,
    )
    .action(async (opts: BenchmarkFlags) => {
      if (!existsSync(resolve(io.cwd, opts.config))) {
        throw new LlmbenchError(ErrorCodes.FILE_NOT_FOUND, `--config ${opts.config}: no such file`, {
          hint: `pass the workers file, e.g. -c config/my_workers.json (${WORKERS_FILE_SHAPE})`,
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
      const scenario = ctx.loaded(
        await loadScenario(generated.file, {
          builtins: builtinPlugins(),
          env: io.env,
          text: generated.text,
          ...(io.signal ? { signal: io.signal } : {}),
        }),
      );
      const warmup = opts.warmup ?? BENCHMARK_DEFAULTS.warmup;
      io.stdout.write(
        warmup > 0
          ? `benchmark: ${warmup} warm-up requests before each point (not measured; --warmup 0 for none)\n`
          : 'benchmark: no warm-up (--warmup 0)\n',
      );
      const outcome = await runScenario(scenario, {
        version: ctx.version,
        ...(opts.threads === undefined ? {} : { threads: opts.threads }),
        cwd: io.cwd,
        out: io.stdout,
        logger: ctx.logger,
        ...(io.signal ? { signal: io.signal } : {}),
      });
      ctx.setExitCode(finishRun(outcome, ctx));
    });
}
