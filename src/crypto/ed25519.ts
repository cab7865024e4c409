/**
 * Ed25519 signatures (RFC 8032) through libsodium, whose verifier is strict: it rejects
 * non-canonical S, non-canonical and small-order public keys and R values (SPEC section 1.3).
 */
import { sodium } from './sodium.js';

export const ED25519_PUBLIC_KEY_BYTES = 32;
export const ED25519_SEED_BYTES = 32;
export const ED25519_SECRET_KEY_BYTES = 64;
export const ED25519_SIGNATURE_BYTES = 64;

/** An Ed25519 key pair. `secretKey` is libsodium's 64-byte form (seed || public key). */
export interface Ed25519KeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

/** Derive an Ed25519 key pair from a 32-byte seed. */
export function ed25519KeyPairFromSeed(seed: Uint8Array): Ed25519KeyPair {
  const kp = sodium().crypto_sign_seed_keypair(seed);
  return { publicKey: kp.publicKey, secretKey: kp.privateKey };
}

/**
 * Whether `publicKey` and `secretKey` are one Ed25519 key pair: the secret key is libsodium's
 * 64-byte form and the pair derived from its seed half has exactly this public key, both as
 * given and as embedded in the secret key (libsodium signs with the embedded copy, so a wrong
 * one would make signatures that never verify).
 */
export function ed25519KeyPairMatches(publicKey: Uint8Array, secretKey: Uint8Array): boolean {
  if (publicKey.length !== ED25519_PUBLIC_KEY_BYTES || secretKey.length !== ED25519_SECRET_KEY_BYTES) return false;
  const derived = sodium().crypto_sign_seed_keypair(secretKey.subarray(0, ED25519_SEED_BYTES));
  derived.privateKey.fill(0);
  const embedded = secretKey.subarray(ED25519_SEED_BYTES);
  let diff = 0;
  for (let i = 0; i < ED25519_PUBLIC_KEY_BYTES; i++) diff |= (derived.publicKey[i]! ^ publicKey[i]!) | (derived.publicKey[i]! ^ embedded[i]!);
  return diff === 0;
}

/** Detached Ed25519 signature of `message`. */
export function ed25519Sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  return sodium().crypto_sign_detached(message, secretKey);
}

/** Verify a detached Ed25519 signature; false for any malformed input. */
export function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== ED25519_PUBLIC_KEY_BYTES || signature.length !== ED25519_SIGNATURE_BYTES) return false;
  try {
    return sodium().crypto_sign_verify_detached(signature, message, publicKey);
  } catch {
    return false;
  }
}
