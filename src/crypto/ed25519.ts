/**
 * Ed25519 signatures (RFC 8032) with the strict verification rules of SPEC section 1.3, which
 * are those of libsodium's `crypto_sign_verify_detached`: non-canonical S, non-canonical and
 * small-order public keys, and small-order R values are refused.
 *
 * Two backends give the same bytes and the same verdicts: libsodium's WebAssembly build
 * everywhere, and OpenSSL through node:crypto on Node (`node-ed25519.ts`, about 1.4-1.7x fewer
 * instructions). OpenSSL's verifier checks only rules 2 and 5, so rules 1 to 4 are checked here,
 * first, whatever the backend. `test/crypto/ed25519-strict.test.ts` runs Wycheproof, random and
 * crafted inputs (small-order and mixed-order points, S >= l, non-canonical encodings) through
 * both and requires the same verdict from each.
 */
import { fastEd25519 } from './bulk-backend.js';
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

/**
 * Detached Ed25519 signature of `message`: on Node, from a key's second use, by OpenSSL with the
 * key kept (`node-kept-keys.ts`); the same bytes as libsodium's either way.
 */
export function ed25519Sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  const fast = fastEd25519();
  if (fast !== null && secretKey.length === ED25519_SECRET_KEY_BYTES) {
    let signature: Uint8Array | null = null;
    try {
      signature = fast.sign(secretKey, message);
    } catch {
      // libsodium signs instead (and throws its own error for a malformed key)
    }
    if (signature !== null) return signature;
  }
  return sodium().crypto_sign_detached(message, secretKey);
}

/**
 * Rules 1 to 4 of SPEC 1.3, which OpenSSL does not make: lengths; S < l; R not of small order;
 * A canonical and not of small order. Byte comparisons only. A signature that fails them never
 * verifies; one that passes verifies exactly when rule 5 holds (OpenSSL's or libsodium's
 * verdict), which lets the checkpoint checks of a stream hand rule 5 to another thread
 * (`signed-segments.ts`).
 */
export function passesEd25519EncodingRules(publicKey: Uint8Array, signature: Uint8Array): boolean {
  // Rule 1: lengths.
  if (publicKey.length !== ED25519_PUBLIC_KEY_BYTES || signature.length !== ED25519_SIGNATURE_BYTES) return false;
  // Rules 2 to 4: S < l; R not of small order; A canonical and not of small order.
  if (!isCanonicalScalar(signature.subarray(32)) || hasSmallOrder(signature.subarray(0, 32))) return false;
  return isCanonicalPointEncoding(publicKey) && !hasSmallOrder(publicKey);
}

/** Verify a detached Ed25519 signature under the rules of SPEC 1.3; false for any malformed input. */
export function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (!passesEd25519EncodingRules(publicKey, signature)) return false;
  // Rule 5 (A on the curve, the cofactorless equation against R byte for byte) by the backend.
  const fast = fastEd25519();
  if (fast !== null) {
    try {
      return fast.verify(publicKey, message, signature);
    } catch {
      // libsodium gives the verdict on whatever OpenSSL could not take
    }
  }
  try {
    return sodium().crypto_sign_verify_detached(signature, message, publicKey);
  } catch {
    return false;
  }
}

/** The group order l = 2^252 + 27742317777372353535851937790883648493, little-endian. */
const GROUP_ORDER = Uint8Array.from([
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
]);

/** Whether `s` (32 bytes, little-endian) is below the group order l: SPEC 1.3 rule 2. */
export function isCanonicalScalar(s: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    if (s[i]! !== GROUP_ORDER[i]!) return s[i]! < GROUP_ORDER[i]!;
  }
  return false; // s = l
}

/** Whether the y-coordinate of a point encoding (bit 255 is the sign of x) is below p = 2^255 − 19: SPEC 1.3 rule 3. */
export function isCanonicalPointEncoding(a: Uint8Array): boolean {
  if ((a[31]! & 0x7f) !== 0x7f) return true;
  for (let i = 30; i > 0; i--) if (a[i] !== 0xff) return true;
  return a[0]! < 0xed;
}

/**
 * The y-coordinates of the points of order 1, 2, 4 and 8, with the non-canonical encodings of
 * 0 and 1 (y = p, p + 1): libsodium's `ge25519_has_small_order` list. Either sign of x.
 */
const SMALL_ORDER_Y: readonly Uint8Array[] = [
  '0000000000000000000000000000000000000000000000000000000000000000', // y = 0: order 4
  '0100000000000000000000000000000000000000000000000000000000000000', // y = 1: the identity
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05', // order 8
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a', // order 8 (p minus the above)
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // y = p − 1 = −1: order 2
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // y = p (0): order 4
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // y = p + 1 (1): the identity
].map((h) => Uint8Array.from(h.match(/../g)!, (b) => parseInt(b, 16)));

/** Whether a point encoding is one of a point of small order: SPEC 1.3 rules 3 and 4. */
export function hasSmallOrder(a: Uint8Array): boolean {
  for (const y of SMALL_ORDER_Y) {
    let diff = (a[31]! & 0x7f) ^ y[31]!;
    for (let i = 0; i < 31; i++) diff |= a[i]! ^ y[i]!;
    if (diff === 0) return true;
  }
  return false;
}
