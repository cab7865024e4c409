/**
 * Everything derived from the file key (SPEC section 3.2), each with its own context string.
 */
import { hkdfSha256, hmacSha256, sha256 } from '../crypto/hash.js';
import { concatBytes, utf8, wipe } from '../crypto/bytes.js';
import { COMMIT_BYTES, CONTEXT } from './constants.js';

/** The keys of one envelope. Call {@link wipeEnvelopeKeys} when done. */
export interface EnvelopeKeys {
  macKey: Uint8Array;
  commitment: Uint8Array;
  metaKey: Uint8Array;
  payloadKey: Uint8Array;
}

export function deriveEnvelopeKeys(fileKey: Uint8Array, salt: Uint8Array): EnvelopeKeys {
  return {
    macKey: hkdfSha256(fileKey, salt, CONTEXT.headerMac, 32),
    commitment: hkdfSha256(fileKey, salt, CONTEXT.commitment, COMMIT_BYTES),
    metaKey: hkdfSha256(fileKey, salt, CONTEXT.meta, 32),
    payloadKey: hkdfSha256(fileKey, salt, CONTEXT.payload, 32),
  };
}

export function wipeEnvelopeKeys(k: EnvelopeKeys): void {
  wipe(k.macKey, k.metaKey, k.payloadKey);
}

/** HMAC-SHA-256 over the prefix and header bytes exactly as they appear on the wire. */
export function headerMac(macKey: Uint8Array, prefixAndHeader: Uint8Array): Uint8Array {
  return hmacSha256(macKey, prefixAndHeader);
}

/**
 * The message the sender signs (SPEC section 5.7):
 * "lintas/v1 signature" || 0x00 || SHA-256(prefix || header) || SHA-256(payload).
 * The header carries the version, the key commitment, the stanzas and the encrypted meta block
 * (sender, recipient ids, id, times), so one signature binds all of them to the payload.
 */
export function signedMessage(prefixAndHeader: Uint8Array, payloadHash: Uint8Array): Uint8Array {
  return concatBytes(utf8(CONTEXT.signature), new Uint8Array([0]), sha256(prefixAndHeader), payloadHash);
}
