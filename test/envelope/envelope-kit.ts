/**
 * Shared tools for the envelope attack, property, round-trip and streaming tests: running a
 * promise down to its error code, taking envelopes apart, and forging envelopes the way an
 * insider who knows the file key could (via the internal sealing core and key schedule).
 */
import { expect } from 'vitest';
import { LintasError, type LintasErrorCode } from '../../src/errors/index.js';
import { sealCore, type SealStreamOptions } from '../../src/envelope/seal.js';
import { decodeHeader, encodeHeader, encodePrefix, type EnvelopeHeader, type RecipientStanza } from '../../src/envelope/header.js';
import { deriveEnvelopeKeys, headerMac, type EnvelopeKeys } from '../../src/envelope/key-schedule.js';
import { checkpointMessage } from '../../src/envelope/checkpoints.js';
import { decodeMeta, encodeMeta, type EnvelopeMeta } from '../../src/envelope/meta.js';
import { StreamEncryptor } from '../../src/envelope/payload-stream.js';
import { HEADER_MAC_BYTES, PREFIX_BYTES } from '../../src/envelope/constants.js';
import { AEAD_NONCE_BYTES, AEAD_TAG_BYTES, chachaDecrypt, chachaEncrypt } from '../../src/crypto/aead.js';
import { concatBytes } from '../../src/crypto/bytes.js';
import { ed25519Sign } from '../../src/crypto/ed25519.js';
import { sha256 } from '../../src/crypto/hash.js';
import { systemRandom, type RandomSource } from '../../src/crypto/random.js';
import { cryptoReady } from '../../src/crypto/sodium.js';
import type { SigningKeyPair } from '../../src/keys/index.js';

/** Collect an async iterable of byte chunks. */
export async function collect(source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const p of source) parts.push(p);
  return concatBytes(...parts);
}

/**
 * Run `attempt` and report how it ended: 'SUCCESS', or the LintasError code. Anything else
 * (a crash: RangeError from a bad index, a raw CborDecodeError, ...) is rethrown so that the
 * calling test fails loudly, because a hostile envelope must never get past the error hierarchy.
 */
export async function outcome(attempt: () => Promise<unknown>): Promise<LintasErrorCode | 'SUCCESS'> {
  try {
    await attempt();
    return 'SUCCESS';
  } catch (e) {
    if (e instanceof LintasError) return e.code;
    throw e;
  }
}

/** Assert that `promise` rejects with a LintasError whose code is `code` (or one of `code`). */
export async function expectCode(promise: Promise<unknown>, code: LintasErrorCode | LintasErrorCode[]): Promise<void> {
  const codes = Array.isArray(code) ? code : [code];
  let caught: unknown = null;
  try {
    await promise;
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected a rejection').toBeInstanceOf(LintasError);
  expect(codes).toContain((caught as LintasError).code);
}

/** A copy of `bytes` with bit `bit` of byte `index` flipped. */
export function flipBit(bytes: Uint8Array, index: number, bit: number): Uint8Array {
  const out = bytes.slice();
  out[index]! ^= 1 << bit;
  return out;
}

/** An envelope taken apart into its wire sections (SPEC 5 layout). */
export interface EnvelopeParts {
  prefix: Uint8Array;
  headerBytes: Uint8Array;
  header: EnvelopeHeader;
  mac: Uint8Array;
  /** Offset of the first payload byte. */
  payloadOffset: number;
  /** The STREAM chunks, each ciphertext || tag. */
  chunks: Uint8Array[];
}

export function splitEnvelope(envelope: Uint8Array): EnvelopeParts {
  const prefix = envelope.slice(0, PREFIX_BYTES);
  const headerLength = new DataView(prefix.buffer).getUint32(7, false);
  const headerBytes = envelope.slice(PREFIX_BYTES, PREFIX_BYTES + headerLength);
  const header = decodeHeader(headerBytes);
  const payloadOffset = PREFIX_BYTES + headerLength + HEADER_MAC_BYTES;
  const mac = envelope.slice(PREFIX_BYTES + headerLength, payloadOffset);
  const chunkCipherBytes = (1 << header.chunkExponent) + AEAD_TAG_BYTES;
  const chunks: Uint8Array[] = [];
  for (let off = payloadOffset; off < envelope.length; off += chunkCipherBytes) chunks.push(envelope.slice(off, off + chunkCipherBytes));
  return { prefix, headerBytes, header, mac, payloadOffset, chunks };
}

/**
 * A random source that records every draw. sealCore draws the file key first (32 bytes) and the
 * salt second (32 bytes), then the stanza randomness (seal.ts); copies are kept because sealCore
 * wipes the file key when it is done.
 */
export function recordingRandom(): { random: RandomSource; draws: Uint8Array[] } {
  const draws: Uint8Array[] = [];
  const random: RandomSource = (n) => {
    const bytes = systemRandom(n);
    draws.push(bytes.slice());
    return bytes;
  };
  return { random, draws };
}

/** An envelope together with the secrets only its sender and recipients know. */
export interface SealedWithSecrets {
  envelope: Uint8Array;
  fileKey: Uint8Array;
  salt: Uint8Array;
  keys: EnvelopeKeys;
}

/** Seal through the internal core, keeping the file key (what every recipient learns). */
export async function sealWithSecrets(payload: Uint8Array, options: SealStreamOptions, nowMs: number = Date.now()): Promise<SealedWithSecrets> {
  await cryptoReady();
  const { random, draws } = recordingRandom();
  const source = (async function* () {
    yield payload;
  })();
  const envelope = await collect(sealCore(source, { size: payload.length, ...options }, { random, now: () => nowMs }));
  const fileKey = draws[0]!;
  const salt = draws[1]!;
  return { envelope, fileKey, salt, keys: deriveEnvelopeKeys(fileKey, salt) };
}

const ZERO_NONCE = new Uint8Array(AEAD_NONCE_BYTES);

/** Decrypt the meta block of `header` with keys derived from the file key. */
export function readMeta(keys: EnvelopeKeys, header: EnvelopeHeader): EnvelopeMeta {
  const plain = chachaDecrypt(keys.metaKey, ZERO_NONCE, header.meta);
  if (plain === null) throw new Error('meta does not decrypt with these keys');
  return decodeMeta(plain, header.stanzas.length);
}

/** Decrypt the plaintext stream (data and checkpoints, SPEC 1.2) of an envelope. */
export function readPlaintextStream(keys: EnvelopeKeys, parts: EnvelopeParts): Uint8Array {
  const plain = parts.chunks.map((c, i) => {
    const nonce = new Uint8Array(AEAD_NONCE_BYTES);
    new DataView(nonce.buffer).setUint32(7, i, false);
    nonce[11] = i === parts.chunks.length - 1 ? 1 : 0;
    const p = chachaDecrypt(keys.payloadKey, nonce, c);
    if (p === null) throw new Error(`chunk ${i} does not decrypt`);
    return p;
  });
  return concatBytes(...plain);
}

/** What an insider needs to build an envelope by hand. */
export interface ForgeInput {
  fileKey: Uint8Array;
  salt: Uint8Array;
  stanzas: RecipientStanza[];
  meta: EnvelopeMeta;
  /** Meta plaintext bytes to encrypt instead of encoding `meta` (to forge malformed meta blocks). */
  rawMeta?: Uint8Array;
  /** The plaintext stream: data (payload || padding) and checkpoints, windows in order. */
  plaintext: Uint8Array;
  chunkExponent?: number;
  /** Replace the key commitment (to attack it); default: the true one. */
  commit?: Uint8Array;
}

/** Build an envelope exactly as a sealer would, from chosen parts. Returns prefix+header too. */
export function forgeEnvelope(input: ForgeInput): { envelope: Uint8Array; prefixAndHeader: Uint8Array } {
  const keys = deriveEnvelopeKeys(input.fileKey, input.salt);
  const chunkExponent = input.chunkExponent ?? 12;
  const header = encodeHeader({
    chunkExponent,
    commit: input.commit ?? keys.commitment,
    meta: chachaEncrypt(keys.metaKey, ZERO_NONCE, input.rawMeta ?? encodeMeta(input.meta, input.stanzas.length)),
    salt: input.salt,
    stanzas: input.stanzas,
  });
  const prefixAndHeader = concatBytes(encodePrefix(header.length), header);
  const chunkSize = 1 << chunkExponent;
  const enc = new StreamEncryptor(keys.payloadKey);
  const chunks: Uint8Array[] = [];
  let off = 0;
  // Same chunking rule as the sealer: every chunk full except the last, which may be full or short.
  while (input.plaintext.length - off > chunkSize) {
    chunks.push(enc.encrypt(input.plaintext.subarray(off, off + chunkSize), false));
    off += chunkSize;
  }
  chunks.push(enc.encrypt(input.plaintext.subarray(off), true));
  return { envelope: concatBytes(prefixAndHeader, headerMac(keys.macKey, prefixAndHeader), ...chunks), prefixAndHeader };
}

/** Re-assemble an envelope from a (modified) header, MACed with `macKey`, and payload chunks. */
export function reassemble(header: EnvelopeHeader, macKey: Uint8Array, chunks: Uint8Array[]): Uint8Array {
  const headerBytes = encodeHeader(header);
  const prefixAndHeader = concatBytes(encodePrefix(headerBytes.length), headerBytes);
  return concatBytes(prefixAndHeader, headerMac(macKey, prefixAndHeader), ...chunks);
}

/**
 * The sender's checkpoint over one window's data (payload and padding) of an envelope with this
 * header, as seal.ts computes it (SPEC 5.7). By default the one, final window of a small envelope.
 */
export function signEnvelope(sender: SigningKeyPair, prefixAndHeader: Uint8Array, data: Uint8Array, index = 0, final = true): Uint8Array {
  return ed25519Sign(sender.secretKey, checkpointMessage(sha256(prefixAndHeader), index, final, sha256(data)));
}

/** A payload of `n` bytes with a recognisable, position-dependent pattern. */
export function patternBytes(n: number, seed = 0): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed * 7 + (i >> 8)) & 255;
  return out;
}
