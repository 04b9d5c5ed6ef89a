// A collector that reads fine twice, then fails every time: for the test that a failing collector
// costs its own readings only, never the run's measurements.
import { defineCollector } from '@llmbench/plugin-api';

export default defineCollector({
  name: 'flaky',
  create() {
    let samples = 0;
    return {
      sample() {
        samples++;
        if (samples > 2) throw new Error('sensor went away');
        return { gpu_memory_gb: 10 + samples };
      },
    };
  },
});
