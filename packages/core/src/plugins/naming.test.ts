import { expect, test } from 'vitest';
import { conventionalPackage, optionsOfPlugin } from './naming.js';

test('a short name stands for @llmbench/<kind>-<name>; a path or scoped name for nothing', () => {
  expect(conventionalPackage('reporter', 'markdown')).toBe('@llmbench/reporter-markdown');
  expect(conventionalPackage('backend', './my-backend.js')).toBeUndefined();
  expect(conventionalPackage('backend', '@acme/backend-x')).toBeUndefined();
});

test('the options of the first reference to a plugin, by short name or package name', () => {
  const refs = [
    'console',
    { use: 'json' },
    { use: '@llmbench/reporter-markdown', options: { charts: false } },
    { use: 'markdown', options: { charts: true } },
  ];
  expect(optionsOfPlugin('reporter', refs, 'markdown')).toEqual({ charts: false });
  expect(optionsOfPlugin('reporter', refs, 'json')).toEqual({});
});

test('a plugin named as a bare string, or not used at all, has no options', () => {
  expect(optionsOfPlugin('reporter', ['markdown', { use: 'markdown', options: { charts: false } }], 'markdown')).toEqual({});
  expect(optionsOfPlugin('reporter', [{ use: './markdown.js', options: { charts: false } }], 'markdown')).toEqual({});
  expect(optionsOfPlugin('reporter', undefined, 'markdown')).toEqual({});
});
