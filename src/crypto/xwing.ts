/**
 * X-Wing hybrid KEM (ML-KEM-768 + X25519, draft-connolly-cfrg-xwing-kem) through libsodium
 * 1.0.22. Its shared secret stays secret if either component is unbroken (SPEC section 4.2).
 */
import { sodium } from './sodium.js';

export const XWING_PUBLIC_KEY_BYTES = 1216;
export const XWING_SECRET_KEY_BYTES = 32;
export const XWING_CIPHERTEXT_BYTES = 1120;
export const XWING_ENCAPS_SEED_BYTES = 64;

/** An X-Wing key pair; the 32-byte secret key is the X-Wing seed. */
export interface XWingKeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

/** Derive an X-Wing key pair from its 32-byte seed. */
export function xwingKeyPairFromSeed(seed: Uint8Array): XWingKeyPair {
  const kp = sodium().crypto_kem_xwing_seed_keypair(seed);
  return { publicKey: kp.publicKey, secretKey: kp.privateKey };
}

/**
 * Encapsulate to `publicKey` with 64 bytes of caller-supplied randomness (from the
 * envelope's random source, so test vectors are reproducible).
 */
export function xwingEncapsulate(publicKey: Uint8Array, seed: Uint8Array): { ciphertext: Uint8Array; sharedSecret: Uint8Array } {
  return sodium().crypto_kem_xwing_enc_deterministic(publicKey, seed);
}

/** Decapsulate; X-Wing decapsulation never fails (implicit rejection yields an unrelated secret). */
export function xwingDecapsulate(ciphertext: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return sodium().crypto_kem_xwing_dec(ciphertext, secretKey);
}
