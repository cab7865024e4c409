/**
 * The envelope header as a typed struct, and its encoding to and from bytes (SPEC section 5).
 * No keys here: this layer only turns bytes into a validated structure and back, so it can be
 * round-trip tested on its own and audited without reading any crypto.
 */
import { LintasError } from '../errors/index.js';
import { CborDecodeError, decodeCanonical, encodeCanonical, type CborMap, type CborValue } from '../cbor/index.js';
import {
  COMMIT_BYTES,
  FORMAT_VERSION,
  HEADER_MAC_BYTES,
  LIMITS,
  MAGIC,
  PREFIX_BYTES,
  RECIPIENT_ID_BYTES,
  SALT_BYTES,
} from './constants.js';

/** One recipient stanza: a file key wrapped for one recipient (SPEC section 4). */
export interface RecipientStanza {
  /** Stanza type, e.g. "X25519" or "X-Wing". Unknown types are skipped by readers. */
  type: string;
  /** The recipient id (32 bytes) in normal mode; null in hidden-recipients mode. */
  recipientId: Uint8Array | null;
  /** Type-specific arguments (e.g. the ephemeral key or KEM ciphertext). */
  args: Uint8Array[];
  /** The wrapped file key. */
  body: Uint8Array;
}

/** The decoded header map (SPEC section 5.2). */
export interface EnvelopeHeader {
  /** log2 of the payload chunk size. */
  chunkExponent: number;
  /** Explicit key commitment to the file key. */
  commit: Uint8Array;
  /** The encrypted meta block. */
  meta: Uint8Array;
  /** Per-envelope random salt for every HKDF below the file key. */
  salt: Uint8Array;
  stanzas: RecipientStanza[];
}

function malformed(message: string, cause?: unknown): LintasError {
  return new LintasError('ERR_ENVELOPE_MALFORMED', `Envelope header is malformed: ${message}`, { cause });
}

function limit(message: string, cause?: unknown): LintasError {
  return new LintasError('ERR_ENVELOPE_LIMIT_EXCEEDED', `Envelope exceeds a format limit: ${message}`, { cause });
}

/** Encode a header map to its canonical CBOR bytes. */
export function encodeHeader(h: EnvelopeHeader): Uint8Array {
  const map: CborMap = {
    chunk: h.chunkExponent,
    commit: h.commit,
    meta: h.meta,
    salt: h.salt,
    stanzas: h.stanzas.map((s) => [s.type, s.recipientId, s.args, s.body]),
  };
  return encodeCanonical(map);
}

/** The 11-byte prefix: magic, version, header length (big-endian u32). */
export function encodePrefix(headerLength: number): Uint8Array {
  const p = new Uint8Array(PREFIX_BYTES);
  p.set(MAGIC, 0);
  p[6] = FORMAT_VERSION;
  new DataView(p.buffer).setUint32(7, headerLength, false);
  return p;
}

/**
 * Parse and validate the prefix (SPEC 6.1 steps 1–3). Returns the header length. Throws
 * ERR_ENVELOPE_TRUNCATED if `prefix` is shorter than 11 bytes but starts like a lintas envelope.
 * The version is checked before the length so a future format gets the right error.
 */
export function decodePrefix(prefix: Uint8Array): number {
  checkMagicAndVersion(prefix);
  if (prefix.length < PREFIX_BYTES) throw new LintasError('ERR_ENVELOPE_TRUNCATED', 'Envelope is truncated: it ends inside the 11-byte prefix');
  const length = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength).getUint32(7, false);
  if (length === 0) throw malformed('header length is zero');
  if (length > LIMITS.maxHeaderBytes) throw limit(`header is ${length} bytes, the limit is ${LIMITS.maxHeaderBytes}`);
  return length;
}

/**
 * Check as much of the magic and version as `bytes` holds (SPEC 6.1 steps 1–2), so a cut-short
 * input is reported as truncated only when what is there is a lintas prefix.
 */
export function checkMagicAndVersion(bytes: Uint8Array): void {
  if (bytes.length === 0) throw new LintasError('ERR_ENVELOPE_MALFORMED', 'Not a lintas envelope: the input is empty');
  for (let i = 0; i < MAGIC.length && i < bytes.length; i++) {
    if (bytes[i] !== MAGIC[i]) throw new LintasError('ERR_ENVELOPE_MALFORMED', 'Not a lintas envelope: the magic bytes "LINTAS" are missing');
  }
  if (bytes.length > 6 && bytes[6] !== FORMAT_VERSION) {
    throw new LintasError(
      'ERR_ENVELOPE_UNSUPPORTED_VERSION',
      `Envelope format version ${bytes[6]} is not supported (this library reads version ${FORMAT_VERSION}); upgrade lintas`,
    );
  }
}

/**
 * The CBOR limits of headers and meta blocks (SPEC 2 rules 7 and 9, section 7), enforced while
 * decoding so that hostile bytes cost work and memory linear in their length.
 */
export const ENVELOPE_CBOR_LIMITS = { maxDepth: LIMITS.maxCborDepth, maxLength: LIMITS.maxCborLength, maxItems: LIMITS.maxCborItems } as const;

/** Decode and validate header bytes (SPEC 6.1 steps 4–6): structure, types, limits. No crypto. */
export function decodeHeader(bytes: Uint8Array): EnvelopeHeader {
  let value: CborValue;
  try {
    value = decodeCanonical(bytes, ENVELOPE_CBOR_LIMITS);
  } catch (e) {
    if (e instanceof CborDecodeError && e.reason === 'too-deep') throw limit(`CBOR nesting deeper than ${LIMITS.maxCborDepth}`, e);
    if (e instanceof CborDecodeError && e.reason === 'too-large') throw limit(e.message, e);
    throw malformed('not canonical CBOR', e);
  }
  const map = expectMap(value, 'header');
  expectKeys(map, ['chunk', 'commit', 'meta', 'salt', 'stanzas'], [], 'header');
  const chunkExponent = expectUint(map.chunk, 'chunk');
  if (chunkExponent < LIMITS.minChunkExponent || chunkExponent > LIMITS.maxChunkExponent) {
    throw limit(`chunk exponent ${chunkExponent} outside ${LIMITS.minChunkExponent}..${LIMITS.maxChunkExponent}`);
  }
  const commit = expectBytes(map.commit, 'commit', COMMIT_BYTES);
  const salt = expectBytes(map.salt, 'salt', SALT_BYTES);
  const meta = expectBytes(map.meta, 'meta');
  if (meta.length > LIMITS.maxMetaBytes) throw limit(`meta block is ${meta.length} bytes, the limit is ${LIMITS.maxMetaBytes}`);
  if (!Array.isArray(map.stanzas)) throw malformed('stanzas is not an array');
  if (map.stanzas.length === 0) throw malformed('no recipient stanzas');
  if (map.stanzas.length > LIMITS.maxStanzas) throw limit(`${map.stanzas.length} stanzas, the limit is ${LIMITS.maxStanzas}`);
  const stanzas = map.stanzas.map((s, i) => decodeStanza(s, i));
  const hidden = stanzas[0]!.recipientId === null;
  if (stanzas.some((s) => (s.recipientId === null) !== hidden)) throw malformed('stanzas mix hidden and visible recipient ids');
  return { chunkExponent, commit, meta, salt, stanzas };
}

/** One encoder for every stanza: constructing one costs more than encoding a type name. */
const utf8Encoder = new TextEncoder();

function decodeStanza(v: CborValue, i: number): RecipientStanza {
  const where = `stanza ${i}`;
  if (!Array.isArray(v) || v.length !== 4) throw malformed(`${where} is not a 4-element array`);
  const [type, rid, args, body] = v as [CborValue, CborValue, CborValue, CborValue];
  if (typeof type !== 'string' || type.length === 0) throw malformed(`${where} type is not a non-empty text string`);
  const typeBytes = utf8Encoder.encode(type).length;
  if (typeBytes > LIMITS.maxStanzaTypeBytes) throw limit(`${where} type longer than ${LIMITS.maxStanzaTypeBytes} bytes`);
  const recipientId = rid === null ? null : expectBytes(rid, `${where} recipient id`, RECIPIENT_ID_BYTES);
  if (!Array.isArray(args)) throw malformed(`${where} args is not an array`);
  if (args.length > LIMITS.maxStanzaArgs) throw limit(`${where} has ${args.length} args, the limit is ${LIMITS.maxStanzaArgs}`);
  const argBytes = args.map((a, j) => expectBytes(a, `${where} arg ${j}`));
  const bodyBytes = expectBytes(body, `${where} body`);
  // Bytes, not UTF-16 code units: SPEC section 7 counts the UTF-8 length of the type.
  let size = bodyBytes.length + (recipientId?.length ?? 0) + typeBytes;
  for (const a of argBytes) size += a.length;
  if (size > LIMITS.maxStanzaBytes) throw limit(`${where} is ${size} bytes, the limit is ${LIMITS.maxStanzaBytes}`);
  return { type, recipientId, args: argBytes, body: bodyBytes };
}

/** Total bytes before the payload: prefix, header and MAC. */
export function headerSectionLength(headerLength: number): number {
  return PREFIX_BYTES + headerLength + HEADER_MAC_BYTES;
}

export function expectMap(v: CborValue, what: string): CborMap {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array) throw malformed(`${what} is not a map`);
  return v as CborMap;
}

export function expectKeys(map: CborMap, required: string[], optional: string[], what: string): void {
  for (const k of required) if (!(k in map)) throw malformed(`${what} lacks "${k}"`);
  for (const k of Object.keys(map)) if (!required.includes(k) && !optional.includes(k)) throw malformed(`${what} has unknown key "${k}"`);
}

export function expectUint(v: CborValue | undefined, what: string): number {
  if (typeof v !== 'number') throw malformed(`${what} is not an unsigned integer`);
  return v;
}

export function expectBytes(v: CborValue | undefined, what: string, length?: number): Uint8Array {
  if (!(v instanceof Uint8Array)) throw malformed(`${what} is not a byte string`);
  if (length !== undefined && v.length !== length) throw malformed(`${what} is ${v.length} bytes, expected ${length}`);
  return v;
}
