import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import {
  BALANCER_POLICIES,
  DEFAULT_BALANCER,
  INDEX_FILE,
  loadScenario,
  planDirectoryJob,
  PROCESS_DEFAULTS,
  processScenario,
  resolvePreset,
  runScenario,
  withDirectoryJob,
  workersConcurrency,
  WORKLOAD_DEFAULTS,
  type BalancerPolicy,
  type DirectoryPlan,
  type ProcessOptions,
} from '@llmbench/core';
import { ErrorCodes, LlmbenchError, type RunResults } from '@llmbench/plugin-api';
import { formatMs, formatNumber, formatPercent } from '@llmbench/plugin-api/format';
import { builtinPlugins } from '../builtins.js';
import { WORKERS_FILE_SHAPE } from '../args.js';
import type { CommandContext } from '../context.js';
import { displayPath, ExitCode, renderError } from '../render.js';

interface ProcessFlags {
  config: string;
  input: string;
  out: string;
  preset: string;
  presetFile?: string;
  concurrency?: number;
  maxTokens?: number;
  timeoutMs?: number;
  stream?: boolean;
  systemPrompt?: string;
  balancer?: BalancerPolicy;
  threads?: number;
}

/**
 * `llmbench process`: the seed's `process_directory.py`. Every document of a folder x every prompt of
 * a preset, sent through the balancer to the workers file's workers; each answer saved under --out
 * as it arrives, and a run started again skips what is saved.
 */
export function registerProcess(program: Command, context: CommandContext): void {
  const { io } = context;
  const positive = (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new LlmbenchError(ErrorCodes.USAGE, `expected a whole number >= 1, got "${value}"`);
    return n;
  };
  program
    .command('process')
    .description(
      'the seed directory job: every document of a folder x every prompt of a preset, answers saved per document (resumable)',
    )
    .requiredOption('-c, --config <file>', `workers file: ${WORKERS_FILE_SHAPE}`)
    .requiredOption('-i, --input <dir>', 'folder of documents (.txt, .md; subfolders too)')
    .option(
      '-p, --preset <name>',
      'prompts asked of every document: built-in "research", or a preset of the project config or --preset-file',
      PROCESS_DEFAULTS.preset,
    )
    .option('--preset-file <file>', 'JSON or YAML: a list of prompts (strings or {id, prompt}), or {name: [prompts]}')
    .option('-o, --out <dir>', 'where answers go: OUT/<document>/<prompt-id>.md and OUT/index.jsonl', PROCESS_DEFAULTS.out)
    .option('--concurrency <n>', "tasks in flight (default: the workers' max_concurrent_requests summed)", positive)
    .option('--max-tokens <n>', 'max_tokens sent with each task', positive)
    .option('--timeout-ms <ms>', `whole-request timeout (default ${WORKLOAD_DEFAULTS.timeout_ms})`, positive)
    .option('--stream', 'ask for streamed answers')
    .option('--system-prompt <text>', 'system message of every task')
    .addOption(
      new Option('--balancer <policy>', `how tasks are spread over workers (default ${DEFAULT_BALANCER.policy})`).choices(
        BALANCER_POLICIES,
      ),
    )
    .option('-t, --threads <n>', 'worker threads sending requests', positive)
    .addHelpText(
      'after',
      `
Each task asks one prompt of one document: the request's user message is "Document: <path>", the
document's text, "---" and the prompt. Its answer is written to a temporary file, fsynced and renamed
to OUT/<document without extension>/<prompt-id>.md, then one line is appended to OUT/index.jsonl
(document, prompt, file, server, input_tokens, output_tokens, latency_ms, finished_at, bytes).
Run the same command again after Ctrl-C, a kill or failed tasks: it skips every task whose answer is
in the index and on disk whole, and does the rest. PDFs are read through their text (extracted once
into OUT/.text); a PDF with no text to extract (a scan) is skipped, with a note.

Exit codes: 0 every task has its answer; 1 some tasks failed (run again to retry them);
2 usage or configuration error; 3 runtime error or interrupted (answers saved so far are kept).
`,
    )
    .action(async (flags: ProcessFlags) => {
      const config = resolve(io.cwd, flags.config);
      if (!existsSync(config)) {
        throw new LlmbenchError(ErrorCodes.FILE_NOT_FOUND, `--config ${flags.config}: no such file`, {
          hint: `pass the workers file, e.g. -c config/my_workers.json (${WORKERS_FILE_SHAPE})`,
        });
      }
      const options: ProcessOptions = {
        config: flags.config,
        input: flags.input,
        out: flags.out,
        preset: flags.preset,
        ...(flags.presetFile === undefined ? {} : { presetFile: flags.presetFile }),
        ...(flags.maxTokens === undefined ? {} : { maxTokens: flags.maxTokens }),
        ...(flags.timeoutMs === undefined ? {} : { timeoutMs: flags.timeoutMs }),
        ...(flags.stream ? { stream: true } : {}),
        ...(flags.systemPrompt === undefined ? {} : { systemPrompt: flags.systemPrompt }),
        ...(flags.balancer === undefined ? {} : { balancer: flags.balancer }),
        cwd: io.cwd,
        env: io.env,
      };
      const prompts = await resolvePreset(flags.preset, {
        ...(flags.presetFile === undefined ? {} : { presetFile: flags.presetFile }),
        cwd: io.cwd,
        env: io.env,
      });
      const concurrency = flags.concurrency ?? (await workersConcurrency(config)) ?? 1;
      const generated = processScenario(options, 1, concurrency);
      // Validate the workers file before touching the out folder.
      const loaded = await loadScenario(generated.file, {
        builtins: builtinPlugins(),
        env: io.env,
        text: generated.text,
        ...(io.signal ? { signal: io.signal } : {}),
      });
      const plan = await planDirectoryJob({
        input: resolve(io.cwd, flags.input),
        out: resolve(io.cwd, flags.out),
        preset: flags.preset,
        prompts,
      });
      io.stdout.write(`${describePlan(plan, flags, io.cwd)}\n`);
      if (plan.job.pending.length === 0) {
        io.stdout.write(`Nothing to do: all ${plan.tasks} tasks have their answers in ${displayPath(plan.job.out, io.cwd)}.\n`);
        return;
      }
      const outcome = await runScenario(withDirectoryJob(loaded, plan.job), {
        version: context.version,
        ...(flags.threads === undefined ? {} : { threads: flags.threads }),
        cwd: io.cwd,
        out: io.stdout,
        logger: context.logger,
        ...(io.signal ? { signal: io.signal } : {}),
      });
      io.stdout.write(describeJob(plan, outcome.results, io.cwd));
      for (const e of outcome.errors) io.stderr.write(renderError(e, { cwd: io.cwd, debug: context.debug }));
      const failed = failedTasks(outcome.results);
      context.setExitCode(
        outcome.errors.length > 0 || outcome.results.status !== 'completed'
          ? ExitCode.RUNTIME
          : failed > 0
            ? ExitCode.THRESHOLDS_FAILED
            : ExitCode.OK,
      );
    });
}

/** Tasks the workers failed (a task stopped by Ctrl-C is not done, but did not fail). */
function failedTasks(results: RunResults): number {
  const s = results.experiments[0]?.summary;
  return s ? s.requests - s.successes - s.failures.aborted : 0;
}

function describePlan(plan: DirectoryPlan, flags: ProcessFlags, cwd: string): string {
  const docs = plan.job.documents.length;
  const lines = [
    `${displayPath(plan.job.input, cwd)}: ${docs} document${docs === 1 ? '' : 's'} x ${plan.job.prompts.length} prompts of preset "${flags.preset}" = ${plan.tasks} tasks` +
      (plan.done > 0
        ? `; ${plan.done} already done (in ${displayPath(`${plan.job.out}/${INDEX_FILE}`, cwd)}), ${plan.job.pending.length} to do`
        : ''),
  ];
  if (plan.pdfs > 0)
    lines.push(
      `note: skipped ${plan.pdfs} PDF${plan.pdfs === 1 ? '' : 's'} with no text to extract (scanned or damaged: ${plan.unreadablePdfs.slice(0, 3).join(', ')}${plan.pdfs > 3 ? ', ...' : ''}); convert them to .txt first (pdftotext, or OCR for scans)`,
    );
  if (plan.others > 0)
    lines.push(`note: skipped ${plan.others} file${plan.others === 1 ? '' : 's'} that are not .txt, .md or .pdf`);
  if (plan.repaired > 0)
    lines.push(
      `note: dropped ${plan.repaired} index line${plan.repaired === 1 ? '' : 's'} whose answer was missing, cut short or repeated; those tasks are done again`,
    );
  return lines.join('\n');
}

/** The seed's summary: tasks, time, tasks/min, and each worker's share of the tasks and busy fraction. */
function describeJob(plan: DirectoryPlan, results: RunResults, cwd: string): string {
  const e = results.experiments[0];
  if (!e) return '';
  const s = e.summary;
  const failed = failedTasks(results);
  const lines = [
    '',
    'DIRECTORY JOB',
    `  Tasks: ${plan.tasks} (${plan.done} done before this run, ${s.successes} saved now, ${failed} failed${results.status === 'interrupted' ? `, ${plan.job.pending.length - s.successes - failed} not done` : ''})`,
    `  Time: ${formatMs(s.wall_time_s * 1000)}`,
    `  Throughput: ${formatNumber(s.requests_per_second * 60)} tasks/min`,
    '  Worker utilization:',
    ...s.servers.map(
      (w) => `    ${w.id}: ${w.requests} tasks, ${formatPercent(w.load_share)} of tasks, busy ${formatPercent(w.busy_fraction)}`,
    ),
    `  Answers: ${displayPath(plan.job.out, cwd)}/<document>/<prompt>.md, index ${displayPath(`${plan.job.out}/${INDEX_FILE}`, cwd)}`,
  ];
  if (failed > 0 || results.status === 'interrupted')
    lines.push('  Run the same command again to do the remaining tasks (saved answers are skipped).');
  return `${lines.join('\n')}\n`;
}
