/**
 * What an auditor, relay or transport may learn from an envelope without any key
 * (SPEC section 6.8): the structure, never secrets, sender or payload.
 */
import { HEADER_MAC_BYTES, PREFIX_BYTES, FORMAT_VERSION } from './constants.js';
import { decodeHeader, decodePrefix } from './header.js';
import { AEAD_TAG_BYTES } from '../crypto/aead.js';
import { LintasError } from '../errors/index.js';
import { dearmor, looksArmored } from './armor.js';
import { toHex } from './hex.js';

/** The key-free view of an envelope. */
export interface EnvelopeInspection {
  version: number;
  armored: boolean;
  /** Total size of the binary envelope. */
  totalBytes: number;
  headerBytes: number;
  chunkSize: number;
  /** Payload ciphertext bytes (all chunks with their tags). */
  payloadBytes: number;
  chunkCount: number;
  /** Size of the plaintext stream: payload, padding and signature together. */
  plaintextStreamBytes: number;
  /** True in hidden-recipients mode. */
  hiddenRecipients: boolean;
  /** One entry per stanza (padding dummies included: they are indistinguishable). */
  stanzas: { type: string; recipientId: string | null; bytes: number }[];
}

/**
 * Describe an envelope without keys. Validates the structure as a receiver would before crypto.
 * @throws {LintasError} `ERR_ENVELOPE_MALFORMED`, `ERR_ENVELOPE_TRUNCATED`,
 * `ERR_ENVELOPE_UNSUPPORTED_VERSION`, `ERR_ENVELOPE_LIMIT_EXCEEDED` or `ERR_ARMOR_MALFORMED`.
 */
export async function inspect(envelope: Uint8Array | string): Promise<EnvelopeInspection> {
  let bytes = typeof envelope === 'string' ? new TextEncoder().encode(envelope) : envelope;
  if (!(bytes instanceof Uint8Array)) throw new TypeError('envelope must be a Uint8Array or an armored string');
  const armored = looksArmored(bytes.subarray(0, 64));
  if (armored) bytes = await dearmor(bytes);
  const headerLength = decodePrefix(bytes.subarray(0, PREFIX_BYTES));
  if (bytes.length < PREFIX_BYTES + headerLength + HEADER_MAC_BYTES) {
    throw new LintasError('ERR_ENVELOPE_TRUNCATED', 'Envelope is truncated: it ends inside the header');
  }
  const header = decodeHeader(bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + headerLength));
  const chunkSize = 1 << header.chunkExponent;
  const payloadBytes = bytes.length - PREFIX_BYTES - headerLength - HEADER_MAC_BYTES;
  const chunkCount = Math.max(1, Math.ceil(payloadBytes / (chunkSize + AEAD_TAG_BYTES)));
  return {
    version: FORMAT_VERSION,
    armored,
    totalBytes: bytes.length,
    headerBytes: headerLength,
    chunkSize,
    payloadBytes,
    chunkCount,
    plaintextStreamBytes: Math.max(0, payloadBytes - chunkCount * AEAD_TAG_BYTES),
    hiddenRecipients: header.stanzas[0]!.recipientId === null,
    stanzas: header.stanzas.map((s) => ({
      type: s.type,
      recipientId: s.recipientId === null ? null : toHex(s.recipientId),
      bytes: s.body.length + s.args.reduce((n, a) => n + a.length, 0),
    })),
  };
}
