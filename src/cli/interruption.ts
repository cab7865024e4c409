/**
 * Ctrl-C (SIGINT) and SIGTERM in the middle of a command (docs/CLI.md, "Interrupting a
 * command"). Commands that write temporary files register each one here before creating it;
 * on a signal every registered path is removed at once, decrypted plaintext before anything
 * else, the command's reads and writes are aborted so that the library removes its own
 * temporary files (a drop folder's tmp/ entry, a relay upload), one line says what was
 * interrupted, and the exit code is 130 (SIGINT) or 143 (SIGTERM), as shells report a process
 * killed by that signal.
 *
 * Removal is synchronous and happens inside the signal handler: JavaScript runs one thing at a
 * time, so no await of the command can interleave with it, and a path created after the sweep
 * is refused by {@link Interruption.track}.
 */
import { rmSync } from 'node:fs';
import type { CliIo } from './terminal.js';

/** What a temporary path holds: decrypted or not yet sealed plaintext is removed first. */
export type TemporaryKind = 'plaintext' | 'envelope';

/** The signals the CLI handles, with the exit code shells use for a process they stopped. */
export const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

/** A signal the CLI handles. */
export type HandledSignal = keyof typeof SIGNAL_EXIT_CODES;

/** Where signals come from and how the process ends: `process` in the real CLI. */
export interface SignalSource {
  on(signal: HandledSignal, listener: () => void): unknown;
  off(signal: HandledSignal, listener: () => void): unknown;
  exit(code: number): never;
}

/** How long an interrupted command may take to unwind (abort its transfers) before the process exits anyway. */
const UNWIND_MS = 5_000;

/** The error an aborted read or write of an interrupted command throws; never shown to the user. */
export class InterruptedError extends Error {
  constructor(readonly signalName: HandledSignal) {
    super(`interrupted by ${signalName}`);
    this.name = 'InterruptedError';
  }
}

/** The temporary paths of one running command and what happens to them on a signal. */
export class Interruption {
  private readonly paths = new Map<string, TemporaryKind>();
  private readonly controller = new AbortController();
  private received: HandledSignal | null = null;
  private what = '';
  private idleStop: (() => void) | null = null;
  private listening = false;
  private removed = 0;
  private reported = false;
  private readonly handlers: Record<HandledSignal, () => void> = {
    SIGINT: () => this.onSignal('SIGINT'),
    SIGTERM: () => this.onSignal('SIGTERM'),
  };

  constructor(
    private readonly io: CliIo,
    private readonly signals: SignalSource | undefined,
  ) {}

  /** Aborted when a signal arrives; reads and writes of the command stop at their next chunk. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The signal that interrupted the command, or null. */
  get interruptedBy(): HandledSignal | null {
    return this.received;
  }

  /**
   * Handle SIGINT and SIGTERM from now until the command ends. `what` completes the sentence
   * "interrupted while ...", e.g. "sealing report.pdf to report.lintas".
   */
  listen(what: string): void {
    this.what = what;
    if (this.listening || this.signals === undefined) return;
    this.listening = true;
    this.signals.on('SIGINT', this.handlers.SIGINT);
    this.signals.on('SIGTERM', this.handlers.SIGTERM);
  }

  /**
   * Offer a graceful stop: a signal that arrives while no temporary path is registered calls
   * `stop` instead of interrupting (`receive --follow` waiting for envelopes stops with exit 0).
   */
  whenIdle(stop: () => void): void {
    this.idleStop = stop;
  }

  /**
   * Register a temporary file or folder before creating it; the returned function unregisters
   * it once it was renamed into place or removed.
   * @throws {InterruptedError} if the command was already interrupted: nothing new is created.
   */
  track(path: string, kind: TemporaryKind): () => void {
    this.throwIfInterrupted();
    this.paths.set(path, kind);
    return () => {
      this.paths.delete(path);
    };
  }

  /** @throws {InterruptedError} once a signal arrived. */
  throwIfInterrupted(): void {
    if (this.received !== null) throw new InterruptedError(this.received);
  }

  /** Pass chunks through, stopping with {@link InterruptedError} at the first chunk after a signal. */
  async *guard(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const c of chunks) {
      this.throwIfInterrupted();
      yield c;
    }
    this.throwIfInterrupted();
  }

  private onSignal(name: HandledSignal): void {
    if (this.received !== null) {
      // A second Ctrl-C: stop waiting for the command to unwind.
      this.exitNow();
      return;
    }
    if (this.paths.size === 0 && this.idleStop !== null) {
      this.idleStop();
      return;
    }
    this.received = name;
    this.sweep();
    this.controller.abort(new InterruptedError(name));
    // Unreferenced: it only fires if something (a stalled upload) keeps the process alive.
    setTimeout(() => this.exitNow(), UNWIND_MS).unref();
  }

  private exitNow(): void {
    const code = this.finish();
    if (code !== null) this.signals?.exit(code);
  }

  /** Remove every registered path, plaintext first: a stray copy of decrypted text is the worst leftover. */
  private sweep(): void {
    const ordered = [...this.paths.entries()].sort((a, b) => (a[1] === b[1] ? 0 : a[1] === 'plaintext' ? -1 : 1));
    for (const [path] of ordered) {
      try {
        rmSync(path, { recursive: true, force: true });
        this.removed++;
      } catch {
        // Already gone or not removable: the sweep goes on with the others.
      }
      this.paths.delete(path);
    }
  }

  /**
   * After the command returned or threw: if a signal interrupted it, remove what is left, print
   * the one line and return the exit code (130 or 143); otherwise null.
   */
  finish(): number | null {
    if (this.received === null) return null;
    this.sweep();
    if (!this.reported) {
      this.reported = true;
      const files = this.removed === 0 ? 'nothing was left behind' : `removed ${this.removed} temporary file${this.removed === 1 ? '' : 's'}`;
      this.io.stderr.write(`\nlintas: interrupted (${this.received}) while ${this.what || 'working'}; ${files}\n`);
    }
    return SIGNAL_EXIT_CODES[this.received];
  }

  /** Stop handling signals (the command ended). */
  close(): void {
    if (!this.listening || this.signals === undefined) return;
    this.listening = false;
    this.signals.off('SIGINT', this.handlers.SIGINT);
    this.signals.off('SIGTERM', this.handlers.SIGTERM);
  }
}
