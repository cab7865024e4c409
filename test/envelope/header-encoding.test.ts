/**
 * The envelope's key-free encoding layer on its own: prefix (encodePrefix/decodePrefix), header
 * (encodeHeader/decodeHeader) and meta block (encodeMeta/decodeMeta). Round trips over random
 * structures, then every structural rejection and every limit of LIMITS (SPEC section 7) at its
 * boundary, with the error code a reader must give.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeCanonical, encodeCanonical, type CborMap, type CborValue } from '../../src/cbor/index.js';
import { isLintasError, type LintasErrorCode } from '../../src/errors/index.js';
import {
  COMMIT_BYTES,
  ENVELOPE_ID_BYTES,
  FORMAT_VERSION,
  LIMITS,
  MAGIC,
  PREFIX_BYTES,
  RECIPIENT_ID_BYTES,
  SALT_BYTES,
} from '../../src/envelope/constants.js';
import { decodeHeader, decodePrefix, encodeHeader, encodePrefix, type EnvelopeHeader, type RecipientStanza } from '../../src/envelope/header.js';
import { decodeMeta, encodeMeta, type EnvelopeMeta } from '../../src/envelope/meta.js';
import { paddedMetaLength } from '../../src/envelope/padding.js';

const utf8Length = (s: string): number => new TextEncoder().encode(s).length;
const filled = (n: number, byte = 0xab): Uint8Array => new Uint8Array(n).fill(byte);

/** The code a call fails with, or 'ok'. Anything that is not a LintasError is reported by class. */
function codeOf(f: () => unknown): LintasErrorCode | 'ok' | string {
  try {
    f();
    return 'ok';
  } catch (e) {
    return isLintasError(e) ? e.code : `not a LintasError: ${(e as Error)?.constructor?.name}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Prefix

describe('prefix', () => {
  it('round-trips every allowed header length', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 1, max: LIMITS.maxHeaderBytes }), fc.constantFrom(1, 255, 256, 65536, LIMITS.maxHeaderBytes)), (n) => {
        const p = encodePrefix(n);
        expect(p).toHaveLength(PREFIX_BYTES);
        expect(Array.from(p.subarray(0, 6))).toEqual(Array.from(MAGIC));
        expect(p[6]).toBe(FORMAT_VERSION);
        expect(decodePrefix(p)).toBe(n);
      }),
    );
  });

  it('reads the prefix from a view into a larger buffer', () => {
    const buf = new Uint8Array(40);
    buf.set(encodePrefix(1234), 7);
    expect(decodePrefix(buf.subarray(7, 7 + PREFIX_BYTES))).toBe(1234);
  });

  const withByte = (i: number, v: number, length = 100): Uint8Array => {
    const p = encodePrefix(length);
    p[i] = v;
    return p;
  };
  const withLength = (n: number): Uint8Array => {
    const p = encodePrefix(1);
    new DataView(p.buffer).setUint32(7, n, false);
    return p;
  };

  it.each<[string, Uint8Array, LintasErrorCode]>([
    ['empty input', new Uint8Array(0), 'ERR_ENVELOPE_MALFORMED'],
    ['wrong first magic byte', withByte(0, 0x6c), 'ERR_ENVELOPE_MALFORMED'],
    ['wrong last magic byte', withByte(5, 0x58), 'ERR_ENVELOPE_MALFORMED'],
    ['not a lintas file at all', new TextEncoder().encode('age-encryption.org/v1'), 'ERR_ENVELOPE_MALFORMED'],
    ['short input that is not lintas', new TextEncoder().encode('LIX'), 'ERR_ENVELOPE_MALFORMED'],
    ['version 0', withByte(6, 0), 'ERR_ENVELOPE_UNSUPPORTED_VERSION'],
    ['version 2', withByte(6, 2), 'ERR_ENVELOPE_UNSUPPORTED_VERSION'],
    ['version 255', withByte(6, 255), 'ERR_ENVELOPE_UNSUPPORTED_VERSION'],
    // The version is read before the length, so a future format is named as such.
    ['version 2 with a zero length', (() => { const p = withLength(0); p[6] = 2; return p; })(), 'ERR_ENVELOPE_UNSUPPORTED_VERSION'],
    ['version 2 cut short after the version byte', withByte(6, 2).subarray(0, 7), 'ERR_ENVELOPE_UNSUPPORTED_VERSION'],
    ['lintas magic cut short', MAGIC.subarray(0, 4), 'ERR_ENVELOPE_TRUNCATED'],
    ['lintas prefix cut inside the length', encodePrefix(100).subarray(0, 9), 'ERR_ENVELOPE_TRUNCATED'],
    ['header length 0', withLength(0), 'ERR_ENVELOPE_MALFORMED'],
    ['header length maxHeaderBytes + 1', withLength(LIMITS.maxHeaderBytes + 1), 'ERR_ENVELOPE_LIMIT_EXCEEDED'],
    ['header length 2^32 - 1', withLength(0xffffffff), 'ERR_ENVELOPE_LIMIT_EXCEEDED'],
  ])('%s -> %s', (_what, prefix, code) => {
    expect(codeOf(() => decodePrefix(prefix))).toBe(code);
  });

  it('accepts a header length of exactly maxHeaderBytes', () => {
    expect(decodePrefix(withLength(LIMITS.maxHeaderBytes))).toBe(LIMITS.maxHeaderBytes);
  });

  it('fails only with a LintasError on arbitrary bytes', () => {
    const allowed = ['ok', 'ERR_ENVELOPE_MALFORMED', 'ERR_ENVELOPE_TRUNCATED', 'ERR_ENVELOPE_UNSUPPORTED_VERSION', 'ERR_ENVELOPE_LIMIT_EXCEEDED'];
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 16 }), fc.uint8Array({ minLength: 5, maxLength: 11 }).map((b) => { b.set(MAGIC.subarray(0, Math.min(6, b.length))); return b; })), (b) => {
        expect(allowed).toContain(codeOf(() => decodePrefix(b)));
      }),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Header

const bytesOf = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n });

const stanzaArb = (hidden: boolean): fc.Arbitrary<RecipientStanza> =>
  fc.record({
    type: fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }).filter((t) => utf8Length(t) <= LIMITS.maxStanzaTypeBytes),
    recipientId: hidden ? fc.constant(null) : bytesOf(RECIPIENT_ID_BYTES),
    args: fc.array(fc.uint8Array({ maxLength: 120 }), { maxLength: LIMITS.maxStanzaArgs }),
    body: fc.uint8Array({ maxLength: 120 }),
  });

const headerArb: fc.Arbitrary<EnvelopeHeader> = fc.boolean().chain((hidden) =>
  fc.record({
    chunkExponent: fc.integer({ min: LIMITS.minChunkExponent, max: LIMITS.maxChunkExponent }),
    commit: bytesOf(COMMIT_BYTES),
    meta: fc.uint8Array({ maxLength: 300 }),
    salt: bytesOf(SALT_BYTES),
    stanzas: fc.array(stanzaArb(hidden), { minLength: 1, maxLength: 6 }),
  }),
);

/** A valid header map as the wire has it; `undefined` in `overrides` removes a key. */
function headerMap(overrides: Record<string, CborValue | undefined> = {}): CborMap {
  return {
    chunk: 16,
    commit: filled(COMMIT_BYTES, 1),
    meta: filled(80, 2),
    salt: filled(SALT_BYTES, 3),
    stanzas: [['X25519', filled(RECIPIENT_ID_BYTES, 4), [filled(32, 5)], filled(48, 6)]],
    ...overrides,
  } as CborMap;
}

function headerWith(overrides: Record<string, CborValue | undefined>): Uint8Array {
  return encodeCanonical(headerMap(overrides));
}

function stanzasHeader(...stanzas: CborValue[]): Uint8Array {
  return headerWith({ stanzas });
}

describe('header round trip', () => {
  it('decodeHeader(encodeHeader(h)) equals h, and re-encoding gives the same bytes', () => {
    fc.assert(
      fc.property(headerArb, (h) => {
        const bytes = encodeHeader(h);
        const back = decodeHeader(bytes);
        expect(back).toEqual(h);
        expect(encodeHeader(back)).toEqual(bytes);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps stanza order and hidden recipient ids (null)', () => {
    const h: EnvelopeHeader = {
      chunkExponent: 12,
      commit: filled(32, 1),
      meta: new Uint8Array(0),
      salt: filled(32, 2),
      stanzas: [
        { type: 'X-Wing', recipientId: null, args: [filled(1120, 7)], body: filled(48, 8) },
        { type: 'X25519', recipientId: null, args: [filled(32, 9)], body: filled(48, 10) },
      ],
    };
    expect(decodeHeader(encodeHeader(h))).toEqual(h);
  });

  it('fails only with ERR_ENVELOPE_MALFORMED or ERR_ENVELOPE_LIMIT_EXCEEDED when any byte is changed', () => {
    fc.assert(
      fc.property(headerArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (h, pos, delta) => {
        const bytes = encodeHeader(h);
        const i = pos % bytes.length;
        bytes[i] = (bytes[i]! + delta) & 0xff;
        expect(['ok', 'ERR_ENVELOPE_MALFORMED', 'ERR_ENVELOPE_LIMIT_EXCEEDED']).toContain(codeOf(() => decodeHeader(bytes)));
      }),
      { numRuns: 500 },
    );
  });
});

describe('header structure: each rejection gives ERR_ENVELOPE_MALFORMED', () => {
  const rid = filled(RECIPIENT_ID_BYTES, 4);
  const ok = ['X25519', rid, [filled(32)], filled(48)];
  const cases: [string, Uint8Array][] = [
    ['empty bytes', new Uint8Array(0)],
    ['not CBOR at all', new TextEncoder().encode('{"chunk":16}')],
    ['non-canonical CBOR (keys out of order)', new Uint8Array([0xa2, 0x61, 0x62, 0x01, 0x61, 0x61, 0x02])],
    ['canonical header followed by a byte', new Uint8Array([...headerWith({}), 0])],
    ['a float inside', new Uint8Array([0xa1, 0x65, ...new TextEncoder().encode('chunk'), 0xf9, 0x4c, 0x00])],
    ['an array instead of a map', encodeCanonical([16])],
    ['a byte string instead of a map', encodeCanonical(filled(8))],
    ['null instead of a map', encodeCanonical(null)],
    ['missing chunk', headerWith({ chunk: undefined })],
    ['missing commit', headerWith({ commit: undefined })],
    ['missing meta', headerWith({ meta: undefined })],
    ['missing salt', headerWith({ salt: undefined })],
    ['missing stanzas', headerWith({ stanzas: undefined })],
    ['an unknown key', headerWith({ extra: 1 })],
    ['an unknown key that sorts first', headerWith({ a: null })],
    ['chunk as a byte string', headerWith({ chunk: filled(1, 16) })],
    ['chunk as text', headerWith({ chunk: '16' })],
    ['commit of 31 bytes', headerWith({ commit: filled(31) })],
    ['commit of 33 bytes', headerWith({ commit: filled(33) })],
    ['commit as text', headerWith({ commit: 'x'.repeat(32) })],
    ['salt of 0 bytes', headerWith({ salt: new Uint8Array(0) })],
    ['salt of 64 bytes', headerWith({ salt: filled(64) })],
    ['meta as text', headerWith({ meta: 'secret' })],
    ['meta as an array', headerWith({ meta: [filled(4)] })],
    ['stanzas as a map', headerWith({ stanzas: { a: 1 } })],
    ['stanzas as a byte string', headerWith({ stanzas: filled(4) })],
    ['no stanzas', stanzasHeader()],
    ['a stanza of 3 elements', stanzasHeader(['X25519', rid, [filled(32)]])],
    ['a stanza of 5 elements', stanzasHeader([...ok, filled(1)])],
    ['a stanza that is a map', stanzasHeader({ type: 'X25519' })],
    ['a stanza type that is a byte string', stanzasHeader([filled(6), rid, [], filled(48)])],
    ['an empty stanza type', stanzasHeader(['', rid, [], filled(48)])],
    ['a recipient id of 31 bytes', stanzasHeader(['X25519', filled(31), [], filled(48)])],
    ['a recipient id of 33 bytes', stanzasHeader(['X25519', filled(33), [], filled(48)])],
    ['a recipient id as text', stanzasHeader(['X25519', 'a'.repeat(32), [], filled(48)])],
    ['a recipient id of false', stanzasHeader(['X25519', false, [], filled(48)])],
    ['args as a byte string', stanzasHeader(['X25519', rid, filled(32), filled(48)])],
    ['an arg that is text', stanzasHeader(['X25519', rid, ['abc'], filled(48)])],
    ['an arg that is null', stanzasHeader(['X25519', rid, [null], filled(48)])],
    ['a body that is text', stanzasHeader(['X25519', rid, [], 'body'])],
    ['a body that is null', stanzasHeader(['X25519', rid, [], null])],
    ['hidden and visible stanzas mixed', stanzasHeader(ok, ['X25519', null, [filled(32)], filled(48)])],
    ['visible after hidden', stanzasHeader(['X25519', null, [filled(32)], filled(48)], ok)],
  ];

  it.each(cases)('%s', (_what, bytes) => {
    expect(codeOf(() => decodeHeader(bytes))).toBe('ERR_ENVELOPE_MALFORMED');
  });

  it('accepts the unmodified base header', () => {
    expect(codeOf(() => decodeHeader(headerWith({})))).toBe('ok');
  });
});

describe('header limits (LIMITS): at the limit passes, one over gives ERR_ENVELOPE_LIMIT_EXCEEDED', () => {
  const stanza = (type: string, body: number, args: Uint8Array[] = [], rid: Uint8Array | null = null): CborValue => [type, rid, args, filled(body)];

  const cases: [string, Uint8Array, Uint8Array][] = [
    ['minChunkExponent', headerWith({ chunk: LIMITS.minChunkExponent }), headerWith({ chunk: LIMITS.minChunkExponent - 1 })],
    ['maxChunkExponent', headerWith({ chunk: LIMITS.maxChunkExponent }), headerWith({ chunk: LIMITS.maxChunkExponent + 1 })],
    ['maxMetaBytes', headerWith({ meta: filled(LIMITS.maxMetaBytes) }), headerWith({ meta: filled(LIMITS.maxMetaBytes + 1) })],
    [
      'maxStanzas',
      stanzasHeader(...Array.from({ length: LIMITS.maxStanzas }, () => stanza('X', 1))),
      stanzasHeader(...Array.from({ length: LIMITS.maxStanzas + 1 }, () => stanza('X', 1))),
    ],
    // Stanza size = UTF-8 bytes of the type + recipient id + every arg + body.
    ['maxStanzaBytes (body only)', stanzasHeader(stanza('X', LIMITS.maxStanzaBytes - 1)), stanzasHeader(stanza('X', LIMITS.maxStanzaBytes))],
    [
      'maxStanzaBytes (all parts counted)',
      stanzasHeader(stanza('XY', LIMITS.maxStanzaBytes - 2 - 32 - 200 - 100, [filled(200), filled(100)], filled(32))),
      stanzasHeader(stanza('XY', LIMITS.maxStanzaBytes - 2 - 32 - 200 - 100 + 1, [filled(200), filled(100)], filled(32))),
    ],
    [
      'maxStanzaBytes (type counted in UTF-8 bytes)',
      stanzasHeader(stanza('\u00e9'.repeat(8), LIMITS.maxStanzaBytes - 16)),
      stanzasHeader(stanza('\u00e9'.repeat(8), LIMITS.maxStanzaBytes - 15)),
    ],
    ['maxStanzaTypeBytes', stanzasHeader(stanza('t'.repeat(LIMITS.maxStanzaTypeBytes), 48)), stanzasHeader(stanza('t'.repeat(LIMITS.maxStanzaTypeBytes + 1), 48))],
    [
      'maxStanzaTypeBytes (in UTF-8 bytes, not UTF-16 units)',
      stanzasHeader(stanza('\u00e9'.repeat(LIMITS.maxStanzaTypeBytes / 2), 48)),
      stanzasHeader(stanza('\u00e9'.repeat(LIMITS.maxStanzaTypeBytes / 2 + 1), 48)),
    ],
    [
      'maxStanzaArgs',
      stanzasHeader(stanza('X', 48, Array.from({ length: LIMITS.maxStanzaArgs }, () => filled(8)))),
      stanzasHeader(stanza('X', 48, Array.from({ length: LIMITS.maxStanzaArgs + 1 }, () => filled(8)))),
    ],
    // A normal header already reaches depth 4 (map > stanzas > stanza > args > arg); one more
    // level inside an arg is too deep, and is refused before any structural check.
    ['maxCborDepth', stanzasHeader(stanza('X', 48, [filled(8)])), stanzasHeader(['X', null, [[filled(8)]], filled(48)])],
    // SPEC 2 rule 9: a declared length over 1,024 is refused at its head, so a body that is an
    // array (otherwise merely malformed) is a limit error. At the limit: 1,024 stanzas.
    [
      'maxCborLength',
      stanzasHeader(...Array.from({ length: LIMITS.maxCborLength }, () => stanza('X', 1))),
      stanzasHeader(stanza('X', 48), ['X', null, [], Array.from({ length: LIMITS.maxCborLength + 1 }, () => 0)]),
    ],
    // The largest valid header: 1,024 stanzas of 4 args each is exactly maxCborItems items; one
    // more key and value in the map (otherwise an unknown key) goes over.
    [
      'maxCborItems',
      stanzasHeader(...Array.from({ length: LIMITS.maxStanzas }, () => stanza('X', 1, [filled(1), filled(1), filled(1), filled(1)]))),
      headerWith({ x: 0, stanzas: Array.from({ length: LIMITS.maxStanzas }, () => stanza('X', 1, [filled(1), filled(1), filled(1), filled(1)])) }),
    ],
  ];

  it.each(cases)('%s', (_what, atLimit, overLimit) => {
    expect(codeOf(() => decodeHeader(atLimit))).toBe('ok');
    expect(codeOf(() => decodeHeader(overLimit))).toBe('ERR_ENVELOPE_LIMIT_EXCEEDED');
  });

  it('covers every header limit in LIMITS (maxHeaderBytes is the prefix test, maxContentTypeBytes the meta test)', () => {
    const covered = new Set(cases.map(([what]) => what.split(' ')[0]!));
    covered.add('maxHeaderBytes');
    covered.add('maxContentTypeBytes');
    expect([...covered].sort()).toEqual(Object.keys(LIMITS).sort());
  });

  it('a too-deep structure is a limit error even where the structure is also wrong', () => {
    expect(codeOf(() => decodeHeader(encodeCanonical([[[[[[0]]]]]])))).toBe('ERR_ENVELOPE_LIMIT_EXCEEDED');
  });
});

// ---------------------------------------------------------------------------------------------
// Meta

const metaArb: fc.Arbitrary<EnvelopeMeta> = fc
  .record({
    id: bytesOf(ENVELOPE_ID_BYTES),
    created: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER - 1 }),
    expiresAfter: fc.option(fc.nat(), { nil: null }),
    sender: fc.option(bytesOf(32), { nil: null }),
    to: fc.array(bytesOf(RECIPIENT_ID_BYTES), { minLength: 1, maxLength: 5 }),
    len: fc.option(fc.maxSafeNat(), { nil: null }),
    contentType: fc.option(fc.string({ unit: 'binary', maxLength: 40 }), { nil: null }),
    padded: fc.boolean(),
  })
  .map(({ expiresAfter, ...m }) => ({
    ...m,
    // SPEC 5.3: a padded meta block always declares the payload length.
    len: m.padded ? (m.len ?? 0) : m.len,
    expires: expiresAfter === null ? null : Math.min(Number.MAX_SAFE_INTEGER, m.created + 1 + expiresAfter),
  }));

function metaMap(overrides: Record<string, CborValue | undefined> = {}): Uint8Array {
  return encodeCanonical({ created: 1_700_000_000, id: filled(ENVELOPE_ID_BYTES), to: [filled(RECIPIENT_ID_BYTES)], ...overrides } as CborMap);
}

describe('meta round trip', () => {
  it('decodeMeta(encodeMeta(m)) equals m, with every optional field present or absent', () => {
    fc.assert(
      fc.property(metaArb, (m) => {
        // A header of 8 stanzas has room for the at most 5 recipients of metaArb.
        const bytes = encodeMeta(m, 8);
        expect(decodeMeta(bytes, 8)).toEqual(m);
        expect(encodeMeta(decodeMeta(bytes, 8), 8)).toEqual(bytes);
        if (m.padded) expect(bytes.length).toBe(paddedMetaLength(8));
      }),
      { numRuns: 300 },
    );
  });

  it('a padded meta block has one length per stanza count, from the smallest content to the largest (SPEC 5.6)', () => {
    const id = filled(ENVELOPE_ID_BYTES);
    for (const stanzas of [1, 4, 23, 24, 255, 256, 1024]) {
      const smallest: EnvelopeMeta = { id, created: 0, expires: null, sender: null, to: [filled(32)], len: 0, contentType: null, padded: true };
      const largest: EnvelopeMeta = {
        id,
        created: Number.MAX_SAFE_INTEGER - 1,
        expires: Number.MAX_SAFE_INTEGER,
        sender: filled(32),
        to: Array.from({ length: stanzas }, () => filled(32)),
        len: Number.MAX_SAFE_INTEGER,
        contentType: '€'.repeat(85) + 'x',
        padded: true,
      };
      expect(new TextEncoder().encode(largest.contentType!).length).toBe(256);
      for (const m of [smallest, largest]) {
        const bytes = encodeMeta(m, stanzas);
        expect(bytes.length).toBe(paddedMetaLength(stanzas));
        expect(decodeMeta(bytes, stanzas)).toEqual(m);
        // The same block read as belonging to a header with one stanza more is refused.
        expect(() => decodeMeta(bytes, stanzas + 1)).toThrow();
      }
    }
  });

  it('refuses a padded meta block with non-zero padding or without "len"', () => {
    const good = encodeMeta({ id: filled(16), created: 5, expires: null, sender: null, to: [filled(32)], len: 3, contentType: null, padded: true }, 4);
    expect(decodeMeta(good, 4).padded).toBe(true);
    const pad = (decodeCanonical(good) as CborMap).pad as Uint8Array;
    const nonZero = pad.slice();
    nonZero[nonZero.length - 1] = 1;
    expect(() => decodeMeta(metaMap({ created: 5, len: 3, pad: nonZero }), 4)).toThrow();
    expect(() => decodeMeta(metaMap({ created: 5, pad: new Uint8Array(pad.length + 4) }), 4)).toThrow();
    expect(decodeMeta(metaMap({ created: 5, len: 3, pad }), 4).padded).toBe(true);
  });

  it('writes absent optional fields as absent keys, not as null', () => {
    const m: EnvelopeMeta = { id: filled(16), created: 5, expires: null, sender: null, to: [filled(32)], len: null, contentType: null, padded: false };
    expect(encodeMeta(m)).toEqual(metaMap({ created: 5 }));
  });
});

describe('meta rejections (the opener reports each as ERR_ENVELOPE_TAMPERED)', () => {
  // decodeMeta runs only on an authenticated, decrypted block; open() maps any failure here to
  // the single ERR_ENVELOPE_TAMPERED, so these assert that it fails, not how.
  const cases: [string, Uint8Array][] = [
    ['not CBOR', new Uint8Array([0xff])],
    ['not a map', encodeCanonical([1])],
    ['trailing byte', new Uint8Array([...metaMap(), 0])],
    ['missing created', metaMap({ created: undefined })],
    ['missing id', metaMap({ id: undefined })],
    ['missing to', metaMap({ to: undefined })],
    ['unknown key', metaMap({ from: filled(32) })],
    ['id of 15 bytes', metaMap({ id: filled(15) })],
    ['id of 17 bytes', metaMap({ id: filled(17) })],
    ['created as text', metaMap({ created: '1700000000' })],
    ['expires as a byte string', metaMap({ expires: filled(4) })],
    ['expires before created', metaMap({ created: 100, expires: 99 })],
    ['sender of 31 bytes', metaMap({ sender: filled(31) })],
    ['sender as null', metaMap({ sender: null })],
    ['len as text', metaMap({ len: '5' })],
    ['to empty', metaMap({ to: [] })],
    ['to as a byte string', metaMap({ to: filled(32) })],
    ['to with a 31-byte id', metaMap({ to: [filled(32), filled(31)] })],
    ['to with maxStanzas + 1 ids', metaMap({ to: Array.from({ length: LIMITS.maxStanzas + 1 }, () => filled(32)) })],
    ['cty as a byte string', metaMap({ cty: filled(4) })],
    ['cty of maxContentTypeBytes + 1 bytes', metaMap({ cty: 'a'.repeat(LIMITS.maxContentTypeBytes + 1) })],
    ['cty over the limit in UTF-8 bytes only', metaMap({ cty: '\u00e9'.repeat(LIMITS.maxContentTypeBytes / 2 + 1) })],
    ['nesting deeper than maxCborDepth', metaMap({ to: [[[[[filled(32)]]]]] })],
    // SPEC 5.3 and 6.4: expires strictly after created, for writers and readers alike.
    ['expires equal to created', metaMap({ created: 100, expires: 100 })],
  ];

  it.each(cases)('%s', (_what, bytes) => {
    expect(() => decodeMeta(bytes)).toThrow();
  });

  it.each<[string, Uint8Array]>([
    ['to with maxStanzas ids', metaMap({ to: Array.from({ length: LIMITS.maxStanzas }, () => filled(32)) })],
    ['cty of maxContentTypeBytes bytes', metaMap({ cty: 'a'.repeat(LIMITS.maxContentTypeBytes) })],
    ['cty of maxContentTypeBytes UTF-8 bytes', metaMap({ cty: '\u00e9'.repeat(LIMITS.maxContentTypeBytes / 2) })],
  ])('accepts %s', (_what, bytes) => {
    expect(() => decodeMeta(bytes)).not.toThrow();
  });
});
