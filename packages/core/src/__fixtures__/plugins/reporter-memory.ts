import { defineReporter } from '@llmbench/plugin-api';

/** Test reporter: writes one line per experiment to the context's output. */
export default defineReporter({
  name: 'memory',
  create: (ctx) => ({
    onExperimentEnd(e) {
      ctx.out.write(`${e.name} ${e.summary.requests}\n`);
    },
  }),
});
