/**
 * The pure helpers behind the benchmark's figures (bench/measure.ts): the median of rounds, the
 * per-round ratios and how ratios are printed. No timing here: speed lives in bench/, and the
 * only thing asserted is the arithmetic that turns rounds into the reported figures.
 */
import { describe, expect, it } from 'vitest';
import { fmt, fmtPercent, fmtSpread, fmtTimes, median, roundRatios, spread, table } from '../../bench/measure.js';

describe('median', () => {
  it('takes the middle of an odd count and the mean of the middle two of an even one', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it('is NaN for no rounds, and leaves its input in the order given', () => {
    expect(median([])).toBeNaN();
    const rounds = [3, 1, 2];
    median(rounds);
    expect(rounds).toEqual([3, 1, 2]);
  });
});

describe('spread', () => {
  it('gives the median, smallest and largest round', () => {
    expect(spread([10, 30, 20, 50, 40])).toEqual({ median: 30, min: 10, max: 50 });
  });
});

describe('roundRatios', () => {
  it('divides round by round, not medians by medians', () => {
    // a takes half b's time in two rounds of three: the median round says 0.5, while the ratio
    // of the two medians (2 / 2) would say they are equal.
    const a = [1, 4, 2];
    const b = [2, 8, 1];
    expect(roundRatios(a, b)).toEqual([0.5, 0.5, 2]);
    expect(median(roundRatios(a, b))).toBe(0.5);
    expect(median(a) / median(b)).toBe(1);
  });

  it('refuses series from different rounds', () => {
    expect(() => roundRatios([1, 2], [1])).toThrow(RangeError);
  });
});

describe('ratio formatting', () => {
  it('prints percentages rounded to whole percent', () => {
    expect(fmtPercent(0.904)).toBe('90%');
    expect(fmtPercent(1.14)).toBe('114%');
  });

  it('prints factors with one decimal below 10x and none from 10x', () => {
    expect(fmtTimes(4.64)).toBe('4.6x');
    expect(fmtTimes(12.4)).toBe('12x');
    expect(fmtTimes(3)).toBe('3.0x');
  });

  it('prints n/a where there is no ratio', () => {
    for (const bad of [null, undefined, NaN, Infinity]) {
      expect(fmtPercent(bad)).toBe('n/a');
      expect(fmtTimes(bad)).toBe('n/a');
    }
    expect(fmtTimes(0)).toBe('n/a');
  });

  it('prints a spread as "median (min-max)", or the one figure of a single round', () => {
    expect(fmtSpread({ median: 0.9, min: 0.81, max: 1.02 }, fmtPercent)).toBe('90% (81%-102%)');
    expect(fmtSpread(spread([2800]), (x) => fmt(x))).toBe('2,800');
    expect(fmtSpread(spread([]), (x) => fmt(x))).toBe('n/a');
  });
});

describe('table', () => {
  it('is a Markdown table with the first column left-aligned and the others right-aligned', () => {
    expect(table(['line', 'MiB/s'], [['lintas', '1,200'], ['two-core limit', '950']]).split('\n')).toEqual([
      '| line           | MiB/s |',
      '|----------------|------:|',
      '| lintas         | 1,200 |',
      '| two-core limit |   950 |',
    ]);
  });
});
