import { readFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startMockHttpServer, type MockHttpServer } from '@llmbench/backend-mock';
import type { BackendPlugin } from '@llmbench/plugin-api';
import {
  assertContract,
  mockServerControl,
  runBackendContract,
  summarizeContract,
  type ContractServer,
} from '@llmbench/plugin-api/testing';

const fixture = fileURLToPath(new URL('./__fixtures__/tiny-completions.mjs', import.meta.url));
const guide = fileURLToPath(new URL('../../../docs/plugins.md', import.meta.url));

const STREAM_CHECKS = [
  'stream: a streamed request succeeds',
  'stream: the server received a request for a stream',
  'stream: first token time is recorded after the send',
  'stream: chunk times are recorded in order',
  'stream: sentAt and endedAt, when given, lie within the send() call around the chunk times',
  'stream: output tokens are known (server usage or counted)',
];

let server: MockHttpServer;
let plugin: BackendPlugin;

beforeAll(async () => {
  server = await startMockHttpServer({ mock: { latency: { model: 'tokens', ttft_ms: 5, itl_ms: 2 }, output_tokens: 6 } });
  plugin = ((await import(pathToFileURL(fixture).href)) as { default: BackendPlugin }).default;
});

afterAll(() => server.close());

test("the plugin guide's example backend is the fixture, byte for byte", async () => {
  const doc = await readFile(guide, 'utf8');
  const blocks = [...doc.matchAll(/^```js\n([\s\S]*?)^```$/gm)]
    .map((m) => m[1]!)
    .filter((code) => code.startsWith('// tiny-completions.mjs:'));
  expect(blocks).toHaveLength(1);
  expect(blocks[0]).toBe(await readFile(fixture, 'utf8'));
});

test("the guide's example backend passes every check of the contract kit, streaming included", async () => {
  const checks = await runBackendContract({ plugin, server: mockServerControl(server.url), model: 'mock-model' });
  const summary = assertContract(checks);
  expect(summary.passed).toEqual(expect.arrayContaining([...STREAM_CHECKS, 'failure: malformed_sse becomes protocol_error']));
  expect(checks).toHaveLength(24);
});

test('declared streams: false, the same backend passes with the streaming checks skipped, not passed', async () => {
  const jsonOnly: BackendPlugin = { ...plugin, streams: false };
  const before = server.stats().requests_streamed;
  const checks = await runBackendContract({ plugin: jsonOnly, server: mockServerControl(server.url), model: 'mock-model' });
  const skipped = [...STREAM_CHECKS, 'failure: malformed_sse becomes protocol_error'];
  const summary = assertContract(checks, { skipped });
  expect(summary.skipped.map((c) => c.detail)).toEqual(skipped.map(() => 'the backend declares streams: false'));
  expect(summary.passed).not.toEqual(expect.arrayContaining(['failure: malformed_sse becomes protocol_error']));
  expect(() => assertContract(checks)).toThrow(/skipped, not expected to be: failure: malformed_sse becomes protocol_error/);
  // Nothing streamed was sent.
  expect(server.stats().requests_streamed).toBe(before);
});

test('a backend that claims to stream but sends JSON fails the streaming checks and malformed SSE', async () => {
  const base = plugin;
  const neverStreams: BackendPlugin = {
    ...base,
    create: async (ctx, options) => {
      const real = await base.create(ctx, options);
      return { ...real, send: (req, signal) => real.send({ ...req, stream: false }, signal) };
    },
  };
  const checks = await runBackendContract({ plugin: neverStreams, server: mockServerControl(server.url), model: 'mock-model' });
  expect(summarizeContract(checks).failed.map((c) => c.name)).toEqual([
    'stream: the server received a request for a stream',
    'stream: first token time is recorded after the send',
    'stream: chunk times are recorded in order',
    'failure: malformed_sse becomes protocol_error',
  ]);
});

test('a server that cannot tell what it received leaves the checks that need that evidence skipped', async () => {
  const control = mockServerControl(server.url);
  const blind: ContractServer = { url: control.url, setFault: (kind) => control.setFault(kind) };
  const checks = await runBackendContract({ plugin, server: blind, model: 'mock-model' });
  expect(summarizeContract(checks).skipped.map((c) => c.name)).toEqual([
    'stream: the server received a request for a stream',
    'failure: malformed_sse becomes protocol_error',
  ]);
  expect(summarizeContract(checks).failed).toEqual([]);
});
