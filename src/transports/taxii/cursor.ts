/**
 * The receiver's durable position in a TAXII collection (docs/TRANSPORTS.md, "TAXII 2.1").
 * TAXII has no server-side acknowledgement, so the receiver remembers what it has finished:
 *
 * - `floor`: a `date_added` such that every object the server listed at or before it is done
 *   (acknowledged, or not a lintas envelope);
 * - `done`: the ids of finished objects added at or after one millisecond before the floor.
 *
 * A poll asks for objects added after `floor - 1 ms` and skips the ids in `done`, so an object
 * that the server stamped with the floor's own timestamp after the floor moved is still seen
 * (`added_after` is strictly "after"), and none is processed twice. An acknowledgement is saved
 * durably before `ack()` resolves: a crash loses no acknowledged work and skips nothing.
 *
 * Leases live here too, in memory: receivers that share one store instance (one process) never
 * get the same object at once; a store held by one process is refused to a second one
 * (FileTaxiiCursorStore's lock), so no lease has to cross processes.
 */

/** What a {@link TaxiiCursorStore} saves for one collection. */
export interface TaxiiCursorState {
  /** RFC 3339 `date_added` up to which everything listed is done; null before the first. */
  floor: string | null;
  /** Finished object ids and their `date_added`, for those at or after `floor - 1 ms`. */
  done: Record<string, string>;
}

/**
 * Durable storage of cursors, one per collection URL. Contract: `save` resolves only once the
 * state survives a crash of this process (fsync, or the store's equivalent); `load` returns
 * what was last saved, or null.
 */
export interface TaxiiCursorStore {
  /** The saved state for `key` (a collection URL), or null. */
  load(key: string): Promise<TaxiiCursorState | null>;
  /** Save the state for `key` durably. */
  save(key: string, state: TaxiiCursorState): Promise<void>;
}

/** Cursors in memory: for tests and short-lived receivers; a restart starts from the beginning. */
export class MemoryTaxiiCursorStore implements TaxiiCursorStore {
  private readonly states = new Map<string, string>();

  /** @inheritDoc */
  async load(key: string): Promise<TaxiiCursorState | null> {
    const s = this.states.get(key);
    return s === undefined ? null : (JSON.parse(s) as TaxiiCursorState);
  }

  /** @inheritDoc */
  async save(key: string, state: TaxiiCursorState): Promise<void> {
    this.states.set(key, JSON.stringify(state));
  }
}

/** An RFC 3339 timestamp as a string that sorts like the time it names (nanosecond digits). */
export function sortableTime(rfc3339: string): string | null {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/.exec(rfc3339);
  if (!m || Number.isNaN(Date.parse(`${m[1]}Z`))) return null;
  return `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}Z`;
}

/**
 * How far the floor stays behind the newest object seen, in ms: a server that stamps
 * `date_added` before the object becomes visible can show a later object first; objects that
 * appear this much late are still found (the ones already done in that window are skipped by id).
 */
export const TAXII_SETTLE_MS = 5_000;

/** One millisecond before `rfc3339`, as TAXII `added_after` (millisecond precision). */
function justBefore(rfc3339: string): string {
  return new Date(Date.parse(rfc3339) - 1).toISOString();
}

/** The shared, in-memory view of one collection's cursor, with its leases. */
export class CollectionCursor {
  private floor: string | null;
  private readonly done: Map<string, string>;
  /** Per receive loop: listed in its current pass and not done, id -> sortable date_added. */
  private readonly pending = new Map<symbol, Map<string, string>>();
  /** Leased deliveries: id -> holder. */
  private readonly leases = new Map<string, symbol>();
  private saving: Promise<void> = Promise.resolve();

  private constructor(
    private readonly store: TaxiiCursorStore,
    private readonly key: string,
    state: TaxiiCursorState | null,
  ) {
    this.floor = state?.floor ?? null;
    this.done = new Map(Object.entries(state?.done ?? {}));
  }

  /** Load the cursor of `key` from `store`. */
  static async open(store: TaxiiCursorStore, key: string): Promise<CollectionCursor> {
    return new CollectionCursor(store, key, await store.load(key));
  }

  /** The `added_after` of the next poll, or null for "from the beginning". */
  addedAfter(): string | null {
    return this.floor === null ? null : justBefore(this.floor);
  }

  /** A new pass of `holder` over the collection starts: forget what its last one listed. */
  startPass(holder: symbol): void {
    this.pending.set(holder, new Map());
  }

  /**
   * True if `id` is done; otherwise records it as listed by `holder` and not done, which keeps
   * the floor below it until it is done or the holder's next pass no longer lists it.
   */
  isDone(id: string, dateAdded: string, holder: symbol): boolean {
    if (this.done.has(id)) return true;
    this.pending.get(holder)?.set(id, sortableTime(dateAdded)!);
    return false;
  }

  /** Take the lease of `id` for `holder`; false if another holder has it. */
  lease(id: string, holder: symbol): boolean {
    const h = this.leases.get(id);
    if (h !== undefined && h !== holder) return false;
    this.leases.set(id, holder);
    return true;
  }

  /** Give back every lease of `holder` (its loop ended or its transport closed). */
  releaseAll(holder: symbol): void {
    for (const [id, h] of this.leases) if (h === holder) this.leases.delete(id);
    this.pending.delete(holder);
  }

  /** Mark objects done (acknowledged, or not lintas envelopes) and save durably. */
  async finish(objects: { id: string; dateAdded: string }[]): Promise<void> {
    if (objects.length === 0) return;
    for (const { id, dateAdded } of objects) {
      this.done.set(id, dateAdded);
      for (const p of this.pending.values()) p.delete(id);
      this.leases.delete(id);
    }
    this.advance();
    const state: TaxiiCursorState = { floor: this.floor, done: Object.fromEntries(this.done) };
    // Saves run one after another, so an older state never lands after a newer one.
    const saved = this.saving.then(() => this.store.save(this.key, state));
    this.saving = saved.catch(() => {});
    await saved;
  }

  /** Move the floor up to the newest done object older than every pending one; prune `done`. */
  private advance(): void {
    // Nothing any receive loop has listed and not finished may fall below the floor.
    let oldestPending: string | null = null;
    for (const p of this.pending.values()) for (const t of p.values()) if (oldestPending === null || t < oldestPending) oldestPending = t;
    let best: [string, string] | null = this.floor === null ? null : [sortableTime(this.floor)!, this.floor];
    for (const d of this.done.values()) {
      const t = sortableTime(d)!;
      if (oldestPending !== null && t >= oldestPending) continue;
      if (best === null || t > best[0]) best = [t, d];
    }
    if (best === null) return;
    // Never closer than TAXII_SETTLE_MS to the newest object seen: see TAXII_SETTLE_MS.
    let newest = best[0];
    for (const d of this.done.values()) if (sortableTime(d)! > newest) newest = sortableTime(d)!;
    const settledUpTo = Date.parse(newest) - TAXII_SETTLE_MS;
    if (Date.parse(best[1]) > settledUpTo) {
      let settled: [string, string] | null = this.floor === null ? null : [sortableTime(this.floor)!, this.floor];
      for (const d of this.done.values()) {
        const t = sortableTime(d)!;
        if (Date.parse(d) <= settledUpTo && t <= best[0] && (settled === null || t > settled[0])) settled = [t, d];
      }
      if (settled === null) return;
      best = settled;
    }
    this.floor = best[1];
    const keepFrom = sortableTime(justBefore(this.floor))!;
    for (const [id, d] of this.done) if (sortableTime(d)! < keepFrom) this.done.delete(id);
  }
}
