import { createRequire } from 'node:module';
import { describe, expect, test } from 'vitest';
import { Client } from './undici.js';

describe('the undici parts the plugin loads alone', () => {
  test("Client is undici's own exported class, from the file undici's index takes it from", () => {
    const undici = createRequire(import.meta.url)('undici') as typeof import('undici');
    expect(Client).toBe(undici.Client);
  });
});
