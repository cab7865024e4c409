/**
 * Everything derived from the file key (SPEC section 3.2), each with its own context string.
 */
import { hkdfSha256Expand, hkdfSha256Extract, hmacSha256 } from '../crypto/hash.js';
import { utf8, wipe } from '../crypto/bytes.js';
import { COMMIT_BYTES, CONTEXT } from './constants.js';

/** The keys of one envelope. Call {@link wipeEnvelopeKeys} when done. */
export interface EnvelopeKeys {
  macKey: Uint8Array;
  commitment: Uint8Array;
  metaKey: Uint8Array;
  payloadKey: Uint8Array;
}

/** The context strings' bytes, encoded once (never handed out: the callers copy them). */
const INFO = {
  headerMac: utf8(CONTEXT.headerMac),
  commitment: utf8(CONTEXT.commitment),
  meta: utf8(CONTEXT.meta),
  payload: utf8(CONTEXT.payload),
};

/**
 * Each key is HKDF-SHA-256(fileKey, salt, its own context string) (SPEC 3.2). All four share
 * the ikm and salt, so HKDF-Extract is computed once and expanded four times: the same bytes as
 * four full HKDF calls, for five HMACs instead of eight.
 */
export function deriveEnvelopeKeys(fileKey: Uint8Array, salt: Uint8Array): EnvelopeKeys {
  const prk = hkdfSha256Extract(fileKey, salt);
  try {
    return {
      macKey: hkdfSha256Expand(prk, INFO.headerMac, 32),
      commitment: hkdfSha256Expand(prk, INFO.commitment, COMMIT_BYTES),
      metaKey: hkdfSha256Expand(prk, INFO.meta, 32),
      payloadKey: hkdfSha256Expand(prk, INFO.payload, 32),
    };
  } finally {
    wipe(prk);
  }
}

export function wipeEnvelopeKeys(k: EnvelopeKeys): void {
  wipe(k.macKey, k.metaKey, k.payloadKey);
}

/** HMAC-SHA-256 over the prefix and header bytes exactly as they appear on the wire. */
export function headerMac(macKey: Uint8Array, prefixAndHeader: Uint8Array): Uint8Array {
  return hmacSha256(macKey, prefixAndHeader);
}
