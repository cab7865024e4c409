/**
 * Stateless relay challenges (docs/TRANSPORTS.md 3.3): the relay keeps no table of challenges it
 * issued, so no number of clients can fill one and lock everyone out of logging in. A nonce is
 *
 *   12 random bytes || expiry (unix seconds, 4 bytes big-endian) || 16-byte tag
 *
 * where the tag is HMAC-SHA-256 under a per-process secret over the context, the purpose, the
 * mailbox and the first 16 bytes, truncated. Answering it needs no state beyond the nonces
 * already used, kept until they expire: single use costs memory only for successful logins, which
 * each need a signature and are rate limited.
 */
import { concatBytes, constantTimeEqual, utf8, wipe } from '../../crypto/bytes.js';
import { hmacSha256 } from '../../crypto/hash.js';
import { systemRandom } from '../../crypto/random.js';
import { encodeCanonical } from '../../cbor/index.js';
import { hexOf, NONCE_BYTES, type SessionPurpose } from './protocol.js';

/** Context of the challenge tag; nothing else is MACed under the challenge secret. */
const CHALLENGE_TAG_CONTEXT = 'lintas/v1 relay challenge tag';
const RANDOM_BYTES = 12;
const TAG_BYTES = 16;

/** Issues and checks challenges without remembering them. */
export class ChallengeIssuer {
  private readonly secret = systemRandom(32);
  /** Nonces already answered, with their expiry (unix seconds). */
  private readonly used = new Map<string, number>();
  /** Size at which expired entries are next swept; doubles with the live set, so sweeps are amortised O(1). */
  private sweepAt = 1024;

  constructor(private readonly ttlSeconds: number) {}

  /** A fresh challenge for `purpose` (and, for 'owner', `mailbox`). Needs `cryptoReady()`. */
  issue(purpose: SessionPurpose, mailbox: string | null, nowSeconds: number): { nonce: Uint8Array; expiresAt: number } {
    const expiresAt = nowSeconds + this.ttlSeconds;
    const head = new Uint8Array(RANDOM_BYTES + 4);
    head.set(systemRandom(RANDOM_BYTES));
    new DataView(head.buffer).setUint32(RANDOM_BYTES, expiresAt);
    return { nonce: concatBytes(head, this.tag(head, purpose, mailbox)), expiresAt };
  }

  /**
   * The expiry of `nonce` if this relay issued it for `purpose` and `mailbox`, it has not expired
   * and was not used; null otherwise. Does not spend it: call {@link spend} once the signature
   * over it verified.
   */
  check(nonce: Uint8Array, purpose: SessionPurpose, mailbox: string | null, nowSeconds: number): number | null {
    if (nonce.length !== NONCE_BYTES) return null;
    const head = nonce.subarray(0, RANDOM_BYTES + 4);
    const expiresAt = new DataView(nonce.buffer, nonce.byteOffset).getUint32(RANDOM_BYTES);
    if (expiresAt < nowSeconds || expiresAt > nowSeconds + this.ttlSeconds) return null;
    if (!constantTimeEqual(this.tag(head, purpose, mailbox), nonce.subarray(RANDOM_BYTES + 4))) return null;
    if (this.used.has(hexOf(nonce))) return null;
    return expiresAt;
  }

  /** Mark a checked nonce used until it expires. */
  spend(nonce: Uint8Array, expiresAt: number, nowSeconds: number): void {
    if (this.used.size >= this.sweepAt) {
      for (const [k, exp] of this.used) if (exp < nowSeconds) this.used.delete(k);
      this.sweepAt = Math.max(1024, 2 * this.used.size);
    }
    this.used.set(hexOf(nonce), expiresAt);
  }

  /** Forget the secret (the relay is closing). */
  destroy(): void {
    wipe(this.secret);
    this.used.clear();
  }

  private tag(head: Uint8Array, purpose: SessionPurpose, mailbox: string | null): Uint8Array {
    const mac = hmacSha256(this.secret, concatBytes(utf8(CHALLENGE_TAG_CONTEXT), new Uint8Array([0]), encodeCanonical({ head, mailbox, purpose })));
    return mac.subarray(0, TAG_BYTES);
  }
}
