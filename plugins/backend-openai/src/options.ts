import { z } from 'zod';

export const OpenAIOptionsSchema = z.strictObject({
  base_url: z
    .url()
    .optional()
    .describe("Server origin, e.g. http://127.0.0.1:8000 (default: the server's url, else http://127.0.0.1:8000)."),
  path_prefix: z.string().default('/v1').describe('Prefix of the API paths.'),
  endpoint: z.enum(['chat', 'completions']).default('chat').describe('/chat/completions (messages) or /completions (prompt).'),
  api_key: z.string().optional().describe('Sent as "Authorization: Bearer <key>"; use ${env:NAME}.'),
  headers: z.record(z.string(), z.string()).default({}).describe('Extra request headers.'),
  include_usage: z
    .boolean()
    .default(true)
    .describe('Ask streamed responses for a final usage chunk (stream_options.include_usage).'),
  extra_body: z.record(z.string(), z.unknown()).default({}).describe('Fields merged into every request body.'),
  connections: z
    .number()
    .int()
    .positive()
    .optional()
    .describe("Sockets per thread (default: the server's max_concurrent_requests, else 128)."),
  connect_timeout_ms: z.number().int().positive().default(10_000),
  keep_alive_timeout_ms: z
    .number()
    .int()
    .positive()
    .default(4_000)
    .describe(
      "How long an idle connection is kept for reuse when the server's Keep-Alive header names no timeout (its timeout=, less 2 s, wins). Below the usual 5 s server idle timeouts (uvicorn, Node).",
    ),
  first_byte_timeout_ms: z.number().int().positive().default(300_000).describe('Time to response headers.'),
});

export type OpenAIOptions = z.output<typeof OpenAIOptionsSchema>;
