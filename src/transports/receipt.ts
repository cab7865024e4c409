/**
 * Signed delivery receipts: the recipient's app states, under its Ed25519 key, that it received
 * and opened a given envelope at a given time. The sender's app verifies the receipt against the
 * envelope it sent and keeps it in its audit trail.
 *
 * Receipt = canonical CBOR {at, env, hh, rcpt, sig, v: 1}:
 *   env  the envelope id (16 bytes, from inside the envelope: only a recipient knows it)
 *   hh   SHA-256 of the envelope's prefix, header and header MAC (binds this exact envelope)
 *   rcpt the recipient's Ed25519 signing public key
 *   at   when it was received, Unix seconds
 *   sig  Ed25519 over utf8("lintas/v1 delivery receipt") || 0x00 || canonical CBOR of the
 *        other fields {at, env, hh, rcpt, v}.
 */
import { decodeCanonical, encodeCanonical, type CborMap } from '../cbor/index.js';
import { concatBytes, utf8 } from '../crypto/bytes.js';
import { sha256 } from '../crypto/hash.js';
import { ED25519_PUBLIC_KEY_BYTES, ED25519_SIGNATURE_BYTES, ed25519Sign, ed25519Verify } from '../crypto/ed25519.js';
import { cryptoReady } from '../crypto/sodium.js';
import { LintasError } from '../errors/index.js';
import { dearmor, inspect } from '../envelope/index.js';
import { ENVELOPE_ID_BYTES, HEADER_MAC_BYTES, PREFIX_BYTES } from '../envelope/constants.js';
import type { SigningKeyPair } from '../keys/index.js';

const RECEIPT_CONTEXT = 'lintas/v1 delivery receipt';
const RECEIPT_VERSION = 1;
const HEADER_HASH_BYTES = 32;
/** A receipt is about 200 bytes; anything much larger is not one. */
const MAX_RECEIPT_BYTES = 1024;

/** The verified content of a receipt. */
export interface DeliveryReceipt {
  /** The id of the envelope received (16 bytes). */
  envelopeId: Uint8Array;
  /** SHA-256 of the envelope's prefix, header and header MAC. */
  headerHash: Uint8Array;
  /** The recipient's Ed25519 signing public key. */
  recipient: Uint8Array;
  /** When the recipient received it. */
  receivedAt: Date;
}

/**
 * The header hash a receipt binds: SHA-256 of the envelope's prefix, header and header MAC.
 * The header holds a fresh random salt and the wrapped file keys, so it names one envelope.
 * @throws {@link LintasError} the `ERR_ENVELOPE_*` / `ERR_ARMOR_MALFORMED` codes of {@link inspect}.
 */
export async function envelopeHeaderHash(envelope: Uint8Array | string): Promise<Uint8Array> {
  const seen = await inspect(envelope);
  const bytes = seen.armored ? await dearmor(envelope) : (envelope as Uint8Array);
  return sha256(bytes.subarray(0, PREFIX_BYTES + seen.headerBytes + HEADER_MAC_BYTES));
}

/**
 * Sign a receipt for an envelope you received and opened.
 * @param envelope The envelope as received (binary or armored).
 * @param opened The result of opening it (its `envelopeId` is used).
 * @param recipientSigningKey Your Ed25519 signing key pair.
 * @throws {TypeError} / {RangeError} for malformed arguments; the `ERR_ENVELOPE_*` codes of
 * {@link inspect} if `envelope` is not an envelope.
 */
export async function createReceipt(
  envelope: Uint8Array | string,
  opened: { envelopeId: Uint8Array },
  recipientSigningKey: SigningKeyPair,
  options: { now?: Date } = {},
): Promise<Uint8Array> {
  if (!opened || !(opened.envelopeId instanceof Uint8Array)) throw new TypeError('opened must be an opened envelope (with envelopeId)');
  if (opened.envelopeId.length !== ENVELOPE_ID_BYTES) throw new RangeError(`envelopeId must be ${ENVELOPE_ID_BYTES} bytes`);
  if (!recipientSigningKey || !(recipientSigningKey.publicKey instanceof Uint8Array) || !(recipientSigningKey.secretKey instanceof Uint8Array)) {
    throw new TypeError('recipientSigningKey must be a signing key pair');
  }
  if (recipientSigningKey.publicKey.length !== ED25519_PUBLIC_KEY_BYTES) throw new RangeError('recipientSigningKey.publicKey must be 32 bytes');
  const now = options.now ?? new Date();
  if (!(now instanceof Date) || Number.isNaN(now.getTime()) || now.getTime() < 0) throw new TypeError('options.now must be a valid Date');
  await cryptoReady();
  const body: CborMap = {
    v: RECEIPT_VERSION,
    env: opened.envelopeId.slice(),
    hh: await envelopeHeaderHash(envelope),
    rcpt: recipientSigningKey.publicKey.slice(),
    at: Math.floor(now.getTime() / 1000),
  };
  const sig = ed25519Sign(recipientSigningKey.secretKey, signedBytes(body));
  return encodeCanonical({ ...body, sig });
}

/**
 * Verify a receipt: that it is well formed, signed by the expected recipient, and about the
 * expected envelope. Give the envelope you sent (its header hash is checked; the sender cannot
 * read the envelope id) and/or the envelope id if you know it.
 * @throws {@link LintasError} `ERR_RECEIPT_MALFORMED`, `ERR_RECEIPT_MISMATCH` (another recipient or
 * envelope), `ERR_RECEIPT_SIGNATURE_INVALID`.
 * @throws {TypeError} if neither `expected.envelope` nor `expected.envelopeId` is given.
 */
export async function verifyReceipt(
  receipt: Uint8Array,
  expectedRecipientSigningPublicKey: Uint8Array,
  expected: { envelope?: Uint8Array | string; envelopeId?: Uint8Array },
): Promise<DeliveryReceipt> {
  if (!(receipt instanceof Uint8Array)) throw new TypeError('receipt must be a Uint8Array');
  if (!(expectedRecipientSigningPublicKey instanceof Uint8Array)) throw new TypeError('expectedRecipientSigningPublicKey must be a Uint8Array');
  if (!expected || (expected.envelope === undefined && expected.envelopeId === undefined)) {
    throw new TypeError('expected must name the envelope: { envelope } and/or { envelopeId }');
  }
  if (expected.envelopeId !== undefined && !(expected.envelopeId instanceof Uint8Array)) throw new TypeError('expected.envelopeId must be a Uint8Array');
  const r = parseReceipt(receipt);
  if (!equal(r.rcpt, expectedRecipientSigningPublicKey)) {
    throw new LintasError('ERR_RECEIPT_MISMATCH', 'The receipt was issued by another key than the recipient you expected');
  }
  await cryptoReady();
  const { sig, ...body } = r;
  if (!ed25519Verify(r.rcpt, signedBytes(body), sig)) {
    throw new LintasError('ERR_RECEIPT_SIGNATURE_INVALID', 'The receipt signature is invalid: it was forged or altered');
  }
  if (expected.envelopeId !== undefined && !equal(r.env, expected.envelopeId)) {
    throw new LintasError('ERR_RECEIPT_MISMATCH', 'The receipt is for another envelope');
  }
  if (expected.envelope !== undefined && !equal(r.hh, await envelopeHeaderHash(expected.envelope))) {
    throw new LintasError('ERR_RECEIPT_MISMATCH', 'The receipt is for another envelope');
  }
  return { envelopeId: r.env, headerHash: r.hh, recipient: r.rcpt, receivedAt: new Date(r.at * 1000) };
}

interface ReceiptFields {
  v: number;
  env: Uint8Array;
  hh: Uint8Array;
  rcpt: Uint8Array;
  at: number;
  sig: Uint8Array;
}

function parseReceipt(bytes: Uint8Array): ReceiptFields {
  const malformed = (): LintasError => new LintasError('ERR_RECEIPT_MALFORMED', 'Not a valid lintas delivery receipt');
  if (bytes.length > MAX_RECEIPT_BYTES) throw malformed();
  let value;
  try {
    value = decodeCanonical(bytes, { maxDepth: 1 });
  } catch {
    throw malformed();
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) throw malformed();
  const keys = Object.keys(value).sort();
  if (keys.join(',') !== 'at,env,hh,rcpt,sig,v') throw malformed();
  const { v, env, hh, rcpt, at, sig } = value as Record<string, unknown>;
  if (v !== RECEIPT_VERSION) throw malformed();
  if (!(env instanceof Uint8Array) || env.length !== ENVELOPE_ID_BYTES) throw malformed();
  if (!(hh instanceof Uint8Array) || hh.length !== HEADER_HASH_BYTES) throw malformed();
  if (!(rcpt instanceof Uint8Array) || rcpt.length !== ED25519_PUBLIC_KEY_BYTES) throw malformed();
  if (!(sig instanceof Uint8Array) || sig.length !== ED25519_SIGNATURE_BYTES) throw malformed();
  if (typeof at !== 'number') throw malformed();
  return { v, env, hh, rcpt, at, sig };
}

function signedBytes(body: CborMap): Uint8Array {
  return concatBytes(utf8(RECEIPT_CONTEXT), new Uint8Array([0]), encodeCanonical(body));
}

/** Comparison of public values (keys, ids, hashes): no secret is involved. */
function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
