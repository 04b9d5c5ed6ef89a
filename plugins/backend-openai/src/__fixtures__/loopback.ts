import type { Backend } from '@llmbench/plugin-api';
import backend from '../index.js';
import { OpenAIOptionsSchema } from '../options.js';

/** The openai backend with default options, for one server at `url` taking one request at a time. */
export async function loopbackBackend(url: string): Promise<Backend> {
  return backend.create(
    {
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      clock: { now: () => performance.now() },
      scenarioDir: '.',
      seed: 1,
      server: { id: 's', url, maxConcurrentRequests: 1 },
    },
    OpenAIOptionsSchema.parse({}),
  );
}
