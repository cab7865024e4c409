/**
 * What an auditor, relay or transport may learn from an envelope without any key
 * (SPEC section 6.8): the structure, never secrets, sender or payload.
 */
import { HEADER_MAC_BYTES, PREFIX_BYTES, FORMAT_VERSION } from './constants.js';
import { decodeHeader, decodePrefix } from './header.js';
import { AEAD_TAG_BYTES } from '../crypto/aead.js';
import { LintasError } from '../errors/index.js';
import { dearmor, dearmorStream, looksArmored } from './armor.js';
import { toHex } from './hex.js';
import { checkStanzaShapes } from './open.js';
import { ByteReader } from './byte-reader.js';
import { toAsyncIterable, type ByteSource } from './byte-source.js';
import type { EnvelopeHeader } from './header.js';

/** The key-free view of an envelope. */
export interface EnvelopeInspection {
  /** The format version (1). */
  version: number;
  /** True if the input was ASCII armor (SPEC section 8); the sizes are those of the binary envelope. */
  armored: boolean;
  /** Total size of the binary envelope. */
  totalBytes: number;
  /** Size of the header map in bytes (the prefix and the header MAC not counted). */
  headerBytes: number;
  /** Payload chunk size in bytes (before the 16-byte tag of each chunk). */
  chunkSize: number;
  /** Payload ciphertext bytes (all chunks with their tags). */
  payloadBytes: number;
  /** Number of payload chunks. */
  chunkCount: number;
  /** Size of the plaintext stream: payload, padding and checkpoints together (SPEC 1.2). */
  plaintextStreamBytes: number;
  /** True in hidden-recipients mode. */
  hiddenRecipients: boolean;
  /** One entry per stanza (padding dummies included: they are indistinguishable). */
  stanzas: {
    /** Stanza type, e.g. "X25519" or "X-Wing". */
    type: string;
    /** Recipient id in hex; null in hidden-recipients mode. */
    recipientId: string | null;
    /** Size in bytes: arguments and body. */
    bytes: number;
  }[];
}

/**
 * Describe an envelope without keys (SPEC 6.8): what a relay, an auditor or a transport may
 * learn. Validates the structure as a receiver would before any crypto (SPEC 6.1 steps 1–7).
 * @param envelope - A whole binary envelope, or armored text as a string or bytes.
 * @throws {TypeError} if `envelope` is neither bytes nor a string.
 * @throws {@link LintasError} `ERR_ARMOR_MALFORMED`, `ERR_ENVELOPE_MALFORMED`,
 * `ERR_ENVELOPE_UNSUPPORTED_VERSION`, `ERR_ENVELOPE_TRUNCATED` or `ERR_ENVELOPE_LIMIT_EXCEEDED`.
 * @example
 * ```ts
 * import { generateIdentityKeys, inspect, seal } from 'lintas';
 *
 * const sender = await generateIdentityKeys();
 * const recipients = await Promise.all([generateIdentityKeys(), generateIdentityKeys()]);
 * const envelope = await seal(new Uint8Array(100), {
 *   recipients: recipients.map((r) => r.xwing),
 *   sender: sender.signing,
 *   hideRecipients: true,
 * });
 * const view = await inspect(envelope);
 * console.log(view.stanzas.map((s) => s.type)); // ["X-Wing", "X-Wing"]
 * console.assert(view.hiddenRecipients && view.stanzas.every((s) => s.recipientId === null));
 * ```
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
  return describe(header, headerLength, bytes.length, armored);
}

/** Options for {@link inspectStream}. */
export interface InspectStreamOptions {
  /**
   * The size of the binary envelope in bytes, when known without reading it (a file's size):
   * then only the prefix, header and header MAC are read. Ignored for armored input, whose
   * binary size is known only once decoded.
   */
  totalBytes?: number;
}

/**
 * {@link inspect} for an envelope read as a stream (a file, stdin, a network body), in bounded
 * memory. With `totalBytes` (binary input) it reads only the prefix, header and header MAC and
 * stops reading; otherwise it counts the rest of the stream without keeping it.
 * @param envelope - The envelope, binary or armored, whole or as chunks.
 * @throws {TypeError | RangeError} if `envelope` is not a byte source, or `totalBytes` is not a
 *   non-negative safe integer or is smaller than the header read.
 * @throws {@link LintasError} the codes of {@link inspect}.
 * @example
 * ```ts
 * import { createReadStream } from 'node:fs';
 * import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { generateIdentityKeys, inspectStream, seal } from 'lintas';
 *
 * const keys = await generateIdentityKeys();
 * const dir = await mkdtemp(join(tmpdir(), 'inspect-'));
 * const path = join(dir, 'report.lintas');
 * await writeFile(path, await seal(new Uint8Array(200_000), { recipients: [keys.xwing], sender: keys.signing }));
 * // Only the header is read: the size comes from the file system.
 * const view = await inspectStream(createReadStream(path), { totalBytes: (await stat(path)).size });
 * console.log(view.stanzas.length, view.chunkCount);
 * console.assert(view.totalBytes === (await stat(path)).size);
 * await rm(dir, { recursive: true });
 * ```
 */
export async function inspectStream(envelope: ByteSource, options: InspectStreamOptions = {}): Promise<EnvelopeInspection> {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const given = options.totalBytes;
  if (given !== undefined) {
    if (typeof given !== 'number') throw new TypeError('options.totalBytes must be a number');
    if (!Number.isSafeInteger(given) || given < 0) throw new RangeError('options.totalBytes must be a non-negative safe integer');
  }
  const outer = new ByteReader(toAsyncIterable(envelope, 'envelope'));
  const armored = looksArmored(await outer.peek(64));
  const reader = armored ? new ByteReader(dearmorStream(outer.remaining())) : outer;
  try {
    const headerLength = decodePrefix(await reader.read(PREFIX_BYTES));
    const rest = await reader.read(headerLength + HEADER_MAC_BYTES);
    if (rest.length < headerLength + HEADER_MAC_BYTES) throw new LintasError('ERR_ENVELOPE_TRUNCATED', 'Envelope is truncated: it ends inside the header');
    const header = decodeHeader(rest.subarray(0, headerLength));
    const read = PREFIX_BYTES + headerLength + HEADER_MAC_BYTES;
    let total: number;
    if (given !== undefined && !armored) {
      if (given < read) throw new RangeError(`options.totalBytes (${given}) is smaller than the envelope's header (${read} bytes)`);
      total = given;
    } else {
      total = read;
      for await (const c of reader.remaining()) total += c.length;
    }
    return describe(header, headerLength, total, armored);
  } finally {
    await reader.cancel();
    await outer.cancel();
  }
}

/** The key-free view from a decoded header and the envelope's total size (SPEC 6.8). */
function describe(header: EnvelopeHeader, headerLength: number, totalBytes: number, armored: boolean): EnvelopeInspection {
  // A header a receiver would refuse before any crypto is malformed here too (SPEC 6.1).
  checkStanzaShapes(header);
  const chunkSize = 1 << header.chunkExponent;
  const payloadBytes = totalBytes - PREFIX_BYTES - headerLength - HEADER_MAC_BYTES;
  const chunkCount = Math.max(1, Math.ceil(payloadBytes / (chunkSize + AEAD_TAG_BYTES)));
  return {
    version: FORMAT_VERSION,
    armored,
    totalBytes,
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
