import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { MockOptionsSchema } from './index.js';
import { DEFAULT_MOCK_PROFILE, MOCK_PROFILES, mockProfile, nthServerSeeds } from './profiles.js';

test('every profile is valid mock options, and an unknown name is no profile', () => {
  for (const profile of Object.values(MOCK_PROFILES)) expect(MockOptionsSchema.safeParse(profile.mock).success).toBe(true);
  expect(mockProfile(DEFAULT_MOCK_PROFILE)).toBe(MOCK_PROFILES.openai);
  expect(mockProfile('toString')).toBeUndefined();
});

test('servers started together get consecutive mock and fault seeds, the mock from 1 without a seed', () => {
  expect([0, 1, 2].map((i) => nthServerSeeds({ faults: 7 }, i))).toEqual([
    { mock: 1, faults: 7 },
    { mock: 2, faults: 8 },
    { mock: 3, faults: 9 },
  ]);
  expect(nthServerSeeds({ mock: 40, faults: 7 }, 2)).toEqual({ mock: 42, faults: 9 });
});

test("docs/scenarios.md's profile table gives each profile's port and prefill", () => {
  const lines = readFileSync(new URL('../../../docs/scenarios.md', import.meta.url), 'utf8').split('\n');
  const header = lines.findIndex((l, i) => i > lines.indexOf('#### Profiles') && l.startsWith('| Profile |'));
  const end = lines.findIndex((l, i) => i > header && !l.startsWith('|'));
  const rows = lines.slice(header + 2, end);
  const documented = Object.fromEntries(
    rows
      .map((l) => l.split('|').map((c) => c.trim()))
      .map(([, name, port, , prefill]) => [name!.replaceAll('`', ''), { port: Number(port), prefill: Number(prefill) }]),
  );
  const actual = Object.fromEntries(
    Object.entries(MOCK_PROFILES).map(([name, p]) => [name, { port: p.port, prefill: p.prefillMsPer1kTokens }]),
  );
  expect(documented).toEqual(actual);
});

test("docs/scenarios.md's mock-server flags give the default profile", () => {
  const text = readFileSync(new URL('../../../docs/scenarios.md', import.meta.url), 'utf8');
  expect(text).toContain(`| \`--profile <name>\` | \`${DEFAULT_MOCK_PROFILE}\` |`);
});
