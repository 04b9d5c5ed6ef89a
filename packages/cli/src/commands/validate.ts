import type { Command } from 'commander';
import { redactText, type LoadedScenario } from '@llmbench/core';
import { loadScenarioFile, type CommandContext } from '../context.js';
import { displayPath } from '../render.js';

/** `llmbench validate`: a scenario checked and described, not run. */
export function registerValidate(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  program
    .command('validate')
    .description('check a scenario file (and the project config it uses) without running it')
    .argument('<scenario>', 'scenario file (.yaml, .yml or .json)')
    .action(async (file: string) => {
      const scenario = await loadScenarioFile(file, io);
      io.stdout.write(redactText(describeScenario(scenario, io.cwd), scenario.secrets));
    });
}

function describeScenario(s: LoadedScenario, cwd: string): string {
  const lines = [
    `${displayPath(s.file, cwd)} is valid${s.configFile ? ` (project config: ${displayPath(s.configFile, cwd)})` : ''}`,
  ];
  lines.push(
    `  servers: ${s.servers.map((v) => `${v.id} [${v.backend.resolved.ref}${v.url ? ` ${v.url}` : ''}${Number.isFinite(v.maxConcurrentRequests) ? `, max ${v.maxConcurrentRequests}` : ''}]`).join(', ')}`,
  );
  for (const e of s.experiments) {
    lines.push(
      `  experiment ${e.name}: ${e.strategy.resolved.ref} ${JSON.stringify(e.strategy.options)}, ${e.workload.requests} ${e.workload.conversations ? 'conversations' : 'requests'} x ${e.runs} run(s)${e.workload.warmup ? `, ${e.workload.warmup} warmup` : ''}${e.servers.length > 1 ? `, balancer ${e.balancer.policy}` : ''}`,
    );
  }
  lines.push(`  reporters: ${s.reporters.map((r) => r.resolved.ref).join(', ')}`);
  return `${lines.join('\n')}\n`;
}
