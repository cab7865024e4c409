/**
 * Public and secret recipient keys as the envelope layer sees them, and the recipient id that
 * names a key in the signed recipient list (SPEC section 3.3).
 */
import { concatBytes, utf8 } from '../crypto/bytes.js';
import { sha256 } from '../crypto/hash.js';

/** The recipient stanza types of format v1 (SPEC section 4). */
export type RecipientType = 'X25519' | 'X-Wing';

/** All recipient types this version understands. */
export const RECIPIENT_TYPES: readonly RecipientType[] = ['X25519', 'X-Wing'];

/** An encryption public key someone can seal to. */
export interface RecipientPublicKey {
  /** Which stanza type seals to this key (SPEC section 4). */
  type: RecipientType;
  /** The public key: 32 bytes for X25519, 1,216 bytes for X-Wing. */
  publicKey: Uint8Array;
}

/** An encryption key pair that can open envelopes sealed to its public key. */
export interface RecipientKeyPair extends RecipientPublicKey {
  /** The secret key (32 bytes for X25519 and for the X-Wing seed). Keep it secret; wipe it when done. */
  secretKey: Uint8Array;
}

/** An Ed25519 signing key pair (libsodium's 64-byte secret key form). */
export interface SigningKeyPair {
  /** The 32-byte Ed25519 public key others verify signatures with. */
  publicKey: Uint8Array;
  /** The 64-byte secret key (seed || public key, libsodium's form). Keep it secret. */
  secretKey: Uint8Array;
}

/**
 * The 32-byte recipient id of a public key:
 * SHA-256("lintas/v1 recipient id" || 0x00 || len(type) || type || publicKey).
 */
export function recipientId(key: RecipientPublicKey): Uint8Array {
  const type = utf8(key.type);
  return sha256(concatBytes(RECIPIENT_ID_CONTEXT, new Uint8Array([0, type.length]), type, key.publicKey));
}

/** Encoded once: recipient ids are computed several times per envelope. */
const RECIPIENT_ID_CONTEXT = utf8('lintas/v1 recipient id');
