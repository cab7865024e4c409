/**
 * What one drop folder transport knows of one mailbox's files (docs/TRANSPORTS.md 3.2, "Index"),
 * so a claim costs the same with 10 or 100 000 envelopes waiting: `new/` is read once and its
 * names are tried oldest first from memory, instead of reading and sorting the folder for every
 * claim (that took 100-300 ms at 50 000 files here).
 *
 * The folder stays the only truth, so nothing here can make two receivers hold one envelope or
 * lose one: a claim is still the rename of drop-folder.ts, which exactly one receiver wins, and a
 * name known here that another process has taken meanwhile just fails that rename (ENOENT) and
 * is skipped. What the index decides is only *when* files are looked for:
 *
 * - `new/` is read again once every name of the previous read has been tried, so a read returns
 *   only files that arrived since (amortised O(1) per envelope). Files another process writes
 *   meanwhile are newer than those waiting, so first-in-first-out per sender holds;
 * - while a read finds nothing, later polls skip it as long as the directory is unchanged (same
 *   modification and change time, in ns) and had been quiet for {@link SETTLE_MS} when read, so
 *   a change within the same timestamp tick is not missed; it is read regardless every
 *   {@link FORCED_READ_MS} (clocks of machines sharing a folder, attribute caches);
 * - `cur/` (envelopes leased now, a handful) is read at most every poll interval, for leases
 *   another receiver let lapse: those are tried before `new/`, as they are older;
 * - this process's own sends are added as they are made, and wake its waiting receive loops.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { BigIntStats } from 'node:fs';
import { pause } from './lease-renewal.js';
import { STORED_NAME_PATTERN } from './stored-name.js';

/** `<name>.lease-<expiry ms>-<token>` under `cur/`. */
export const LEASED_NAME_PATTERN = /^(\d{15}-\d{9}-[0-9a-f]{16})\.lease-(\d{1,15})-([0-9a-f]{16})$/;

/** A directory unchanged for this long when read is trusted to show a change by its timestamps. */
const SETTLE_MS = 1000;
/** `new/` is read at least this often while idle, changed or not. */
const FORCED_READ_MS = 10_000;

/** A file that may be claimable: its stored name and where it is now. */
export interface ClaimCandidate {
  /** The stored name (without lease suffix). */
  base: string;
  /** Its path now: under `new/`, or a lapsed lease under `cur/`. */
  from: string;
}

/** One mailbox folder as one transport sees it; shared by that transport's receive loops. */
export class DropFolderQueue {
  /** Names read from `new/` (each read sorted) and own sends, tried from `head` on. */
  private fresh: string[] = [];
  private head = 0;
  /** Lapsed leases found in `cur/`, oldest first. */
  private lapsed: ClaimCandidate[] = [];
  /** When `cur/` is next read (unix ms). */
  private curDueMs = -Infinity;
  /** `new/` as it was when a read found nothing in it, if it had settled; null: read it next time. */
  private quietNew: { mtimeNs: bigint; ctimeNs: bigint; ino: bigint; until: number } | null = null;
  /** Claims are made one at a time per mailbox, so two loops of one process do not race each other. */
  private turn: Promise<unknown> = Promise.resolve();
  private readonly wakers = new Set<AbortController>();
  /** Receive loops using this queue; the transport drops it at zero. */
  users = 0;

  constructor(
    /** The mailbox folder (`<root>/<mailbox>`). */
    readonly dir: string,
    private readonly pollIntervalMs: number,
  ) {}

  /**
   * Hand each candidate, oldest first, to `claim` until it returns a result (the rename won) or
   * none is left; null then. Reads the folder only as described in the module comment.
   */
  next<T>(claim: (c: ClaimCandidate) => Promise<T | null>): Promise<T | null> {
    const run = this.turn.then(async () => {
      for (;;) {
        const candidate = await this.candidate();
        if (candidate === null) return null;
        const won = await claim(candidate);
        if (won !== null) return won;
      }
    });
    this.turn = run.catch(() => undefined);
    return run;
  }

  /** Record an envelope this process just delivered into `new/`, and wake waiting loops. */
  added(name: string): void {
    this.fresh.push(name);
    for (const w of this.wakers) w.abort();
  }

  /** Wait up to `ms` for mail: ends early on an own send into the mailbox or an aborted signal. */
  async wait(ms: number, ...signals: (AbortSignal | null)[]): Promise<void> {
    const wake = new AbortController();
    this.wakers.add(wake);
    try {
      await pause(ms, wake.signal, ...signals);
    } finally {
      this.wakers.delete(wake);
    }
  }

  private async candidate(): Promise<ClaimCandidate | null> {
    const now = Date.now();
    if (now >= this.curDueMs) await this.readCur(now);
    const lapsed = this.lapsed.shift();
    if (lapsed !== undefined) return lapsed;
    if (this.head >= this.fresh.length) await this.readNew(now);
    if (this.head >= this.fresh.length) return null;
    const name = this.fresh[this.head++]!;
    if (this.head > 1024 && this.head * 2 > this.fresh.length) {
      this.fresh = this.fresh.slice(this.head);
      this.head = 0;
    }
    return { base: name, from: join(this.dir, 'new', name) };
  }

  /** Note the leases in `cur/` that have lapsed; read again at the next expiry or poll interval. */
  private async readCur(now: number): Promise<void> {
    let next = now + this.pollIntervalMs;
    const lapsed: ClaimCandidate[] = [];
    for (const name of await readdir(join(this.dir, 'cur'))) {
      const m = LEASED_NAME_PATTERN.exec(name);
      if (m === null) continue;
      const expiry = Number(m[2]);
      if (expiry < now) lapsed.push({ base: m[1]!, from: join(this.dir, 'cur', name) });
      else next = Math.min(next, expiry + 1);
    }
    lapsed.sort((a, b) => (a.base < b.base ? -1 : a.base > b.base ? 1 : 0));
    this.lapsed = lapsed;
    this.curDueMs = next;
  }

  /** Read the names in `new/`, unless it is known unchanged since a read that found none. */
  private async readNew(now: number): Promise<void> {
    const before: BigIntStats = await stat(join(this.dir, 'new'), { bigint: true });
    const quiet = this.quietNew;
    if (quiet !== null && now < quiet.until && quiet.mtimeNs === before.mtimeNs && quiet.ctimeNs === before.ctimeNs && quiet.ino === before.ino) return;
    const names = (await readdir(join(this.dir, 'new'))).filter((n) => STORED_NAME_PATTERN.test(n)).sort();
    // Own sends added while reading are kept (one the read also found is just tried twice).
    const added = this.fresh.slice(this.head);
    this.fresh = names.concat(added);
    this.head = 0;
    // The timestamps were taken before the read, so a file added after it changes them, unless
    // it came within the same timestamp tick: trust them only for a directory that had settled.
    const settled = this.fresh.length === 0 && now - Number(before.mtimeNs / 1_000_000n) > SETTLE_MS;
    this.quietNew = settled ? { mtimeNs: before.mtimeNs, ctimeNs: before.ctimeNs, ino: before.ino, until: now + FORCED_READ_MS } : null;
  }
}
