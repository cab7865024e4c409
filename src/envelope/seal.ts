/**
 * Sealing (SPEC section 5): one random file key per envelope, wrapped for every recipient,
 * meta block and payload encrypted under keys derived from it, signed by the sender.
 */
import { LintasError } from '../errors/index.js';
import { AEAD_NONCE_BYTES, chachaEncrypt } from '../crypto/aead.js';
import { concatBytes, utf8, wipe } from '../crypto/bytes.js';
import { sha256 } from '../crypto/hash.js';
import { ED25519_PUBLIC_KEY_BYTES } from '../crypto/ed25519.js';
import { cryptoReady } from '../crypto/sodium.js';
import { systemRandom, type RandomSource } from '../crypto/random.js';
import { recipientId, type RecipientPublicKey, type SigningKeyPair } from '../keys/recipient.js';
import {
  DEFAULT_CHUNK_EXPONENT,
  ENVELOPE_ID_BYTES,
  FILE_KEY_BYTES,
  LIMITS,
  SALT_BYTES,
} from './constants.js';
import { encodeHeader, encodePrefix, type RecipientStanza } from './header.js';
import { deriveEnvelopeKeys, headerMac, wipeEnvelopeKeys } from './key-schedule.js';
import { encodeMeta } from './meta.js';
import { dummyStanza, paddedLength, paddedStanzaCount, shuffle } from './padding.js';
import { PlaintextWriter } from './plaintext-writer.js';
import { schemeFor } from './stanza-schemes.js';
import type { StanzaScheme } from './stanza-scheme.js';
import { collectBytes, toAsyncIterable, type ByteSource } from './byte-source.js';

/** Options for {@link seal} and {@link sealStream}. */
export interface SealOptions {
  /** Who can open the envelope: 1 to 1,024 encryption public keys. */
  recipients: RecipientPublicKey[];
  /** The sender's Ed25519 key pair. Required unless `anonymous` is true. */
  sender?: SigningKeyPair;
  /** Seal without any sender identity (a tip line). Exclusive with `sender`. */
  anonymous?: boolean;
  /** Leave recipient ids out of the stanzas, so observers cannot tell who it is for (SPEC 4.3). */
  hideRecipients?: boolean;
  /** Pad the payload length (Padmé) and the stanza count per type (next power of two, min 4). */
  padding?: boolean;
  /** When the envelope stops being valid. Must be after now. */
  expiresAt?: Date;
  /** Media type of the payload, carried encrypted in the meta block. */
  contentType?: string;
  /** Payload chunk size in bytes: a power of two from 4,096 to 1,048,576. Default 65,536. */
  chunkSize?: number;
}

/** Options for {@link sealStream}: {@link SealOptions} plus the payload length if known. */
export interface SealStreamOptions extends SealOptions {
  /** Exact payload length in bytes. Required with `padding`; sealing fails if the payload differs. */
  size?: number;
}

/** What the sealing core needs besides the options; tests inject these, the public API never does. */
export interface SealContext {
  random: RandomSource;
  now: () => number;
}

const ZERO_NONCE = new Uint8Array(AEAD_NONCE_BYTES);

/**
 * Seal `payload` into one envelope (SPEC section 5): encrypted for every recipient, signed by the
 * sender unless `anonymous`. For payloads too large to hold in memory, use {@link sealStream}.
 * @param payload - The bytes to protect.
 * @param options - Recipients, sender and the envelope's optional features.
 * @returns The binary envelope; {@link armor} turns it into text.
 * @throws {TypeError | RangeError} for invalid options (no recipients, neither `sender` nor
 * `anonymous`, a chunk size that is not a power of two, an expiry in the past...).
 * @throws {@link LintasError} `ERR_SEAL_INVALID_RECIPIENT` for a recipient key of an unknown
 * type, the wrong size, a low-order point, or one named twice.
 * @example
 * ```ts
 * import { generateIdentityKeys, seal } from 'lintas';
 *
 * const police = await generateIdentityKeys();
 * const agency = await generateIdentityKeys();
 * const envelope = await seal(new TextEncoder().encode('Meeting moved to 14:00'), {
 *   recipients: [agency.xwing],
 *   sender: police.signing,
 *   contentType: 'text/plain;charset=utf-8',
 *   expiresAt: new Date(Date.now() + 7 * 86_400_000),
 * });
 * console.log(envelope.length);
 * ```
 */
export async function seal(payload: Uint8Array, options: SealOptions): Promise<Uint8Array> {
  if (!(payload instanceof Uint8Array)) throw new TypeError('payload must be a Uint8Array');
  await cryptoReady();
  return collectBytes(sealCore(toAsyncIterable(payload, 'payload'), { ...options, size: payload.length }, defaultContext()));
}

/**
 * Seal a payload of any size as a stream of envelope bytes, in memory bounded by the chunk size.
 * Nothing happens until the result is iterated; the errors are thrown from the iteration.
 * @param payload - The bytes to protect: a Uint8Array, an (async) iterable of chunks or a
 * ReadableStream.
 * @param options - As for {@link seal}, plus the payload `size` (required with `padding`).
 * @throws {TypeError | RangeError} for invalid options, as for {@link seal}.
 * @throws {@link LintasError} `ERR_SEAL_INVALID_RECIPIENT` as for {@link seal};
 * `ERR_SEAL_SIZE_MISMATCH` if `size` was given and the payload is longer or shorter.
 * @example
 * ```ts
 * import { generateIdentityKeys, sealStream } from 'lintas';
 *
 * const sender = await generateIdentityKeys();
 * const recipient = await generateIdentityKeys();
 * async function* pieces() {
 *   for (let i = 0; i < 16; i++) yield new Uint8Array(65_536).fill(i); // e.g. read from a file
 * }
 * let written = 0;
 * for await (const bytes of sealStream(pieces(), { recipients: [recipient.xwing], sender: sender.signing, size: 16 * 65_536 })) {
 *   written += bytes.length; // e.g. write to a file or socket
 * }
 * console.assert(written > 16 * 65_536);
 * ```
 */
export function sealStream(payload: ByteSource, options: SealStreamOptions): AsyncIterable<Uint8Array> {
  const source = toAsyncIterable(payload, 'payload');
  return (async function* () {
    await cryptoReady();
    yield* sealCore(source, options, defaultContext());
  })();
}

function defaultContext(): SealContext {
  return { random: systemRandom, now: () => Date.now() };
}

/** {@link SealStreamOptions} once checked. */
export interface CheckedOptions {
  recipients: { key: RecipientPublicKey; scheme: StanzaScheme; rid: Uint8Array }[];
  sender: SigningKeyPair | null;
  hidden: boolean;
  padding: boolean;
  expiresAt: number | null;
  contentType: string | null;
  chunkExponent: number;
  size: number | null;
}

/**
 * Check sealing options as `seal` does, throwing its TypeError, RangeError or LintasError. Also
 * the worker pool's check at its edge, so a bad item fails on the calling thread exactly as it
 * would in `seal`, before anything is sent to a worker.
 */
export function checkOptions(o: SealStreamOptions, nowSeconds: number): CheckedOptions {
  if (o === null || typeof o !== 'object') throw new TypeError('options must be an object');
  if (!Array.isArray(o.recipients)) throw new TypeError('options.recipients must be an array');
  if (o.recipients.length === 0) throw new RangeError('options.recipients must name at least one recipient');
  if (o.recipients.length > LIMITS.maxStanzas) throw new RangeError(`options.recipients has more than ${LIMITS.maxStanzas} entries`);
  const seen = new Set<string>();
  const recipients = o.recipients.map((key, i) => {
    if (key === null || typeof key !== 'object' || !(key.publicKey instanceof Uint8Array)) {
      throw new TypeError(`options.recipients[${i}] must be { type, publicKey: Uint8Array }`);
    }
    const scheme = schemeFor(key.type);
    if (!scheme) throw new LintasError('ERR_SEAL_INVALID_RECIPIENT', `options.recipients[${i}] has unknown type "${String(key.type)}"`);
    const rid = recipientId(key);
    // Only a second recipient can repeat one. The id's bytes as a string of 32 char codes (one per
    // byte, so one string per id): a tenth of the cost of a hex string, per recipient (issue 17).
    if (o.recipients.length > 1) {
      const id = String.fromCharCode.apply(null, rid as unknown as number[]);
      if (seen.has(id)) throw new LintasError('ERR_SEAL_INVALID_RECIPIENT', `options.recipients[${i}] repeats an earlier recipient`);
      seen.add(id);
    }
    return { key, scheme, rid };
  });
  const anonymous = o.anonymous ?? false;
  if (typeof anonymous !== 'boolean') throw new TypeError('options.anonymous must be a boolean');
  let sender: SigningKeyPair | null = null;
  if (anonymous) {
    if (o.sender !== undefined) throw new TypeError('options.sender and options.anonymous exclude each other');
  } else {
    if (o.sender === undefined) throw new TypeError('options.sender is required (or set anonymous: true to seal without a sender)');
    const s = o.sender;
    if (!s || !(s.publicKey instanceof Uint8Array) || !(s.secretKey instanceof Uint8Array)) {
      throw new TypeError('options.sender must be { publicKey: Uint8Array, secretKey: Uint8Array }');
    }
    if (s.publicKey.length !== ED25519_PUBLIC_KEY_BYTES || s.secretKey.length !== 64) {
      throw new RangeError('options.sender must be an Ed25519 key pair (32-byte public, 64-byte secret key)');
    }
    sender = s;
  }
  const hidden = o.hideRecipients ?? false;
  if (typeof hidden !== 'boolean') throw new TypeError('options.hideRecipients must be a boolean');
  const padding = o.padding ?? false;
  if (typeof padding !== 'boolean') throw new TypeError('options.padding must be a boolean');
  let expiresAt: number | null = null;
  if (o.expiresAt !== undefined) {
    if (!(o.expiresAt instanceof Date) || Number.isNaN(o.expiresAt.getTime())) throw new TypeError('options.expiresAt must be a valid Date');
    expiresAt = Math.floor(o.expiresAt.getTime() / 1000);
    if (expiresAt <= nowSeconds) throw new RangeError('options.expiresAt must be in the future');
  }
  let contentType: string | null = null;
  if (o.contentType !== undefined) {
    if (typeof o.contentType !== 'string') throw new TypeError('options.contentType must be a string');
    if (utf8(o.contentType).length > LIMITS.maxContentTypeBytes) {
      throw new RangeError(`options.contentType is longer than ${LIMITS.maxContentTypeBytes} bytes`);
    }
    contentType = o.contentType;
  }
  let chunkExponent = DEFAULT_CHUNK_EXPONENT;
  if (o.chunkSize !== undefined) {
    if (typeof o.chunkSize !== 'number') throw new TypeError('options.chunkSize must be a number');
    chunkExponent = Math.log2(o.chunkSize);
    if (!Number.isInteger(chunkExponent) || chunkExponent < LIMITS.minChunkExponent || chunkExponent > LIMITS.maxChunkExponent) {
      throw new RangeError('options.chunkSize must be a power of two from 4096 to 1048576');
    }
  }
  let size: number | null = null;
  if (o.size !== undefined) {
    if (typeof o.size !== 'number') throw new TypeError('options.size must be a number');
    if (!Number.isSafeInteger(o.size) || o.size < 0) throw new RangeError('options.size must be a non-negative safe integer');
    size = o.size;
  }
  if (padding && size === null) throw new TypeError('options.padding needs options.size when sealing a stream (the padded length is fixed in the header)');
  if (padding) {
    const perType = new Map<string, number>();
    for (const r of recipients) perType.set(r.scheme.type, (perType.get(r.scheme.type) ?? 0) + 1);
    let total = 0;
    for (const n of perType.values()) total += paddedStanzaCount(n);
    if (total > LIMITS.maxStanzas) throw new RangeError(`padding would need ${total} stanzas, more than ${LIMITS.maxStanzas}`);
  }
  return { recipients, sender, hidden, padding, expiresAt, contentType, chunkExponent, size };
}

/**
 * The sealing core, shared by every entry point and by the vector generator (which injects a
 * deterministic `ctx`). Yields the header section first, then one ciphertext chunk at a time.
 */
export async function* sealCore(
  payload: AsyncIterable<Uint8Array>,
  options: SealStreamOptions,
  ctx: SealContext,
): AsyncGenerator<Uint8Array> {
  const nowSeconds = Math.floor(ctx.now() / 1000);
  const o = checkOptions(options, nowSeconds);
  const fileKey = ctx.random(FILE_KEY_BYTES);
  const salt = ctx.random(SALT_BYTES);
  const keys = deriveEnvelopeKeys(fileKey, salt);
  let writer: PlaintextWriter | null = null;
  try {
    // SPEC 5.1: one stanza per recipient, in the caller's order unless padding shuffles them.
    let stanzas: RecipientStanza[] = o.recipients.map((r) => {
      const w = r.scheme.wrap(fileKey, r.key, ctx.random);
      return { type: r.scheme.type, recipientId: o.hidden ? null : r.rid, args: w.args, body: w.body };
    });
    if (o.padding) {
      const perType = new Map<StanzaScheme, number>();
      for (const r of o.recipients) perType.set(r.scheme, (perType.get(r.scheme) ?? 0) + 1);
      for (const [scheme, n] of perType) {
        for (let i = n; i < paddedStanzaCount(n); i++) stanzas.push(dummyStanza(scheme, o.hidden, ctx.random));
      }
      stanzas = shuffle(stanzas, ctx.random);
    }
    const payloadLength = o.size;
    const paddedPayload = o.padding && payloadLength !== null ? paddedLength(payloadLength) : payloadLength;
    const meta = encodeMeta(
      {
        id: ctx.random(ENVELOPE_ID_BYTES),
        created: nowSeconds,
        expires: o.expiresAt,
        sender: o.sender ? o.sender.publicKey : null,
        to: o.recipients.map((r) => r.rid),
        len: payloadLength,
        contentType: o.contentType,
        padded: o.padding,
      },
      stanzas.length,
    );
    const header = encodeHeader({
      chunkExponent: o.chunkExponent,
      commit: keys.commitment,
      meta: chachaEncrypt(keys.metaKey, ZERO_NONCE, meta),
      salt,
      stanzas,
    });
    if (header.length > LIMITS.maxHeaderBytes) throw new RangeError(`the header would be ${header.length} bytes, more than ${LIMITS.maxHeaderBytes}`);
    const prefixAndHeader = concatBytes(encodePrefix(header.length), header);
    yield concatBytes(prefixAndHeader, headerMac(keys.macKey, prefixAndHeader));

    // SPEC 1.2, 5.5-5.7: the data (payload || zero padding) in windows, each closed by a checkpoint.
    const signer = o.sender ? { secretKey: o.sender.secretKey, headerHash: sha256(prefixAndHeader) } : null;
    writer = new PlaintextWriter(o.chunkExponent, keys.payloadKey, paddedPayload, signer);
    // At least two chunks, so the chunker can encrypt whole chunks straight from each slice.
    const hashSlice = Math.max(1 << 20, 2 << o.chunkExponent);
    let seen = 0;
    for await (const piece of payload) {
      if (!(piece instanceof Uint8Array)) throw new TypeError('payload chunks must be Uint8Array');
      seen += piece.length;
      if (payloadLength !== null && seen > payloadLength) {
        throw new LintasError('ERR_SEAL_SIZE_MISMATCH', `payload is longer than the declared size ${payloadLength}`);
      }
      // Hash and encrypt in step, a slice at a time, so that a hash running on another thread
      // works alongside the encryption instead of taking a whole large piece first.
      for (let off = 0; off < piece.length; off += hashSlice) yield* writer.write(piece.subarray(off, off + hashSlice));
    }
    if (payloadLength !== null && seen !== payloadLength) {
      throw new LintasError('ERR_SEAL_SIZE_MISMATCH', `payload is ${seen} bytes, not the declared ${payloadLength}`);
    }
    if (paddedPayload !== null && paddedPayload > seen) {
      let left = paddedPayload - seen;
      const zeros = new Uint8Array(Math.min(left, 1 << o.chunkExponent));
      while (left > 0) {
        const n = Math.min(left, zeros.length);
        yield* writer.write(zeros.subarray(0, n));
        left -= n;
      }
    }
    yield* writer.finish();
  } finally {
    writer?.release();
    wipe(fileKey);
    wipeEnvelopeKeys(keys);
  }
}
