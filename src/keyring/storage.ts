/**
 * Where an encrypted key ring lives. The interface is three calls so it fits any store with an
 * atomic compare-and-swap: a file (lintas/node `FileKeyRingStorage`), memory
 * ({@link MemoryKeyRingStorage}), a browser's IndexedDB (one read-write transaction per save), a
 * database row.
 *
 * Stored bytes are opaque and already encrypted; a backend never interprets them.
 */

/**
 * A key ring storage backend: three calls with compare-and-swap semantics, so that two writers
 * never lose each other's changes and a crash never leaves a half-written key ring.
 */
export interface KeyRingStorage {
  /**
   * The current generation exactly as last saved, or null if nothing was ever saved. Damaged
   * bytes are returned as they are (the key ring reports the damage); it throws only when the
   * store itself fails (I/O error).
   */
  load(): Promise<Uint8Array | null>;
  /** The generation the last successful save replaced, or null if there is none. */
  loadBackup(): Promise<Uint8Array | null>;
  /**
   * Atomically replace the current generation with `next` if, and only if, the current
   * generation is byte-for-byte `expected` (null: nothing stored yet); the replaced generation
   * becomes the backup. After it resolves true, `next` is durable; if it fails or the process
   * dies during it, {@link KeyRingStorage.load} returns either the old or the new generation,
   * never a mix and never nothing.
   * @param next - The new encrypted key ring bytes.
   * @param expected - The generation this writer loaded, or null if it found none.
   * @returns False, changing nothing, if the current generation is something else (another
   *   writer got there first).
   */
  save(next: Uint8Array, expected: Uint8Array | null): Promise<boolean>;
  /**
   * Optional, for rollback detection (docs/KEYRING.md, "Rollback"): the highest key ring
   * generation ever opened or saved through this storage on this machine, or null if none was
   * recorded. Keep it outside the key ring bytes (a copy of the key ring must not carry it) but
   * beside them. A storage without these two methods gets no rollback detection.
   * @throws {@link LintasError} `ERR_KEYRING_ROLLBACK` if the record exists but cannot be read:
   *   a rollback cannot be ruled out.
   */
  loadSeenGeneration?(): Promise<number | null>;
  /**
   * Raise the record to `generation`; a lower or equal value changes nothing, so the record is
   * never lowered (an explicit recovery saves the recovered contents as a new, higher generation).
   */
  saveSeenGeneration?(generation: number): Promise<void>;
}

/** Byte equality of stored generations (encrypted bytes, so not secret). */
export function sameGeneration(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A key ring kept in memory: for tests, and for apps that hold the encrypted bytes elsewhere. */
export class MemoryKeyRingStorage implements KeyRingStorage {
  private current: Uint8Array | null = null;
  private backup: Uint8Array | null = null;
  private seen: number | null = null;

  /** Start empty, or from a previously saved generation (e.g. bytes the app kept itself). */
  constructor(initial?: Uint8Array) {
    if (initial !== undefined) {
      if (!(initial instanceof Uint8Array)) throw new TypeError('initial must be a Uint8Array');
      this.current = initial.slice();
    }
  }

  /** {@inheritDoc KeyRingStorage.load} */
  async load(): Promise<Uint8Array | null> {
    return this.current === null ? null : this.current.slice();
  }

  /** {@inheritDoc KeyRingStorage.loadBackup} */
  async loadBackup(): Promise<Uint8Array | null> {
    return this.backup === null ? null : this.backup.slice();
  }

  /** {@inheritDoc KeyRingStorage.save} */
  async save(next: Uint8Array, expected: Uint8Array | null): Promise<boolean> {
    if (!(next instanceof Uint8Array)) throw new TypeError('next must be a Uint8Array');
    if (!sameGeneration(this.current, expected)) return false;
    if (this.current !== null) this.backup = this.current;
    this.current = next.slice();
    return true;
  }

  /** {@inheritDoc KeyRingStorage.loadSeenGeneration} */
  async loadSeenGeneration(): Promise<number | null> {
    return this.seen;
  }

  /** {@inheritDoc KeyRingStorage.saveSeenGeneration} */
  async saveSeenGeneration(generation: number): Promise<void> {
    checkGeneration(generation);
    if (this.seen === null || generation > this.seen) this.seen = generation;
  }

  /**
   * Put other bytes in place as the current generation, bypassing compare-and-swap and keeping
   * the seen record: what someone with access to the store can do (tests of rollback detection,
   * or an app that restores a copy it kept itself, then opens it with `acceptOlderGeneration`).
   */
  replaceCurrent(bytes: Uint8Array): void {
    if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array');
    this.current = bytes.slice();
  }
}

/**
 * Check a generation number given to {@link KeyRingStorage.saveSeenGeneration}.
 * @throws {RangeError} unless it is a non-negative safe integer.
 */
export function checkGeneration(generation: unknown): number {
  if (typeof generation !== 'number' || !Number.isSafeInteger(generation) || generation < 0) throw new RangeError('generation must be a non-negative safe integer');
  return generation;
}
