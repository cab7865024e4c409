/**
 * Exhaustive mutation of a real envelope (issue 8): every single-bit flip of every byte, every
 * truncation, every swap, duplication and deletion of payload chunks, and splices of two
 * envelopes sealed to the same recipients (header of one with the payload of the other, a stanza
 * or the header MAC of one in the other, stanzas in swapped order). Each case names the code
 * SPEC section 6 and 9 assign to that kind of damage; running it counts acceptances (must be
 * zero) and cases refused with a code outside the expected set.
 *
 * Shared by scripts/mutations.ts (`npm run mutations`, the full set) and
 * test/properties/mutations.test.ts (a smaller envelope, a deterministic sample).
 */
import { LintasError, type LintasErrorCode } from '../src/errors/index.js';
import { open, type OpenOptions } from '../src/envelope/index.js';
import { decodeHeader, encodeHeader, encodePrefix } from '../src/envelope/header.js';
import { HEADER_MAC_BYTES, PREFIX_BYTES } from '../src/envelope/constants.js';
import { AEAD_TAG_BYTES } from '../src/crypto/aead.js';
import { concatBytes } from '../src/crypto/bytes.js';

/** One damaged envelope and what it must be refused with. */
export interface MutationCase {
  /** Kind of damage: 'bit flip', 'truncation', 'chunk swap', ... */
  kind: string;
  /** Where: 'magic', 'version', 'header length', 'header', 'header MAC', 'payload', or a description. */
  region: string;
  bytes: Uint8Array;
  expected: readonly LintasErrorCode[];
}

/** An envelope cut into its sections (SPEC 4): prefix, header, header MAC, payload chunks. */
export interface EnvelopeLayout {
  headerLength: number;
  /** Offset of the payload section. */
  payloadStart: number;
  /** Ciphertext chunks (each 2^exp + 16 bytes, the last one shorter or equal). */
  chunks: Uint8Array[];
}

export function layoutOf(env: Uint8Array): EnvelopeLayout {
  const headerLength = new DataView(env.buffer, env.byteOffset + 7, 4).getUint32(0);
  const header = decodeHeader(env.subarray(PREFIX_BYTES, PREFIX_BYTES + headerLength));
  const payloadStart = PREFIX_BYTES + headerLength + HEADER_MAC_BYTES;
  const size = (1 << header.chunkExponent) + AEAD_TAG_BYTES;
  const chunks: Uint8Array[] = [];
  for (let at = payloadStart; at < env.length; at += size) chunks.push(env.subarray(at, Math.min(at + size, env.length)));
  return { headerLength, payloadStart, chunks };
}

const MALFORMED: LintasErrorCode = 'ERR_ENVELOPE_MALFORMED';
const TRUNCATED: LintasErrorCode = 'ERR_ENVELOPE_TRUNCATED';
const HEADER_TAMPERED: LintasErrorCode = 'ERR_ENVELOPE_HEADER_TAMPERED';
const TAMPERED: LintasErrorCode = 'ERR_ENVELOPE_TAMPERED';

/** The region a byte offset lies in, and the codes damage there may give (SPEC 6.1-6.7, 9). */
export function regionOf(_env: Uint8Array, layout: EnvelopeLayout, at: number): { region: string; expected: readonly LintasErrorCode[] } {
  if (at < 6) return { region: 'magic', expected: [MALFORMED] };
  if (at === 6) return { region: 'version', expected: ['ERR_ENVELOPE_UNSUPPORTED_VERSION'] };
  // A changed length reads too little (the CBOR ends early or the map is cut: malformed), too much (truncated) or over the limit.
  if (at < PREFIX_BYTES) return { region: 'header length', expected: [MALFORMED, TRUNCATED, 'ERR_ENVELOPE_LIMIT_EXCEEDED'] };
  // Inside the header: a CBOR or shape error (6.1), or a header that no longer authenticates or no longer names this recipient (6.2-6.3).
  if (at < PREFIX_BYTES + layout.headerLength) return { region: 'header', expected: [MALFORMED, 'ERR_ENVELOPE_LIMIT_EXCEEDED', 'ERR_ENVELOPE_NOT_FOR_ME', HEADER_TAMPERED] };
  if (at < layout.payloadStart) return { region: 'header MAC', expected: [HEADER_TAMPERED] };
  // After the header MAC there is one code for everything (SPEC 6.6: no oracle), the signature included.
  return { region: 'payload', expected: [TAMPERED] };
}

/**
 * Every single-bit flip of every byte. The `sample` (for the unit test) flips every bit of the
 * prefix and the header MAC, one bit of every header byte and of every 4th payload byte,
 * rotating through the bits.
 */
export function* bitFlips(env: Uint8Array, layout: EnvelopeLayout, sample = false): Generator<MutationCase> {
  for (let at = 0; at < env.length; at++) {
    const { region, expected } = regionOf(env, layout, at);
    if (sample && region === 'payload' && at % 4 !== 0) continue;
    const every = !sample || region === 'magic' || region === 'version' || region === 'header length' || region === 'header MAC';
    for (const bit of every ? [0, 1, 2, 3, 4, 5, 6, 7] : [at % 8]) {
      const bytes = env.slice();
      bytes[at]! ^= 1 << bit;
      yield { kind: 'bit flip', region, bytes, expected };
    }
  }
}

/** Every truncation (lengths 0 .. n-1); with `stride` > 1, every length up to the payload and every stride-th after. */
export function* truncations(env: Uint8Array, layout: EnvelopeLayout, stride = 1): Generator<MutationCase> {
  const chunkEnds = new Set<number>();
  let end = layout.payloadStart;
  for (const c of layout.chunks) chunkEnds.add((end += c.length));
  for (let n = 0; n < env.length; n++) {
    if (n > layout.payloadStart && n % stride !== 0 && !chunkEnds.has(n)) continue;
    const bytes = env.slice(0, n);
    // SPEC 6.1: empty input is malformed; ending inside the prefix, header or MAC is truncated;
    // ending in the payload (even at a chunk boundary, or right after the MAC) is tampering.
    const expected: readonly LintasErrorCode[] = n === 0 ? [MALFORMED] : n < layout.payloadStart ? [TRUNCATED] : [TAMPERED];
    const region = n === 0 ? 'empty' : n < PREFIX_BYTES ? 'in prefix' : n < PREFIX_BYTES + layout.headerLength ? 'in header' : n < layout.payloadStart ? 'in header MAC' : 'in payload';
    yield { kind: 'truncation', region, bytes, expected };
  }
}

const head = (env: Uint8Array, layout: EnvelopeLayout) => env.subarray(0, layout.payloadStart);

/** Every swap of two chunks, every duplication of a chunk at every position, every deletion. */
export function* chunkEdits(env: Uint8Array, layout: EnvelopeLayout): Generator<MutationCase> {
  const { chunks } = layout;
  const build = (order: Uint8Array[]) => concatBytes(head(env, layout), ...order);
  for (let i = 0; i < chunks.length; i++) {
    for (let j = i + 1; j < chunks.length; j++) {
      const order = chunks.slice();
      [order[i], order[j]] = [order[j]!, order[i]!];
      yield { kind: 'chunk swap', region: `chunks ${i} and ${j}`, bytes: build(order), expected: [TAMPERED] };
    }
    for (let to = 0; to <= chunks.length; to++) {
      const order = chunks.slice();
      order.splice(to, 0, chunks[i]!);
      yield { kind: 'chunk duplication', region: `chunk ${i} at ${to}`, bytes: build(order), expected: [TAMPERED] };
    }
    const order = chunks.slice();
    order.splice(i, 1);
    yield { kind: 'chunk deletion', region: `chunk ${i}`, bytes: build(order), expected: [TAMPERED] };
  }
}

/** Rebuild prefix || header || mac for a re-encoded header. */
function withHeader(env: Uint8Array, layout: EnvelopeLayout, header: Uint8Array, mac: Uint8Array): Uint8Array {
  return concatBytes(encodePrefix(header.length), header, mac, env.subarray(layout.payloadStart));
}

/**
 * Splices of envelope `a` with `b`, both sealed by the same sender to the same recipients (so
 * every piece is individually genuine): b's payload (or one chunk of it) after a's header; b's
 * header MAC in a; each of b's stanzas in place of a's; a's stanzas in another order.
 */
export function* splices(a: Uint8Array, b: Uint8Array): Generator<MutationCase> {
  const la = layoutOf(a);
  const lb = layoutOf(b);
  yield { kind: 'splice', region: "a's header + b's payload", bytes: concatBytes(head(a, la), b.subarray(lb.payloadStart)), expected: [TAMPERED] };
  yield { kind: 'splice', region: "b's header + a's payload", bytes: concatBytes(head(b, lb), a.subarray(la.payloadStart)), expected: [TAMPERED] };
  for (let i = 0; i < Math.min(la.chunks.length, lb.chunks.length); i++) {
    const order = la.chunks.slice();
    order[i] = lb.chunks[i]!;
    yield { kind: 'splice', region: `b's chunk ${i} in a`, bytes: concatBytes(head(a, la), ...order), expected: [TAMPERED] };
  }
  const aHeaderBytes = a.subarray(PREFIX_BYTES, PREFIX_BYTES + la.headerLength);
  const bMac = b.subarray(lb.payloadStart - HEADER_MAC_BYTES, lb.payloadStart);
  const aMac = a.subarray(la.payloadStart - HEADER_MAC_BYTES, la.payloadStart);
  yield { kind: 'splice', region: "b's header MAC in a", bytes: withHeader(a, la, aHeaderBytes, bMac), expected: [HEADER_TAMPERED] };
  const ha = decodeHeader(aHeaderBytes);
  const hb = decodeHeader(b.subarray(PREFIX_BYTES, PREFIX_BYTES + lb.headerLength));
  for (let i = 0; i < ha.stanzas.length; i++) {
    const stanzas = ha.stanzas.slice();
    stanzas[i] = hb.stanzas[i]!;
    // The stanza unwraps b's file key, which a's commitment and MAC do not match (SPEC 6.3).
    yield { kind: 'splice', region: `b's stanza ${i} in a`, bytes: withHeader(a, la, encodeHeader({ ...ha, stanzas }), aMac), expected: [HEADER_TAMPERED, 'ERR_ENVELOPE_NOT_FOR_ME'] };
  }
  if (ha.stanzas.length > 1) {
    const stanzas = [...ha.stanzas].reverse();
    yield { kind: 'stanza swap', region: "a's stanzas reversed", bytes: withHeader(a, la, encodeHeader({ ...ha, stanzas }), aMac), expected: [HEADER_TAMPERED] };
  }
  yield { kind: 'splice', region: "b's salt in a", bytes: withHeader(a, la, encodeHeader({ ...ha, salt: hb.salt }), aMac), expected: [HEADER_TAMPERED] };
  yield { kind: 'splice', region: "b's meta in a", bytes: withHeader(a, la, encodeHeader({ ...ha, meta: hb.meta }), aMac), expected: [HEADER_TAMPERED] };
}

/** Counts of one mutation run. */
export interface MutationReport {
  cases: number;
  acceptances: MutationCase[];
  unexpected: { c: MutationCase; code: string }[];
  /** kind -> code -> count */
  byKind: Map<string, Map<string, number>>;
  /** region of bit flips -> code -> count */
  flipsByRegion: Map<string, Map<string, number>>;
}

const bump = (m: Map<string, Map<string, number>>, k: string, code: string) => {
  const inner = m.get(k) ?? new Map<string, number>();
  inner.set(code, (inner.get(code) ?? 0) + 1);
  m.set(k, inner);
};

/** Open every case with `options`; anything but a LintasError is rethrown (a crash). */
export async function runMutations(cases: Iterable<MutationCase>, options: OpenOptions, progress?: (n: number) => void): Promise<MutationReport> {
  const r: MutationReport = { cases: 0, acceptances: [], unexpected: [], byKind: new Map(), flipsByRegion: new Map() };
  for (const c of cases) {
    r.cases++;
    let code: string;
    try {
      await open(c.bytes, options);
      code = 'ACCEPTED';
      r.acceptances.push(c);
    } catch (e) {
      if (!(e instanceof LintasError)) throw new Error(`${c.kind} (${c.region}) crashed the reader: ${(e as Error).message}`, { cause: e });
      code = e.code;
      if (!c.expected.includes(e.code)) r.unexpected.push({ c, code });
    }
    bump(r.byKind, c.kind, code);
    if (c.kind === 'bit flip') bump(r.flipsByRegion, c.region, code);
    if (progress && r.cases % 5000 === 0) progress(r.cases);
  }
  return r;
}

/** Format a count table: one line per key, codes by frequency. */
export function formatCounts(m: Map<string, Map<string, number>>): string[] {
  return [...m].map(([k, codes]) => {
    const total = [...codes.values()].reduce((a, b) => a + b, 0);
    return `  ${k}: ${total.toLocaleString('en')} (${[...codes].sort((x, y) => y[1] - x[1]).map(([c, n]) => `${c} ${n.toLocaleString('en')}`).join(', ')})`;
  });
}
