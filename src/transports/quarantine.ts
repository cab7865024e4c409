/**
 * Where refused deliveries go. A receive loop acknowledges an envelope it refuses (tampered, not
 * for you, a replay, refused by a rule) so that it is not delivered again forever and never
 * blocks the mailbox; before that, it hands the bytes and the reason to a quarantine, so nothing
 * is lost for an investigation.
 */
import type { RejectedDelivery } from './receive-envelopes.js';

/**
 * Keeps refused deliveries with their reason. `lintas/node` has `DirectoryQuarantine`. `E` is the
 * envelope as the receive loop holds it: its bytes, or what a `read` option made of them.
 */
export interface Quarantine<E = Uint8Array> {
  /** Keep `rejected` (its envelope and its error). Resolve only once it is kept: the delivery is acknowledged next. */
  put(rejected: RejectedDelivery<E>): Promise<void>;
}

/** A {@link Quarantine} in memory, for tests and for apps that ship refused deliveries elsewhere. */
export class MemoryQuarantine<E = Uint8Array> implements Quarantine<E> {
  /** Every refused delivery, oldest first. */
  readonly entries: RejectedDelivery<E>[] = [];

  /** Keep `rejected` in {@link MemoryQuarantine.entries}. */
  async put(rejected: RejectedDelivery<E>): Promise<void> {
    this.entries.push(rejected);
  }
}
