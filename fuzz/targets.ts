/**
 * The decoders lintas exposes to bytes from elsewhere, each wrapped as a fuzz target: a seed
 * corpus of real, valid encodings (from docs/vectors and made here by the real sealing code), a
 * `run` that feeds one input to the public decoder, and the oracle every input is judged by:
 *
 * - the decoder either succeeds or throws a {@link LintasError} whose code is in `codes`;
 *   anything else (a TypeError from a bad index, a raw CBOR error, an engine RangeError from an
 *   absurd allocation) is a crash and is rethrown as a {@link FuzzFailure};
 * - it succeeds only for an input that is one of the genuine encodings it was seeded with (all
 *   our encodings are canonical, so a second byte string that decodes is a forgery or at least
 *   malleability), with the tolerances named per target (armor whitespace, a log cut at a record
 *   boundary).
 *
 * Used by the property tests (test/properties), the coverage-guided fuzzer (fuzz/run.ts) and the
 * regression tests of its findings.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LintasError, type LintasErrorCode } from '../src/errors/index.js';
import { identityKeysFromSeed, type IdentityKeys, type RecipientKeyPair } from '../src/keys/index.js';
import { armor, dearmor, inspect, open, seal } from '../src/envelope/index.js';
import { looksArmored } from '../src/envelope/armor.js';
import { sealCore } from '../src/envelope/seal.js';
import { systemRandom } from '../src/crypto/random.js';
import { cryptoReady } from '../src/crypto/sodium.js';
import { sha256 } from '../src/crypto/hash.js';
import { utf8 } from '../src/crypto/bytes.js';
import {
  KeyRing,
  MemoryKeyRingStorage,
  armorIntroduction,
  armorKeyCard,
  armorRevocation,
  createIntroduction,
  createKeyCard,
  createRevocation,
  decodeIntroduction,
  decodeKeyCard,
  decodeRevocation,
  type KeyCard,
} from '../src/keyring/index.js';
import { BUNDLE_CONTENT_TYPE, openBundle } from '../src/bundle/index.js';
import { verifyAuditLog } from '../src/audit/index.js';
import { createReceipt, verifyReceipt } from '../src/transports/index.js';

/** How one decoder run ended: success, or the code it refused the input with. */
export type Outcome = 'SUCCESS' | LintasErrorCode | `ERR_AUDIT_BROKEN:${string}`;

/** An input that broke the oracle: a crash, an unexpected code, or an acceptance of a forgery. */
export class FuzzFailure extends Error {
  constructor(
    readonly target: string,
    readonly input: Uint8Array,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${target}: ${message}`, options);
    this.name = 'FuzzFailure';
  }
}

/** One decoder under test. */
export interface DecoderTarget {
  readonly name: string;
  /** What the decoder reads (for the report). */
  readonly description: string;
  /** Codes the decoder may refuse an input with. */
  readonly codes: readonly Outcome[];
  /** Real, valid encodings (and the documented invalid vectors): the corpus to mutate. */
  readonly seeds: readonly Uint8Array[];
  /**
   * Decode `input`. Returns the outcome; throws {@link FuzzFailure} if the oracle is broken.
   * Cheap enough to call thousands of times (no Argon2id, no network).
   */
  run(input: Uint8Array): Promise<Outcome>;
}

const here = dirname(fileURLToPath(import.meta.url));
/** docs/vectors, the envelope vectors; docs/vectors/bundle, the bundle and audit vectors. */
export const VECTOR_DIR = join(here, '..', 'docs', 'vectors');

export function unhex(s: string): Uint8Array {
  return Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));
}
export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
}
const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

function readVectors(dir: string): Record<string, unknown>[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown>);
}

/** Run `attempt`; map a LintasError to its code and check it against `codes`; anything else is a crash. */
async function judge(target: string, input: Uint8Array, codes: readonly Outcome[], attempt: () => Promise<unknown>): Promise<Outcome> {
  try {
    await attempt();
    return 'SUCCESS';
  } catch (e) {
    if (e instanceof FuzzFailure) throw e;
    if (e instanceof LintasError) {
      if (!codes.includes(e.code)) throw new FuzzFailure(target, input, `refused with unexpected code ${e.code}: ${e.message}`, { cause: e });
      return e.code;
    }
    throw new FuzzFailure(target, input, `crashed with ${(e as Error)?.name ?? typeof e}: ${(e as Error)?.message ?? String(e)}`, { cause: e });
  }
}

/** A set of byte strings, for "is this one of the genuine encodings?". */
class ByteSet {
  private readonly set = new Set<string>();
  add(b: Uint8Array): void {
    this.set.add(hex(b));
  }
  has(b: Uint8Array): boolean {
    return this.set.has(hex(b));
  }
  get size(): number {
    return this.set.size;
  }
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);
/**
 * Armored text may carry CRLF line ends (or a CR at the very end) and lines of SP/HT around the
 * block (SPEC 8); nothing else varies.
 */
const normalizeArmor = (s: string) => s.replace(/\r\n/g, '\n').replace(/\r$/, '').replace(/^[ \t\n]+|[ \t\n]+$/g, '');

// ---------------------------------------------------------------- envelope

/** Every code open() documents for input that is not a valid envelope for these keys. */
export const ENVELOPE_CODES: readonly LintasErrorCode[] = [
  'ERR_ENVELOPE_MALFORMED',
  'ERR_ENVELOPE_TRUNCATED',
  'ERR_ENVELOPE_UNSUPPORTED_VERSION',
  'ERR_ENVELOPE_LIMIT_EXCEEDED',
  'ERR_ARMOR_MALFORMED',
  'ERR_ENVELOPE_NOT_FOR_ME',
  'ERR_ENVELOPE_HEADER_TAMPERED',
  'ERR_ENVELOPE_TAMPERED',
  'ERR_SIGNATURE_INVALID',
  'ERR_ENVELOPE_EXPIRED',
  'ERR_ENVELOPE_NOT_YET_VALID',
];

/** The fixed clock of the envelope vectors (2025-01-01T00:00:00Z). */
export const VECTOR_NOW = new Date(1735689600 * 1000);

interface EnvelopeVector {
  name: string;
  identities: Record<string, { seed: string }>;
  envelope: string;
  armored?: string;
  expect: { result: string };
}

async function vectorKeys(vectors: EnvelopeVector[]): Promise<RecipientKeyPair[]> {
  const seeds = new Map<string, string>();
  for (const v of vectors) for (const [name, id] of Object.entries(v.identities)) seeds.set(name, id.seed);
  const keys: RecipientKeyPair[] = [];
  for (const seed of seeds.values()) {
    const k = await identityKeysFromSeed(unhex(seed));
    keys.push(k.x25519, k.xwing);
  }
  return keys;
}

/**
 * Envelopes (SPEC 4-6): open() with every key of every vector identity, anonymous senders allowed,
 * at the vectors' clock, whole and (for armored input) as text. inspect() must not crash either.
 */
export async function envelopeTarget(): Promise<DecoderTarget> {
  const vectors = readVectors(VECTOR_DIR) as unknown as EnvelopeVector[];
  const keys = await vectorKeys(vectors);
  const options = { keys, allowAnonymous: true, now: VECTOR_NOW };
  const seeds: Uint8Array[] = [];
  for (const v of vectors) {
    seeds.push(unhex(v.envelope));
    if (v.armored !== undefined) seeds.push(utf8(v.armored));
  }
  // A few more made here, with the vector identities, at the vectors' clock: several chunks, X-Wing, hidden recipients.
  const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((n) => identityKeysFromSeed(sha256(utf8(`fuzz ${n}`)))));
  keys.push(bob!.x25519, bob!.xwing, carol!.x25519);
  const made: [Uint8Array, Parameters<typeof sealCore>[1]][] = [
    [new Uint8Array(9000).fill(7), { recipients: [bob!.x25519, carol!.x25519], sender: alice!.signing, chunkSize: 4096 }],
    [utf8('x-wing, hidden'), { recipients: [bob!.xwing, carol!.x25519], sender: alice!.signing, hideRecipients: true, contentType: 'text/plain' }],
    [utf8('anonymous, padded'), { recipients: [bob!.x25519], anonymous: true, padding: true }],
  ];
  for (const [payload, o] of made) {
    const parts: Uint8Array[] = [];
    for await (const p of sealCore((async function* () { yield payload; })(), { ...o, size: payload.length }, { random: systemRandom, now: () => VECTOR_NOW.getTime() - 60_000 })) parts.push(p);
    seeds.push(Buffer.concat(parts));
  }
  seeds.push(utf8(armor(seeds[seeds.length - 1]!)));

  const genuine = new ByteSet();
  for (const s of seeds) {
    try {
      await open(s, options);
      genuine.add(looksArmored(s) ? await dearmor(s) : s);
    } catch (e) {
      if (!(e instanceof LintasError)) throw e;
    }
  }
  if (genuine.size < 10) throw new Error(`only ${genuine.size} envelope seeds open: the vector keys are wrong`);
  const name = 'envelope';
  return {
    name,
    description: 'open() and inspect() of binary and armored envelopes',
    codes: ENVELOPE_CODES,
    seeds,
    async run(input) {
      const result = await judge(name, input, ENVELOPE_CODES, () => open(input, options));
      await judge(name, input, ENVELOPE_CODES, () => inspect(input));
      if (result === 'SUCCESS') {
        const binary = looksArmored(input) ? await dearmor(input) : input;
        if (!genuine.has(binary)) throw new FuzzFailure(name, input, 'opened an envelope that no sealer produced');
        if (binary !== input && normalizeArmor(text(input)) !== normalizeArmor(armor(binary))) {
          throw new FuzzFailure(name, input, 'accepted armor that differs from the canonical armor by more than line ends and surrounding whitespace');
        }
      }
      return result;
    },
  };
}

// ---------------------------------------------------------------- armor

/** ASCII armor alone (SPEC 7): dearmor() of arbitrary text. */
export async function armorTarget(): Promise<DecoderTarget> {
  const vectors = readVectors(VECTOR_DIR) as unknown as EnvelopeVector[];
  const seeds = vectors.filter((v) => v.armored !== undefined).map((v) => utf8(v.armored!));
  seeds.push(utf8(armor(new Uint8Array(0))), utf8(armor(new Uint8Array(1))), utf8(armor(new Uint8Array(100).fill(0xfb))));
  const codes: readonly LintasErrorCode[] = ['ERR_ARMOR_MALFORMED'];
  const name = 'armor';
  return {
    name,
    description: 'dearmor() of arbitrary text',
    codes,
    seeds,
    async run(input) {
      let decoded: Uint8Array | null = null;
      const result = await judge(name, input, codes, async () => {
        decoded = await dearmor(input);
      });
      // Armor has one encoding per byte string: what decodes must be that encoding, up to line ends and surrounding whitespace.
      if (decoded !== null && normalizeArmor(text(input)) !== normalizeArmor(armor(decoded))) {
        throw new FuzzFailure(name, input, 'accepted a second armoring of the same bytes');
      }
      return result;
    },
  };
}

// ---------------------------------------------------------------- key cards and statements

async function cardKit(): Promise<{ keys: IdentityKeys[]; cards: KeyCard[] }> {
  const keys = await Promise.all(['card a', 'card b', 'card c'].map((n) => identityKeysFromSeed(sha256(utf8(`fuzz ${n}`)))));
  const validFrom = new Date('2026-01-01T00:00:00Z');
  const validUntil = new Date('2028-01-01T00:00:00Z');
  const a = await createKeyCard({ keys: keys[0]!, name: 'Analyst desk', organization: 'BIN', country: 'ID', validFrom, validUntil });
  const b = await createKeyCard({ keys: keys[1]!, name: 'Liaison', organization: 'NCB', country: 'MY', validFrom, validUntil, includeXWing: true });
  const a2 = await createKeyCard({ keys: keys[2]!, name: 'Analyst desk', organization: 'BIN', country: 'ID', validFrom, validUntil, predecessor: { card: a, signing: keys[0]!.signing } });
  return { keys, cards: [a, b, a2] };
}

/** A decoder of signed statements (key cards, revocations, introductions): bytes or armored text. */
function statementTarget(name: string, description: string, codes: readonly LintasErrorCode[], seeds: Uint8Array[], decode: (input: Uint8Array | string) => Promise<{ bytes: Uint8Array }>): DecoderTarget {
  const genuine = new ByteSet();
  for (const s of seeds) if (!looksArmored(s)) genuine.add(s);
  return {
    name,
    description,
    codes,
    seeds,
    async run(input) {
      let decoded: { bytes: Uint8Array } | null = null;
      const armored = looksArmored(input);
      const result = await judge(name, input, codes, async () => {
        decoded = await decode(armored ? text(input) : input);
      });
      if (decoded !== null && !genuine.has((decoded as { bytes: Uint8Array }).bytes)) throw new FuzzFailure(name, input, 'accepted a statement nobody signed');
      return result;
    },
  };
}

/** Key cards (docs/KEYRING.md): decodeKeyCard() of bytes and armored text. */
export async function keyCardTarget(): Promise<DecoderTarget> {
  const { cards } = await cardKit();
  const seeds = cards.flatMap((c) => [c.bytes, utf8(armorKeyCard(c))]);
  const codes: readonly LintasErrorCode[] = ['ERR_ARMOR_MALFORMED', 'ERR_KEYCARD_MALFORMED', 'ERR_KEYCARD_UNSUPPORTED_VERSION', 'ERR_KEYCARD_SIGNATURE_INVALID', 'ERR_KEYCARD_SUCCESSION_INVALID'];
  return statementTarget('key-card', 'decodeKeyCard() of bytes and armored text', codes, seeds, decodeKeyCard);
}

/** Revocations and introductions (docs/KEYRING.md): decodeRevocation() / decodeIntroduction(). */
export async function statementTargets(): Promise<DecoderTarget[]> {
  const { keys, cards } = await cardKit();
  const revocations = [
    await createRevocation(cards[0]!, keys[0]!.signing, { reason: 'superseded', issuedAt: new Date('2026-06-01T00:00:00Z') }),
    await createRevocation(cards[1]!, keys[1]!.signing, { reason: 'key-compromise', comment: 'laptop lost', issuedAt: new Date('2026-06-01T00:00:00Z') }),
  ];
  const introductions = [await createIntroduction(cards[1]!, cards[0]!, keys[0]!.signing, new Date('2026-06-01T00:00:00Z'))];
  return [
    statementTarget(
      'revocation',
      'decodeRevocation() of bytes and armored text',
      ['ERR_ARMOR_MALFORMED', 'ERR_REVOCATION_MALFORMED', 'ERR_REVOCATION_SIGNATURE_INVALID'],
      revocations.flatMap((r) => [r.bytes, utf8(armorRevocation(r))]),
      decodeRevocation,
    ),
    statementTarget(
      'introduction',
      'decodeIntroduction() of bytes and armored text',
      ['ERR_ARMOR_MALFORMED', 'ERR_INTRODUCTION_MALFORMED', 'ERR_INTRODUCTION_INVALID', 'ERR_KEYCARD_MALFORMED', 'ERR_KEYCARD_UNSUPPORTED_VERSION', 'ERR_KEYCARD_SIGNATURE_INVALID', 'ERR_KEYCARD_SUCCESSION_INVALID'],
      introductions.flatMap((r) => [r.bytes, utf8(armorIntroduction(r))]),
      decodeIntroduction,
    ),
  ];
}

// ---------------------------------------------------------------- key ring file

/**
 * Key ring files (docs/KEYRING.md, "Storage"): KeyRing.open() of stored bytes with the right raw
 * key (a passphrase would cost an Argon2id run per input; the framing checked before the KDF is
 * the same). An empty ring and one with an identity, a contact and a revocation.
 */
export async function keyRingTarget(): Promise<DecoderTarget> {
  const rawKey = sha256(utf8('fuzz key ring raw key'));
  const seeds: Uint8Array[] = [];
  const empty = new MemoryKeyRingStorage();
  await KeyRing.create(empty, { rawKey });
  seeds.push((await empty.load())!);
  const full = new MemoryKeyRingStorage();
  const ring = await KeyRing.create(full, { rawKey });
  await ring.createIdentity({ name: 'desk', organization: 'BIN', country: 'ID' });
  const { keys, cards } = await cardKit();
  await ring.importKeyCard(cards[1]!, { name: 'liaison' });
  await ring.importRevocation(await createRevocation(cards[1]!, keys[1]!.signing, { reason: 'retired' }));
  seeds.push((await full.load())!);
  const genuine = new ByteSet();
  for (const s of seeds) genuine.add(s);
  const codes: readonly LintasErrorCode[] = ['ERR_KEYRING_MALFORMED', 'ERR_KEYRING_UNSUPPORTED_VERSION', 'ERR_KEYRING_WRONG_PASSPHRASE', 'ERR_KEYRING_TAMPERED'];
  const name = 'key-ring';
  return {
    name,
    description: 'KeyRing.open() of a stored key ring file (raw key)',
    codes,
    seeds,
    async run(input) {
      const result = await judge(name, input, codes, () => KeyRing.open(new MemoryKeyRingStorage(input), { rawKey }));
      if (result === 'SUCCESS' && !genuine.has(input)) throw new FuzzFailure(name, input, 'opened a key ring file nobody wrote');
      return result;
    },
  };
}

// ---------------------------------------------------------------- bundle

interface BundleVectorFile {
  format: string;
  parties: Record<string, { seed: string }>;
  payload: string;
  envelope: { sender: string; declaredLength: number | null };
  now: number;
  expect: { result: string };
}

/** The bundle vectors' clock. */
const BUNDLE_NOW = 1767229200;

/**
 * Bundle payloads (SPEC 12): the head (length, manifest, signatures, forward records) and items.
 * Input byte 0 chooses the envelope's sender (bits 0-2, a vector party) and whether the envelope
 * declares its length (bit 7); the rest is the payload, sealed by that sender in a real envelope
 * and read with openBundle() and readAll().
 */
export async function bundleTarget(): Promise<DecoderTarget> {
  const vectors = (readVectors(join(VECTOR_DIR, 'bundle')) as unknown as BundleVectorFile[]).filter((v) => v.format === 'lintas-bundle-vector/1');
  const partyNames = [...new Set(vectors.flatMap((v) => Object.keys(v.parties)))].sort();
  const seedOf = new Map<string, string>();
  for (const v of vectors) for (const [n, p] of Object.entries(v.parties)) seedOf.set(n, p.seed);
  const senders = await Promise.all(partyNames.map(async (n) => (await identityKeysFromSeed(unhex(seedOf.get(n)!))).signing));
  if (senders.length > 8) throw new Error('more than 8 bundle parties: widen the sender bits');
  const reader = await identityKeysFromSeed(sha256(utf8('vector reader')));
  const seeds = vectors.map((v) => {
    const control = partyNames.indexOf(v.envelope.sender) | (v.envelope.declaredLength === null ? 0 : 0x80);
    return Uint8Array.from([control, ...unhex(v.payload)]);
  });
  // A genuine bundle is the originator's payload from its rightful sender; whether the envelope
  // declares its length is the sealer's choice, so the length bit is not part of it.
  const genuine = new ByteSet();
  vectors.forEach((v, i) => v.expect.result === 'ok' && genuine.add(Uint8Array.from([seeds[i]![0]! & 7, ...seeds[i]!.subarray(1)])));
  const codes: readonly LintasErrorCode[] = [
    'ERR_BUNDLE_MALFORMED',
    'ERR_BUNDLE_UNSUPPORTED_VERSION',
    'ERR_BUNDLE_LIMIT_EXCEEDED',
    'ERR_BUNDLE_SIGNATURE_INVALID',
    'ERR_BUNDLE_ORIGINATOR_MISMATCH',
    'ERR_BUNDLE_FORWARD_INVALID',
    'ERR_BUNDLE_ITEM_MISMATCH',
    'ERR_BUNDLE_STIX_INVALID',
    'ERR_BUNDLE_MARKING_CONFLICT',
    // A validly signed record of a forbidden forward (SPEC 12.6; vector forwarded-red).
    'ERR_POLICY_VIOLATION',
  ];
  const name = 'bundle';
  return {
    name,
    description: 'openBundle() and readAll() of a bundle payload sealed by a vector party',
    codes,
    seeds,
    async run(input) {
      if (input.length === 0) return 'ERR_BUNDLE_MALFORMED';
      const senderIndex = (input[0]! & 7) % senders.length;
      const sender = senders[senderIndex]!;
      const payload = input.subarray(1);
      const size = input[0]! & 0x80 ? { size: payload.length } : {};
      // Compare in normal form: the sender index, then the payload.
      const normal = Uint8Array.from([senderIndex, ...payload]);
      const parts: Uint8Array[] = [];
      const options = { recipients: [reader.x25519], sender, contentType: BUNDLE_CONTENT_TYPE, ...size };
      for await (const p of sealCore((async function* () { yield payload; })(), options, { random: systemRandom, now: () => (BUNDLE_NOW - 60) * 1000 })) parts.push(p);
      const envelope = Buffer.concat(parts);
      const result = await judge(name, input, codes, async () => {
        const b = await openBundle(envelope, { keys: [reader.x25519], now: new Date(BUNDLE_NOW * 1000) });
        await b.readAll();
      });
      if (result === 'SUCCESS' && !genuine.has(normal)) throw new FuzzFailure(name, input, 'read a bundle its originator did not make');
      return result;
    },
  };
}

// ---------------------------------------------------------------- audit log

interface AuditVectorFile {
  format: string;
  signer: { publicKey: string };
  log: string;
  expect: { ok: boolean };
}

/**
 * Audit logs (SPEC 12.8): verifyAuditLog() with the expected signer. It never throws for a bad
 * log; the outcome is `ERR_AUDIT_BROKEN:<reason>` of the first broken record. Without an anchor a
 * log cut at a record boundary verifies (documented: the chain cannot show a cut tail), so a
 * success must be a genuine log or such a prefix of one.
 */
export async function auditLogTarget(): Promise<DecoderTarget> {
  const vectors = (readVectors(join(VECTOR_DIR, 'bundle')) as unknown as AuditVectorFile[]).filter((v) => v.format === 'lintas-audit-vector/1');
  const signer = unhex(vectors[0]!.signer.publicKey);
  const seeds = vectors.map((v) => unhex(v.log));
  const genuine = vectors.filter((v) => v.expect.ok).map((v) => unhex(v.log));
  const reasons = ['truncated', 'malformed', 'signer', 'signature', 'chain', 'sequence', 'anchor'];
  const codes: readonly Outcome[] = reasons.map((r) => `ERR_AUDIT_BROKEN:${r}` as const);
  const name = 'audit-log';
  return {
    name,
    description: 'verifyAuditLog() of a whole log, with the expected signer',
    codes,
    seeds,
    async run(input) {
      let result: Outcome = 'SUCCESS';
      await judge(name, input, [], async () => {
        const r = await verifyAuditLog(input, { signer });
        if (!r.ok) result = `ERR_AUDIT_BROKEN:${r.firstBroken?.reason ?? 'none'}`;
      });
      if (result !== 'SUCCESS' && !codes.includes(result)) throw new FuzzFailure(name, input, `unexpected outcome ${result}`);
      if (result === 'SUCCESS' && !genuine.some((g) => g.length >= input.length && sameBytes(g.subarray(0, input.length), input))) {
        throw new FuzzFailure(name, input, 'verified a log its signer did not write');
      }
      return result;
    },
  };
}

// ---------------------------------------------------------------- receipts

/** Delivery receipts (docs/TRANSPORTS.md): verifyReceipt() against the expected recipient and envelope id. */
export async function receiptTarget(): Promise<DecoderTarget> {
  const [sender, recipient] = await Promise.all(['receipt sender', 'receipt recipient'].map((n) => identityKeysFromSeed(sha256(utf8(`fuzz ${n}`)))));
  const envelope = await seal(utf8('receipt me'), { recipients: [recipient!.x25519], sender: sender!.signing });
  const opened = await open(envelope, { keys: [recipient!.x25519] });
  const receipt = await createReceipt(envelope, opened, recipient!.signing, { now: new Date('2026-03-01T00:00:00Z') });
  const seeds = [receipt];
  const codes: readonly LintasErrorCode[] = ['ERR_RECEIPT_MALFORMED', 'ERR_RECEIPT_MISMATCH', 'ERR_RECEIPT_SIGNATURE_INVALID'];
  const name = 'receipt';
  return {
    name,
    description: 'verifyReceipt() with the expected recipient, envelope id and envelope',
    codes,
    seeds,
    async run(input) {
      const result = await judge(name, input, codes, () => verifyReceipt(input, recipient!.signing.publicKey, { envelopeId: opened.envelopeId, envelope }));
      if (result === 'SUCCESS' && !sameBytes(input, receipt)) throw new FuzzFailure(name, input, 'verified a receipt the recipient did not sign');
      return result;
    },
  };
}

/** Every target, by name, built lazily (each costs a few key generations and seals). */
export const TARGETS: Record<string, () => Promise<DecoderTarget>> = {
  envelope: envelopeTarget,
  armor: armorTarget,
  'key-card': keyCardTarget,
  revocation: async () => (await statementTargets())[0]!,
  introduction: async () => (await statementTargets())[1]!,
  'key-ring': keyRingTarget,
  bundle: bundleTarget,
  'audit-log': auditLogTarget,
  receipt: receiptTarget,
};

/** Wait for libsodium before building targets. */
export const fuzzReady = cryptoReady;
