/**
 * The relay's in-memory index of one mailbox (docs/TRANSPORTS.md 3.3, "Index"): what is stored,
 * in arrival order, which envelopes are leased and until when. Built from the folder at start-up
 * and kept in step with every store and removal, so leasing, claiming and counting cost the same
 * with 10 or 200 000 envelopes waiting (the folder is no longer read on each request).
 */
import { systemRandom } from '../../crypto/random.js';
import { StoredNameSource } from '../stored-name.js';
import { hexOf } from './protocol.js';

/** One stored envelope. */
export interface IndexedEnvelope {
  /** Its stored name, which sorts in arrival order. */
  id: string;
  /** Its size in bytes. */
  size: number;
  /** Who sent it, for the sender quota; null for envelopes found on disk at start-up. */
  sender: string | null;
  /** When it arrived (unix ms), for expiry. */
  storedAtMs: number;
}

/** A lease held by a receiver. */
export interface Lease {
  /** Secret the holder presents to renew it. */
  token: string;
  /** When it lapses (unix ms). */
  expiresAtMs: number;
}

/** One mailbox's envelopes, arrival queue and leases. */
export class MailboxIndex {
  /** Names for new envelopes: per mailbox, so an id says nothing about other mailboxes' traffic. */
  readonly names = new StoredNameSource();
  /** Every stored envelope, in arrival order (Map keeps insertion order). */
  private readonly stored = new Map<string, IndexedEnvelope>();
  /** Ids not handed out yet, in arrival order, from `head` on; removed ones are skipped lazily. */
  private queue: string[] = [];
  private head = 0;
  /** Ids whose lease lapsed, oldest first: leased again before newer mail. */
  private returned: string[] = [];
  private readonly leases = new Map<string, Lease>();
  /** Earliest lease expiry, or Infinity; leases are only scanned once it has passed. */
  private nextExpiryMs = Infinity;

  /** Envelopes stored. */
  get count(): number {
    return this.stored.size;
  }

  /** Add an envelope; ids must arrive in increasing order (the folder scan sorts them). */
  add(entry: IndexedEnvelope): void {
    this.stored.set(entry.id, entry);
    this.queue.push(entry.id);
  }

  /** Forget an envelope (acknowledged or expired); returns it, or undefined if unknown. */
  remove(id: string): IndexedEnvelope | undefined {
    const entry = this.stored.get(id);
    if (entry === undefined) return undefined;
    this.stored.delete(id);
    this.leases.delete(id);
    return entry;
  }

  /** The stored envelope `id`, if any. */
  get(id: string): IndexedEnvelope | undefined {
    return this.stored.get(id);
  }

  /** The envelopes in arrival order with whether each is leased now. */
  list(nowMs: number): { id: string; size: number; leased: boolean }[] {
    const out = [];
    for (const e of this.stored.values()) out.push({ id: e.id, size: e.size, leased: (this.leases.get(e.id)?.expiresAtMs ?? 0) > nowMs });
    return out;
  }

  /** Envelopes that arrived before `cutoffMs`, oldest first (for expiry). */
  *olderThan(cutoffMs: number): Generator<IndexedEnvelope> {
    for (const e of this.stored.values()) {
      if (e.storedAtMs >= cutoffMs) return;
      yield e;
    }
  }

  /** When the next lease lapses (unix ms), or Infinity: a waiting poll may find mail then. */
  get nextLeaseExpiryMs(): number {
    return this.nextExpiryMs;
  }

  /** Lease up to `max` available envelopes for `leaseMs`, oldest first. Cost: O(max) amortised. */
  lease(max: number, leaseMs: number, nowMs: number): { entry: IndexedEnvelope; lease: Lease }[] {
    if (nowMs >= this.nextExpiryMs) this.expireLeases(nowMs);
    const granted: { entry: IndexedEnvelope; lease: Lease }[] = [];
    while (granted.length < max) {
      const id = this.returned.length > 0 ? this.returned.shift()! : this.head < this.queue.length ? this.queue[this.head++]! : undefined;
      if (id === undefined) break;
      const entry = this.stored.get(id);
      if (entry === undefined || this.leases.has(id)) continue; // acknowledged, or leased through `returned`
      const lease = { token: hexOf(systemRandom(16)), expiresAtMs: nowMs + leaseMs };
      this.leases.set(id, lease);
      this.nextExpiryMs = Math.min(this.nextExpiryMs, lease.expiresAtMs);
      granted.push({ entry, lease });
    }
    this.compact();
    return granted;
  }

  /** The live lease on `id` presenting `token`, if any. */
  heldLease(id: string, token: unknown, nowMs: number): Lease | undefined {
    const lease = this.leases.get(id);
    return lease !== undefined && lease.token === token && lease.expiresAtMs > nowMs ? lease : undefined;
  }

  /** True when nothing is stored (the index can be dropped). */
  get empty(): boolean {
    return this.stored.size === 0;
  }

  /** Put lapsed leases back in line, oldest first. Cost: the number of leases held. */
  private expireLeases(nowMs: number): void {
    const lapsed: string[] = [];
    let next = Infinity;
    for (const [id, lease] of this.leases) {
      if (lease.expiresAtMs <= nowMs) lapsed.push(id);
      else next = Math.min(next, lease.expiresAtMs);
    }
    for (const id of lapsed) this.leases.delete(id);
    this.nextExpiryMs = next;
    if (lapsed.length > 0) this.returned = [...this.returned, ...lapsed].sort();
  }

  /** Drop the consumed part of the queue once it is half of it. */
  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
