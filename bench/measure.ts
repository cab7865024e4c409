/**
 * Timing, statistics and table helpers for bench/run.ts. Each figure is the median of repeated
 * runs, so one slow run (another process, a GC pause) does not decide it; ratios are taken per
 * round and their median reported (docs/PERFORMANCE.md, "Method"). The statistics and formatting
 * helpers are pure, and test/bench/measure.test.ts checks them.
 */

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

export interface MeasureOptions {
  /** Keep repeating until this much time has passed... */
  minSeconds: number;
  /** ...and at least this many runs were made. */
  minRuns: number;
}

/** Median seconds per call of `fn`, after one warm-up call. */
export async function medianSeconds(fn: () => Promise<unknown> | unknown, o: MeasureOptions): Promise<number> {
  await fn();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < o.minRuns || performance.now() - start < o.minSeconds * 1000) {
    const t = performance.now();
    await fn();
    times.push((performance.now() - t) / 1000);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1]!;
}

/** The median of `xs` (the mean of the middle two for an even count); NaN for none. Does not reorder `xs`. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Median, smallest and largest of one figure over the rounds of a run. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** The {@link Spread} of one figure's rounds. */
export function spread(xs: readonly number[]): Spread {
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
}

/**
 * Per-round ratios a[i] / b[i] of two figures measured in the same rounds. Their median is the
 * figure the bench reports: a round where the machine was busy slows both sides of its ratio,
 * while a ratio of two medians would pair a's quiet round with b's busy one.
 */
export function roundRatios(a: readonly number[], b: readonly number[]): number[] {
  if (a.length !== b.length) throw new RangeError(`ratios need the same rounds on both sides (${a.length} vs ${b.length})`);
  return a.map((x, i) => x / b[i]!);
}

/** A ratio as a percentage, "87%"; "n/a" when it cannot be computed. */
export function fmtPercent(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return 'n/a';
  return `${Math.round(100 * ratio)}%`;
}

/** A ratio as a factor, "4.6x" (no decimal from 10x on); "n/a" when it cannot be computed. */
export function fmtTimes(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio) || ratio <= 0) return 'n/a';
  return `${ratio.toFixed(ratio >= 10 ? 0 : 1)}x`;
}

/** "median (min-max)" of a spread, each part formatted by `f`; just the median for one round. */
export function fmtSpread(s: Spread, f: (x: number) => string): string {
  if (!Number.isFinite(s.median)) return 'n/a';
  return s.min === s.max ? f(s.median) : `${f(s.median)} (${f(s.min)}-${f(s.max)})`;
}

export function sizeLabel(bytes: number): string {
  if (bytes >= GiB) return `${bytes / GiB} GiB`;
  if (bytes >= MiB) return `${bytes / MiB} MiB`;
  return `${bytes / KiB} KiB`;
}

/** A number for a table cell: a few significant digits, thousands separated. */
export function fmt(x: number | null | undefined, digits = 0): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a';
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A Markdown table, so the output can be pasted into docs/PERFORMANCE.md as it is. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? `${'-'.repeat(w + 2)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

/** Something to time: one call of `run` is one operation (a seal, a pair, ...). */
export interface Timed {
  name: string;
  run: () => Promise<unknown> | unknown;
}

/**
 * Seconds per call of each item in `rounds` interleaved rounds: every item runs in turn for
 * about `sampleMs` per round (whole calls, at least one), the order reversed every other round
 * so that no item always follows the same neighbour's garbage. Other load on the machine then
 * falls on all items of a round alike, and {@link roundRatios} of two items compares like with
 * like. Two untimed calls per item first: a cold one, then a warm one that sets how many calls
 * make a sample, so that the first call's one-time costs (compiling, a key's first use) do not
 * make every sample of a fast item a few calls long.
 */
export async function interleavedSeconds(items: Timed[], rounds: number, sampleMs: number): Promise<Map<string, number[]>> {
  const plan: { item: Timed; reps: number; out: number[] }[] = [];
  for (const item of items) {
    await item.run();
    const t = performance.now();
    await item.run();
    const once = Math.max(performance.now() - t, 0.001);
    plan.push({ item, reps: Math.max(1, Math.round(sampleMs / once)), out: [] });
  }
  for (let round = 0; round < rounds; round++) {
    for (const p of round % 2 ? [...plan].reverse() : plan) {
      const t = performance.now();
      for (let i = 0; i < p.reps; i++) await p.item.run();
      p.out.push((performance.now() - t) / 1000 / p.reps);
    }
  }
  return new Map(plan.map((p) => [p.item.name, p.out]));
}
