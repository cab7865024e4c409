/**
 * Names for stored envelopes (drop folder files, relay files): they sort in the order they were
 * made, so listing a directory gives first-in-first-out order, and are unique across processes
 * and machines without coordination.
 */
import { systemRandom } from '../crypto/random.js';
import { toHex } from '../envelope/hex.js';

/** `<ms since epoch, 15 digits>-<sequence, 9 digits>-<16 random hex digits>`. */
export const STORED_NAME_PATTERN = /^\d{15}-\d{9}-[0-9a-f]{16}$/;

/** Makes increasing names for one writer. Needs `cryptoReady()` to have resolved. */
export class StoredNameSource {
  private lastTime = 0;
  private sequence = 0;

  /** The next name: never smaller than the previous one, even if the clock goes back. */
  next(): string {
    this.lastTime = Math.max(Date.now(), this.lastTime);
    this.sequence = (this.sequence + 1) % 1e9;
    if (this.sequence === 0) this.lastTime++; // keep increasing when the sequence wraps
    return `${String(this.lastTime).padStart(15, '0')}-${String(this.sequence).padStart(9, '0')}-${toHex(systemRandom(8))}`;
  }
}
