/**
 * X25519 on node:crypto for a secret key that is used again and again: a recipient's own key,
 * which opens every envelope sent to it. OpenSSL's X25519 costs about a third of libsodium's
 * WebAssembly one, but a raw secret key must first become a KeyObject, and OpenSSL 3 imports a
 * PKCS #8 key (the only form Node 20 takes without putting the secret in a JS string, as JWK
 * would) in several agreements' time. So a key is imported on its second use, and kept:
 *
 * - The KeyObject is held in a WeakMap under the caller's own Uint8Array, so it lives no longer
 *   than the caller's copy of the key; OpenSSL wipes the key when the object is freed.
 * - With it is an HMAC of the key's bytes under a random per-process key (never the bytes
 *   themselves), checked in constant time at every use: if the caller changed or zeroed the
 *   array, the stale KeyObject is dropped, never used.
 * - `wipe()` (bytes.ts) drops the entry of the array it wipes, as KeyRing.close() does for its keys.
 *
 * Nothing here is ever the only check: `x25519.ts` still refuses an all-zero result, and falls
 * back to libsodium for anything node:crypto refuses (low-order points), so both paths give the
 * same results and the same errors (test/crypto/x25519.wycheproof.test.ts runs both).
 */
import type { KeyObject } from 'node:crypto';

type NodeCrypto = typeof import('node:crypto');

/** DER prefix of a PKCS #8 X25519 private key (RFC 8410 section 7), followed by the 32 key bytes. */
const PKCS8_X25519_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20]);

interface CachedKey {
  /** HMAC-SHA-256(process key, secret key bytes) when the KeyObject was made. */
  check: Uint8Array;
  key: KeyObject;
}

/** null: seen once, not imported (a key used once never pays for the import). */
const cache = new WeakMap<Uint8Array, CachedKey | null>();

/** Forget what is kept for `secretKey` (called by `wipe()`). */
export function forgetX25519Key(secretKey: Uint8Array): void {
  cache.delete(secretKey);
}

/**
 * X25519(secretKey, publicKey) on node:crypto, or null when the key is seen for the first time
 * (the caller then uses libsodium). Throws whatever node:crypto throws (e.g. for a low-order
 * point); the caller falls back to libsodium for its verdict. Both keys must be 32 bytes.
 */
export type RepeatedKeyX25519 = (secretKey: Uint8Array, publicKey: Uint8Array) => Uint8Array | null;

/** The {@link RepeatedKeyX25519} of this process's node:crypto, with its own random check key. */
export function nodeRepeatedKeyX25519(nc: NodeCrypto): RepeatedKeyX25519 {
  const checkKey = nc.randomBytes(32);
  const checkOf = (secretKey: Uint8Array): Uint8Array => nc.createHmac('sha256', checkKey).update(secretKey).digest();
  return (secretKey, publicKey) => {
    const cached = cache.get(secretKey);
    if (cached === undefined) {
      cache.set(secretKey, null);
      return null;
    }
    const check = checkOf(secretKey);
    let entry = cached;
    if (entry === null || !nc.timingSafeEqual(entry.check, check)) {
      entry = { check, key: importSecretKey(nc, secretKey) };
      cache.set(secretKey, entry);
    }
    return agree(nc, entry.key, publicKey);
  };
}

/** One agreement without any caching, for the known-answer test. */
export function nodeX25519Once(nc: NodeCrypto, secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  return agree(nc, importSecretKey(nc, secretKey), publicKey);
}

function importSecretKey(nc: NodeCrypto, secretKey: Uint8Array): KeyObject {
  const der = new Uint8Array(PKCS8_X25519_PREFIX.length + secretKey.length);
  der.set(PKCS8_X25519_PREFIX, 0);
  der.set(secretKey, PKCS8_X25519_PREFIX.length);
  try {
    return nc.createPrivateKey({ key: Buffer.from(der.buffer), format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0);
  }
}

function agree(nc: NodeCrypto, privateKey: KeyObject, publicKey: Uint8Array): Uint8Array {
  // A public key is not secret, and JWK is OpenSSL 3's fast route for raw keys (DER: ~7x slower).
  const x = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString('base64url');
  const peer = nc.createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x }, format: 'jwk' });
  const shared = nc.diffieHellman({ privateKey, publicKey: peer });
  const out = Uint8Array.from(shared);
  shared.fill(0);
  return out;
}
