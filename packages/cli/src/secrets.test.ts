import { createServer, type Server } from 'node:http';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { runNode } from '@llmbench/test-support';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(root, 'packages/cli/bin/llmbench.js');

/** Distinct secrets planted in every place a user can put one; none may appear in any output. */
const SECRETS = {
  inlineKey: 'sk-inline-AAAA1111',
  xApiKey: 'xak-BBBB2222',
  azureKey: 'azure-CCCC3333',
  urlPassword: 'pw-DDDD4444',
  envToken: 'env-EEEE5555',
  configKey: 'cfg-FFFF6666',
};

let server: Server;
let port = 0;
const seen: string[] = [];

beforeAll(async () => {
  // Answers 401 to the inline key, quoting it as OpenAI does; 200 to everything else.
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const auth = req.headers.authorization ?? '';
      seen.push(auth);
      if (auth === `Bearer ${SECRETS.inlineKey}` || auth === `Bearer ${SECRETS.configKey}`) {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `Incorrect API key provided: ${auth.slice(7)}` } }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          choices: [{ index: 0, message: { role: 'assistant', content: 'ok' } }],
          usage: { prompt_tokens: 3, completion_tokens: 1 },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function llmbench(args: string[], cwd: string): Promise<{ code: number | null; out: string }> {
  const ran = await runNode([bin, ...args], { cwd, timeoutMs: 60_000, env: { ...process.env, LLM_TOKEN: SECRETS.envToken } });
  return { code: ran.code, out: `${ran.stdout}${ran.stderr}` };
}

async function everyFile(dir: string): Promise<string> {
  let text = '';
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) text += await readFile(join(entry.parentPath, entry.name), 'utf8');
  }
  return text;
}

test('secrets in every place a user can put one never reach any output; a URL password reaches the server as basic auth', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'llmbench-secrets-'));
  const url = `http://127.0.0.1:${port}`;
  await writeFile(
    join(dir, 'llmbench.config.yaml'),
    `servers:
  from-config: { url: "${url}", backend: { use: openai, options: { api_key: "${SECRETS.configKey}" } } }
`,
  );
  await writeFile(
    join(dir, 's.yaml'),
    `servers:
  - { id: inline-key, url: "${url}", backend: { use: openai, options: { api_key: "${SECRETS.inlineKey}" } } }
  - { id: headers, url: "${url}", backend: { use: openai, options: { headers: { x-api-key: "${SECRETS.xApiKey}", api-key: "${SECRETS.azureKey}", authorization: "Bearer \${env:LLM_TOKEN}" } } } }
  - { id: userinfo, url: "http://alice:${SECRETS.urlPassword}@127.0.0.1:${port}", backend: openai }
  - from-config
workload: { requests: 8, max_tokens: 4 }
experiments:
  - { name: rejected, strategy: semaphore, servers: [inline-key] }
  - { name: headers, strategy: semaphore, servers: [headers] }
  - { name: basic-auth, strategy: semaphore, servers: [userinfo] }
  - { name: config, strategy: semaphore, servers: [from-config] }
reporters: [console, json, markdown, { use: benchmark-json, options: { output: "out/benchmark.json" } }]
`,
  );
  const outputs: string[] = [];
  const validate = await llmbench(['validate', 's.yaml'], dir);
  expect(validate.code, validate.out).toBe(0);
  outputs.push(validate.out);
  const run = await llmbench(['run', 's.yaml', '--out', 'out', '--raw', 'out/raw.jsonl'], dir);
  // The 401s leave two experiments without a success: the run fails, as documented.
  expect(run.code, run.out).toBe(3);
  outputs.push(run.out);
  const results = (await readdir(join(dir, 'out'))).find((f) => f.endsWith('.json') && f !== 'benchmark.json')!;
  const report = await llmbench(['report', join('out', results)], dir);
  expect(report.code).toBe(0);
  outputs.push(report.out);
  const files = await everyFile(join(dir, 'out'));
  outputs.push(files);

  // The server's 401 quoted the key: the failure sample keeps the message, not the key.
  expect(files).toContain('Incorrect API key provided: [redacted]');
  for (const [where, secret] of Object.entries(SECRETS)) {
    for (const text of outputs) expect(text.includes(secret), `${where} (${secret}) leaked`).toBe(false);
  }
  expect(seen).toContain(`Basic ${Buffer.from(`alice:${SECRETS.urlPassword}`).toString('base64')}`);
  expect(seen).toContain(`Bearer ${SECRETS.envToken}`);
});
