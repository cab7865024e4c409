/**
 * The signed anchor of an audit log (SPEC 12.8): how many entries the log had and the hash of
 * the last one, signed by the log's key. The hash chain shows edits, insertions and deletions
 * inside a log, but not records cut off its end; an anchor kept apart from the log (the
 * reference CLI keeps one beside each log and checks it on every use) shows that too.
 *
 *     anchor = canonical CBOR [ body: bstr, signature: bstr(64) ]
 *     body   = { "v": 1, "signer": bstr(32), "count": uint, "head": bstr(32), ? "ring": uint }
 *     signature = Ed25519(signer, "lintas/v1 audit anchor" || 0x00 || body)
 *
 * `head` is the hash of record `count - 1` (zero(32) for an empty log); `ring` is the key ring
 * generation the application saw when it signed the anchor (docs/KEYRING.md, "Rollback").
 */
import { LintasError } from '../errors/index.js';
import { decodeCanonical, encodeCanonical, type CborValue } from '../cbor/index.js';
import { concatBytes, utf8 } from '../crypto/bytes.js';
import { ed25519Sign, ed25519Verify } from '../crypto/ed25519.js';
import { AUDIT_HASH_BYTES } from './entry.js';

/** Signature context of an anchor (SPEC 12.8). */
export const AUDIT_ANCHOR_CONTEXT = 'lintas/v1 audit anchor';
const ANCHOR_VERSION = 1;
const MAX_ANCHOR_BYTES = 512;

/** A decoded, signature-checked anchor. */
export interface AuditAnchor {
  /** The Ed25519 key of the log, which signed the anchor. */
  signer: Uint8Array;
  /** Number of entries the log had. */
  count: number;
  /** Hash of entry `count - 1` (32 zero bytes when `count` is 0). */
  head: Uint8Array;
  /** The key ring generation the application recorded with it, or null. */
  keyRingGeneration: number | null;
  /** The encoded, signed anchor: store these bytes. */
  bytes: Uint8Array;
}

function message(body: Uint8Array): Uint8Array {
  return concatBytes(utf8(AUDIT_ANCHOR_CONTEXT), new Uint8Array([0]), body);
}

function invalid(why: string): LintasError {
  return new LintasError('ERR_AUDIT_ANCHOR_INVALID', `The audit anchor ${why}; it proves nothing about the log. Keep it as evidence`);
}

/** Sign an anchor for a log of `count` entries whose last record hashes to `head`. */
export function signAuditAnchor(signer: { publicKey: Uint8Array; secretKey: Uint8Array }, count: number, head: Uint8Array, keyRingGeneration: number | null): AuditAnchor {
  const fields: Record<string, CborValue> = { v: ANCHOR_VERSION, signer: signer.publicKey, count, head };
  if (keyRingGeneration !== null) fields.ring = keyRingGeneration;
  const body = encodeCanonical(fields);
  const bytes = encodeCanonical([body, ed25519Sign(signer.secretKey, message(body))]);
  return { signer: signer.publicKey.slice(), count, head: head.slice(), keyRingGeneration, bytes };
}

/**
 * Decode an anchor and check its signature (and, if given, that `signer` made it).
 * @throws {TypeError} if `bytes` is not a Uint8Array.
 * @throws {@link LintasError} `ERR_AUDIT_ANCHOR_INVALID` for anything else than a well-formed
 *   anchor signed by `signer`.
 */
export function decodeAuditAnchor(bytes: Uint8Array, signer?: Uint8Array): AuditAnchor {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('anchor must be a Uint8Array');
  if (bytes.length > MAX_ANCHOR_BYTES) throw invalid('is too large');
  let outer: CborValue;
  let body: CborValue;
  try {
    outer = decodeCanonical(bytes);
    if (!Array.isArray(outer) || outer.length !== 2 || !(outer[0] instanceof Uint8Array) || !(outer[1] instanceof Uint8Array)) throw invalid('is not [body, signature]');
    body = decodeCanonical(outer[0]);
  } catch (e) {
    if (e instanceof LintasError) throw e;
    throw invalid('is not canonical CBOR');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body) || body instanceof Uint8Array) throw invalid('body is not a map');
  for (const k of Object.keys(body)) if (!['v', 'signer', 'count', 'head', 'ring'].includes(k)) throw invalid(`has an unknown field "${k}"`);
  if (body.v !== ANCHOR_VERSION) throw invalid('has an unsupported version');
  const { signer: key, count, head, ring } = body;
  if (!(key instanceof Uint8Array) || key.length !== 32) throw invalid('has no 32-byte signer');
  if (typeof count !== 'number' || !(head instanceof Uint8Array) || head.length !== AUDIT_HASH_BYTES) throw invalid('lacks count or head');
  if (ring !== undefined && typeof ring !== 'number') throw invalid('has a malformed key ring generation');
  const sig = outer[1] as Uint8Array;
  if (sig.length !== 64 || !ed25519Verify(key, message(outer[0] as Uint8Array), sig)) throw invalid('signature does not verify');
  if (signer !== undefined && !sameBytes(signer, key)) throw invalid('is signed by another key than the log');
  return { signer: key, count, head, keyRingGeneration: ring === undefined ? null : ring, bytes: bytes.slice() };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
