/**
 * Ed25519 (RFC 8032) on node:crypto: OpenSSL signs in about 0.58 M instructions and verifies in
 * about 1.37 M, against libsodium WebAssembly's 0.98 M and 1.95 M (docs/PERFORMANCE.md). Both
 * give the same signature bytes for the same key and message (Ed25519 is deterministic).
 *
 * OpenSSL's verifier is not the strict one SPEC 1.3 requires: it refuses S >= l and checks the
 * cofactorless equation against R byte for byte (rules 2 and 5), but it takes a non-canonical A
 * and small-order A and R. `ed25519.ts` checks rules 1 to 4 itself before calling
 * {@link NodeEd25519.verify}, which is never the only check.
 *
 * A secret key is libsodium's 64-byte form, seed || public key, and libsodium signs with the
 * public key it embeds, where OpenSSL derives it from the seed. The two differ only for an
 * inconsistent pair, which is never imported: {@link NodeEd25519.sign} then returns null and the
 * caller signs with libsodium, as before, so the bytes never depend on the backend.
 */
import { importPkcs8, keptPublicKeys, keptSecretKeys } from './node-kept-keys.js';

type NodeCrypto = typeof import('node:crypto');

/** DER prefix of a PKCS #8 Ed25519 private key (RFC 8410 section 7), followed by the 32-byte seed. */
const PKCS8_ED25519_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);
/** An SPKI (RFC 8410 section 4) Ed25519 public key is 44 bytes: this prefix, then the 32 key bytes. */
const SPKI_KEY_OFFSET = 12;

/** Ed25519 on node:crypto. */
export interface NodeEd25519 {
  /**
   * The signature of `message` by a 64-byte libsodium secret key, or null on the key's first use
   * (see `node-kept-keys.ts`) or for an inconsistent key pair: the caller then uses libsodium.
   */
  sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array | null;
  /** OpenSSL's verdict alone (rules 2 and 5 of SPEC 1.3); the caller checks rules 1 to 4 first. */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}

/** The {@link NodeEd25519} of this process's node:crypto. */
export function nodeEd25519(nc: NodeCrypto): NodeEd25519 {
  const kept = keptSecretKeys(nc, (secretKey) => {
    const key = importPkcs8(nc, PKCS8_ED25519_PREFIX, secretKey.subarray(0, 32));
    // Once per kept key: the public key OpenSSL derives must be the one libsodium would sign with.
    const spki = nc.createPublicKey(key).export({ format: 'der', type: 'spki' });
    return nc.timingSafeEqual(spki.subarray(SPKI_KEY_OFFSET), secretKey.subarray(32)) ? key : null;
  });
  const publicKeys = keptPublicKeys(nc, 'Ed25519');
  return {
    sign(secretKey, message) {
      const key = kept(secretKey);
      if (key === null) return null;
      const signature = nc.sign(null, message, key);
      // A view into a shared pool would carry other data behind `.buffer`: copy it then.
      if (signature.byteOffset === 0 && signature.buffer.byteLength === signature.byteLength) return new Uint8Array(signature.buffer);
      return Uint8Array.from(signature);
    },
    verify(publicKey, message, signature) {
      return nc.verify(null, message, publicKeys(publicKey), signature);
    },
  };
}
