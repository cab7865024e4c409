/**
 * Argon2id (RFC 9106) password hashing through libsodium's `crypto_pwhash` (sumo build), for
 * turning a passphrase into the key that protects a key ring at rest. libsodium runs Argon2id
 * with one lane (p = 1); the cost is set by `opslimit` (passes, t) and `memlimit` (bytes, m).
 */
import { sodium } from './sodium.js';

/** Argon2id salt size in bytes (libsodium `crypto_pwhash_SALTBYTES`). */
export const ARGON2ID_SALT_BYTES = 16;

/** Argon2id cost parameters. `memlimit` is in bytes and must be a multiple of 1 KiB. */
export interface Argon2idParams {
  /** Number of passes over memory (t). */
  opslimit: number;
  /** Memory in bytes (m). */
  memlimit: number;
}

/**
 * Derive `length` bytes from `passphrase` with Argon2id. Callers validate the parameters
 * against their own floor and ceiling first; libsodium enforces only its absolute limits.
 */
export function argon2id(passphrase: Uint8Array, salt: Uint8Array, params: Argon2idParams, length: number): Uint8Array {
  const s = sodium();
  if (salt.length !== ARGON2ID_SALT_BYTES) throw new RangeError(`Argon2id salt must be ${ARGON2ID_SALT_BYTES} bytes`);
  return s.crypto_pwhash(length, passphrase, salt, params.opslimit, params.memlimit, s.crypto_pwhash_ALG_ARGON2ID13);
}
