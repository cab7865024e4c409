/**
 * Timing and table helpers for bench/run.ts. Each figure is the median of repeated runs, so one
 * slow run (another process, a GC pause) does not decide it.
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

/** Calls of `fn` per second over a window of `seconds`, after a short warm-up. */
export async function callsPerSecond(fn: () => Promise<unknown>, seconds: number): Promise<number> {
  const warmUntil = performance.now() + Math.min(200, seconds * 200);
  while (performance.now() < warmUntil) await fn();
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    await fn();
    n++;
  }
  return n / ((performance.now() - start) / 1000);
}

export function mibPerSecond(bytes: number, seconds: number): number {
  return bytes / MiB / seconds;
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

/** How many times faster `a` (a rate) is than `b`, as "12.3x". */
export function times(a: number | null | undefined, b: number | null | undefined): string {
  if (!a || !b) return 'n/a';
  return `${(a / b).toFixed(a / b >= 10 ? 0 : 1)}x`;
}

export function percent(a: number | null | undefined, b: number | null | undefined): string {
  if (!a || !b) return 'n/a';
  return `${Math.round((100 * a) / b)}%`;
}

/** A Markdown table, so the output can be pasted into docs/PERFORMANCE.md as it is. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? `${'-'.repeat(w + 2)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}
