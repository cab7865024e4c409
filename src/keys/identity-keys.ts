/**
 * The key material of one identity: an Ed25519 signing key and two encryption keys (X25519 and
 * X-Wing). Keys derive from one 32-byte seed with HKDF and a context string per key (SPEC 3.4),
 * so a backup is one seed and test vectors are reproducible.
 */
import { cryptoReady } from '../crypto/sodium.js';
import { systemRandom } from '../crypto/random.js';
import { hkdfSha256 } from '../crypto/hash.js';
import { wipe } from '../crypto/bytes.js';
import { LintasError } from '../errors/index.js';
import { ed25519KeyPairFromSeed, ed25519KeyPairMatches, ED25519_PUBLIC_KEY_BYTES, ED25519_SECRET_KEY_BYTES } from '../crypto/ed25519.js';
import { x25519KeyPairFromSecret, x25519KeyPairMatches, X25519_KEY_BYTES } from '../crypto/x25519.js';
import { xwingKeyPairFromSeed, xwingKeyPairMatches, XWING_PUBLIC_KEY_BYTES, XWING_SECRET_KEY_BYTES } from '../crypto/xwing.js';
import type { RecipientKeyPair, RecipientPublicKey, RecipientType, SigningKeyPair } from './recipient.js';

/** Everything needed to sign as, and open envelopes for, one identity. Keep it secret. */
export interface IdentityKeys {
  /** The Ed25519 key pair that signs envelopes, key cards and bundle manifests. */
  signing: SigningKeyPair;
  /** The classic X25519 encryption key pair. */
  x25519: RecipientKeyPair;
  /** The post-quantum hybrid X-Wing (ML-KEM-768 + X25519) encryption key pair. */
  xwing: RecipientKeyPair;
}

/** The public half of {@link IdentityKeys}: what others need to seal to you and verify you. */
export interface PublicIdentityKeys {
  /** The 32-byte Ed25519 public key that verifies this identity's signatures. */
  signingPublicKey: Uint8Array;
  /** The X25519 public key to seal to. */
  x25519: RecipientPublicKey;
  /** The X-Wing public key to seal to (preferred: it stays safe against a future quantum computer). */
  xwing: RecipientPublicKey;
}

const SEED_BYTES = 32;

/**
 * Derive identity keys from a 32-byte seed (SPEC section 3.4): the same seed always gives the
 * same keys, so a backup of an identity is its seed.
 * @param seed - 32 secret random bytes; wipe them after use.
 * @throws {TypeError} if `seed` is not a Uint8Array.
 * @throws {RangeError} if it is not 32 bytes.
 * @example
 * ```ts
 * import { identityKeysFromSeed } from 'lintas';
 *
 * const seed = crypto.getRandomValues(new Uint8Array(32));
 * const keys = await identityKeysFromSeed(seed);
 * const again = await identityKeysFromSeed(seed);
 * console.assert(keys.signing.publicKey.every((b, i) => b === again.signing.publicKey[i]));
 * ```
 */
export async function identityKeysFromSeed(seed: Uint8Array): Promise<IdentityKeys> {
  if (!(seed instanceof Uint8Array)) throw new TypeError('seed must be a Uint8Array');
  if (seed.length !== SEED_BYTES) throw new RangeError(`seed must be ${SEED_BYTES} bytes, got ${seed.length}`);
  await cryptoReady();
  const empty = new Uint8Array(0);
  const edSeed = hkdfSha256(seed, empty, 'lintas/v1 identity ed25519', 32);
  const xSecret = hkdfSha256(seed, empty, 'lintas/v1 identity x25519', 32);
  const xwSeed = hkdfSha256(seed, empty, 'lintas/v1 identity x-wing', 32);
  const signing = ed25519KeyPairFromSeed(edSeed);
  const x = x25519KeyPairFromSecret(xSecret);
  const xw = xwingKeyPairFromSeed(xwSeed);
  wipe(edSeed, xSecret, xwSeed);
  return {
    signing,
    x25519: { type: 'X25519', publicKey: x.publicKey, secretKey: x.secretKey },
    xwing: { type: 'X-Wing', publicKey: xw.publicKey, secretKey: xw.secretKey },
  };
}

/**
 * Generate fresh identity keys from the system CSPRNG: an Ed25519 signing key, an X25519 and an
 * X-Wing encryption key. Most apps create identities through {@link KeyRing.createIdentity}
 * instead, which also issues a key card and stores the keys encrypted.
 * @example
 * ```ts
 * import { generateIdentityKeys, publicIdentityKeys, wipeIdentityKeys } from 'lintas';
 *
 * const keys = await generateIdentityKeys();
 * const shareable = publicIdentityKeys(keys); // what others need to seal to you
 * console.log(shareable.xwing.publicKey.length); // 1216
 * wipeIdentityKeys(keys); // when the app locks
 * ```
 */
export async function generateIdentityKeys(): Promise<IdentityKeys> {
  await cryptoReady();
  const seed = systemRandom(SEED_BYTES);
  try {
    return await identityKeysFromSeed(seed);
  } finally {
    wipe(seed);
  }
}

/** The public keys of an identity. */
export function publicIdentityKeys(keys: IdentityKeys): PublicIdentityKeys {
  return {
    signingPublicKey: keys.signing.publicKey,
    x25519: { type: 'X25519', publicKey: keys.x25519.publicKey },
    xwing: { type: 'X-Wing', publicKey: keys.xwing.publicKey },
  };
}

/** Zero every secret key in `keys` (after use, e.g. when an app locks). */
export function wipeIdentityKeys(keys: IdentityKeys): void {
  wipe(keys.signing.secretKey, keys.x25519.secretKey, keys.xwing.secretKey);
}

function checkLength(bytes: Uint8Array, expected: number, what: string): void {
  if (bytes.length !== expected) throw new RangeError(`${what} must be ${expected} bytes, got ${bytes.length}`);
}

function notItsKey(what: string): LintasError {
  return new LintasError('ERR_CRYPTO_INVALID_KEY', `${what}.publicKey is not the public key of ${what}.secretKey; pass the key pair as generated`);
}

/**
 * Check that an Ed25519 key pair is whole: a 32-byte public key and libsodium's 64-byte secret
 * key, whose seed derives exactly that public key (also the copy inside the secret key). Code that
 * publishes a key (a key card) calls it first, so it never publishes a key it cannot sign for.
 * Call after `cryptoReady()`.
 * @param what - the argument's name, for the message (e.g. `options.keys.signing`).
 * @throws {RangeError} if a key has the wrong length.
 * @throws {@link LintasError} `ERR_CRYPTO_INVALID_KEY` if the public key is not the secret key's.
 */
export function checkSigningKeyPair(pair: SigningKeyPair, what: string): void {
  checkLength(pair.publicKey, ED25519_PUBLIC_KEY_BYTES, `${what}.publicKey`);
  checkLength(pair.secretKey, ED25519_SECRET_KEY_BYTES, `${what}.secretKey`);
  if (!ed25519KeyPairMatches(pair.publicKey, pair.secretKey)) throw notItsKey(what);
}

/**
 * Check that an encryption key pair of the given type is whole: the lengths of SPEC section 4
 * (X25519: 32 and 32; X-Wing: 1,216 and a 32-byte seed), and a public key that the secret key
 * derives, so envelopes sealed to the published key open with the kept one. The pair's own
 * `type` field is not consulted: callers name the slot it was passed in.
 * Call after `cryptoReady()`.
 * @param what - the argument's name, for the message (e.g. `options.keys.xwing`).
 * @throws {RangeError} if a key has the wrong length.
 * @throws {@link LintasError} `ERR_CRYPTO_INVALID_KEY` if the public key is not the secret key's.
 */
export function checkEncryptionKeyPair(pair: RecipientKeyPair, type: RecipientType, what: string): void {
  if (type === 'X25519') {
    checkLength(pair.publicKey, X25519_KEY_BYTES, `${what}.publicKey`);
    checkLength(pair.secretKey, X25519_KEY_BYTES, `${what}.secretKey`);
    if (!x25519KeyPairMatches(pair.publicKey, pair.secretKey)) throw notItsKey(what);
  } else {
    checkLength(pair.publicKey, XWING_PUBLIC_KEY_BYTES, `${what}.publicKey`);
    checkLength(pair.secretKey, XWING_SECRET_KEY_BYTES, `${what}.secretKey`);
    if (!xwingKeyPairMatches(pair.publicKey, pair.secretKey)) throw notItsKey(what);
  }
}

/**
 * Check all three key pairs of `keys` with {@link checkSigningKeyPair} and
 * {@link checkEncryptionKeyPair}. The key ring calls it on keys a caller hands it
 * (`createIdentity`, `rotateIdentity`) before making a card of them and storing them.
 * @throws {RangeError} if a key has the wrong length.
 * @throws {@link LintasError} `ERR_CRYPTO_INVALID_KEY` if a public key is not its secret key's.
 */
export function checkIdentityKeyPairs(keys: IdentityKeys, what: string): void {
  checkSigningKeyPair(keys.signing, `${what}.signing`);
  checkEncryptionKeyPair(keys.x25519, 'X25519', `${what}.x25519`);
  checkEncryptionKeyPair(keys.xwing, 'X-Wing', `${what}.xwing`);
}
