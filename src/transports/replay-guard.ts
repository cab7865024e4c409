/**
 * Replay protection above any transport. Transports deliver at-least-once, and anyone who saw an
 * envelope can send it again; a receiver therefore remembers the envelope ids (the signed,
 * random 16-byte id inside every envelope) it has processed, and refuses to process one twice.
 */
import { toHex } from '../envelope/hex.js';

/**
 * Remembers envelope ids that were processed. `receiveEnvelopes` passes each envelope's id bound
 * to its sender key (a 16-byte hash of both), not the bare id, and the end of the envelope's
 * replay window. Implementations: {@link MemoryReplayGuard}, and in lintas/node `FileReplayGuard`
 * (an fsynced, compacted log) and `RedisReplayGuard`. Apps with a database can implement it
 * there, in the same transaction as their own data, for exactly-once processing.
 */
export interface ReplayGuard {
  /** True if `envelopeId` was remembered before (and not yet forgotten after its `keepUntil`). */
  has(envelopeId: Uint8Array): Promise<boolean>;
  /**
   * Remember `envelopeId`. Resolves only once it is durable (survives a crash of this process),
   * and rejects otherwise. `keepUntil`: the id may be forgotten after this time, because the
   * receive loop refuses the envelope as too old from then on (SPEC 10.7); omitted: keep it
   * forever. A guard may keep ids longer.
   */
  remember(envelopeId: Uint8Array, keepUntil?: Date): Promise<void>;
}

/**
 * What {@link ReservingReplayGuard.reserve} found: `'new'` (the caller now holds the id's
 * reservation, or renewed its own), `'seen'` (the id was remembered: a replay), `'busy'` (another
 * live reservation holds it: a copy of the envelope is being handled elsewhere right now).
 */
export type ReplayReservation = 'new' | 'seen' | 'busy';

/**
 * A {@link ReplayGuard} that receivers in several processes can share without two of them
 * handling two copies of one envelope at the same moment (an envelope stored twice by a retried
 * send, or by an attacker). `has` then `remember` around the handler is not one transaction:
 * two processes can both see `has` false. `receiveEnvelopes` therefore reserves the id first:
 *
 * - `reserve(id, token, holdMs)` atomically: if the id was remembered, `'seen'`; if no live
 *   reservation holds it (none, one released, or one not renewed for `holdMs`: its holder died),
 *   it records a reservation for `token` and answers `'new'`; if the reservation is `token`'s own,
 *   it renews it for another `holdMs` and answers `'new'`; otherwise `'busy'`. The receive loop
 *   renews its reservation while the handler runs, as transports renew delivery leases.
 * - `remember(id, keepUntil)` turns any reservation into the remembered id (what `has` reports).
 * - `release(id, token)` removes the reservation if it is still `token`'s (the handler threw: the
 *   redelivery must be handled, not dropped); it never removes another token's reservation or a
 *   remembered id.
 *
 * A reservation is not a remembered id: `has` stays false for it, and it is forgotten (released,
 * or taken over once not renewed for `holdMs`), so a receiver that crashes mid-handler delays the
 * envelope by at most `holdMs` and never loses it. `RedisReplayGuard`, `NatsKvReplayGuard` and
 * `FileReplayGuard` (lintas/node) implement it. {@link MemoryReplayGuard} does not need to: one
 * process uses it, and `receiveEnvelopes` serialises the copies of one envelope within a process
 * itself (docs/TRANSPORTS.md 4, "Replay guards").
 */
export interface ReservingReplayGuard extends ReplayGuard {
  /**
   * Reserve `envelopeId` for `token` for `holdMs` (see the interface). Every receiver sharing
   * the guard must use it: a receiver that only calls `has` would not see a reservation.
   */
  reserve(envelopeId: Uint8Array, token: string, holdMs: number): Promise<ReplayReservation>;
  /** Remove `token`'s reservation of `envelopeId`, if it still holds it; otherwise do nothing. */
  release(envelopeId: Uint8Array, token: string): Promise<void>;
}

/** True if `guard` implements {@link ReservingReplayGuard} (both methods). */
export function isReservingReplayGuard(guard: ReplayGuard): guard is ReservingReplayGuard {
  const g = guard as Partial<ReservingReplayGuard>;
  return typeof g.reserve === 'function' && typeof g.release === 'function';
}

const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

/** Throws a TypeError unless `token` (of a reservation) is 1 to 64 of A-Z a-z 0-9 _ -. */
export function checkReservationToken(token: unknown): asserts token is string {
  if (typeof token !== 'string' || !TOKEN.test(token)) throw new TypeError('token must be 1 to 64 of A-Z a-z 0-9 _ -');
}

/** Throws a TypeError unless `holdMs` is an integer; a RangeError unless it is 1 ms to one day. */
export function checkHoldMs(holdMs: unknown): number {
  if (typeof holdMs !== 'number' || !Number.isInteger(holdMs)) throw new TypeError('holdMs must be an integer');
  if (holdMs < 1 || holdMs > 86_400_000) throw new RangeError('holdMs must be 1 ms to one day');
  return holdMs;
}

/** Throws a TypeError unless `id` is bytes; a RangeError unless it is 1 to 64 bytes long. */
export function checkEnvelopeId(id: unknown): asserts id is Uint8Array {
  if (!(id instanceof Uint8Array)) throw new TypeError('envelopeId must be a Uint8Array');
  if (id.length === 0 || id.length > 64) throw new RangeError('envelopeId must be 1 to 64 bytes');
}

/**
 * How long past its time an id is still kept, in seconds: a clock stepped back by less than this
 * (NTP, a VM restored from a snapshot) cannot make an envelope that was refused as too old
 * acceptable again while its id is already forgotten.
 */
export const REPLAY_CLOCK_MARGIN_SECONDS = 86_400;

/**
 * Checks a `keepUntil` argument and returns it in unix seconds, rounded up (Infinity if omitted).
 * @throws {TypeError} unless it is undefined or a valid Date; {RangeError} for a time before 1970.
 */
export function checkKeepUntil(keepUntil: unknown): number {
  if (keepUntil === undefined) return Infinity;
  if (!(keepUntil instanceof Date) || Number.isNaN(keepUntil.getTime())) throw new TypeError('keepUntil must be a valid Date');
  if (keepUntil.getTime() <= 0) throw new RangeError('keepUntil must be after 1970');
  return Math.ceil(keepUntil.getTime() / 1000);
}

/** A {@link ReplayGuard} in memory: for tests and short-lived processes (forgets on exit). */
export class MemoryReplayGuard implements ReplayGuard {
  private readonly seen = new Set<string>();

  /** @inheritdoc */
  async has(envelopeId: Uint8Array): Promise<boolean> {
    checkEnvelopeId(envelopeId);
    return this.seen.has(toHex(envelopeId));
  }

  /**
   * Remember `envelopeId` until the process exits, whatever `keepUntil` says.
   * @throws {TypeError | RangeError} for an invalid id or `keepUntil`.
   */
  async remember(envelopeId: Uint8Array, keepUntil?: Date): Promise<void> {
    checkEnvelopeId(envelopeId);
    checkKeepUntil(keepUntil);
    this.seen.add(toHex(envelopeId));
  }
}
