/**
 * The payload STREAM (SPEC section 5.5): ChaCha20-Poly1305 over fixed-size chunks with nonce =
 * 11-byte big-endian chunk counter || 1-byte last-chunk flag (Hoang, Reyhanitabar, Rogaway and
 * Vizár's STREAM, as in age). Reordering, dropping, duplicating, truncating at a chunk boundary
 * or extending the payload all make some chunk fail its tag.
 */
import { AEAD_NONCE_BYTES, AEAD_TAG_BYTES, chachaDecrypt, chachaEncrypt } from '../crypto/aead.js';

/** Nonce of chunk `counter` (SPEC 5.5). Counters above 2^53 are unreachable in practice. */
export function chunkNonce(counter: number, last: boolean): Uint8Array {
  const nonce = new Uint8Array(AEAD_NONCE_BYTES);
  let c = counter;
  for (let i = 10; i >= 0 && c > 0; i--) {
    nonce[i] = c % 256;
    c = Math.floor(c / 256);
  }
  nonce[11] = last ? 1 : 0;
  return nonce;
}

/** Encrypts chunks in order. */
export class StreamEncryptor {
  private counter = 0;
  private done = false;
  constructor(private readonly key: Uint8Array) {}

  /** Encrypt the next chunk; `last` must be set on exactly the final one. */
  encrypt(plaintext: Uint8Array, last: boolean): Uint8Array {
    if (this.done) throw new Error('STREAM already finished');
    const out = chachaEncrypt(this.key, chunkNonce(this.counter++, last), plaintext);
    if (last) this.done = true;
    return out;
  }
}

/** Decrypts chunks in order; returns null for a chunk whose tag fails. */
export class StreamDecryptor {
  private counter = 0;
  constructor(private readonly key: Uint8Array) {}

  decrypt(ciphertext: Uint8Array, last: boolean): Uint8Array | null {
    if (ciphertext.length < AEAD_TAG_BYTES) return null;
    return chachaDecrypt(this.key, chunkNonce(this.counter++, last), ciphertext);
  }
}
