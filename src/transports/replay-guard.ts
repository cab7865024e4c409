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
