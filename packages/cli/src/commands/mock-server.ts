import type { Command } from 'commander';
import { z } from 'zod';
import {
  DEFAULT_MOCK_PROFILE,
  FAULT_KINDS,
  FaultsSchema,
  MOCK_PROFILES,
  MockOptionsSchema,
  mockProfile,
  nthServerSeeds,
  startMockHttpServer,
} from '@llmbench/backend-mock';
import { ErrorCodes, LlmbenchError } from '@llmbench/plugin-api';
import { portNumber, positiveInt } from '../args.js';
import type { CommandContext } from '../context.js';

interface MockServerFlags {
  profile: string;
  port?: number;
  host: string;
  latencyMs?: number;
  options?: string;
  faults?: string;
  prefillMs?: number;
  trace?: boolean;
  count: number;
  model?: string[];
}

const profilesHelp = Object.entries(MOCK_PROFILES)
  .map(([name, p]) => `${name} (port ${p.port}${'note' in p ? `, ${p.note}` : ''})`)
  .join(', ');

const faultFields = Object.keys(FaultsSchema.shape)
  .map((key) => (key === 'kinds' ? `kinds (${FAULT_KINDS.join(', ')})` : key))
  .join(', ');

/** `llmbench mock-server`: the mock backend served over HTTP on loopback, until stopped. */
export function registerMockServer(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  program
    .command('mock-server')
    .description('serve an OpenAI-style mock LLM on loopback, driven by the mock latency models')
    .option('--profile <name>', `defaults of a server kind: ${profilesHelp}`, DEFAULT_MOCK_PROFILE)
    .option('-p, --port <port>', 'port (0 picks a free one; default from the profile)', portNumber)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option(
      '--latency-ms <ms>',
      'fixed latency per request (shorthand for --options \'{"latency":{"model":"fixed","ms":N}}\')',
      Number,
    )
    .option('--options <json>', `mock options as JSON: ${Object.keys(MockOptionsSchema.shape).join(', ')} (see llmbench plugins)`)
    .option('--faults <json>', `fault injection as JSON: ${faultFields}`)
    .option('--prefill-ms <ms>', 'ms per 1,000 prompt tokens not in the prefix cache (default from the profile)', Number)
    .option('--trace', "record each request's server-side start and end (GET /llmbench/stats)")
    .option('--model <id...>', 'model ids the server lists as loaded (default: mock-model)')
    .option(
      '-n, --count <n>',
      'start N independent servers on consecutive ports (a local stand-in for N machines)',
      positiveInt,
      1,
    )
    .action(async (opts: MockServerFlags) => {
      const profile = mockProfile(opts.profile);
      if (!profile)
        throw new LlmbenchError(
          ErrorCodes.USAGE,
          `unknown profile "${opts.profile}"; use one of: ${Object.keys(MOCK_PROFILES).join(', ')}`,
        );
      let mock: Record<string, unknown> = { ...profile.mock, ...parseJson(opts.options, '--options') };
      if (opts.latencyMs !== undefined) mock = { ...mock, latency: { model: 'fixed', ms: opts.latencyMs } };
      const parsed = MockOptionsSchema.safeParse(mock);
      if (!parsed.success) throw new LlmbenchError(ErrorCodes.USAGE, `invalid mock options: ${z.prettifyError(parsed.error)}`);
      const faultsParsed = FaultsSchema.safeParse(parseJson(opts.faults, '--faults'));
      if (!faultsParsed.success)
        throw new LlmbenchError(ErrorCodes.USAGE, `invalid --faults: ${z.prettifyError(faultsParsed.error)}`);
      const port = opts.port ?? profile.port;
      if (opts.count > 1 && port === 0)
        throw new LlmbenchError(ErrorCodes.USAGE, '--count needs a fixed first --port (servers take consecutive ports)');
      if (port + opts.count - 1 > 65535)
        throw new LlmbenchError(ErrorCodes.USAGE, `--port ${port} with --count ${opts.count} goes past port 65535`, {
          hint: 'start lower, or start fewer servers',
        });
      const servers = [];
      try {
        for (let i = 0; i < opts.count; i++) {
          const at = port === 0 ? 0 : port + i;
          const seeds = nthServerSeeds({ mock: parsed.data.seed, faults: faultsParsed.data.seed }, i);
          const server = await startMockHttpServer({
            host: opts.host,
            port: at,
            mock: { ...parsed.data, seed: seeds.mock },
            faults: { ...faultsParsed.data, seed: seeds.faults },
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
}

function parseJson(text: string | undefined, flag: string): Record<string, unknown> {
  if (!text) return {};
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new LlmbenchError(ErrorCodes.USAGE, `${flag} is not valid JSON: ${(error as Error).message}`);
  }
}

/** A listen failure the user can fix (a busy port, an address not on this machine) as a usage error. */
function listenError(error: unknown, host: string, port: number): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const where = `${host}:${port}`;
  if (code === 'EADDRINUSE')
    return new LlmbenchError(ErrorCodes.USAGE, `port ${port} is already in use (${where})`, {
      cause: error,
      hint: 'stop what is listening there, or pick another --port (0 picks a free one)',
    });
  if (code === 'EACCES')
    return new LlmbenchError(ErrorCodes.USAGE, `no permission to listen on port ${port} (${where})`, {
      cause: error,
      hint: 'use a port above 1023, or 0 for a free one',
    });
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return new LlmbenchError(ErrorCodes.USAGE, `cannot listen on --host ${host}: not an address of this machine`, {
      cause: error,
      hint: 'use 127.0.0.1, 0.0.0.0 or an address of this machine',
    });
  return error;
}
