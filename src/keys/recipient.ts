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
 * The 32-byte recipient id of a public key (SPEC 3.3):
 * SHA-256("lintas/v1 recipient id" || 0x00 || len(type) || type || publicKey).
 * A fresh array each time, so the caller may keep or change it.
 */
export function recipientId(key: RecipientPublicKey): Uint8Array {
  const known = computed.get(key.publicKey);
  if (known !== undefined && known.type === key.type && sameBytes(known.publicKey, key.publicKey)) return known.id.slice();
  const type = utf8(key.type);
  const id = sha256(concatBytes(RECIPIENT_ID_CONTEXT, new Uint8Array([0, type.length]), type, key.publicKey));
  computed.set(key.publicKey, { type: key.type, publicKey: key.publicKey.slice(), id });
  return id.slice();
}

/** Encoded once: recipient ids are computed several times per envelope. */
const RECIPIENT_ID_CONTEXT = utf8('lintas/v1 recipient id');

/**
 * Ids already computed, under the caller's own public key array, so that an application sealing
 * to the same recipients (or opening with the same keys) again and again hashes each key once:
 * a lookup and a byte comparison cost a fraction of building the input and hashing it (issue
 * 17). Each entry holds a copy of the key it was computed from, so an array changed in place is
 * hashed again, never answered from the cache; entries live no longer than the caller's array.
 * Public keys and ids are public: nothing here is secret.
 */
const computed = new WeakMap<Uint8Array, { type: string; publicKey: Uint8Array; id: Uint8Array }>();

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
