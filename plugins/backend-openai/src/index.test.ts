import { expect, test } from 'vitest';
import { outcomeOf } from './index.js';

test('errors become outcomes by kind, whatever their code looks like', () => {
  expect(outcomeOf(Object.assign(new Error('x'), { code: 'UND_ERR_HEADERS_TIMEOUT' }))).toMatchObject({
    kind: 'timeout',
    phase: 'first_byte',
  });
  expect(outcomeOf(Object.assign(new Error('gone'), { code: 'ECONNRESET' }))).toEqual({
    kind: 'connection_error',
    code: 'ECONNRESET',
    message: 'gone',
  });
  expect(outcomeOf(Object.assign(new Error('odd'), { code: 'UND_ERR_INVALID_ARG' }))).toEqual({
    kind: 'protocol_error',
    message: 'UND_ERR_INVALID_ARG: odd',
  });
  // DOMExceptions carry numeric legacy codes (TimeoutError: 23): named by their name, never by code.
  expect(outcomeOf(new DOMException('cancelled', 'AbortError'))).toEqual({ kind: 'aborted', message: 'cancelled' });
  expect(outcomeOf(new DOMException('too slow', 'TimeoutError'))).toEqual({
    kind: 'timeout',
    phase: 'total',
    message: 'too slow',
  });
  expect(outcomeOf(new DOMException('bad', 'DataCloneError'))).toEqual({ kind: 'connection_error', message: 'bad' });
});
