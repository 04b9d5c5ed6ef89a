import { describe, expect, test } from 'vitest';
import {
  approximateMark,
  formatCount,
  formatEta,
  formatFactor,
  formatInterval,
  formatMetric,
  formatMs,
  formatNumber,
  formatPercent,
  formatPoints,
  formatValue,
  markdownTable,
  MISSING,
  textTable,
} from './format.js';

const interval = (mean: number, half: number) => ({ mean, low: mean - half, high: mean + half, n: 3 });

describe('formatCount', () => {
  test('groups thousands with commas and rounds to a whole number', () => {
    expect([0, 7, 999, 1000, 1234.4, 1234.5, 12_345_678].map(formatCount)).toEqual([
      '0',
      '7',
      '999',
      '1,000',
      '1,234',
      '1,235',
      '12,345,678',
    ]);
  });

  test('keeps the sign of a negative count', () => {
    expect(formatCount(-1234)).toBe('-1,234');
  });
});

describe('formatNumber', () => {
  test('shows three significant digits below 100', () => {
    expect([5, 0.5, 0.00123, 9.994, 83.44, 99.94].map(formatNumber)).toEqual([
      '5.00',
      '0.500',
      '0.00123',
      '9.99',
      '83.4',
      '99.9',
    ]);
  });

  test('shows whole numbers, grouped, from 100 up', () => {
    expect([100, 372.4, 1234, 1_234_567.8].map(formatNumber)).toEqual(['100', '372', '1,234', '1,234,568']);
  });

  test("a value that rounds up to the next digit gets the next digit's precision", () => {
    expect([9.996, 99.96].map(formatNumber)).toEqual(['10.0', '100']);
  });

  test('zero', () => {
    expect(formatNumber(0)).toBe('0.00');
  });
});

describe('formatValue', () => {
  test('writes whole numbers as counts and others with three significant digits', () => {
    expect([2000, 3, 0.998123, 23.4567, 1234.5].map(formatValue)).toEqual(['2,000', '3', '0.998', '23.5', '1,235']);
  });
});

describe('formatMs', () => {
  test('whole microseconds below 1 ms', () => {
    expect([0, 0.0004, 0.0123, 0.85].map(formatMs)).toEqual(['0µs', '0µs', '12µs', '850µs']);
  });

  test('three significant digits in milliseconds below 1 s', () => {
    expect([1, 2.5, 25.64, 256.4].map(formatMs)).toEqual(['1.00ms', '2.50ms', '25.6ms', '256ms']);
  });

  test('three significant digits in seconds below a minute', () => {
    expect([1000, 1234, 12_345, 59_940].map(formatMs)).toEqual(['1.00s', '1.23s', '12.3s', '59.9s']);
  });

  test('minutes and seconds below an hour, then hours and minutes', () => {
    expect([60_000, 125_000, 3_599_000, 3_720_000, 93_600_000].map(formatMs)).toEqual([
      '1m 00s',
      '2m 05s',
      '59m 59s',
      '1h 02m',
      '26h 00m',
    ]);
  });

  test('a value that rounds up to the next unit is written in it', () => {
    expect([0.9996, 999.6, 59_960, 3_599_600].map(formatMs)).toEqual(['1.00ms', '1.00s', '1m 00s', '1h 00m']);
  });

  test('a negative duration keeps its sign', () => {
    expect(formatMs(-2.5)).toBe('-2.50ms');
  });
});

describe('formatEta', () => {
  test('one decimal under 10 s, whole seconds under a minute, then the long form', () => {
    expect([0, 1612, 9_949, 42_400, 185_000, 3_720_000].map(formatEta)).toEqual([
      '0.0s',
      '1.6s',
      '9.9s',
      '42s',
      '3m 05s',
      '1h 02m',
    ]);
  });
});

describe('percentages, points and factors', () => {
  test('a fraction is a percentage with one decimal', () => {
    expect([0, 0.0004, 0.9953, 1].map(formatPercent)).toEqual(['0.0%', '0.0%', '99.5%', '100.0%']);
  });

  test('a difference of fractions is in percentage points', () => {
    expect(formatPoints(0.004)).toBe('0.4 pts');
  });

  test('a speedup has two decimals and an x', () => {
    expect([1, 1.234, 12.5].map(formatFactor)).toEqual(['1.00x', '1.23x', '12.50x']);
  });
});

describe('no value', () => {
  test('every formatter writes the missing mark for null, undefined, NaN and infinity', () => {
    const formatters = [formatCount, formatNumber, formatValue, formatMs, formatEta, formatPercent, formatPoints, formatFactor];
    for (const f of formatters)
      expect([null, undefined, Number.NaN, Number.POSITIVE_INFINITY].map(f)).toEqual([MISSING, MISSING, MISSING, MISSING]);
    expect(formatMetric('ms', null)).toBe(MISSING);
    expect(formatInterval('ms', undefined)).toBe(MISSING);
    expect(MISSING).toBe('-');
  });
});

describe('headline metrics', () => {
  test('a value carries its unit', () => {
    expect([
      formatMetric('req/s', 372.4),
      formatMetric('tok/s', 5),
      formatMetric('ms', 26.34),
      formatMetric('s', 12.345),
      formatMetric('ratio', 0.9953),
    ]).toEqual(['372 req/s', '5.00 tok/s', '26.3ms', '12.3s', '99.5%']);
  });

  test("an interval is its mean ± its half-width, in the metric's unit", () => {
    expect([
      formatInterval('req/s', interval(372, 12.4)),
      formatInterval('ms', interval(26.3, 0.84)),
      formatInterval('s', interval(1.5, 0.25)),
      formatInterval('ratio', interval(1, 0)),
    ]).toEqual(['372 ± 12.4 req/s', '26.3ms ± 840µs', '1.50s ± 250ms', '100.0% ± 0.0 pts']);
  });
});

describe('the approximate mark', () => {
  test("marks token figures not from the server's usage", () => {
    expect(['server', 'none', 'counted', 'estimated', 'mixed'].map((p) => approximateMark(p as 'server'))).toEqual([
      '',
      '',
      '≈ ',
      '≈ ',
      '≈ ',
    ]);
  });
});

describe('markdownTable', () => {
  test('a pipe table with the first column left-aligned and the others right-aligned', () => {
    expect(
      markdownTable(
        ['Experiment', 'Req/s'],
        [
          ['a', '1,234'],
          ['b', '83.4'],
        ],
      ),
    ).toBe(['| Experiment | Req/s |', '| --- | ---: |', '| a | 1,234 |', '| b | 83.4 |'].join('\n'));
  });

  test('takes the alignment of each column', () => {
    expect(markdownTable(['Check', 'Actual', 'Result'], [], ['left', 'right', 'left']).split('\n')[1]).toBe(
      '| --- | ---: | --- |',
    );
  });

  test('escapes pipes and turns line breaks into spaces', () => {
    expect(markdownTable(['A'], [['x | y\nz']]).split('\n')[2]).toBe('| x \\| y z |');
  });
});

describe('textTable', () => {
  test('pads columns two spaces apart, names left and figures right, under a dashed rule', () => {
    expect(
      textTable(
        ['Experiment', 'Req/s', 'P95'],
        [
          ['a', '1,234', '25.6ms'],
          ['longer-name', '83.4', '1.23s'],
        ],
      ),
    ).toBe(
      [
        'Experiment   Req/s     P95',
        '-----------  -----  ------',
        'a            1,234  25.6ms',
        'longer-name   83.4   1.23s',
      ].join('\n'),
    );
  });

  test('counts µ, ≈ and ± as one column each and leaves no trailing spaces', () => {
    const lines = textTable(
      ['Name', 'Out tok'],
      [
        ['≈ x', '850µs'],
        ['y', '≈ 12'],
      ],
      ['left', 'left'],
    ).split('\n');
    expect(lines).toEqual(['Name  Out tok', '----  -------', '≈ x   850µs', 'y     ≈ 12']);
  });

  test('a missing cell is empty', () => {
    expect(textTable(['A', 'B'], [['a']]).split('\n')[2]).toBe('a');
  });
});
