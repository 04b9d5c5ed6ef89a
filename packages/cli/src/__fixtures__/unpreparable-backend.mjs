// A backend whose server cannot be prepared for the second load point: for the test that a failing
// prepare() is reported and the point is still measured.
import { defineBackend } from '@llmbench/plugin-api';

let prepared = 0;

export default defineBackend({
  name: 'unpreparable',
  placement: 'main',
  create() {
    return {
      prepare() {
        prepared++;
        if (prepared === 2) throw new Error('cache would not clear');
      },
      async send() {
        return { kind: 'ok', status: 200 };
      },
    };
  },
});
