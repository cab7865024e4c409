/**
 * Keys kept as node:crypto KeyObjects, so that OpenSSL does not re-import them at every use.
 * Importing a raw key costs more than the operation itself: a PKCS #8 secret key (the only form
 * Node 20 takes without putting the secret in a JS string, as JWK would) about ten X25519
 * agreements or Ed25519 signatures, a JWK public key about a third of one.
 *
 * Secret keys (a recipient's own X25519 key, a sender's Ed25519 key):
 * - imported on their second use, so a key used once never pays for the import;
 * - held in a WeakMap under the caller's own Uint8Array, so the KeyObject lives no longer than
 *   the caller's copy of the key; OpenSSL wipes the key when the object is freed;
 * - with an HMAC of the key's bytes under a random per-process key (never the bytes themselves),
 *   checked in constant time at every use: if the caller changed or zeroed the array, the stale
 *   KeyObject is dropped, never used;
 * - forgotten by `wipe()` (bytes.ts), as KeyRing.close() does for its keys.
 *
 * Public keys (recipients sealed to, senders verified) are not secret: they are kept by value, a
 * bounded number of them, oldest dropped first, so hostile input can only make them be imported
 * again, never hold memory.
 */
import type { KeyObject } from 'node:crypto';

type NodeCrypto = typeof import('node:crypto');

interface KeptKey {
  /** HMAC-SHA-256(process key, secret key bytes) when the entry was made. */
  check: Uint8Array;
  /** null: the importer refused this key, the caller keeps using libsodium for it. */
  key: KeyObject | null;
}

/** Every cache of secret keys, so that {@link forgetKeptKeys} reaches all of them. */
const secretCaches: WeakMap<Uint8Array, KeptKey | null>[] = [];

/** Forget every KeyObject kept for `secretKey` (called by `wipe()`). */
export function forgetKeptKeys(secretKey: Uint8Array): void {
  for (const cache of secretCaches) cache.delete(secretKey);
}

/**
 * The KeyObject for a secret key array, or null on the array's first use (the caller then uses
 * libsodium) or when the importer refused the key.
 */
export type KeptSecretKey = (secretKey: Uint8Array) => KeyObject | null;

/** A cache of secret KeyObjects made by `importKey` (which returns null to refuse a key). */
export function keptSecretKeys(nc: NodeCrypto, importKey: (secretKey: Uint8Array) => KeyObject | null): KeptSecretKey {
  const cache = new WeakMap<Uint8Array, KeptKey | null>();
  secretCaches.push(cache);
  const checkKey = nc.randomBytes(32);
  return (secretKey) => {
    const cached = cache.get(secretKey);
    if (cached === undefined) {
      cache.set(secretKey, null);
      return null;
    }
    const check = nc.createHmac('sha256', checkKey).update(secretKey).digest();
    if (cached !== null && nc.timingSafeEqual(cached.check, check)) return cached.key;
    const entry = { check, key: importKey(secretKey) };
    cache.set(secretKey, entry);
    return entry.key;
  };
}

/** Import a secret key as PKCS #8 DER (`prefix || key`), wiping the DER copy afterwards. */
export function importPkcs8(nc: NodeCrypto, prefix: Uint8Array, key: Uint8Array): KeyObject {
  const der = new Uint8Array(prefix.length + key.length);
  der.set(prefix, 0);
  der.set(key, prefix.length);
  try {
    return nc.createPrivateKey({ key: Buffer.from(der.buffer), format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0);
  }
}

/** How many public keys of one curve are kept: the 1,024 recipients an envelope may have. */
export const KEPT_PUBLIC_KEYS = 1024;

/** The KeyObject of a raw public key; the same object for the same bytes while it is kept. */
export type KeptPublicKey = (publicKey: Uint8Array) => KeyObject;

/** A bounded cache of public KeyObjects of curve `crv`, imported as JWK (OpenSSL 3's fast route for raw keys; DER is about 7x slower). */
export function keptPublicKeys(nc: NodeCrypto, crv: 'X25519' | 'Ed25519'): KeptPublicKey {
  const cache = new Map<string, KeyObject>();
  return (publicKey) => {
    const x = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString('base64url');
    let key = cache.get(x);
    if (key === undefined) {
      key = importPublicKey(nc, crv, x);
      if (cache.size >= KEPT_PUBLIC_KEYS) cache.delete(cache.keys().next().value!);
      cache.set(x, key);
    }
    return key;
  };
}

/** Import a raw public key given in base64url, without keeping it. */
export function importPublicKey(nc: NodeCrypto, crv: 'X25519' | 'Ed25519', x: string): KeyObject {
  return nc.createPublicKey({ key: { kty: 'OKP', crv, x }, format: 'jwk' });
}
