/**
 * Generates the envelope test vectors in docs/vectors/ (file format: docs/vectors/README.md).
 *
 * Modelled on the age test kit (C2SP/CCTV): one behaviour per vector, named after what it
 * breaks. Unlike age's kit, every vector also records the sealing inputs and the random bytes
 * the sealer consumed, in order, so another implementation can reproduce the envelope byte for
 * byte (encryption direction), plus the intermediate values of the key schedule.
 *
 * Fully deterministic: identity seeds and every random byte come from HKDF-SHA-256 over a fixed
 * string, and the clock is fixed, so running it twice writes identical files.
 *
 * Envelopes that a correct sealer never produces are forged here with the known file key, MAC
 * key, payload key and the sender's signing key, so the only defect is the one the vector is
 * named after and a reader that skips that one check would accept the envelope.
 *
 *   npm run vectors               write docs/vectors/*.json
 *   npm run vectors -- --check    exit 1 if the files on disk differ from what the code generates
 */
import { readdirSync, readFileSync, writeFileSync, mkdirSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LintasError, type LintasErrorCode } from '../src/errors/index.js';
import { cryptoReady } from '../src/crypto/sodium.js';
import { concatBytes, utf8 } from '../src/crypto/bytes.js';
import { hkdfSha256, sha256 } from '../src/crypto/hash.js';
import { AEAD_NONCE_BYTES, AEAD_TAG_BYTES, chachaDecrypt, chachaEncrypt } from '../src/crypto/aead.js';
import { ed25519Sign } from '../src/crypto/ed25519.js';
import { x25519 } from '../src/crypto/x25519.js';
import { xwingDecapsulate } from '../src/crypto/xwing.js';
import type { RandomSource } from '../src/crypto/random.js';
import { identityKeysFromSeed, type IdentityKeys } from '../src/keys/identity-keys.js';
import { recipientId, type RecipientKeyPair, type RecipientType, type SigningKeyPair } from '../src/keys/recipient.js';
import { sealCore, type SealStreamOptions } from '../src/envelope/seal.js';
import { open, type OpenOptions } from '../src/envelope/open.js';
import { armor } from '../src/envelope/armor.js';
import { inspect } from '../src/envelope/inspect.js';
import { collectBytes, toAsyncIterable } from '../src/envelope/byte-source.js';
import { CHECKPOINT_BYTES, CONTEXT, HEADER_MAC_BYTES, LIMITS, MAGIC, PREFIX_BYTES, WINDOW_BYTES } from '../src/envelope/constants.js';
import { decodeHeader, encodeHeader, encodePrefix, type EnvelopeHeader, type RecipientStanza } from '../src/envelope/header.js';
import { deriveEnvelopeKeys, headerMac, type EnvelopeKeys } from '../src/envelope/key-schedule.js';
import { checkpointMessage } from '../src/envelope/checkpoints.js';
import { decodeMeta, encodeMeta, type EnvelopeMeta } from '../src/envelope/meta.js';
import { chunkNonce } from '../src/envelope/payload-stream.js';
import { x25519Scheme } from '../src/envelope/stanza-x25519.js';
import { toHex } from '../src/envelope/hex.js';
import { IDENTITY_KEY, NON_CANONICAL_IDENTITY_KEY, ORDER_TWO_KEY, bareEquationHolds, forgeWithSmallOrderKey, malleateS } from './ed25519-forgeries.js';

// ---------------------------------------------------------------------------------------------
// The vector file format (docs/vectors/README.md describes every field).

/** Version of the vector file format, not of the envelope format. */
export const VECTOR_FORMAT = 'lintas-envelope-vector/1';

type Hex = string;
type FailureClass = 'header' | 'not-for-me' | 'payload' | 'signature' | 'policy' | 'armor';

/** A recipient key named by identity and type. */
export interface KeyRef {
  identity: string;
  type: RecipientType;
}

export interface VectorIdentity {
  seed: Hex;
  signing?: { publicKey: Hex; secretKey: Hex };
  x25519?: { publicKey: Hex; secretKey: Hex };
  xwing?: { publicKey: Hex; secretKey: Hex };
}

export interface VectorSeal {
  /** The sealer's clock, Unix seconds. */
  now: number;
  payload: Hex;
  options: {
    recipients: KeyRef[];
    sender?: string;
    anonymous?: true;
    hideRecipients?: true;
    padding?: true;
    expiresAt?: number;
    contentType?: string;
    chunkSize?: number;
    size?: number;
  };
  /** Every call to the random source, in order, one hex string per call. */
  random: Hex[];
}

export interface VectorIntermediate {
  fileKey: Hex;
  salt: Hex;
  macKey: Hex;
  commitment: Hex;
  metaKey: Hex;
  payloadKey: Hex;
  wraps: { identity: string; type: RecipientType; stanza: number; recipientId: Hex; sharedSecret: Hex; wrapKey: Hex }[];
  meta: Hex;
  header: Hex;
  headerMac: Hex;
  plaintextStreamLength: number;
  /** Each payload chunk's nonce and plaintext length, in order. */
  chunks: { nonce: Hex; plaintextLength: number }[];
  /** SHA-256 of the window's data: payload || padding (every vector has one window). */
  dataHash: Hex;
  /** The message checkpoint 0 signs (SPEC 5.7); null when anonymous. */
  signedMessage: Hex | null;
  /** Checkpoint 0: the sender's signature, or null when anonymous (the slot is then 64 zero bytes). */
  signature: Hex | null;
}

export interface VectorOpen {
  keys: KeyRef[];
  now: number;
  allowAnonymous?: boolean;
  trustedSenders?: string[];
  maxClockSkewSeconds?: number;
}

export type VectorExpect =
  | {
      result: 'success';
      payload: Hex;
      sender: Hex | null;
      authenticated: boolean;
      envelopeId: Hex;
      createdAt: number;
      expiresAt: number | null;
      recipients: Hex[];
      openedWith: { type: RecipientType; recipientId: Hex };
      contentType: string | null;
      payloadLength: number | null;
    }
  | { result: 'failure'; class: FailureClass; code: LintasErrorCode };

export interface Vector {
  format: typeof VECTOR_FORMAT;
  name: string;
  description: string;
  identities: Record<string, VectorIdentity>;
  seal: VectorSeal;
  intermediate: VectorIntermediate;
  tamper?: string;
  envelope: Hex;
  armored?: string;
  /** Optional: what the key-free inspection of SPEC 6.8 reports for `envelope`. */
  inspect?: VectorInspect;
  open: VectorOpen;
  expect: VectorExpect;
}

/** SPEC 6.8: what anyone may learn without keys (README "inspect"). */
export interface VectorInspect {
  totalBytes: number;
  headerBytes: number;
  chunkSize: number;
  payloadBytes: number;
  chunkCount: number;
  plaintextStreamBytes: number;
  hiddenRecipients: boolean;
  stanzas: { type: string; recipientId: Hex | null; bytes: number }[];
}

/** Which failure class each error code belongs to (README "expect"). */
export const FAILURE_CLASS: Partial<Record<LintasErrorCode, FailureClass>> = {
  ERR_ENVELOPE_MALFORMED: 'header',
  ERR_ENVELOPE_TRUNCATED: 'header',
  ERR_ENVELOPE_UNSUPPORTED_VERSION: 'header',
  ERR_ENVELOPE_LIMIT_EXCEEDED: 'header',
  ERR_ENVELOPE_HEADER_TAMPERED: 'header',
  ERR_ENVELOPE_NOT_FOR_ME: 'not-for-me',
  ERR_ENVELOPE_TAMPERED: 'payload',
  ERR_SIGNATURE_INVALID: 'signature',
  ERR_ENVELOPE_ANONYMOUS: 'policy',
  ERR_UNKNOWN_SENDER: 'policy',
  ERR_ENVELOPE_EXPIRED: 'policy',
  ERR_ENVELOPE_NOT_YET_VALID: 'policy',
  ERR_NOT_ADDRESSED_TO_ME: 'policy',
  ERR_ARMOR_MALFORMED: 'armor',
};

// ---------------------------------------------------------------------------------------------
// Determinism: fixed seeds, a fixed clock, and an HKDF-based random source.

/** Input keying material of every seed and random byte in the vectors. */
const VECTOR_IKM = utf8('lintas/v1 test vectors');
const EMPTY = new Uint8Array(0);
/** The sealer's clock in every vector: 2025-01-01T00:00:00Z. */
export const VECTOR_NOW = 1_735_689_600;
const HOUR = 3600;

/**
 * A deterministic random source: call i returns HKDF-SHA-256(ikm = key, salt = u64be(i),
 * info = "lintas/v1 test vector random", n), key = HKDF-SHA-256(VECTOR_IKM, "", "drbg " + label, 32).
 * Only the generator needs this; readers of the vectors replay the recorded bytes.
 */
function drbg(label: string): { random: RandomSource; draws: Uint8Array[] } {
  const key = hkdfSha256(VECTOR_IKM, EMPTY, `drbg ${label}`, 32);
  const draws: Uint8Array[] = [];
  let counter = 0;
  const random: RandomSource = (n) => {
    const salt = new Uint8Array(8);
    new DataView(salt.buffer).setUint32(4, counter++, false);
    const out = hkdfSha256(key, salt, 'lintas/v1 test vector random', n);
    // The sealer wipes what it draws (file key, ephemeral secrets), so keep a copy.
    draws.push(out.slice());
    return out;
  };
  return { random, draws };
}

const IDENTITY_NAMES = ['alice', 'bob', 'carol', 'dave', 'eve'] as const;
type IdentityName = (typeof IDENTITY_NAMES)[number];

interface Identity {
  seed: Uint8Array;
  keys: IdentityKeys;
}

let identities: Map<IdentityName, Identity> | null = null;

/** The fixed identities: alice sends, bob, carol and dave receive, eve is an outsider. */
async function loadIdentities(): Promise<Map<IdentityName, Identity>> {
  if (identities) return identities;
  const m = new Map<IdentityName, Identity>();
  for (const name of IDENTITY_NAMES) {
    const seed = hkdfSha256(VECTOR_IKM, EMPTY, `identity ${name}`, 32);
    m.set(name, { seed, keys: await identityKeysFromSeed(seed) });
  }
  identities = m;
  return m;
}

function id(name: IdentityName): Identity {
  return identities!.get(name)!;
}

function keyPair(ref: KeyRef): RecipientKeyPair {
  const k = id(ref.identity as IdentityName).keys;
  return ref.type === 'X25519' ? k.x25519 : k.xwing;
}

const X: RecipientType = 'X25519';
const XW: RecipientType = 'X-Wing';
const to = (identity: IdentityName, type: RecipientType = X): KeyRef => ({ identity, type });

/** Deterministic filler bytes: a readable pattern, so payloads are easy to eyeball in hex. */
function pattern(n: number, seed = 0): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed * 7 + 11) & 0xff;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Sealing a base envelope and taking it apart.

interface SealSpec {
  /** Label of the random source; defaults to the vector name. Two seals with one label are identical. */
  label: string;
  payload: Uint8Array;
  recipients: KeyRef[];
  /** Identity that signs; absent means anonymous. */
  sender?: IdentityName;
  hideRecipients?: boolean;
  padding?: boolean;
  expiresAt?: number;
  contentType?: string;
  chunkSize?: number;
  /** Declared payload length: the payload length (as `seal` does) unless 'unknown' (a stream). */
  size?: 'unknown';
  now?: number;
}

interface Base {
  spec: SealSpec;
  draws: Uint8Array[];
  envelope: Uint8Array;
  fileKey: Uint8Array;
  keys: EnvelopeKeys;
  prefix: Uint8Array;
  headerBytes: Uint8Array;
  header: EnvelopeHeader;
  mac: Uint8Array;
  meta: EnvelopeMeta;
  metaBytes: Uint8Array;
  chunks: Uint8Array[];
  chunkSize: number;
  /** Plaintext stream: payload || padding || checkpoint (one window). */
  stream: Uint8Array;
  paddingLength: number;
  signature: Uint8Array | null;
  sender: SigningKeyPair | null;
}

const ZERO_NONCE = new Uint8Array(AEAD_NONCE_BYTES);

function sealOptions(spec: SealSpec): SealStreamOptions {
  const o: SealStreamOptions = { recipients: spec.recipients.map((r) => ({ type: r.type, publicKey: keyPair(r).publicKey })) };
  if (spec.sender) o.sender = id(spec.sender).keys.signing;
  else o.anonymous = true;
  if (spec.hideRecipients) o.hideRecipients = true;
  if (spec.padding) o.padding = true;
  if (spec.expiresAt !== undefined) o.expiresAt = new Date(spec.expiresAt * 1000);
  if (spec.contentType !== undefined) o.contentType = spec.contentType;
  if (spec.chunkSize !== undefined) o.chunkSize = spec.chunkSize;
  if (spec.size !== 'unknown') o.size = spec.payload.length;
  return o;
}

async function sealBase(spec: SealSpec): Promise<Base> {
  const { random, draws } = drbg(spec.label);
  const now = spec.now ?? VECTOR_NOW;
  const envelope = await collectBytes(sealCore(toAsyncIterable(spec.payload, 'payload'), sealOptions(spec), { random, now: () => now * 1000 }));
  const prefix = envelope.slice(0, PREFIX_BYTES);
  const headerLength = new DataView(prefix.buffer).getUint32(7, false);
  const headerBytes = envelope.slice(PREFIX_BYTES, PREFIX_BYTES + headerLength);
  const header = decodeHeader(headerBytes);
  const mac = envelope.slice(PREFIX_BYTES + headerLength, PREFIX_BYTES + headerLength + HEADER_MAC_BYTES);
  // SPEC 5: the first two draws are the file key and the salt.
  const fileKey = draws[0]!;
  if (toHex(draws[1]!) !== toHex(header.salt)) throw new Error(`${spec.label}: the salt is not the second random draw`);
  const keys = deriveEnvelopeKeys(fileKey, header.salt);
  const metaBytes = chachaDecrypt(keys.metaKey, ZERO_NONCE, header.meta)!;
  const meta = decodeMeta(metaBytes, header.stanzas.length);
  const chunkSize = 1 << header.chunkExponent;
  const chunks: Uint8Array[] = [];
  const body = envelope.subarray(PREFIX_BYTES + headerLength + HEADER_MAC_BYTES);
  for (let off = 0; off < body.length || chunks.length === 0; off += chunkSize + AEAD_TAG_BYTES) {
    chunks.push(body.slice(off, off + chunkSize + AEAD_TAG_BYTES));
  }
  const stream = concatBytes(...chunks.map((c, i) => chachaDecrypt(keys.payloadKey, chunkNonce(i, i === chunks.length - 1), c)!));
  // Vectors are small: one window, so the plaintext stream is payload || padding || checkpoint.
  if (stream.length > WINDOW_BYTES) throw new Error(`${spec.label}: more than one window`);
  const sender = spec.sender ? id(spec.sender).keys.signing : null;
  const signature = sender ? stream.slice(stream.length - CHECKPOINT_BYTES) : null;
  const paddingLength = stream.length - spec.payload.length - CHECKPOINT_BYTES;
  return { spec, draws, envelope, fileKey, keys, prefix, headerBytes, header, mac, meta, metaBytes, chunks, chunkSize, stream, paddingLength, signature, sender };
}

// ---------------------------------------------------------------------------------------------
// Forging: the tools an insider (or a test author) with the file key has.

/** STREAM-encrypt a plaintext stream into chunks the way the sealer does (SPEC 5.5). */
function encryptStream(
  payloadKey: Uint8Array,
  stream: Uint8Array,
  chunkSize: number,
  opts: { finalFlag?: boolean; emptyFinalChunk?: boolean } = {},
): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  for (let off = 0; off < stream.length; off += chunkSize) pieces.push(stream.subarray(off, off + chunkSize));
  if (pieces.length === 0 || opts.emptyFinalChunk) pieces.push(new Uint8Array(0));
  return pieces.map((p, i) => {
    const isFinal = i === pieces.length - 1;
    return chachaEncrypt(payloadKey, chunkNonce(i, isFinal && (opts.finalFlag ?? true)), p);
  });
}

interface Rebuild {
  /** Header bytes (default: the base header). */
  header?: Uint8Array;
  /** Prefix (default: the correct prefix for `header`). */
  prefix?: Uint8Array;
  /** Header MAC (default: the correct MAC under the base MAC key). */
  mac?: Uint8Array;
  /** Payload for the default plaintext stream (default: the base payload). */
  payload?: Uint8Array;
  /**
   * Checkpoint for the default plaintext stream (default: the base sender signs the new header
   * and data; zeros if anonymous). null: the anonymous zero checkpoint.
   */
  signature?: Uint8Array | null;
  /** Padding for the default plaintext stream (default: the base padding, zeros). */
  padding?: Uint8Array;
  /** The whole plaintext stream (default: payload || padding || signature). */
  stream?: Uint8Array;
  /** The ciphertext chunks (default: the plaintext stream encrypted under the base payload key). */
  chunks?: Uint8Array[];
}

/** Rebuild an envelope from the base's keys, recomputing the MAC and signature unless overridden. */
function rebuild(base: Base, r: Rebuild): Uint8Array {
  const header = r.header ?? base.headerBytes;
  const prefix = r.prefix ?? encodePrefix(header.length);
  const prefixAndHeader = concatBytes(prefix, header);
  const mac = r.mac ?? headerMac(base.keys.macKey, prefixAndHeader);
  let chunks = r.chunks;
  if (!chunks) {
    let stream = r.stream;
    if (!stream) {
      const payload = r.payload ?? base.spec.payload;
      const padding = r.padding ?? new Uint8Array(base.paddingLength);
      const signature =
        r.signature !== undefined ? r.signature : base.sender ? signCheckpoint(base.sender, prefixAndHeader, concatBytes(payload, padding)) : null;
      stream = concatBytes(payload, padding, signature ?? new Uint8Array(CHECKPOINT_BYTES));
    }
    chunks = encryptStream(base.keys.payloadKey, stream, base.chunkSize);
  }
  return concatBytes(prefixAndHeader, mac, ...chunks);
}

/** Checkpoint `index` over `data` for this header (SPEC 5.7); by default the only, final one. */
function signCheckpoint(sender: SigningKeyPair, prefixAndHeader: Uint8Array, data: Uint8Array, index = 0, final = true): Uint8Array {
  return ed25519Sign(sender.secretKey, checkpointMessage(sha256(prefixAndHeader), index, final, sha256(data)));
}

/** The base header with some fields replaced, canonically encoded. */
function headerWith(base: Base, change: Partial<EnvelopeHeader>): Uint8Array {
  return encodeHeader({ ...base.header, ...change });
}

/** The base header with its meta block replaced by `metaPlain`, encrypted under the meta key. */
function headerWithMeta(base: Base, metaPlain: Uint8Array): Uint8Array {
  return headerWith(base, { meta: chachaEncrypt(base.keys.metaKey, ZERO_NONCE, metaPlain) });
}

function flip(bytes: Uint8Array, index: number, mask = 0x01): Uint8Array {
  const out = bytes.slice();
  out[index < 0 ? out.length + index : index]! ^= mask;
  return out;
}

function indexOfBytes(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  throw new Error('needle not found');
}

function sectionLength(base: Base): number {
  return PREFIX_BYTES + base.headerBytes.length + HEADER_MAC_BYTES;
}

// A minimal raw CBOR writer for headers that the canonical encoder refuses to produce.

class RawMap {
  constructor(readonly entries: [string, Raw][]) {}
}
/** An unsigned integer written with a given additional-information width (24..27). */
class WideUint {
  constructor(
    readonly value: number,
    readonly info: 24 | 25 | 26 | 27,
  ) {}
}
/** An indefinite-length array (forbidden by the lintas profile). */
class IndefiniteArray {
  constructor(readonly items: Raw[]) {}
}
/** Bytes written as they are: items outside the profile (negative integers, tags, floats) or cut-short ones. */
class Verbatim {
  constructor(readonly bytes: number[]) {}
}
type Raw = number | string | Uint8Array | null | Raw[] | RawMap | WideUint | IndefiniteArray | Verbatim;

function cborHead(major: number, arg: number, info?: 24 | 25 | 26 | 27): number[] {
  const m = major << 5;
  const width = info ?? (arg < 24 ? 0 : arg < 0x100 ? 24 : arg < 0x10000 ? 25 : arg < 0x100000000 ? 26 : 27);
  if (width === 0) return [m | arg];
  const n = { 24: 1, 25: 2, 26: 4, 27: 8 }[width];
  const out = [m | width];
  for (let i = n - 1; i >= 0; i--) out.push(Math.floor(arg / 2 ** (8 * i)) & 0xff);
  return out;
}

function rawCbor(v: Raw): Uint8Array {
  const out: number[] = [];
  const put = (x: Raw): void => {
    if (x === null) out.push(0xf6);
    else if (typeof x === 'number') out.push(...cborHead(0, x));
    else if (x instanceof WideUint) out.push(...cborHead(0, x.value, x.info));
    else if (x instanceof Verbatim) out.push(...x.bytes);
    else if (typeof x === 'string') {
      const b = utf8(x);
      out.push(...cborHead(3, b.length), ...b);
    } else if (x instanceof Uint8Array) {
      out.push(...cborHead(2, x.length));
      for (const b of x) out.push(b);
    } else if (x instanceof RawMap) {
      out.push(...cborHead(5, x.entries.length));
      for (const [k, val] of x.entries) {
        put(k);
        put(val);
      }
    } else if (x instanceof IndefiniteArray) {
      out.push(0x9f);
      for (const i of x.items) put(i);
      out.push(0xff);
    } else {
      out.push(...cborHead(4, x.length));
      for (const i of x) put(i);
    }
  };
  put(v);
  return new Uint8Array(out);
}

function rawStanza(s: RecipientStanza): Raw[] {
  return [s.type, s.recipientId, s.args, s.body];
}

/** The base header's map entries in canonical order (length-first, then bytewise). */
function headerEntries(base: Base): [string, Raw][] {
  const h = base.header;
  return [
    ['meta', h.meta],
    ['salt', h.salt],
    ['chunk', h.chunkExponent],
    ['commit', h.commit],
    ['stanzas', h.stanzas.map(rawStanza)],
  ];
}

function replaceEntry(entries: [string, Raw][], key: string, value: Raw): [string, Raw][] {
  return entries.map(([k, v]) => [k, k === key ? value : v]);
}

// ---------------------------------------------------------------------------------------------
// Turning a base and a scenario into a vector.

interface OpenSpec {
  keys: KeyRef[];
  now?: number;
  allowAnonymous?: boolean;
  trustedSenders?: IdentityName[];
  maxClockSkewSeconds?: number;
}

interface VectorDef {
  name: string;
  description: string;
  base: Base;
  /** What was changed after sealing; absent when `envelope` is exactly the sealer's output. */
  tamper?: string;
  envelope?: Uint8Array;
  armored?: string;
  open: OpenSpec;
  /** A failure code, or 'success' (the expected values are then taken from the base). */
  expect: LintasErrorCode | 'success';
  /** Record what `inspect` (SPEC 6.8) reports for the envelope. */
  inspect?: true;
  /** For success vectors built from a different payload or meta than the base seal. */
  expectPayload?: Uint8Array;
  expectMeta?: EnvelopeMeta;
}

function keyHex(k: { publicKey: Uint8Array; secretKey: Uint8Array }): { publicKey: Hex; secretKey: Hex } {
  return { publicKey: toHex(k.publicKey), secretKey: toHex(k.secretKey) };
}

function identitiesFor(refs: { identity: string; part: 'signing' | 'x25519' | 'xwing' }[]): Record<string, VectorIdentity> {
  const out: Record<string, VectorIdentity> = {};
  for (const name of IDENTITY_NAMES) {
    const parts = refs.filter((r) => r.identity === name);
    if (parts.length === 0) continue;
    const { seed, keys } = id(name);
    const v: VectorIdentity = { seed: toHex(seed) };
    if (parts.some((p) => p.part === 'signing')) v.signing = keyHex(keys.signing);
    if (parts.some((p) => p.part === 'x25519')) v.x25519 = keyHex(keys.x25519);
    if (parts.some((p) => p.part === 'xwing')) v.xwing = keyHex(keys.xwing);
    out[name] = v;
  }
  return out;
}

const part = (r: KeyRef): 'x25519' | 'xwing' => (r.type === 'X25519' ? 'x25519' : 'xwing');

/** Which stanza each real recipient's file key is in, with the values of its key wrap. */
function wrapsOf(base: Base): VectorIntermediate['wraps'] {
  return base.spec.recipients.map((ref) => {
    const kp = keyPair(ref);
    const rid = recipientId(kp);
    for (const [i, s] of base.header.stanzas.entries()) {
      if (s.type !== ref.type || (s.recipientId !== null && toHex(s.recipientId) !== toHex(rid))) continue;
      let shared: Uint8Array;
      let wrapKey: Uint8Array;
      if (ref.type === 'X25519') {
        try {
          shared = x25519(kp.secretKey, s.args[0]!);
        } catch {
          continue;
        }
        wrapKey = hkdfSha256(shared, concatBytes(s.args[0]!, kp.publicKey), CONTEXT.x25519Wrap, 32);
      } else {
        shared = xwingDecapsulate(s.args[0]!, kp.secretKey);
        wrapKey = hkdfSha256(shared, rid, CONTEXT.xwingWrap, 32);
      }
      const fk = chachaDecrypt(wrapKey, ZERO_NONCE, s.body);
      if (fk && toHex(fk) === toHex(base.fileKey)) {
        return { identity: ref.identity, type: ref.type, stanza: i, recipientId: toHex(rid), sharedSecret: toHex(shared), wrapKey: toHex(wrapKey) };
      }
    }
    throw new Error(`${base.spec.label}: no stanza unwraps for ${ref.identity} ${ref.type}`);
  });
}

function intermediateOf(base: Base): VectorIntermediate {
  const prefixAndHeader = concatBytes(base.prefix, base.headerBytes);
  const dataHash = sha256(base.stream.subarray(0, base.stream.length - CHECKPOINT_BYTES));
  return {
    fileKey: toHex(base.fileKey),
    salt: toHex(base.header.salt),
    macKey: toHex(base.keys.macKey),
    commitment: toHex(base.keys.commitment),
    metaKey: toHex(base.keys.metaKey),
    payloadKey: toHex(base.keys.payloadKey),
    wraps: wrapsOf(base),
    meta: toHex(base.metaBytes),
    header: toHex(base.headerBytes),
    headerMac: toHex(base.mac),
    plaintextStreamLength: base.stream.length,
    chunks: base.chunks.map((c, i) => ({ nonce: toHex(chunkNonce(i, i === base.chunks.length - 1)), plaintextLength: c.length - AEAD_TAG_BYTES })),
    dataHash: toHex(dataHash),
    signedMessage: base.sender ? toHex(checkpointMessage(sha256(prefixAndHeader), 0, true, dataHash)) : null,
    signature: base.signature ? toHex(base.signature) : null,
  };
}

function sealRecord(base: Base): VectorSeal {
  const s = base.spec;
  const options: VectorSeal['options'] = { recipients: s.recipients };
  if (s.sender) options.sender = s.sender;
  else options.anonymous = true;
  if (s.hideRecipients) options.hideRecipients = true;
  if (s.padding) options.padding = true;
  if (s.expiresAt !== undefined) options.expiresAt = s.expiresAt;
  if (s.contentType !== undefined) options.contentType = s.contentType;
  if (s.chunkSize !== undefined) options.chunkSize = s.chunkSize;
  if (s.size !== 'unknown') options.size = s.payload.length;
  return { now: s.now ?? VECTOR_NOW, payload: toHex(s.payload), options, random: base.draws.map(toHex) };
}

function openOptions(o: OpenSpec): OpenOptions {
  const out: OpenOptions = { keys: o.keys.map(keyPair), now: new Date((o.now ?? VECTOR_NOW) * 1000) };
  if (o.allowAnonymous !== undefined) out.allowAnonymous = o.allowAnonymous;
  if (o.trustedSenders) out.trustedSenders = o.trustedSenders.map((n) => id(n).keys.signing.publicKey);
  if (o.maxClockSkewSeconds !== undefined) out.maxClockSkewSeconds = o.maxClockSkewSeconds;
  return out;
}

async function toVector(def: VectorDef): Promise<Vector> {
  const { base } = def;
  const envelope = def.envelope ?? base.envelope;
  if (def.envelope === undefined && def.tamper !== undefined) throw new Error(`${def.name}: tamper without an envelope`);
  const refs: { identity: string; part: 'signing' | 'x25519' | 'xwing' }[] = [];
  if (base.spec.sender) refs.push({ identity: base.spec.sender, part: 'signing' });
  for (const r of base.spec.recipients) refs.push({ identity: r.identity, part: part(r) });
  for (const r of def.open.keys) refs.push({ identity: r.identity, part: part(r) });
  for (const n of def.open.trustedSenders ?? []) refs.push({ identity: n, part: 'signing' });

  const openRecord: VectorOpen = { keys: def.open.keys, now: def.open.now ?? VECTOR_NOW };
  if (def.open.allowAnonymous !== undefined) openRecord.allowAnonymous = def.open.allowAnonymous;
  if (def.open.trustedSenders) openRecord.trustedSenders = def.open.trustedSenders;
  if (def.open.maxClockSkewSeconds !== undefined) openRecord.maxClockSkewSeconds = def.open.maxClockSkewSeconds;

  let expect: VectorExpect;
  if (def.expect === 'success') {
    const meta = def.expectMeta ?? base.meta;
    const opener = keyPair(def.open.keys.find((k) => base.spec.recipients.some((r) => r.identity === k.identity && r.type === k.type))!);
    expect = {
      result: 'success',
      payload: toHex(def.expectPayload ?? base.spec.payload),
      sender: meta.sender ? toHex(meta.sender) : null,
      authenticated: meta.sender !== null,
      envelopeId: toHex(meta.id),
      createdAt: meta.created,
      expiresAt: meta.expires,
      recipients: meta.to.map(toHex),
      openedWith: { type: opener.type, recipientId: toHex(recipientId(opener)) },
      contentType: meta.contentType,
      payloadLength: meta.len,
    };
  } else {
    const cls = FAILURE_CLASS[def.expect];
    if (!cls) throw new Error(`${def.name}: ${def.expect} has no failure class`);
    expect = { result: 'failure', class: cls, code: def.expect };
  }

  const v: Vector = {
    format: VECTOR_FORMAT,
    name: def.name,
    description: def.description,
    identities: identitiesFor(refs),
    seal: sealRecord(base),
    intermediate: intermediateOf(base),
    ...(def.tamper !== undefined ? { tamper: def.tamper } : {}),
    envelope: toHex(envelope),
    ...(def.armored !== undefined ? { armored: def.armored } : {}),
    ...(def.inspect ? { inspect: await inspectRecord(envelope) } : {}),
    open: openRecord,
    expect,
  };
  await checkOutcome(v, def);
  return v;
}

async function inspectRecord(envelope: Uint8Array): Promise<VectorInspect> {
  const { version: _version, armored: _armored, ...view } = await inspect(envelope);
  return view;
}

/** The generator refuses to write a vector that this implementation does not open as stated. */
async function checkOutcome(v: Vector, def: VectorDef): Promise<void> {
  const input = def.armored ?? def.envelope ?? def.base.envelope;
  let got: string;
  let payload: Uint8Array | null = null;
  try {
    const opened = await open(input, openOptions(def.open));
    got = 'success';
    payload = opened.payload;
  } catch (e) {
    if (!(e instanceof LintasError)) throw e;
    got = e.code;
  }
  const want = v.expect.result === 'success' ? 'success' : v.expect.code;
  if (got !== want) throw new Error(`vector ${v.name}: expected ${want}, the implementation gives ${got}`);
  if (v.expect.result === 'success' && toHex(payload!) !== v.expect.payload) throw new Error(`vector ${v.name}: payload differs`);
}

// ---------------------------------------------------------------------------------------------
// The vectors.

const TEXT_STRING = 'SITREP 0412Z: two vessels loitering at the outer marker, no AIS.';
const TEXT = utf8(TEXT_STRING);

async function defineVectors(): Promise<VectorDef[]> {
  await cryptoReady();
  await loadIdentities();
  const defs: VectorDef[] = [];
  const add = (d: VectorDef): void => void defs.push(d);
  const bobX: OpenSpec = { keys: [to('bob')] };

  // --- Valid envelopes -----------------------------------------------------------------------

  const x25519Signed = await sealBase({ label: 'x25519-signed', payload: TEXT, recipients: [to('bob')], sender: 'alice' });
  add({
    name: 'x25519-signed',
    description: 'alice signs and seals a short payload to bob\'s X25519 key; bob opens it and learns alice is the sender.',
    base: x25519Signed,
    open: bobX,
    expect: 'success',
  });

  const xwingSigned = await sealBase({ label: 'xwing-signed', payload: TEXT, recipients: [to('bob', XW)], sender: 'alice' });
  add({
    name: 'xwing-signed',
    description: 'alice signs and seals to bob\'s X-Wing (ML-KEM-768 + X25519) key.',
    base: xwingSigned,
    open: { keys: [to('bob', XW)] },
    expect: 'success',
  });

  const anonymous = await sealBase({ label: 'anonymous', payload: TEXT, recipients: [to('bob')] });
  add({
    name: 'anonymous',
    description: 'An anonymous envelope (no sender, no signature) opened with allowAnonymous: authenticated is false.',
    base: anonymous,
    open: { keys: [to('bob')], allowAnonymous: true },
    expect: 'success',
  });

  const hidden = await sealBase({ label: 'hidden-recipients', payload: TEXT, recipients: [to('bob'), to('carol')], sender: 'alice', hideRecipients: true });
  add({
    name: 'hidden-recipients',
    description: 'Hidden-recipients mode: stanzas carry no recipient id, so carol trial-decrypts bob\'s stanza (not hers) before her own.',
    base: hidden,
    open: { keys: [to('carol')] },
    expect: 'success',
  });

  const padded = await sealBase({ label: 'padding', payload: pattern(300), recipients: [to('bob')], sender: 'alice', padding: true });
  add({
    name: 'padding',
    description: 'Padding: a 300-byte payload padded to its Padmé length 304 with zeros, one real X25519 stanza among three dummies, shuffled, and a meta block padded with "pad" to 641 + 34 x 4 = 777 bytes.',
    base: padded,
    open: bobX,
    expect: 'success',
  });

  const paddedHidden = await sealBase({
    label: 'padding-hidden-recipients',
    payload: pattern(20),
    recipients: [to('bob'), to('carol', XW)],
    sender: 'alice',
    padding: true,
    hideRecipients: true,
  });
  add({
    name: 'padding-hidden-recipients',
    description: 'Padding with hidden recipients: 4 X25519 and 4 X-Wing stanzas (1 real each), no recipient ids; a 20-byte payload padded to 256.',
    base: paddedHidden,
    open: { keys: [to('carol', XW)] },
    expect: 'success',
  });

  const mixed = await sealBase({ label: 'three-recipients-mixed', payload: TEXT, recipients: [to('bob'), to('carol', XW), to('dave')], sender: 'alice' });
  add({
    name: 'three-recipients-mixed',
    description: 'Three recipients of mixed types (bob X25519, carol X-Wing, dave X25519); dave, the third, opens it.',
    base: mixed,
    open: { keys: [to('dave')] },
    expect: 'success',
  });

  const empty = await sealBase({ label: 'empty-payload', payload: EMPTY, recipients: [to('bob')], sender: 'alice' });
  add({
    name: 'empty-payload',
    description: 'An empty payload: the plaintext stream is just the 64-byte checkpoint (the signature over the empty window), in one final chunk.',
    base: empty,
    open: bobX,
    expect: 'success',
  });

  const emptyAnon = await sealBase({ label: 'empty-payload-anonymous', payload: EMPTY, recipients: [to('bob')] });
  add({
    name: 'empty-payload-anonymous',
    description: 'An empty anonymous payload: the plaintext stream is just the anonymous checkpoint, 64 zero bytes, in one final chunk.',
    base: emptyAnon,
    open: { keys: [to('bob')], allowAnonymous: true },
    expect: 'success',
  });

  const chunks = await sealBase({ label: 'chunks-multiple', payload: pattern(10_000, 1), recipients: [to('bob')], sender: 'alice', chunkSize: 4096 });
  add({
    name: 'chunks-multiple',
    description: '4 KiB chunks: a 10,000-byte payload plus signature (10,064 bytes) in chunks of 4096, 4096 and 1872 bytes.',
    base: chunks,
    open: bobX,
    expect: 'success',
  });

  const fullLast = await sealBase({ label: 'chunks-full-last', payload: pattern(8192 - 64, 2), recipients: [to('bob')], sender: 'alice', chunkSize: 4096 });
  add({
    name: 'chunks-full-last',
    description: 'The plaintext stream (8,128-byte payload + 64-byte signature) fills exactly two 4 KiB chunks: the final chunk is full-size and carries the last flag; there is no empty chunk after it.',
    base: fullLast,
    open: bobX,
    expect: 'success',
  });

  const sigSplit = await sealBase({ label: 'chunks-signature-split', payload: pattern(4096 - 20, 3), recipients: [to('bob')], sender: 'alice', chunkSize: 4096 });
  add({
    name: 'chunks-signature-split',
    description: 'The signature straddles a chunk boundary: its first 20 bytes end chunk 0, its other 44 bytes are the final chunk.',
    base: sigSplit,
    open: bobX,
    expect: 'success',
  });

  const anonFull = await sealBase({ label: 'chunks-anonymous-full-last', payload: pattern(4096 - 64, 4), recipients: [to('bob')], chunkSize: 4096 });
  add({
    name: 'chunks-anonymous-full-last',
    description: 'Anonymous, a 4,032-byte payload and its 64-byte zero checkpoint fill exactly one 4 KiB chunk: a single full-size final chunk.',
    base: anonFull,
    open: { keys: [to('bob')], allowAnonymous: true },
    expect: 'success',
  });

  const expiry = await sealBase({ label: 'expiry', payload: TEXT, recipients: [to('bob')], sender: 'alice', expiresAt: VECTOR_NOW + 24 * HOUR });
  add({
    name: 'expiry',
    description: 'An envelope that expires 24 hours after creation, opened one hour after creation.',
    base: expiry,
    open: { keys: [to('bob')], now: VECTOR_NOW + HOUR },
    expect: 'success',
  });
  add({
    name: 'expiry-boundary',
    description: 'Opened at exactly its expiry second: still valid (an envelope is expired only when now > expires).',
    base: expiry,
    open: { keys: [to('bob')], now: VECTOR_NOW + 24 * HOUR },
    expect: 'success',
  });
  add({
    name: 'clock-skew-boundary',
    description: 'The receiver\'s clock is 300 seconds behind the sender\'s: exactly the default tolerance, still valid.',
    base: x25519Signed,
    open: { keys: [to('bob')], now: VECTOR_NOW - 300 },
    expect: 'success',
  });

  const cty = await sealBase({ label: 'content-type', payload: utf8('{"vessel":"unknown"}'), recipients: [to('bob')], sender: 'alice', contentType: 'application/json' });
  add({
    name: 'content-type',
    description: 'A content type ("application/json") carried in the encrypted meta block.',
    base: cty,
    open: bobX,
    expect: 'success',
  });

  const unknownLength = await sealBase({ label: 'stream-unknown-length', payload: TEXT, recipients: [to('bob')], sender: 'alice', size: 'unknown' });
  add({
    name: 'stream-unknown-length',
    description: 'Sealed as a stream without a declared size: the meta block has no "len" and the payload length is reported as null.',
    base: unknownLength,
    open: bobX,
    expect: 'success',
  });

  add({
    name: 'trusted-sender',
    description: 'The receiver accepts only carol and alice as senders; alice signed it.',
    base: x25519Signed,
    open: { keys: [to('bob')], trustedSenders: ['carol', 'alice'] },
    expect: 'success',
  });

  add({
    name: 'several-own-keys',
    description: 'The receiver holds several keys (an unrelated one, a rotated-in X-Wing key, and the X25519 key it was sealed to) and finds the right one.',
    base: x25519Signed,
    open: { keys: [to('eve'), to('bob', XW), to('bob')] },
    expect: 'success',
  });

  {
    const grease: RecipientStanza = { type: 'lintas.test/grease', recipientId: pattern(32, 5), args: [pattern(17, 6)], body: pattern(40, 7) };
    add({
      name: 'stanza-unknown-type',
      description: 'The header carries, before bob\'s stanza, a stanza of a type the reader does not know: readers skip it (and do not check its shape).',
      base: x25519Signed,
      tamper: 'Inserted a "lintas.test/grease" stanza before the real one; MAC and signature recomputed over the new header.',
      envelope: rebuild(x25519Signed, { header: headerWith(x25519Signed, { stanzas: [grease, ...x25519Signed.header.stanzas] }) }),
      open: bobX,
      expect: 'success',
    });
  }

  // --- Structure of the prefix and header (no crypto yet) ------------------------------------

  const env = x25519Signed.envelope;
  const headerOnly = (base: Base, header: Uint8Array): Uint8Array => rebuild(base, { header });

  add({
    name: 'prefix-bad-magic',
    description: 'The magic is "LINTAZ" instead of "LINTAS".',
    base: x25519Signed,
    tamper: 'Byte 5 changed from "S" to "Z".',
    envelope: concatBytes(utf8('LINTAZ'), env.subarray(6)),
    open: bobX,
    expect: 'ERR_ENVELOPE_MALFORMED',
  });
  add({
    name: 'prefix-unsupported-version',
    description: 'Format version 2: a reader of version 1 must say so rather than try to parse it.',
    base: x25519Signed,
    tamper: 'Byte 6 (version) changed from 0x01 to 0x02.',
    envelope: (() => {
      const e = env.slice();
      e[6] = 2;
      return e;
    })(),
    open: bobX,
    expect: 'ERR_ENVELOPE_UNSUPPORTED_VERSION',
  });
  add({
    name: 'prefix-zero-header-length',
    description: 'The header length is 0.',
    base: x25519Signed,
    tamper: 'Header length set to 0; the rest of the envelope is unchanged.',
    envelope: concatBytes(MAGIC, new Uint8Array([1, 0, 0, 0, 0]), env.subarray(PREFIX_BYTES)),
    open: bobX,
    expect: 'ERR_ENVELOPE_MALFORMED',
  });
  add({
    name: 'prefix-header-length-over-limit',
    description: `The header length is ${LIMITS.maxHeaderBytes + 1}, one more than the limit: rejected before reading the header.`,
    base: x25519Signed,
    tamper: 'Header length set to 2 MiB + 1; the rest of the envelope is unchanged.',
    envelope: concatBytes(encodePrefix(LIMITS.maxHeaderBytes + 1), env.subarray(PREFIX_BYTES)),
    open: bobX,
    expect: 'ERR_ENVELOPE_LIMIT_EXCEEDED',
  });
  add({
    name: 'truncated-prefix',
    description: 'The input ends inside the 11-byte prefix (after the version byte).',
    base: x25519Signed,
    tamper: 'Cut after 9 bytes.',
    envelope: env.slice(0, 9),
    open: bobX,
    expect: 'ERR_ENVELOPE_TRUNCATED',
  });
  add({
    name: 'truncated-header',
    description: 'The input ends inside the header.',
    base: x25519Signed,
    tamper: 'Cut in the middle of the header.',
    envelope: env.slice(0, PREFIX_BYTES + Math.floor(x25519Signed.headerBytes.length / 2)),
    open: bobX,
    expect: 'ERR_ENVELOPE_TRUNCATED',
  });
  add({
    name: 'truncated-mac',
    description: 'The input ends inside the 32-byte header MAC.',
    base: x25519Signed,
    tamper: 'Cut 16 bytes into the header MAC.',
    envelope: env.slice(0, PREFIX_BYTES + x25519Signed.headerBytes.length + 16),
    open: bobX,
    expect: 'ERR_ENVELOPE_TRUNCATED',
  });
  add({
    name: 'header-cbor-unsorted-keys',
    description: 'The header map lists "salt" before "meta": valid CBOR, but not in deterministic key order.',
    base: x25519Signed,
    tamper: 'Header re-encoded with the first two keys swapped; MAC and signature recomputed.',
    envelope: (() => {
      const e = headerEntries(x25519Signed);
      return headerOnly(x25519Signed, rawCbor(new RawMap([e[1]!, e[0]!, ...e.slice(2)])));
    })(),
    open: bobX,
    expect: 'ERR_ENVELOPE_MALFORMED',
  });
  add({
    name: 'header-cbor-non-shortest-int',
    description: 'The chunk exponent 16 is written as a one-byte-argument integer (0x18 0x10) instead of 0x10.',
    base: x25519Signed,
    tamper: 'Header re-encoded with a non-shortest integer; MAC and signature recomputed.',
    envelope: headerOnly(x25519Signed, rawCbor(new RawMap(replaceEntry(headerEntries(x25519Signed), 'chunk', new WideUint(16, 24))))),
    open: bobX,
    expect: 'ERR_ENVELOPE_MALFORMED',
  });
  add({
    name: 'header-cbor-indefinite-length',
    description: 'The stanzas array has indefinite length (0x9f ... 0xff).',
    base: x25519Signed,
    tamper: 'Header re-encoded with an indefinite-length stanzas array; MAC and signature recomputed.',
    envelope: headerOnly(
      x25519Signed,
      rawCbor(new RawMap(replaceEntry(headerEntries(x25519Signed), 'stanzas', new IndefiniteArray(x25519Signed.header.stanzas.map(rawStanza))))),
    ),
    open: bobX,
    expect: 'ERR_ENVELOPE_MALFORMED',
  });
  add({
    name: 'header-cbor-trailing-bytes',
    description: 'The header length covers one byte after the CBOR map.',
    base: x25519Signed,
    tamper: 'Appended 0x00 to the header and increased the header length; MAC and signature recomputed.',
    envelope: headerOnly(x25519Signed, concatBytes(x25519Signed.headerBytes, new Uint8Array([0]))),
    open: bobX,
    expect: 'ERR_ENVELOPE_MALFORMED',
  });
  add({
    name: 'header-cbor-too-deep',
    description: `A stanza argument is an array holding a byte string: nesting depth 5, the limit is ${LIMITS.maxCborDepth}.`,
    base: x25519Signed,
    tamper: 'Appended a stanza of unknown type whose only argument is [h\'00\']; MAC and signature recomputed.',
    envelope: headerOnly(
      x25519Signed,
      rawCbor(
        new RawMap(
          replaceEntry(headerEntries(x25519Signed), 'stanzas', [
            ...x25519Signed.header.stanzas.map(rawStanza),
            ['lintas.test/deep', pattern(32, 8), [[new Uint8Array([0])]], pattern(16, 9)],
          ]),
        ),
      ),
    ),
    open: bobX,
    expect: 'ERR_ENVELOPE_LIMIT_EXCEEDED',
  });
  add({
    name: 'header-unknown-key',
    description: 'The header map has a key ("extra") that format v1 does not define.',
    base: x25519Signed,
    tamper: 'Added "extra": 0 to the header map (in canonical order); MAC and signature recomputed.',
    envelope: (() => {
      const e = headerEntries(x25519Signed);
      return headerOnly(x25519Signed, rawCbor(new RawMap([e[0]!, e[1]!, e[2]!, ['extra', 0], e[3]!, e[4]!])));
    })(),
    open: bobX,
    expect: 'ERR_ENVELOPE_MALFORMED',
  });
  add({
    name: 'header-no-stanzas',
    description: 'The stanza array is empty.',
    base: x25519Signed,
    tamper: 'Stanzas replaced by []; MAC and signature recomputed.',
    envelope: headerOnly(x25519Signed, headerWith(x25519Signed, { stanzas: [] })),
    open: bobX,
    expect: 'ERR_ENVELOPE_MALFORMED',
  });
  {
    const hiddenOne = await sealBase({ label: 'header-too-many-stanzas', payload: TEXT, recipients: [to('bob')], sender: 'alice', hideRecipients: true });
    const filler: RecipientStanza = { type: 'g', recipientId: null, args: [], body: EMPTY };
    add({
      name: 'header-too-many-stanzas',
      description: `${LIMITS.maxStanzas + 1} stanzas (bob's real one and ${LIMITS.maxStanzas} tiny ones of an unknown type), one more than the limit.`,
      base: hiddenOne,
      tamper: `Appended ${LIMITS.maxStanzas} stanzas ["g", null, [], h'']; MAC and signature recomputed.`,
      envelope: headerOnly(hiddenOne, headerWith(hiddenOne, { stanzas: [...hiddenOne.header.stanzas, ...Array(LIMITS.maxStanzas).fill(filler)] })),
      open: bobX,
      expect: 'ERR_ENVELOPE_LIMIT_EXCEEDED',
    });
  }
  add({
    name: 'header-stanza-too-big',
    description: `A stanza of unknown type whose type, recipient id and body add up to ${LIMITS.maxStanzaBytes + 1} bytes, one more than the limit.`,
    base: x25519Signed,
    tamper: 'Appended a "lintas.test/big" stanza; MAC and signature recomputed.',
    envelope: headerOnly(
      x25519Signed,
      headerWith(x25519Signed, {
        stanzas: [...x25519Signed.header.stanzas, { type: 'lintas.test/big', recipientId: pattern(32, 10), args: [], body: pattern(LIMITS.maxStanzaBytes + 1 - 32 - 15, 11) }],
      }),
    ),
    open: bobX,
    expect: 'ERR_ENVELOPE_LIMIT_EXCEEDED',
  });
  add({
    name: 'header-stanza-type-too-long',
    description: `A stanza type of ${LIMITS.maxStanzaTypeBytes + 1} bytes, one more than the limit.`,
    base: x25519Signed,
    tamper: 'Appended a stanza with a 33-byte type; MAC and signature recomputed.',
    envelope: headerOnly(
      x25519Signed,
      headerWith(x25519Signed, {
        stanzas: [...x25519Signed.header.stanzas, { type: 'lintas.test/'.padEnd(LIMITS.maxStanzaTypeBytes + 1, 'x'), recipientId: pattern(32, 12), args: [], body: pattern(16, 13) }],
      }),
    ),
    open: bobX,
    expect: 'ERR_ENVELOPE_LIMIT_EXCEEDED',
  });
  add({
    name: 'header-stanza-type-too-long-utf8',
    description: `A stanza type of 11 "€" characters: 11 UTF-16 code units but 33 UTF-8 bytes, one more than the limit of ${LIMITS.maxStanzaTypeBytes} bytes (limits count UTF-8 bytes).`,
    base: x25519Signed,
    tamper: 'Appended a stanza whose type is "€" x 11; MAC and signature recomputed.',
    envelope: headerOnly(
      x25519Signed,
      headerWith(x25519Signed, {
        stanzas: [...x25519Signed.header.stanzas, { type: '€'.repeat(11), recipientId: pattern(32, 17), args: [], body: pattern(16, 18) }],
      }),
    ),
    open: bobX,
    expect: 'ERR_ENVELOPE_LIMIT_EXCEEDED',
  });
  add({
    name: 'header-cbor-duplicate-key',
    description: 'The header map has "meta" twice (same value both times).',
    base: x25519Signed,
    tamper: 'Header re-encoded with the "meta" entry repeated and the map length increased; MAC and signature recomputed.',
    envelope: (() => {
      const e = headerEntries(x25519Signed);
      return headerOnly(x25519Signed, rawCbor(new RawMap([e[0]!, e[0]!, ...e.slice(1)])));
    })(),
    open: bobX,
    expect: 'ERR_ENVELOPE_MALFORMED',
  });
  add({
    name: 'header-chunk-exponent-too-small',
    description: `Chunk exponent ${LIMITS.minChunkExponent - 1} (2 KiB chunks), below the minimum ${LIMITS.minChunkExponent}.`,
    base: x25519Signed,
    tamper: 'Chunk exponent set to 11; MAC and signature recomputed. The payload fits in one chunk either way.',
    envelope: headerOnly(x25519Signed, headerWith(x25519Signed, { chunkExponent: LIMITS.minChunkExponent - 1 })),
    open: bobX,
    expect: 'ERR_ENVELOPE_LIMIT_EXCEEDED',
  });
  add({
    name: 'header-chunk-exponent-too-large',
    description: `Chunk exponent ${LIMITS.maxChunkExponent + 1} (2 MiB chunks), above the maximum ${LIMITS.maxChunkExponent}.`,
    base: x25519Signed,
    tamper: 'Chunk exponent set to 21; MAC and signature recomputed. The payload fits in one chunk either way.',
    envelope: headerOnly(x25519Signed, headerWith(x25519Signed, { chunkExponent: LIMITS.maxChunkExponent + 1 })),
    open: bobX,
    expect: 'ERR_ENVELOPE_LIMIT_EXCEEDED',
  });
  add({
    name: 'header-meta-too-big',
    description: `An encrypted meta block of ${LIMITS.maxMetaBytes + 1} bytes, one more than the limit.`,
    base: x25519Signed,
    tamper: 'The meta plaintext is followed by filler bytes up to 128 KiB + 1 - 16, encrypted under the meta key; MAC and signature recomputed.',
    envelope: headerOnly(
      x25519Signed,
      headerWithMeta(x25519Signed, concatBytes(x25519Signed.metaBytes, pattern(LIMITS.maxMetaBytes + 1 - AEAD_TAG_BYTES - x25519Signed.metaBytes.length, 14))),
    ),
    open: bobX,
    expect: 'ERR_ENVELOPE_LIMIT_EXCEEDED',
  });
  add({
    name: 'header-mixed-hidden',
    description: 'One stanza carries a recipient id and the other does not: a header is either all hidden or all visible.',
    base: mixed,
    tamper: 'Recipient id of the X-Wing stanza (carol) replaced by null; MAC and signature recomputed.',
    envelope: headerOnly(mixed, headerWith(mixed, { stanzas: mixed.header.stanzas.map((s) => (s.type === XW ? { ...s, recipientId: null } : s)) })),
    open: { keys: [to('bob')] },
    expect: 'ERR_ENVELOPE_MALFORMED',
  });
  add({
    name: 'stanza-x25519-short-share',
    description: 'bob\'s X25519 stanza has a 31-byte ephemeral share instead of 32.',
    base: x25519Signed,
    tamper: 'Last byte of the stanza argument removed; MAC and signature recomputed.',
    envelope: headerOnly(
      x25519Signed,
      headerWith(x25519Signed, { stanzas: x25519Signed.header.stanzas.map((s) => ({ ...s, args: [s.args[0]!.slice(0, 31)] })) }),
    ),
    open: bobX,
    expect: 'ERR_ENVELOPE_MALFORMED',
  });
  add({
    name: 'stanza-x25519-low-order-share',
    description: 'bob\'s (visible) X25519 stanza carries the all-zero point as its ephemeral share: the shared secret would be all zeros, so the stanza is refused like one that does not decrypt.',
    base: x25519Signed,
    tamper: 'Ephemeral share replaced by 32 zero bytes; MAC and signature recomputed.',
    envelope: headerOnly(x25519Signed, headerWith(x25519Signed, { stanzas: x25519Signed.header.stanzas.map((s) => ({ ...s, args: [new Uint8Array(32)] })) })),
    open: bobX,
    expect: 'ERR_ENVELOPE_HEADER_TAMPERED',
  });
  add({
    name: 'stanza-x25519-extra-argument',
    description: 'bob\'s X25519 stanza has a second argument.',
    base: x25519Signed,
    tamper: 'The ephemeral share repeated as a second argument; MAC and signature recomputed.',
    envelope: headerOnly(x25519Signed, headerWith(x25519Signed, { stanzas: x25519Signed.header.stanzas.map((s) => ({ ...s, args: [s.args[0]!, s.args[0]!] })) })),
    open: bobX,
    expect: 'ERR_ENVELOPE_MALFORMED',
  });
  add({
    name: 'stanza-xwing-wrong-shape-other-recipient',
    description: 'carol\'s X-Wing stanza has a 47-byte body; bob, whose own stanza is fine, must still reject the header (stanza shapes are checked for every known type before any crypto).',
    base: mixed,
    tamper: 'Last byte of the X-Wing stanza body removed; MAC and signature recomputed.',
    envelope: headerOnly(mixed, headerWith(mixed, { stanzas: mixed.header.stanzas.map((s) => (s.type === XW ? { ...s, body: s.body.slice(0, 47) } : s)) })),
    open: { keys: [to('bob')] },
    expect: 'ERR_ENVELOPE_MALFORMED',
  });

  // --- Recipient matching ---------------------------------------------------------------------

  add({
    name: 'not-for-me',
    description: 'eve, who is not a recipient, tries to open bob\'s envelope.',
    base: x25519Signed,
    open: { keys: [to('eve'), to('eve', XW)] },
    expect: 'ERR_ENVELOPE_NOT_FOR_ME',
  });
  add({
    name: 'not-for-me-hidden',
    description: 'eve tries to open a hidden-recipients envelope: every stanza fails to unwrap.',
    base: hidden,
    open: { keys: [to('eve')] },
    expect: 'ERR_ENVELOPE_NOT_FOR_ME',
  });
  add({
    name: 'not-for-me-other-key-type',
    description: 'Sealed to bob\'s X25519 key, opened with only his X-Wing key.',
    base: x25519Signed,
    open: { keys: [to('bob', XW)] },
    expect: 'ERR_ENVELOPE_NOT_FOR_ME',
  });

  // --- Header authentication ------------------------------------------------------------------

  const stanzaBodyIndex = (base: Base): number => {
    // Offset of the last byte of stanza 0's body inside the envelope (the body ends the stanza).
    const s = base.header.stanzas[0]!;
    return PREFIX_BYTES + indexOfBytes(base.headerBytes, s.body) + s.body.length - 1;
  };
  add({
    name: 'stanza-body-tampered',
    description: 'One bit of the wrapped file key in bob\'s (visible) stanza is flipped: the stanza names bob but does not decrypt.',
    base: x25519Signed,
    tamper: 'Flipped the low bit of the last byte of the stanza body (its Poly1305 tag).',
    envelope: flip(env, stanzaBodyIndex(x25519Signed)),
    open: bobX,
    expect: 'ERR_ENVELOPE_HEADER_TAMPERED',
  });
  add({
    name: 'commitment-mismatch',
    description: 'The key commitment does not match the file key; everything else (MAC, signature) is valid for the changed header.',
    base: x25519Signed,
    tamper: 'Flipped one bit of "commit"; MAC and signature recomputed.',
    envelope: headerOnly(x25519Signed, headerWith(x25519Signed, { commit: flip(x25519Signed.header.commit, 0) })),
    open: bobX,
    expect: 'ERR_ENVELOPE_HEADER_TAMPERED',
  });
  add({
    name: 'header-salt-changed',
    description: 'The salt is changed, so every key derived from the file key changes and the commitment no longer matches.',
    base: x25519Signed,
    tamper: 'Flipped one bit of "salt"; MAC and signature recomputed with the original keys.',
    envelope: headerOnly(x25519Signed, headerWith(x25519Signed, { salt: flip(x25519Signed.header.salt, 0) })),
    open: bobX,
    expect: 'ERR_ENVELOPE_HEADER_TAMPERED',
  });
  add({
    name: 'header-mac-mismatch',
    description: 'One bit of the header MAC is flipped.',
    base: x25519Signed,
    tamper: 'Flipped the low bit of the first MAC byte.',
    envelope: flip(env, sectionLength(x25519Signed) - HEADER_MAC_BYTES),
    open: bobX,
    expect: 'ERR_ENVELOPE_HEADER_TAMPERED',
  });
  {
    const metaFlipped = headerWith(x25519Signed, { meta: flip(x25519Signed.header.meta, 0) });
    add({
      name: 'header-meta-ciphertext-flipped',
      description: 'One bit of the encrypted meta block is flipped and the MAC is left as it was: the header is still valid CBOR, the MAC check fails.',
      base: x25519Signed,
      tamper: 'Flipped the low bit of the first meta ciphertext byte; MAC not recomputed.',
      envelope: rebuild(x25519Signed, { header: metaFlipped, mac: x25519Signed.mac, chunks: x25519Signed.chunks }),
      open: bobX,
      expect: 'ERR_ENVELOPE_HEADER_TAMPERED',
    });

    // --- After the header MAC: meta block and payload (one code, no oracle) -------------------

    add({
      name: 'meta-tampered',
      description: 'The encrypted meta block is changed by someone holding the file key, who recomputes the header MAC: the meta block fails to decrypt.',
      base: x25519Signed,
      tamper: 'Flipped the low bit of the first meta ciphertext byte; MAC and signature recomputed.',
      envelope: headerOnly(x25519Signed, metaFlipped),
      open: bobX,
      expect: 'ERR_ENVELOPE_TAMPERED',
    });
  }
  {
    const m = x25519Signed.meta;
    const unsorted = rawCbor(
      new RawMap([
        ['id', m.id],
        ['to', m.to],
        ['len', m.len!],
        ['created', m.created],
        ['sender', m.sender!],
      ]),
    );
    add({
      name: 'meta-not-canonical',
      description: 'The meta block decrypts, but its CBOR map is not in deterministic key order ("created" after "len").',
      base: x25519Signed,
      tamper: 'Meta plaintext re-encoded with unsorted keys and encrypted under the meta key; MAC and signature recomputed.',
      envelope: headerOnly(x25519Signed, headerWithMeta(x25519Signed, unsorted)),
      open: bobX,
      expect: 'ERR_ENVELOPE_TAMPERED',
    });
    add({
      name: 'meta-expires-before-created',
      description: 'The meta block says the envelope expires one second before it was created.',
      base: x25519Signed,
      tamper: 'Meta "expires" set to created - 1 and encrypted under the meta key; MAC and signature recomputed. The vector opens at created - 2 so only the meta check can fail.',
      envelope: headerOnly(x25519Signed, headerWithMeta(x25519Signed, encodeMeta({ ...m, expires: m.created - 1 }))),
      open: { keys: [to('bob')], now: VECTOR_NOW - 2 },
      expect: 'ERR_ENVELOPE_TAMPERED',
    });
    add({
      name: 'meta-content-type-too-long-utf8',
      description: 'The meta block\'s content type is 86 "€" characters: 86 UTF-16 code units but 258 UTF-8 bytes, over the 256-byte limit.',
      base: x25519Signed,
      tamper: 'Meta "cty" set to "€" x 86 and encrypted under the meta key; MAC and signature recomputed.',
      envelope: headerOnly(x25519Signed, headerWithMeta(x25519Signed, encodeMeta({ ...m, contentType: '€'.repeat(86) }))),
      open: bobX,
      expect: 'ERR_ENVELOPE_TAMPERED',
    });
    add({
      name: 'payload-shorter-than-declared',
      description: 'The meta block declares a payload one byte longer than the one in the stream.',
      base: x25519Signed,
      tamper: 'Meta "len" increased by one; MAC and signature recomputed.',
      envelope: headerOnly(x25519Signed, headerWithMeta(x25519Signed, encodeMeta({ ...m, len: m.len! + 1 }))),
      open: bobX,
      expect: 'ERR_ENVELOPE_TAMPERED',
    });
  }

  const body = (base: Base): Uint8Array => base.envelope.subarray(0, sectionLength(base));
  const withChunks = (base: Base, c: Uint8Array[]): Uint8Array => concatBytes(body(base), ...c);
  const [c0, c1, c2] = chunks.chunks as [Uint8Array, Uint8Array, Uint8Array];

  add({
    name: 'payload-missing',
    description: 'The envelope ends right after the header MAC: not even an empty final chunk.',
    base: x25519Signed,
    tamper: 'All chunks removed.',
    envelope: withChunks(x25519Signed, []),
    open: bobX,
    expect: 'ERR_ENVELOPE_TAMPERED',
  });
  add({
    name: 'payload-chunk-flipped',
    description: 'One bit of the second of three chunks is flipped.',
    base: chunks,
    tamper: 'Flipped the low bit of byte 100 of chunk 1.',
    envelope: withChunks(chunks, [c0, flip(c1, 100), c2]),
    open: bobX,
    expect: 'ERR_ENVELOPE_TAMPERED',
  });
  add({
    name: 'payload-chunks-reordered',
    description: 'The first two (full-size) chunks are swapped.',
    base: chunks,
    tamper: 'Chunks 0 and 1 swapped.',
    envelope: withChunks(chunks, [c1, c0, c2]),
    open: bobX,
    expect: 'ERR_ENVELOPE_TAMPERED',
  });
  add({
    name: 'payload-chunk-dropped',
    description: 'The middle chunk of three is removed.',
    base: chunks,
    tamper: 'Chunk 1 removed.',
    envelope: withChunks(chunks, [c0, c2]),
    open: bobX,
    expect: 'ERR_ENVELOPE_TAMPERED',
  });
  add({
    name: 'payload-truncated-at-chunk-boundary',
    description: 'The final chunk is removed, so the stream ends cleanly after a full chunk that lacks the last flag.',
    base: chunks,
    tamper: 'Chunk 2 (the final one) removed.',
    envelope: withChunks(chunks, [c0, c1]),
    open: bobX,
    expect: 'ERR_ENVELOPE_TAMPERED',
  });
  add({
    name: 'payload-truncated-mid-chunk',
    description: 'The envelope is cut in the middle of the final chunk.',
    base: chunks,
    tamper: 'Chunk 2 cut to half its length.',
    envelope: withChunks(chunks, [c0, c1, c2.slice(0, c2.length >> 1)]),
    open: bobX,
    expect: 'ERR_ENVELOPE_TAMPERED',
  });
  {
    const [f0, f1] = fullLast.chunks as [Uint8Array, Uint8Array];
    const extra = chachaEncrypt(fullLast.keys.payloadKey, chunkNonce(2, true), pattern(10, 15));
    add({
      name: 'payload-extra-chunk',
      description: 'A validly encrypted extra final chunk (counter 2, last flag) is appended after the real full-size final chunk.',
      base: fullLast,
      tamper: 'Appended a chunk of 10 bytes encrypted under the payload key with counter 2 and the last flag.',
      envelope: withChunks(fullLast, [f0, f1, extra]),
      open: bobX,
      expect: 'ERR_ENVELOPE_TAMPERED',
    });
    add({
      name: 'payload-empty-final-chunk',
      description: 'A plaintext stream of exactly two full chunks sealed with both full chunks unflagged and an empty third chunk carrying the last flag: only the first chunk may be an empty final chunk.',
      base: fullLast,
      tamper: 'Stream re-encrypted under the payload key as [4096 bytes, 4096 bytes, empty with last flag].',
      envelope: withChunks(fullLast, encryptStream(fullLast.keys.payloadKey, fullLast.stream, 4096, { emptyFinalChunk: true })),
      open: bobX,
      expect: 'ERR_ENVELOPE_TAMPERED',
    });
  }
  add({
    name: 'payload-trailing-bytes',
    description: 'One byte is appended after the final chunk.',
    base: chunks,
    tamper: 'Appended 0x00.',
    envelope: concatBytes(chunks.envelope, new Uint8Array([0])),
    open: bobX,
    expect: 'ERR_ENVELOPE_TAMPERED',
  });
  add({
    name: 'payload-last-flag-missing',
    description: 'Every chunk, the final one included, is encrypted without the last flag.',
    base: chunks,
    tamper: 'Stream re-encrypted under the payload key with last flag 0 on every chunk.',
    envelope: withChunks(chunks, encryptStream(chunks.keys.payloadKey, chunks.stream, 4096, { finalFlag: false })),
    open: bobX,
    expect: 'ERR_ENVELOPE_TAMPERED',
  });
  add({
    name: 'payload-padding-nonzero',
    description: 'A padded envelope whose padding is not all zeros, signed by the sender as it is: padding must be zeros whoever signs it.',
    base: padded,
    tamper: 'Last padding byte set to 0x01; stream re-encrypted under the payload key; alice signs the checkpoint over the changed data.',
    envelope: rebuild(padded, { header: padded.headerBytes, mac: padded.mac, padding: flip(new Uint8Array(padded.paddingLength), -1) }),
    open: bobX,
    expect: 'ERR_ENVELOPE_TAMPERED',
  });
  add({
    name: 'payload-signature-truncated',
    description: 'A signed envelope whose plaintext stream is only 32 bytes: too short to hold the checkpoint.',
    base: empty,
    tamper: 'Stream re-encrypted under the payload key as the first 32 bytes of the signature.',
    envelope: withChunks(empty, encryptStream(empty.keys.payloadKey, empty.signature!.slice(0, 32), 65536)),
    open: bobX,
    expect: 'ERR_ENVELOPE_TAMPERED',
  });

  // --- Signature ------------------------------------------------------------------------------

  add({
    name: 'signature-invalid',
    description: 'The checkpoint (the signature at the end of the window) has one bit flipped; the stream itself is authentic (re-encrypted with the file key).',
    base: x25519Signed,
    tamper: 'Flipped the low bit of signature byte 0; stream re-encrypted under the payload key.',
    envelope: rebuild(x25519Signed, { header: x25519Signed.headerBytes, mac: x25519Signed.mac, signature: flip(x25519Signed.signature!, 0) }),
    open: bobX,
    expect: 'ERR_SIGNATURE_INVALID',
  });
  {
    const twin = await sealBase({ label: 'signature-from-other-envelope twin', payload: TEXT, recipients: [to('bob')], sender: 'alice' });
    add({
      name: 'signature-from-other-envelope',
      description: 'The signature is alice\'s valid signature of the same payload in another envelope to bob: it binds a different header, so it does not verify here.',
      base: x25519Signed,
      tamper: 'Signature replaced by the one from an envelope sealed with another random source; stream re-encrypted under the payload key.',
      envelope: rebuild(x25519Signed, { header: x25519Signed.headerBytes, mac: x25519Signed.mac, signature: twin.signature }),
      open: bobX,
      expect: 'ERR_SIGNATURE_INVALID',
    });
  }
  add({
    name: 'payload-replaced-by-insider',
    description: 'A recipient who knows the file key swaps in a different payload of the same length, keeping alice\'s signature: the signature does not cover it.',
    base: x25519Signed,
    tamper: 'Payload replaced (same length), stream re-encrypted under the payload key with the original signature; header and MAC unchanged.',
    envelope: rebuild(x25519Signed, {
      header: x25519Signed.headerBytes,
      mac: x25519Signed.mac,
      payload: utf8(TEXT_STRING.replace('two', 'six')),
      signature: x25519Signed.signature,
    }),
    open: bobX,
    expect: 'ERR_SIGNATURE_INVALID',
  });
  {
    const forged = headerWithMeta(x25519Signed, encodeMeta({ ...x25519Signed.meta, sender: id('carol').keys.signing.publicKey }));
    add({
      name: 'signature-sender-substituted',
      description: 'The meta block names carol as the sender, but the signature (valid for this exact header and payload) is alice\'s.',
      base: x25519Signed,
      tamper: 'Meta "sender" replaced by carol\'s key; MAC recomputed; alice signs the new header.',
      envelope: headerOnly(x25519Signed, forged),
      open: bobX,
      expect: 'ERR_SIGNATURE_INVALID',
    });
  }

  // --- Checkpoints and padding (SPEC 5.5-5.7, 6.6) --------------------------------------------

  add({
    name: 'checkpoint-final-flag-clear',
    description: 'alice signs the only window\'s checkpoint as not final (flag 0x00): read as the last window, it does not verify, as a stream cut at a window boundary would not.',
    base: x25519Signed,
    tamper: 'Checkpoint replaced by alice\'s signature of the checkpoint message with the final flag 0x00; stream re-encrypted under the payload key.',
    envelope: rebuild(x25519Signed, { header: x25519Signed.headerBytes, mac: x25519Signed.mac, signature: signCheckpoint(x25519Signed.sender!, concatBytes(x25519Signed.prefix, x25519Signed.headerBytes), TEXT, 0, false) }),
    open: bobX,
    expect: 'ERR_SIGNATURE_INVALID',
  });
  add({
    name: 'checkpoint-wrong-index',
    description: 'alice signs the only window\'s checkpoint with index 1 instead of 0: windows cannot be moved.',
    base: x25519Signed,
    tamper: 'Checkpoint replaced by alice\'s signature of the checkpoint message with index 1; stream re-encrypted under the payload key.',
    envelope: rebuild(x25519Signed, { header: x25519Signed.headerBytes, mac: x25519Signed.mac, signature: signCheckpoint(x25519Signed.sender!, concatBytes(x25519Signed.prefix, x25519Signed.headerBytes), TEXT, 1, true) }),
    open: bobX,
    expect: 'ERR_SIGNATURE_INVALID',
  });
  add({
    name: 'checkpoint-anonymous-nonzero',
    description: 'An anonymous envelope whose checkpoint slot is not all zeros.',
    base: anonymous,
    tamper: 'Last byte of the zero checkpoint set to 0x01; stream re-encrypted under the payload key.',
    envelope: rebuild(anonymous, { header: anonymous.headerBytes, mac: anonymous.mac, signature: flip(new Uint8Array(CHECKPOINT_BYTES), -1) }),
    open: { keys: [to('bob')], allowAnonymous: true },
    expect: 'ERR_ENVELOPE_TAMPERED',
  });
  add({
    name: 'payload-padding-not-padded',
    description: 'An envelope sealed without padding whose data has a zero byte after the declared payload, signed by alice as it is: only a padded envelope (meta "pad") carries padding.',
    base: x25519Signed,
    tamper: 'One zero byte appended to the payload in the plaintext stream; alice signs the checkpoint over the longer data; stream re-encrypted.',
    envelope: rebuild(x25519Signed, { header: x25519Signed.headerBytes, mac: x25519Signed.mac, padding: new Uint8Array(1) }),
    open: bobX,
    expect: 'ERR_ENVELOPE_TAMPERED',
  });
  {
    // SPEC 5.6: with padding, sizes depend only on the stanzas and the padded payload length.
    const payload = pattern(1000, 19);
    const one = await sealBase({ label: 'padding-one-recipient', payload, recipients: [to('bob')], sender: 'alice', padding: true });
    const three = await sealBase({ label: 'padding-three-recipients', payload, recipients: [to('bob'), to('carol'), to('dave')], sender: 'alice', padding: true, contentType: 'application/json' });
    const anonymousPadded = await sealBase({ label: 'padding-anonymous', payload, recipients: [to('bob')], padding: true, expiresAt: VECTOR_NOW + 24 * HOUR });
    for (const other of [three, anonymousPadded]) {
      if (other.envelope.length !== one.envelope.length || other.headerBytes.length !== one.headerBytes.length || other.stream.length !== one.stream.length) {
        throw new Error(`${other.spec.label}: a padded envelope whose size differs from padding-one-recipient`);
      }
    }
    const size = `${one.envelope.length} bytes (header ${one.headerBytes.length}, plaintext stream ${one.stream.length})`;
    add({
      name: 'padding-one-recipient',
      description: `Padding, one real recipient (bob) among 4 X25519 stanzas, signed, 1,000-byte payload: ${size}, the same as padding-three-recipients and padding-anonymous.`,
      base: one,
      open: bobX,
      expect: 'success',
    });
    add({
      name: 'padding-three-recipients',
      description: `Padding, three real recipients (bob, carol, dave) among 4 X25519 stanzas, signed, with a content type, 1,000-byte payload: ${size}, the same as padding-one-recipient.`,
      base: three,
      open: { keys: [to('dave')] },
      expect: 'success',
    });
    add({
      name: 'padding-anonymous',
      description: `Padding, one real recipient, anonymous (a zero checkpoint where the signature would be), with an expiry, 1,000-byte payload: ${size}, the same as the signed padding-one-recipient.`,
      base: anonymousPadded,
      open: { keys: [to('bob')], allowAnonymous: true },
      expect: 'success',
    });
    add({
      name: 'payload-repadded-by-insider',
      description: 'bob, a recipient, re-encrypts alice\'s padded envelope with 128 more zero bytes of padding, keeping the header and alice\'s checkpoint: the signed meta block fixes the padding at Padmé(len).',
      base: one,
      tamper: 'Padding lengthened from 24 to 152 zero bytes; alice\'s checkpoint kept; stream re-encrypted under the payload key; header and MAC unchanged.',
      envelope: rebuild(one, { header: one.headerBytes, mac: one.mac, padding: new Uint8Array(one.paddingLength + 128), signature: one.signature }),
      open: bobX,
      expect: 'ERR_ENVELOPE_TAMPERED',
    });
    const padAt = indexOfBytes(one.metaBytes, utf8('cpad')) + 4; // the "pad" key, then its 3-byte head
    add({
      name: 'meta-pad-nonzero',
      description: 'A padded meta block whose "pad" byte string has a non-zero byte.',
      base: one,
      tamper: 'Last byte of the meta "pad" set to 0x01 and the meta block encrypted under the meta key; MAC and checkpoint recomputed.',
      envelope: headerOnly(one, headerWithMeta(one, flip(one.metaBytes, padAt + 3 + one.metaBytes[padAt + 1]! * 256 + one.metaBytes[padAt + 2]! - 1))),
      open: bobX,
      expect: 'ERR_ENVELOPE_TAMPERED',
    });
    {
      const k = one.metaBytes[padAt + 1]! * 256 + one.metaBytes[padAt + 2]! + 1;
      const longer = concatBytes(one.metaBytes.subarray(0, padAt + 1), new Uint8Array([k >> 8, k & 0xff]), new Uint8Array(k), one.metaBytes.subarray(padAt + 3 + k - 1));
      add({
        name: 'meta-pad-wrong-length',
        description: 'A padded meta block one byte longer than 641 + 34 x (number of stanzas).',
        base: one,
        tamper: 'One zero byte added to the meta "pad" (its length head adjusted) and the meta block encrypted under the meta key; MAC and checkpoint recomputed.',
        envelope: headerOnly(one, headerWithMeta(one, longer)),
        open: bobX,
        expect: 'ERR_ENVELOPE_TAMPERED',
      });
    }
  }

  // --- Sender and freshness policy ------------------------------------------------------------

  add({
    name: 'anonymous-refused',
    description: 'An anonymous envelope opened without allowAnonymous.',
    base: anonymous,
    open: bobX,
    expect: 'ERR_ENVELOPE_ANONYMOUS',
  });
  {
    // SPEC 6.5: a recipient knows the file key, so it can strip the sender and signature and
    // re-encrypt. The result is byte for byte what an anonymous sealer with the same random
    // bytes would have made, so it can only ever surface as an unauthenticated envelope.
    const stripped = rebuild(x25519Signed, {
      header: headerWithMeta(x25519Signed, encodeMeta({ ...x25519Signed.meta, sender: null })),
      signature: null,
    });
    const asAnonymous = await sealBase({ ...x25519Signed.spec, sender: undefined });
    if (toHex(stripped) !== toHex(asAnonymous.envelope)) throw new Error('signature-stripped: the insider forgery differs from an anonymous seal');
    const why =
      'bob, a recipient of x25519-signed, strips alice\'s signature: he drops "sender" from the meta block, recomputes the MAC with the file key and re-encrypts the payload with the anonymous zero checkpoint in place of alice\'s. The result is exactly the anonymous seal recorded here (same random bytes), so it can only be reported as unauthenticated';
    add({ name: 'signature-stripped-allowed', description: `${why}; with allowAnonymous it opens with authenticated = false and no sender.`, base: asAnonymous, open: { keys: [to('bob')], allowAnonymous: true }, expect: 'success' });
    add({ name: 'signature-stripped-refused', description: `${why}; without allowAnonymous it is refused.`, base: asAnonymous, open: bobX, expect: 'ERR_ENVELOPE_ANONYMOUS' });
  }
  add({
    name: 'unknown-sender',
    description: 'Signed by alice, but the receiver trusts only carol.',
    base: x25519Signed,
    open: { keys: [to('bob')], trustedSenders: ['carol'] },
    expect: 'ERR_UNKNOWN_SENDER',
  });
  {
    const eveStanza = x25519Scheme.wrap(x25519Signed.fileKey, id('eve').keys.x25519, drbg('not-addressed-to-me forger').random);
    const forwarded = headerWith(x25519Signed, {
      stanzas: [...x25519Signed.header.stanzas, { type: X, recipientId: recipientId(id('eve').keys.x25519), args: eveStanza.args, body: eveStanza.body }],
    });
    add({
      name: 'not-addressed-to-me',
      description: 'Surreptitious forwarding: bob wraps the file key for eve in an extra stanza and recomputes the MAC. eve can decrypt, but the signed recipient list in the meta block names only bob.',
      base: x25519Signed,
      tamper: 'Appended an X25519 stanza for eve wrapping the same file key; MAC recomputed; payload chunks unchanged (bob cannot re-sign as alice).',
      envelope: rebuild(x25519Signed, { header: forwarded, chunks: x25519Signed.chunks }),
      open: { keys: [to('eve')] },
      expect: 'ERR_NOT_ADDRESSED_TO_ME',
    });
  }
  add({
    name: 'expired',
    description: 'Opened one second after its expiry time.',
    base: expiry,
    open: { keys: [to('bob')], now: VECTOR_NOW + 24 * HOUR + 1 },
    expect: 'ERR_ENVELOPE_EXPIRED',
  });
  add({
    name: 'created-in-future',
    description: 'The receiver\'s clock is 301 seconds behind the creation time, one second more than the default tolerance.',
    base: x25519Signed,
    open: { keys: [to('bob')], now: VECTOR_NOW - 301 },
    expect: 'ERR_ENVELOPE_NOT_YET_VALID',
  });

  // --- Decoding limits, CBOR types, meta defects, hidden mode, signatures (issue 14) ----------

  {
    const e = headerEntries(x25519Signed);
    const withStanzas = (extra: Raw): Uint8Array => headerOnly(x25519Signed, rawCbor(new RawMap(replaceEntry(e, 'stanzas', [...x25519Signed.header.stanzas.map(rawStanza), extra]))));
    const unknownStanza = (args: Raw, body: Raw): Raw[] => ['lintas.test/x', pattern(32, 8), args, body];
    add({
      name: 'header-cbor-too-many-items',
      description: `The stanza array holds one array of ${LIMITS.maxCborLength} arrays of 8 zeros: ${LIMITS.maxCborItems + 1} data items in the header, one more than the ${LIMITS.maxCborItems} a valid header can hold. Decoding stops at that item (SPEC 2 rule 9).`,
      base: x25519Signed,
      tamper: 'Stanzas replaced by [[[0 x 8] x 1024]]; MAC and signature recomputed.',
      envelope: headerOnly(x25519Signed, rawCbor(new RawMap(replaceEntry(e, 'stanzas', [Array.from({ length: LIMITS.maxCborLength }, () => Array<Raw>(8).fill(0))])))),
      open: bobX,
      expect: 'ERR_ENVELOPE_LIMIT_EXCEEDED',
    });
    add({
      name: 'header-cbor-array-too-long',
      description: `A stanza of unknown type whose body is an array of ${LIMITS.maxCborLength + 1} zeros: the declared length is over the limit of ${LIMITS.maxCborLength}, refused at the array's head (otherwise the body would merely be malformed).`,
      base: x25519Signed,
      tamper: 'Appended a "lintas.test/x" stanza with an array body; MAC and signature recomputed.',
      envelope: withStanzas(unknownStanza([], Array<Raw>(LIMITS.maxCborLength + 1).fill(0))),
      open: bobX,
      expect: 'ERR_ENVELOPE_LIMIT_EXCEEDED',
    });
    add({
      name: 'header-cbor-map-too-long',
      description: `A stanza of unknown type whose body is a map of ${LIMITS.maxCborLength + 1} entries ("k0000": 0, ...): over the limit of ${LIMITS.maxCborLength} entries per map.`,
      base: x25519Signed,
      tamper: 'Appended a "lintas.test/x" stanza with a map body; MAC and signature recomputed.',
      envelope: withStanzas(unknownStanza([], new RawMap(Array.from({ length: LIMITS.maxCborLength + 1 }, (_, i): [string, Raw] => [`k${String(i).padStart(4, '0')}`, 0])))),
      open: bobX,
      expect: 'ERR_ENVELOPE_LIMIT_EXCEEDED',
    });
    add({
      name: 'header-cbor-length-beyond-input',
      description: 'The header ends with an array head (0x98 0x64) declaring 100 entries, with no bytes after it: a declared length longer than what is left is malformed.',
      base: x25519Signed,
      tamper: 'Appended the two bytes 0x98 0x64 as a last stanza; MAC and signature recomputed.',
      envelope: withStanzas(new Verbatim([0x98, 100])),
      open: bobX,
      expect: 'ERR_ENVELOPE_MALFORMED',
    });
    add({
      name: 'header-cbor-empty-array-at-depth-4',
      description: 'A stanza of unknown type whose only argument is an empty array: the array is at depth 4, which is allowed (it holds nothing deeper), so the header is malformed (an argument must be a byte string), not over the depth limit.',
      base: x25519Signed,
      tamper: 'Appended a "lintas.test/x" stanza with args [[]]; MAC and signature recomputed.',
      envelope: withStanzas(unknownStanza([[]], pattern(16, 9))),
      open: bobX,
      expect: 'ERR_ENVELOPE_MALFORMED',
    });
    add({
      name: 'header-cbor-too-deep-negative-integer',
      description: 'A stanza argument is [-1]: the -1 is at depth 5 and of a forbidden type. Depth is checked at an item\'s first byte, before its type, so this is a limit error.',
      base: x25519Signed,
      tamper: 'Appended a "lintas.test/x" stanza with args [[-1]] (0x81 0x20); MAC and signature recomputed.',
      envelope: withStanzas(unknownStanza([[new Verbatim([0x20])]], pattern(16, 9))),
      open: bobX,
      expect: 'ERR_ENVELOPE_LIMIT_EXCEEDED',
    });
    const cborTypeVector = (name: string, description: string, key: string, value: number[]): void =>
      add({
        name,
        description,
        base: x25519Signed,
        tamper: `"${key}" replaced by the bytes ${value.slice(0, 4).map((b) => b.toString(16).padStart(2, '0')).join(' ')}${value.length > 4 ? ' ...' : ''}; MAC and signature recomputed.`,
        envelope: headerOnly(x25519Signed, rawCbor(new RawMap(replaceEntry(e, key, new Verbatim(value))))),
        open: bobX,
        expect: 'ERR_ENVELOPE_MALFORMED',
      });
    cborTypeVector('header-cbor-negative-integer', 'The chunk exponent is the negative integer -17 (major type 1, 0x30), which the profile forbids.', 'chunk', [0x30]);
    cborTypeVector('header-cbor-tag', 'The salt is wrapped in tag 64 (major type 6, "uint8 typed array"): the profile has no tags.', 'salt', [0xd8, 0x40, 0x58, 0x20, ...x25519Signed.header.salt]);
    cborTypeVector('header-cbor-float', 'The chunk exponent is the half-precision float 16.0 (0xf9 0x4c 0x00): floats are not in the profile, even with an integral value.', 'chunk', [0xf9, 0x4c, 0x00]);
  }
  {
    const m = x25519Signed.meta;
    const metaEntries: [string, Raw][] = [
      ['id', m.id],
      ['to', m.to],
      ['len', m.len!],
      ['sender', m.sender!],
      ['created', m.created],
    ];
    const metaVector = (name: string, description: string, tamper: string, metaPlain: Uint8Array, now = VECTOR_NOW): void =>
      add({
        name,
        description,
        base: x25519Signed,
        tamper: `${tamper}; encrypted under the meta key, MAC and signature recomputed.`,
        envelope: headerOnly(x25519Signed, headerWithMeta(x25519Signed, metaPlain)),
        open: { keys: [to('bob')], now },
        expect: 'ERR_ENVELOPE_TAMPERED',
      });
    metaVector('meta-unknown-key', 'The meta block has a key ("x") that format v1 does not define.', 'Meta map with "x": 0 added first', rawCbor(new RawMap([['x', 0], ...metaEntries])));
    metaVector('meta-missing-id', 'The meta block has no "id".', 'Meta map without "id"', rawCbor(new RawMap(metaEntries.slice(1))));
    metaVector('meta-to-empty', 'The meta block\'s recipient list is empty.', 'Meta "to" set to []', rawCbor(new RawMap(replaceEntry(metaEntries, 'to', []))));
    metaVector('meta-sender-wrong-length', 'The meta block\'s sender key is 31 bytes.', 'Meta "sender" cut to 31 bytes', rawCbor(new RawMap(replaceEntry(metaEntries, 'sender', m.sender!.slice(0, 31)))));
    metaVector('meta-negative-integer', 'The meta block\'s "len" is the negative integer -1 (0x20).', 'Meta "len" replaced by 0x20', rawCbor(new RawMap(replaceEntry(metaEntries, 'len', new Verbatim([0x20])))));
    metaVector(
      'meta-expires-equals-created',
      'The meta block says the envelope expires in the second it was created: "expires" must be strictly greater than "created", for readers as for writers (SPEC 5.3, 6.4).',
      'Meta "expires" set to created; the vector opens at created so only the meta check can fail',
      encodeMeta({ ...m, expires: m.created }),
    );
    metaVector(
      'meta-to-too-long',
      `The meta block lists ${LIMITS.maxCborLength + 1} recipient ids, over the limit of ${LIMITS.maxStanzas} (refused at the array's head).`,
      `Meta "to" extended to ${LIMITS.maxCborLength + 1} ids`,
      rawCbor(new RawMap(replaceEntry(metaEntries, 'to', Array.from({ length: LIMITS.maxCborLength + 1 }, (_, i) => (i === 0 ? m.to[0]! : pattern(32, i)))))),
    );
  }
  add({
    name: 'stanza-xwing-small-order-share',
    description: 'bob\'s (visible) X-Wing stanza has its X25519 share (the last 32 bytes of the ciphertext) replaced by the all-zero point, of small order: whether a reader refuses to decapsulate (libsodium does) or not, the stanza does not unwrap (SPEC 4.2).',
    base: xwingSigned,
    tamper: 'Last 32 bytes of the X-Wing ciphertext set to zero; MAC and signature recomputed.',
    envelope: headerOnly(
      xwingSigned,
      headerWith(xwingSigned, { stanzas: xwingSigned.header.stanzas.map((s) => ({ ...s, args: [concatBytes(s.args[0]!.subarray(0, 1088), new Uint8Array(32))] })) }),
    ),
    open: { keys: [to('bob', XW)] },
    expect: 'ERR_ENVELOPE_HEADER_TAMPERED',
  });
  add({
    name: 'hidden-recipients-xwing',
    description: 'Hidden-recipients mode with X-Wing keys: carol decapsulates bob\'s stanza (implicit rejection gives an unrelated secret, so its AEAD fails) and then her own.',
    base: await sealBase({ label: 'hidden-recipients-xwing', payload: TEXT, recipients: [to('bob', XW), to('carol', XW)], sender: 'alice', hideRecipients: true }),
    open: { keys: [to('carol', XW)] },
    expect: 'success',
  });
  add({
    name: 'padding-mixed-types',
    description: 'Padding with recipients of two types (bob X25519, carol X-Wing, dave X25519): each type is padded on its own, to 4 X25519 stanzas (2 real) and 4 X-Wing stanzas (1 real), then all 8 are shuffled together; dave opens it.',
    base: await sealBase({ label: 'padding-mixed-types', payload: pattern(1000, 3), recipients: [to('bob'), to('carol', XW), to('dave')], sender: 'alice', padding: true }),
    open: { keys: [to('dave')] },
    expect: 'success',
    inspect: true,
  });
  add({
    name: 'hidden-salt-changed',
    description: 'An outsider flips a bit of a hidden envelope\'s salt. bob\'s stanza still unwraps, but the key commitment fails; in hidden mode that is reported as ERR_ENVELOPE_NOT_FOR_ME, exactly what a non-recipient sees (SPEC 6.2, 10.8).',
    base: hidden,
    tamper: 'Flipped one bit of "salt"; MAC recomputed with the original MAC key (the outcome does not depend on it).',
    envelope: headerOnly(hidden, headerWith(hidden, { salt: flip(hidden.header.salt, 0) })),
    open: bobX,
    expect: 'ERR_ENVELOPE_NOT_FOR_ME',
  });
  add({
    name: 'hidden-mac-mismatch',
    description: 'One bit of a hidden envelope\'s header MAC is flipped: bob, a recipient, reports ERR_ENVELOPE_NOT_FOR_ME like everyone else (SPEC 6.3, 10.8).',
    base: hidden,
    tamper: 'Flipped the low bit of the first MAC byte.',
    envelope: flip(hidden.envelope, sectionLength(hidden) - HEADER_MAC_BYTES),
    open: bobX,
    expect: 'ERR_ENVELOPE_NOT_FOR_ME',
  });
  add({
    name: 'empty-input',
    description: 'The input is empty (zero bytes): not an envelope, and not armor either (SPEC 6.1 step 1, 8).',
    base: x25519Signed,
    tamper: 'Every byte removed.',
    envelope: EMPTY,
    open: bobX,
    expect: 'ERR_ENVELOPE_MALFORMED',
  });
  add({
    name: 'payload-shorter-than-tag',
    description: 'The payload section is 5 bytes, shorter than one 16-byte tag: the only chunk cannot open. inspect (SPEC 6.8) reports one chunk and a plaintext stream of max(0, 5 - 16) = 0 bytes.',
    base: x25519Signed,
    tamper: 'Payload section cut to its first 5 bytes.',
    envelope: x25519Signed.envelope.slice(0, sectionLength(x25519Signed) + 5),
    open: bobX,
    expect: 'ERR_ENVELOPE_TAMPERED',
    inspect: true,
  });
  {
    // SPEC 1.3: each forged signature passes the bare equation [S]B - [k]A = R (checked here);
    // only the named rule rejects it.
    const base = x25519Signed;
    const sig = base.signature!;
    const prefixAndHeader = concatBytes(base.prefix, base.headerBytes);
    // The one window's data is payload || padding (SPEC 5.7); the checkpoint signs its hash.
    const data = concatBytes(base.spec.payload, new Uint8Array(base.paddingLength));
    const malleated = malleateS(sig);
    if (!bareEquationHolds(base.sender!.publicKey, checkpointMessage(sha256(prefixAndHeader), 0, true, sha256(data)), malleated)) throw new Error('malleated S fails the bare equation');
    add({
      name: 'signature-s-not-reduced',
      description: 'alice\'s checkpoint signature with S replaced by S + l (the group order): the bare equation still holds, but S must be below l (SPEC 1.3 rule 2).',
      base,
      tamper: 'S of the signature (its last 32 bytes, little-endian) increased by l; payload re-encrypted.',
      envelope: rebuild(base, { signature: malleated }),
      open: bobX,
      expect: 'ERR_SIGNATURE_INVALID',
    });
    const forgedSender = (name: string, key: Uint8Array, rule: string): void => {
      const header = headerWithMeta(base, encodeMeta({ ...base.meta, sender: key }));
      const message = checkpointMessage(sha256(concatBytes(encodePrefix(header.length), header)), 0, true, sha256(data));
      add({
        name,
        description: `The meta block names ${rule} as the sender, with a checkpoint signature R = [r]B, S = r that passes the bare equation for any message; SPEC 1.3 rule 3 rejects the key.`,
        base,
        tamper: 'Meta "sender" replaced by the key and encrypted under the meta key; MAC recomputed; the forged signature put in the plaintext stream.',
        envelope: rebuild(base, { header, signature: forgeWithSmallOrderKey(key, message, name) }),
        open: bobX,
        expect: 'ERR_SIGNATURE_INVALID',
      });
    };
    forgedSender('signature-identity-key', IDENTITY_KEY, 'the identity point (01 00 ... 00, small order)');
    forgedSender('signature-small-order-key', ORDER_TWO_KEY, 'the point (0, -1) of order 2 (ec ff ... ff 7f)');
    forgedSender('signature-non-canonical-key', NON_CANONICAL_IDENTITY_KEY, 'a non-canonical encoding of the identity, y = p + 1 (ee ff ... ff 7f)');
  }

  // --- ASCII armor ----------------------------------------------------------------------------

  // A base whose length is 1 mod 3, so the last armor line ends in "==".
  let armorBase: Base | null = null;
  for (let n = 0; !armorBase || armorBase.envelope.length % 3 !== 1; n++) {
    armorBase = await sealBase({ label: 'armored', payload: concatBytes(TEXT, pattern(n, 16)), recipients: [to('bob')], sender: 'alice' });
  }
  const armored = armor(armorBase.envelope);
  const lines = armored.split('\n'); // BEGIN, body..., END, ''
  const bodyLines = lines.slice(1, -2);
  const withBody = (b: string[], begin = lines[0]!, end: string[] = [lines[lines.length - 2]!, '']): string => [begin, ...b, ...end].join('\n');
  const lastLine = bodyLines[bodyLines.length - 1]!;
  const armorDef = (name: string, description: string, text: string, expect: LintasErrorCode | 'success'): void =>
    add({ name, description, base: armorBase!, armored: text, open: bobX, expect });

  armorDef('armored', 'The armored form of a signed envelope: BEGIN line, 64-character base64 lines, a short last line ending in "==", END line, LF line endings.', armored, 'success');
  armorDef('armor-crlf', 'Armor with CRLF line endings.', armored.replaceAll('\n', '\r\n'), 'success');
  armorDef('armor-surrounding-whitespace', 'Armor preceded by 16 bytes of blank lines and spaces, and followed by blank lines: whitespace around the block is ignored.', `\n\n  \t\n \n\n\n  \n\n${armored}\n  \n\n`, 'success');
  armorDef('armor-bad-begin-line', 'The BEGIN line names another format.', withBody(bodyLines, '-----BEGIN AGE ENCRYPTED FILE-----'), 'ERR_ARMOR_MALFORMED');
  {
    const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const c = lastLine[lastLine.length - 3]!; // the character before "=="
    const nonCanonical = lastLine.slice(0, -3) + B64[B64.indexOf(c) + 1]! + '==';
    armorDef('armor-non-canonical-base64', 'The last base64 quantum has non-zero padding bits: it decodes to the same bytes in a lenient decoder, so a strict reader rejects it.', withBody([...bodyLines.slice(0, -1), nonCanonical]), 'ERR_ARMOR_MALFORMED');
  }
  armorDef('armor-no-padding', 'The "==" padding of the last line is missing.', withBody([...bodyLines.slice(0, -1), lastLine.slice(0, -2)]), 'ERR_ARMOR_MALFORMED');
  armorDef(
    'armor-long-line',
    'The first body line has 68 characters (4 taken from the second line).',
    withBody([bodyLines[0]! + bodyLines[1]!.slice(0, 4), bodyLines[1]!.slice(4), ...bodyLines.slice(2)]),
    'ERR_ARMOR_MALFORMED',
  );
  armorDef(
    'armor-short-line-before-last',
    'The first body line has 60 characters, the next 4: only the last line may be short.',
    withBody([bodyLines[0]!.slice(0, 60), bodyLines[0]!.slice(60), ...bodyLines.slice(1)]),
    'ERR_ARMOR_MALFORMED',
  );
  armorDef('armor-invalid-character', 'A body line contains "*", which is not in the base64 alphabet.', withBody([bodyLines[0]!.slice(0, 10) + '*' + bodyLines[0]!.slice(11), ...bodyLines.slice(1)]), 'ERR_ARMOR_MALFORMED');
  armorDef('armor-missing-end', 'The END line is missing (the text was cut after the last body line).', withBody(bodyLines, lines[0], ['']), 'ERR_ARMOR_MALFORMED');
  armorDef('armor-trailing-garbage', 'Text follows the END line.', `${armored}garbage\n`, 'ERR_ARMOR_MALFORMED');
  // SPEC 8: every line, blank ones included, is at most 4,096 bytes without its LF.
  armorDef('armor-blank-line-at-limit', 'A line of 4,096 spaces before the BEGIN line and after the END line: at the line limit, so accepted, whole or in pieces.', `${' '.repeat(4096)}\n${armored}${' '.repeat(4096)}\n`, 'success');
  armorDef('armor-long-blank-line-before', 'A line of 5,000 spaces before the BEGIN line: over the 4,096-byte line limit, which applies to blank lines too, however the text is cut into pieces.', `${' '.repeat(5000)}\n${armored}`, 'ERR_ARMOR_MALFORMED');
  armorDef('armor-long-blank-line-after', 'A line of 5,000 spaces after the END line, without a final LF: over the 4,096-byte line limit.', `${armored}${' '.repeat(5000)}`, 'ERR_ARMOR_MALFORMED');
  armorDef('armor-whitespace-only', 'The input is only spaces and line feeds: it is taken for armor (SPEC 8, "Recognising armor") and has no BEGIN line.', '  \n\t\n\n', 'ERR_ARMOR_MALFORMED');

  return defs;
}

// ---------------------------------------------------------------------------------------------
// Output.

/** Generate every vector, as file name -> file contents. Deterministic. */
export async function generateVectors(): Promise<Map<string, string>> {
  const defs = await defineVectors();
  const files = new Map<string, string>();
  for (const def of defs) {
    if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(def.name)) throw new Error(`bad vector name ${def.name}`);
    const file = `${def.name}.json`;
    if (files.has(file)) throw new Error(`duplicate vector ${def.name}`);
    files.set(file, JSON.stringify(await toVector(def), null, 2) + '\n');
  }
  return files;
}

export const VECTOR_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'vectors');

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const files = await generateVectors();
  mkdirSync(VECTOR_DIR, { recursive: true });
  const onDisk = readdirSync(VECTOR_DIR).filter((f) => f.endsWith('.json'));
  const stale = onDisk.filter((f) => !files.has(f));
  const changed = [...files].filter(([f, text]) => !onDisk.includes(f) || readFileSync(join(VECTOR_DIR, f), 'utf8') !== text).map(([f]) => f);
  if (check) {
    if (stale.length || changed.length) {
      console.error(`docs/vectors is out of date (changed: ${changed.join(', ') || 'none'}; stale: ${stale.join(', ') || 'none'}); run npm run vectors`);
      process.exit(1);
    }
    console.log(`${files.size} vectors up to date`);
    return;
  }
  for (const f of stale) unlinkSync(join(VECTOR_DIR, f));
  for (const f of changed) writeFileSync(join(VECTOR_DIR, f), files.get(f)!);
  console.log(`${files.size} vectors (${changed.length} written, ${stale.length} removed) in docs/vectors`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
