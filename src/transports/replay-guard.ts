/**
 * Replay protection above any transport. Transports deliver at-least-once, and anyone who saw an
 * envelope can send it again; a receiver therefore remembers the envelope ids (the signed,
 * random 16-byte id inside every envelope) it has processed, and refuses to process one twice.
 */
import { toHex } from '../envelope/hex.js';

/**
 * Remembers envelope ids that were processed. `receiveEnvelopes` passes each envelope's id bound
 * to its sender key (a 16-byte hash of both), not the bare id. Implementations: {@link MemoryReplayGuard}, and
 * `FileReplayGuard` in lintas/node (an fsynced append-only log). Apps with a database can
 * implement it there, in the same transaction as their own data, for exactly-once processing.
 */
export interface ReplayGuard {
  /** True if `envelopeId` was remembered before. */
  has(envelopeId: Uint8Array): Promise<boolean>;
  /** Remember `envelopeId`. Resolves only once it is durable (survives a crash of this process). */
  remember(envelopeId: Uint8Array): Promise<void>;
}

/** Throws a TypeError unless `id` is bytes; a RangeError unless it is 1 to 64 bytes long. */
export function checkEnvelopeId(id: unknown): asserts id is Uint8Array {
  if (!(id instanceof Uint8Array)) throw new TypeError('envelopeId must be a Uint8Array');
  if (id.length === 0 || id.length > 64) throw new RangeError('envelopeId must be 1 to 64 bytes');
}

/** A {@link ReplayGuard} in memory: for tests and short-lived processes (forgets on exit). */
export class MemoryReplayGuard implements ReplayGuard {
  private readonly seen = new Set<string>();

  /** @inheritdoc */
  async has(envelopeId: Uint8Array): Promise<boolean> {
    checkEnvelopeId(envelopeId);
    return this.seen.has(toHex(envelopeId));
  }

  /** @inheritdoc */
  async remember(envelopeId: Uint8Array): Promise<void> {
    checkEnvelopeId(envelopeId);
    this.seen.add(toHex(envelopeId));
  }
}
