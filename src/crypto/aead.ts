/**
 * Authenticated encryption: ChaCha20-Poly1305 (RFC 8439, 96-bit nonce) for envelopes, and
 * XChaCha20-Poly1305 (192-bit nonce) where a random nonce is specified (key ring storage).
 * Decryption returns `null` on failure: callers turn that into the one error their layer defines.
 * ChaCha20-Poly1305 on large inputs runs on the runtime's fast backend when there is one
 * (`bulk-backend.ts`); the bytes are the same either way.
 */
import { fastPathFor } from './bulk-backend.js';
import { sodium } from './sodium.js';

/** ChaCha20-Poly1305 key, nonce and tag sizes in bytes. */
export const AEAD_KEY_BYTES = 32;
export const AEAD_NONCE_BYTES = 12;
export const AEAD_TAG_BYTES = 16;
export const XAEAD_NONCE_BYTES = 24;

/**
 * A key or nonce of the wrong size is a programming error, not a failed decryption: refuse it
 * before either backend sees it, so both paths report it alike and decryption never turns it
 * into `null` (which callers would report as tampering or "not for me").
 */
function checkSizes(key: Uint8Array, nonce: Uint8Array, nonceBytes: number): void {
  if (key.length !== AEAD_KEY_BYTES) throw new RangeError(`AEAD key must be ${AEAD_KEY_BYTES} bytes, got ${key.length}`);
  if (nonce.length !== nonceBytes) throw new RangeError(`AEAD nonce must be ${nonceBytes} bytes, got ${nonce.length}`);
}

/** ChaCha20-Poly1305-IETF encrypt; returns ciphertext || 16-byte tag. RangeError for a wrong key or nonce size. */
export function chachaEncrypt(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array {
  checkSizes(key, nonce, AEAD_NONCE_BYTES);
  const fast = fastPathFor(plaintext.length);
  if (fast) return fast.chachaEncrypt(key, nonce, plaintext, aad);
  return sodium().crypto_aead_chacha20poly1305_ietf_encrypt(plaintext, aad ?? null, null, nonce, key);
}

/** ChaCha20-Poly1305-IETF decrypt; `null` if the tag does not verify, RangeError for a wrong key or nonce size. */
export function chachaDecrypt(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, aad?: Uint8Array): Uint8Array | null {
  checkSizes(key, nonce, AEAD_NONCE_BYTES);
  if (ciphertext.length < AEAD_TAG_BYTES) return null;
  const fast = fastPathFor(ciphertext.length);
  if (fast) return fast.chachaDecrypt(key, nonce, ciphertext, aad);
  try {
    return sodium().crypto_aead_chacha20poly1305_ietf_decrypt(null, ciphertext, aad ?? null, nonce, key);
  } catch {
    return null;
  }
}

/** XChaCha20-Poly1305-IETF encrypt; returns ciphertext || 16-byte tag. RangeError for a wrong key or nonce size. */
export function xchachaEncrypt(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array {
  checkSizes(key, nonce, XAEAD_NONCE_BYTES);
  return sodium().crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, aad ?? null, null, nonce, key);
}

/** XChaCha20-Poly1305-IETF decrypt; `null` if the tag does not verify, RangeError for a wrong key or nonce size. */
export function xchachaDecrypt(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, aad?: Uint8Array): Uint8Array | null {
  checkSizes(key, nonce, XAEAD_NONCE_BYTES);
  if (ciphertext.length < AEAD_TAG_BYTES) return null;
  try {
    return sodium().crypto_aead_xchacha20poly1305_ietf_decrypt(null, ciphertext, aad ?? null, nonce, key);
  } catch {
    return null;
  }
}
