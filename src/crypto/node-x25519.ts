/**
 * X25519 on node:crypto, where OpenSSL's ladder costs about half of libsodium's WebAssembly one
 * (instruction counts: 0.74 M against 1.57 M per agreement; docs/PERFORMANCE.md), in the two
 * places where no raw secret key has to be imported:
 *
 * - a secret key used again and again, a recipient's own key opening envelope after envelope:
 *   imported on its second use and kept (`node-kept-keys.ts`);
 * - a fresh ephemeral key, for sealing with the system's randomness: OpenSSL generates it as a
 *   KeyObject, so it is never imported. Its public key is computed as X25519 with the base point
 *   u = 9 (RFC 7748 section 6.1), not exported: on Node 20.20.2, exporting a generated X25519
 *   public key as JWK can deadlock inside a GC finalizer after some thousands of keys, and a DER
 *   export costs more than the agreement (`test/crypto/x25519-ephemeral.test.ts` runs many
 *   generations with forced collections in a child process, under a timeout).
 *
 * Nothing here is ever the only check: `x25519.ts` still refuses an all-zero result, and falls
 * back to libsodium for anything node:crypto refuses (low-order points), so both paths give the
 * same results and the same errors (test/crypto/x25519.wycheproof.test.ts runs both).
 */
import type { KeyObject } from 'node:crypto';
import { importPkcs8, importPublicKey, keptPublicKeys, keptSecretKeys } from './node-kept-keys.js';

type NodeCrypto = typeof import('node:crypto');

/** DER prefix of a PKCS #8 X25519 private key (RFC 8410 section 7), followed by the 32 key bytes. */
const PKCS8_X25519_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20]);

/** The X25519 base point, u = 9 (RFC 7748 section 4.1). */
const BASE_POINT = Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 9 : 0));

/**
 * X25519(secretKey, publicKey) on node:crypto, or null when the key is seen for the first time
 * (the caller then uses libsodium). Throws whatever node:crypto throws (e.g. for a low-order
 * point); the caller falls back to libsodium for its verdict. Both keys must be 32 bytes.
 */
export type RepeatedKeyX25519 = (secretKey: Uint8Array, publicKey: Uint8Array) => Uint8Array | null;

/**
 * A fresh ephemeral key pair from OpenSSL's CSPRNG: its public key and its agreement with
 * `publicKey` (32 bytes). Throws whatever node:crypto throws; the caller falls back to libsodium.
 */
export type EphemeralX25519 = (publicKey: Uint8Array) => { publicKey: Uint8Array; shared: Uint8Array };

/** The {@link RepeatedKeyX25519} of this process's node:crypto, with its own random check key. */
export function nodeRepeatedKeyX25519(nc: NodeCrypto): RepeatedKeyX25519 {
  const kept = keptSecretKeys(nc, (secretKey) => importPkcs8(nc, PKCS8_X25519_PREFIX, secretKey));
  return (secretKey, publicKey) => {
    const key = kept(secretKey);
    // The peer of an own key is an ephemeral key from an envelope: new every time, not kept.
    return key && agree(nc, key, importPublicKey(nc, 'X25519', base64url(publicKey)));
  };
}

/** The {@link EphemeralX25519} of this process's node:crypto; recipients' public keys are kept. */
export function nodeEphemeralX25519(nc: NodeCrypto): EphemeralX25519 {
  // Buffer only here, never at module load: this file is reachable from the browser entry.
  const basePoint = importPublicKey(nc, 'X25519', base64url(BASE_POINT));
  const recipients = keptPublicKeys(nc, 'X25519');
  return (publicKey) => {
    const { privateKey } = nc.generateKeyPairSync('x25519');
    return { publicKey: agree(nc, privateKey, basePoint), shared: agree(nc, privateKey, recipients(publicKey)) };
  };
}

/** One agreement without any caching, for the known-answer tests (a public key of u = 9 gives the secret's public key). */
export function nodeX25519Once(nc: NodeCrypto, secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  return agree(nc, importPkcs8(nc, PKCS8_X25519_PREFIX, secretKey), importPublicKey(nc, 'X25519', base64url(publicKey)));
}

function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

function agree(nc: NodeCrypto, privateKey: KeyObject, publicKey: KeyObject): Uint8Array {
  const shared = nc.diffieHellman({ privateKey, publicKey });
  const out = Uint8Array.from(shared);
  shared.fill(0);
  return out;
}
