/**
 * The progress bar of long commands (docs/CLI.md, "Progress"): one line on stderr, redrawn in
 * place, only when stderr is a terminal so pipes and logs stay clean. It names the phase
 * (hashing the files, sealing, opening, receiving), never shows more than 100%, and gives the
 * rate and the time left once there is enough to estimate them.
 */
import type { CliIo } from './terminal.js';
import { formatBytes } from './terminal.js';

/** Redraw at most this often, so a fast stream does not spend its time writing to the terminal. */
const REDRAW_MS = 100;
/** No rate or time left is shown before this much of a phase has passed: too early to tell. */
const ESTIMATE_AFTER_MS = 500;

/** A progress bar on stderr, drawn only when stderr is a terminal. */
export class ProgressBar {
  private readonly enabled: boolean;
  private label: string;
  private total: number | null;
  private started: number;
  private lastDraw = -Infinity;
  private lastText = '';
  private drawn = false;

  /**
   * @param label - The first phase, e.g. "Hashing report.pdf".
   * @param total - Bytes the phase will process, or null if unknown (stdin): then only the count is shown.
   * @param now - The clock in milliseconds (tests pin it).
   */
  constructor(
    private readonly io: CliIo,
    label: string,
    total: number | null,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.enabled = io.stderr.isTTY === true;
    this.label = label;
    this.total = total;
    this.started = now();
  }

  /** Start the next phase on the same line (e.g. from hashing to sealing). */
  phase(label: string, total: number | null): void {
    this.label = label;
    this.total = total;
    this.started = this.now();
    this.lastDraw = -Infinity;
  }

  /** `done` bytes of the phase are processed. */
  update(done: number): void {
    if (!this.enabled) return;
    const t = this.now();
    const complete = this.total !== null && done >= this.total;
    if (!complete && t - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = t;
    const text = this.render(done, t);
    if (text === this.lastText) return;
    // Pad over the end of a longer previous line, then return to the start of the line.
    this.io.stderr.write(`\r${text.padEnd(this.lastText.length)}`);
    this.lastText = text;
    this.drawn = true;
  }

  private render(done: number, t: number): string {
    const elapsed = t - this.started;
    const rate = elapsed >= ESTIMATE_AFTER_MS ? done / (elapsed / 1000) : null;
    const speed = rate !== null && rate > 0 ? `  ${formatBytes(rate)}/s` : '';
    if (this.total === null || this.total === 0) return `${this.label} ${formatBytes(done)}${speed}`;
    // Never past 100%: the envelope around the items (header, tags, padding) is not counted.
    const fraction = Math.min(1, Math.max(0, done / this.total));
    const width = 30;
    const bar = '#'.repeat(Math.round(fraction * width)).padEnd(width, '.');
    const left = rate !== null && rate > 0 && fraction < 1 ? `  ETA ${formatDuration((this.total - done) / rate)}` : '';
    return `${this.label} [${bar}] ${Math.floor(fraction * 100)}%  ${formatBytes(Math.min(done, this.total))} of ${formatBytes(this.total)}${speed}${left}`;
  }

  /** End the line (once), so what follows starts on a line of its own. */
  finish(): void {
    if (this.enabled && this.drawn) this.io.stderr.write('\n');
    this.drawn = false;
    this.lastText = '';
  }
}

/** "0:07", "12:34", "1:02:03". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}
