/**
 * Opening (SPEC section 6), in the order the SPEC lists its checks: structure and limits first
 * (no crypto), then the recipient stanza, key commitment and header MAC, then the meta block and
 * policy, then the payload chunks and finally the signature. Failures before the header MAC keep
 * distinct codes; every failure inside decryption after it is ERR_ENVELOPE_TAMPERED.
 */
import { LintasError } from '../errors/index.js';
import { AEAD_NONCE_BYTES, chachaDecrypt } from '../crypto/aead.js';
import { concatBytes, constantTimeEqual, wipe } from '../crypto/bytes.js';
import { cryptoReady } from '../crypto/sodium.js';
import { recipientId, type RecipientKeyPair } from '../keys/recipient.js';
import { DEFAULT_MAX_CLOCK_SKEW_SECONDS, HEADER_MAC_BYTES, PREFIX_BYTES } from './constants.js';
import { decodeHeader, decodePrefix, type EnvelopeHeader, type RecipientStanza } from './header.js';
import { deriveEnvelopeKeys, headerMac, wipeEnvelopeKeys, type EnvelopeKeys } from './key-schedule.js';
import { decodeMeta, type EnvelopeMeta } from './meta.js';
import { readPlaintext } from './plaintext-reader.js';
import { schemeFor } from './stanza-schemes.js';
import { ByteReader } from './byte-reader.js';
import { collectBytes, toAsyncIterable, type ByteSource } from './byte-source.js';
import { dearmorStream, looksArmored } from './armor.js';

/** Options for {@link open} and {@link openStream}. */
export interface OpenOptions {
  /** Your decryption key pairs (current and rotated-out); the matching one is found by recipient id. */
  keys: RecipientKeyPair[];
  /** Accept envelopes without a sender. Default false: an anonymous envelope is refused. */
  allowAnonymous?: boolean;
  /** If given, only these Ed25519 sender keys are accepted (ERR_UNKNOWN_SENDER otherwise). */
  trustedSenders?: Uint8Array[];
  /** The current time, for expiry checks. Default: the system clock. */
  now?: Date;
  /** How far an envelope's creation time may lie in the future, in seconds. Default 300. */
  maxClockSkewSeconds?: number;
  /**
   * Hidden-recipients mode only: the most trial unwraps for one envelope, summed over all
   * `keys` (SPEC 4.3). Keys are tried in the order given, so put current keys before rotated-out
   * ones. When the budget runs out the envelope is `ERR_ENVELOPE_NOT_FOR_ME`. Default 1,024 (one
   * key against the largest header); an integer from 1 to 1,048,576.
   */
  maxTrialDecryptions?: number;
}

/** SPEC 4.3: the reference reader's default budget of hidden-mode trial unwraps per envelope. */
export const DEFAULT_MAX_TRIAL_DECRYPTIONS = 1024;

/** What a receiver learns about an envelope before reading its payload. */
export interface EnvelopeInfo {
  /** True when the payload is signed: every window is released only once its signature verified. */
  authenticated: boolean;
  /** The sender's Ed25519 public key; null for an anonymous envelope. */
  sender: Uint8Array | null;
  /** The envelope's unique id (16 bytes), for replay detection. */
  envelopeId: Uint8Array;
  /** When the sender sealed it (by the sender's clock, as claimed in the meta block). */
  createdAt: Date;
  /** When it stops being valid; null if the sealer set no expiry. */
  expiresAt: Date | null;
  /** Recipient ids of every recipient the sender addressed (SPEC 3.3). */
  recipients: Uint8Array[];
  /** Which of your keys opened it. */
  openedWith: {
    /** The key's type. */
    type: RecipientKeyPair['type'];
    /** The key's recipient id (SPEC 3.3). */
    recipientId: Uint8Array;
  };
  /**
   * The stanza types in the header (each once, in header order), e.g. `["X-Wing", "X25519"]`.
   * The envelope is only as strong as its weakest stanza (SPEC 10.9): an `X25519` stanza next to
   * `X-Wing` ones means no post-quantum protection for anyone.
   */
  stanzaTypes: string[];
  /** The media type the sealer declared, or null. */
  contentType: string | null;
  /** Payload length if the sealer declared it. */
  payloadLength: number | null;
}

/** A fully opened and verified envelope. */
export interface OpenedEnvelope extends EnvelopeInfo {
  /** The whole payload, authenticated (signature verified, if signed). */
  payload: Uint8Array;
}

/** A streamed open: metadata now, payload chunks as they are decrypted. */
export interface OpenedEnvelopeStream {
  /**
   * What is known before the payload: sender (claimed; each window of the payload is checked
   * against it before it is released), times, recipients.
   */
  info: EnvelopeInfo;
  /**
   * The payload, one 4 MiB window at a time, each handed out only after the sender's checkpoint
   * over it has verified (SPEC 6.6), so every byte received is the sender's. Whether the payload
   * is complete is known only at the end: iteration throws ERR_SIGNATURE_INVALID or
   * ERR_ENVELOPE_TAMPERED at the first bad window, and a consumer must treat the data as
   * unfinished until iteration completes without error (SPEC 6.7). Can be iterated once.
   */
  payload: AsyncIterable<Uint8Array>;
}

/**
 * Open and verify a whole envelope: binary bytes, or armored text as a string or bytes. Returns
 * nothing until every check has passed (SPEC section 6), signature included.
 * @param envelope - The envelope, binary or armored, whole or as a stream of chunks.
 * @param options - Your decryption keys, and the sender and freshness policy.
 * @returns The payload and what the envelope says about itself (sender, times, recipients).
 * @throws {TypeError | RangeError} for invalid options.
 * @throws {@link LintasError} in the order of SPEC section 6:
 * `ERR_ARMOR_MALFORMED`, `ERR_ENVELOPE_MALFORMED`, `ERR_ENVELOPE_UNSUPPORTED_VERSION`,
 * `ERR_ENVELOPE_TRUNCATED`, `ERR_ENVELOPE_LIMIT_EXCEEDED` (not an envelope, or a damaged one);
 * `ERR_ENVELOPE_NOT_FOR_ME` (none of `keys` can open it); `ERR_ENVELOPE_HEADER_TAMPERED`;
 * `ERR_ENVELOPE_TAMPERED` (anything changed after the header MAC); `ERR_NOT_ADDRESSED_TO_ME`,
 * `ERR_ENVELOPE_ANONYMOUS`, `ERR_UNKNOWN_SENDER`, `ERR_ENVELOPE_EXPIRED`,
 * `ERR_ENVELOPE_NOT_YET_VALID` (policy); `ERR_SIGNATURE_INVALID` (the sender did not sign it).
 * @example
 * ```ts
 * import { generateIdentityKeys, open, seal } from 'lintas';
 *
 * const alice = await generateIdentityKeys();
 * const bob = await generateIdentityKeys();
 * const envelope = await seal(new TextEncoder().encode('report'), { recipients: [bob.xwing], sender: alice.signing });
 *
 * const opened = await open(envelope, { keys: [bob.xwing, bob.x25519], trustedSenders: [alice.signing.publicKey] });
 * console.log(new TextDecoder().decode(opened.payload)); // "report"
 * console.assert(opened.authenticated && opened.sender !== null);
 * ```
 */
export async function open(envelope: ByteSource | string, options: OpenOptions): Promise<OpenedEnvelope> {
  const opened = await openStream(envelope, options);
  const payload = await collectBytes(opened.payload);
  return { ...opened.info, payload };
}

/**
 * Open an envelope from a stream. Resolves once the header and meta block are verified; the
 * payload is then decrypted and handed out window by window, each window (4 MiB) only once the
 * sender's checkpoint over it has verified, so one window is held (and up to 256 KiB of the
 * next while the checkpoint is checked on the hash thread) and no byte another recipient forged
 * is ever released (SPEC 6.6). Anonymous envelopes are authenticated
 * only against outsiders. Treat the payload as unfinished until iterating it has finished
 * without error (SPEC 6.7).
 * @param envelope - The envelope, binary or armored, e.g. a file or network stream.
 * @param options - As for {@link open}.
 * @throws {TypeError | RangeError} for invalid options.
 * @throws {@link LintasError} from the promise: the codes of {@link open} up to and including
 * `ERR_ENVELOPE_NOT_YET_VALID`. From iterating `payload`: `ERR_ENVELOPE_TAMPERED`,
 * `ERR_SIGNATURE_INVALID`, `ERR_ARMOR_MALFORMED`.
 * @example
 * ```ts
 * import { generateIdentityKeys, openStream, sealStream } from 'lintas';
 *
 * const alice = await generateIdentityKeys();
 * const bob = await generateIdentityKeys();
 * const big = new Uint8Array(1_000_000).fill(7);
 * const envelope = sealStream([big], { recipients: [bob.xwing], sender: alice.signing });
 *
 * const opened = await openStream(envelope, { keys: [bob.xwing] });
 * let received = 0;
 * for await (const chunk of opened.payload) received += chunk.length; // e.g. write to a temporary file
 * console.assert(received === big.length); // only now is it known to come from opened.info.sender
 * ```
 */
export async function openStream(envelope: ByteSource | string, options: OpenOptions): Promise<OpenedEnvelopeStream> {
  const o = checkOpenOptions(options);
  await cryptoReady();
  const sniff = new ByteReader(toAsyncIterable(envelope, 'envelope'));
  const first = await sniff.peek(PREFIX_BYTES);
  // A binary envelope is read by this reader directly, in the chunks it arrives in; only armor
  // puts a decoding layer in between.
  const reader = looksArmored(first) ? new ByteReader(dearmorStream(sniff.remaining())) : sniff;
  try {
    return await openHeader(reader, o);
  } catch (e) {
    await reader.cancel();
    throw e;
  }
}

/** {@link OpenOptions} once checked. */
export interface CheckedOpenOptions {
  keys: RecipientKeyPair[];
  allowAnonymous: boolean;
  trustedSenders: Uint8Array[] | null;
  nowSeconds: number;
  skew: number;
  maxTrials: number;
}

/**
 * Check opening options as `open` does (TypeError, RangeError). Also the worker pool's check at
 * its edge, so bad options fail on the calling thread before anything is sent to a worker.
 */
export function checkOpenOptions(o: OpenOptions): CheckedOpenOptions {
  if (o === null || typeof o !== 'object') throw new TypeError('options must be an object');
  if (!Array.isArray(o.keys)) throw new TypeError('options.keys must be an array of recipient key pairs');
  for (const [i, k] of o.keys.entries()) {
    if (!k || !(k.publicKey instanceof Uint8Array) || !(k.secretKey instanceof Uint8Array) || typeof k.type !== 'string') {
      throw new TypeError(`options.keys[${i}] must be { type, publicKey, secretKey }`);
    }
  }
  if (o.allowAnonymous !== undefined && typeof o.allowAnonymous !== 'boolean') throw new TypeError('options.allowAnonymous must be a boolean');
  if (o.trustedSenders !== undefined) {
    if (!Array.isArray(o.trustedSenders) || o.trustedSenders.some((k) => !(k instanceof Uint8Array))) {
      throw new TypeError('options.trustedSenders must be an array of Uint8Array');
    }
  }
  if (o.now !== undefined && (!(o.now instanceof Date) || Number.isNaN(o.now.getTime()))) throw new TypeError('options.now must be a valid Date');
  const skew = o.maxClockSkewSeconds ?? DEFAULT_MAX_CLOCK_SKEW_SECONDS;
  if (typeof skew !== 'number') throw new TypeError('options.maxClockSkewSeconds must be a number');
  if (!Number.isFinite(skew) || skew < 0) throw new RangeError('options.maxClockSkewSeconds must be a non-negative number');
  const maxTrials = o.maxTrialDecryptions ?? DEFAULT_MAX_TRIAL_DECRYPTIONS;
  if (typeof maxTrials !== 'number') throw new TypeError('options.maxTrialDecryptions must be a number');
  if (!Number.isInteger(maxTrials) || maxTrials < 1 || maxTrials > 1_048_576) throw new RangeError('options.maxTrialDecryptions must be an integer from 1 to 1,048,576');
  return {
    keys: o.keys,
    allowAnonymous: o.allowAnonymous ?? false,
    trustedSenders: o.trustedSenders ?? null,
    nowSeconds: Math.floor((o.now?.getTime() ?? Date.now()) / 1000),
    skew,
    maxTrials,
  };
}

function truncated(what: string): LintasError {
  return new LintasError('ERR_ENVELOPE_TRUNCATED', `Envelope is truncated: it ends inside the ${what}; the transfer was probably cut short`);
}

function tampered(): LintasError {
  // One fixed message and code for every failure after the header MAC (SPEC 6.4, 6.6, 6.7): no oracle.
  return new LintasError('ERR_ENVELOPE_TAMPERED', 'Envelope failed authentication: it was modified, truncated or corrupted after sealing');
}

/** SPEC 6.1–6.5: everything up to the start of the payload. */
async function openHeader(reader: ByteReader, o: CheckedOpenOptions): Promise<OpenedEnvelopeStream> {
  // 6.1 Structure, before any crypto.
  const prefix = (await reader.read(PREFIX_BYTES)).slice();
  const headerLength = decodePrefix(prefix);
  const headerBytes = (await reader.read(headerLength)).slice();
  if (headerBytes.length < headerLength) throw truncated('header');
  const header = decodeHeader(headerBytes);
  const mac = (await reader.read(HEADER_MAC_BYTES)).slice();
  if (mac.length < HEADER_MAC_BYTES) throw truncated('header MAC');
  checkStanzaShapes(header);

  // 6.2 Find our stanza and unwrap the file key; 6.3 key commitment, then header MAC.
  const { keys, key, ownId } = authenticateHeader(header, o);
  try {
    const prefixAndHeader = concatBytes(prefix, headerBytes);
    if (!constantTimeEqual(headerMac(keys.macKey, prefixAndHeader), mac)) {
      throw headerTampered(header, 'Envelope header failed its MAC check: it was modified after sealing');
    }
    // 6.4 Meta block.
    const metaPlain = chachaDecrypt(keys.metaKey, new Uint8Array(AEAD_NONCE_BYTES), header.meta);
    if (metaPlain === null) throw tampered();
    let meta: EnvelopeMeta;
    try {
      meta = decodeMeta(metaPlain, header.stanzas.length);
    } catch {
      throw tampered();
    }
    // 6.5 Audience, sender policy, freshness.
    if (!meta.to.some((r) => constantTimeEqual(r, ownId))) {
      throw new LintasError('ERR_NOT_ADDRESSED_TO_ME', 'Envelope opened with your key but its signed recipient list does not name you: it may have been forwarded by another recipient');
    }
    if (meta.sender === null) {
      if (!o.allowAnonymous) {
        throw new LintasError('ERR_ENVELOPE_ANONYMOUS', 'Envelope has no sender (anonymous mode); pass allowAnonymous: true to accept unauthenticated envelopes');
      }
    } else if (o.trustedSenders !== null && !o.trustedSenders.some((k) => constantTimeEqual(k, meta.sender!))) {
      throw new LintasError('ERR_UNKNOWN_SENDER', 'Envelope is signed by a key that is not among your trusted senders');
    }
    if (meta.expires !== null && o.nowSeconds > meta.expires) {
      throw new LintasError('ERR_ENVELOPE_EXPIRED', `Envelope expired at ${new Date(meta.expires * 1000).toISOString()}`);
    }
    if (meta.created > o.nowSeconds + o.skew) {
      throw new LintasError('ERR_ENVELOPE_NOT_YET_VALID', `Envelope claims to be created at ${new Date(meta.created * 1000).toISOString()}, in the future; check the clocks`);
    }
    const info: EnvelopeInfo = {
      authenticated: meta.sender !== null,
      sender: meta.sender,
      envelopeId: meta.id,
      createdAt: new Date(meta.created * 1000),
      expiresAt: meta.expires === null ? null : new Date(meta.expires * 1000),
      recipients: meta.to,
      openedWith: { type: key.type, recipientId: ownId },
      stanzaTypes: [...new Set(header.stanzas.map((st) => st.type))],
      contentType: meta.contentType,
      payloadLength: meta.len,
    };
    return { info, payload: payloadStream(reader, header, keys, meta, prefixAndHeader) };
  } catch (e) {
    wipeEnvelopeKeys(keys);
    throw e;
  }
}

/** Every stanza of a known type must have that type's shape, checked before any crypto (also by `inspect`). */
export function checkStanzaShapes(header: EnvelopeHeader): void {
  for (const [i, s] of header.stanzas.entries()) {
    const scheme = schemeFor(s.type);
    if (!scheme) continue;
    const ok =
      s.args.length === scheme.argLengths.length && s.args.every((a, j) => a.length === scheme.argLengths[j]) && s.body.length === scheme.bodyLength;
    if (!ok) throw new LintasError('ERR_ENVELOPE_MALFORMED', `Envelope header is malformed: stanza ${i} (${s.type}) has the wrong argument or body size`);
  }
}

function notForMe(): LintasError {
  return new LintasError('ERR_ENVELOPE_NOT_FOR_ME', 'Envelope is not addressed to any of your keys');
}

/**
 * SPEC 6.2–6.3 and 10.8: a failure of the header's authentication. In hidden mode it is
 * ERR_ENVELOPE_NOT_FOR_ME, exactly as for a reader the envelope is not for, so that an outsider
 * who alters the header cannot tell recipients from the rest by their outcome.
 */
function headerTampered(header: EnvelopeHeader, message: string): LintasError {
  return isHidden(header) ? notForMe() : new LintasError('ERR_ENVELOPE_HEADER_TAMPERED', message);
}

function isHidden(header: EnvelopeHeader): boolean {
  return header.stanzas[0]!.recipientId === null;
}

/**
 * SPEC 6.2–6.3: unwrap the file key and check it against the key commitment. In hidden mode a
 * stanza that unwraps but fails the commitment is passed over like one that does not unwrap,
 * and the trial unwraps, summed over all keys, stop at `o.maxTrials` (SPEC 4.3).
 */
function authenticateHeader(header: EnvelopeHeader, o: CheckedOpenOptions): { keys: EnvelopeKeys; key: RecipientKeyPair; ownId: Uint8Array } {
  const committed = (fileKey: Uint8Array): EnvelopeKeys | null => {
    const keys = deriveEnvelopeKeys(fileKey, header.salt);
    wipe(fileKey);
    if (constantTimeEqual(keys.commitment, header.commit)) return keys;
    wipeEnvelopeKeys(keys);
    return null;
  };
  const { byId, hidden } = indexStanzas(header.stanzas);
  let trials = 0;
  for (const key of o.keys) {
    const scheme = schemeFor(key.type);
    if (!scheme) continue;
    // Normal mode: one lookup finds the stanza carrying our id, wherever it sits among 1,024.
    const rid = recipientId(key);
    const own = byId.get(idBucket(rid))?.find((s) => s.type === scheme.type && constantTimeEqual(s.recipientId!, rid));
    if (own) {
      const fileKey = scheme.unwrap(own.args, own.body, key);
      if (fileKey === null) throw new LintasError('ERR_ENVELOPE_HEADER_TAMPERED', 'The stanza addressed to your key does not decrypt: the header was modified');
      const keys = committed(fileKey);
      if (keys === null) throw new LintasError('ERR_ENVELOPE_HEADER_TAMPERED', 'Envelope header failed its key commitment check: it was modified or forged');
      return { keys, key, ownId: rid };
    }
    // Hidden mode: nothing says which stanza is ours, so try each of our type (SPEC 4.3).
    for (const s of hidden) {
      if (s.type !== scheme.type) continue;
      if (++trials > o.maxTrials) throw notForMe();
      const fileKey = scheme.unwrap(s.args, s.body, key);
      const keys = fileKey === null ? null : committed(fileKey);
      if (keys !== null) return { keys, key, ownId: rid };
    }
  }
  throw notForMe();
}

/**
 * The stanzas with a recipient id, bucketed by {@link idBucket} in header order (so a lookup
 * finds the first match, as a scan would), and the stanzas without one.
 */
function indexStanzas(stanzas: RecipientStanza[]): { byId: Map<number, RecipientStanza[]>; hidden: RecipientStanza[] } {
  const byId = new Map<number, RecipientStanza[]>();
  const hidden: RecipientStanza[] = [];
  for (const s of stanzas) {
    if (s.recipientId === null) {
      hidden.push(s);
      continue;
    }
    const bucket = byId.get(idBucket(s.recipientId));
    if (bucket) bucket.push(s);
    else byId.set(idBucket(s.recipientId), [s]);
  }
  return { byId, hidden };
}

/**
 * The first four bytes of a recipient id as a number. Ids are SHA-256 outputs, so buckets hold
 * one stanza unless someone forges them (then a bucket is a scan, never worse). Cheaper than
 * hex strings, whose building cost more than scanning 1,000 ids. Ids are public: no secrets here.
 */
function idBucket(rid: Uint8Array): number {
  return ((rid[0]! << 24) | (rid[1]! << 16) | (rid[2]! << 8) | rid[3]!) >>> 0;
}

/**
 * SPEC 6.6: the payload, window by window; the keys are wiped and the input let go at the end.
 * The reader's own generator, not one wrapped around it: a second layer of async generator
 * would cost a promise hop per 64 KiB piece.
 */
function payloadStream(reader: ByteReader, header: EnvelopeHeader, keys: EnvelopeKeys, meta: EnvelopeMeta, prefixAndHeader: Uint8Array): AsyncGenerator<Uint8Array> {
  return readPlaintext({
    reader,
    chunkExponent: header.chunkExponent,
    payloadKey: keys.payloadKey,
    meta,
    prefixAndHeader,
    finish: async () => {
      wipeEnvelopeKeys(keys);
      await reader.cancel();
    },
  });
}
