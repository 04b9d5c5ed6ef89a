// `node contract.mjs URL`: the plugin author's contract check against a running llmbench mock-server.
// Prints the checks as JSON; exits 1 when assertContract finds a failed or skipped check.
import { assertContract, mockServerControl, runBackendContract } from '@llmbench/plugin-api/testing';
import plugin from './index.mjs';

const checks = await runBackendContract({ plugin, server: mockServerControl(process.argv[2]), model: 'mock-model' });
process.stdout.write(`${JSON.stringify(checks.map(({ name, status }) => ({ name, status })))}\n`);
assertContract(checks);
