/**
 * encodeCanonical / decodeCanonical over the whole lintas profile: property tests with
 * fast-check (round trip, one encoding per value, key order independence, truncation), the
 * uint64 form of large integers, TypeError for every kind of value outside the profile, and the
 * same bytes as cbor-x's encoder, which lintas used (with a strict re-decode of every output)
 * before it had an encoder of its own.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Encoder } from 'cbor-x';
import { CborDecodeError, decodeCanonical, encodeCanonical, type CborMap, type CborValue } from '../../src/cbor/index.js';

const DEPTH = { maxDepth: 64 };

/** Keys the encoder accepts: any well-formed string except integer-like ones and "__proto__". */
const mapKey = fc
  .oneof(
    fc.string({ unit: 'binary', maxLength: 12 }),
    // Short keys from a few letters: maps often hold several of one length (ASCII, and mixed
    // with a two-byte letter), which is where the order rule of RFC 8949 4.2.1 does its work.
    fc.string({ unit: fc.constantFrom('a', 'b', 'z', 'A', '\u00e9'), maxLength: 3 }),
  )
  .filter((k) => !/^(0|[1-9]\d*)$/.test(k) && k !== '__proto__');

const interestingInts = fc.constantFrom(0, 1, 23, 24, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 53 - 2, 2 ** 53 - 1);

const leaf: fc.Arbitrary<CborValue> = fc.oneof(
  fc.maxSafeNat(),
  fc.nat(1000),
  interestingInts,
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.uint8Array({ maxLength: 300 }),
  fc.boolean(),
  fc.constant(null),
);

const { value: profileValue } = fc.letrec<{ value: CborValue; array: CborValue[]; map: CborMap }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('array'), tie('map')),
  array: fc.array(tie('value'), { maxLength: 6 }),
  map: fc.dictionary(mapKey, tie('value'), { maxKeys: 6 }),
}));

function hexOf(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** The same map built with its keys inserted in the reverse order (nested maps too). */
function reversedInsertion(v: CborValue): CborValue {
  if (Array.isArray(v)) return v.map(reversedInsertion);
  if (v === null || typeof v !== 'object' || v instanceof Uint8Array) return v;
  const out: CborMap = {};
  for (const k of Object.keys(v).reverse()) out[k] = reversedInsertion(v[k]!);
  return out;
}

describe('round trip over the profile (fast-check)', () => {
  it('decode(encode(v)) equals v', () => {
    fc.assert(
      fc.property(profileValue, (v) => {
        expect(decodeCanonical(encodeCanonical(v), DEPTH)).toEqual(v);
      }),
      { numRuns: 500 },
    );
  });

  it('has one encoding per value: re-encoding the decoded value gives the same bytes', () => {
    fc.assert(
      fc.property(profileValue, (v) => {
        const bytes = encodeCanonical(v);
        expect(hexOf(encodeCanonical(decodeCanonical(bytes, DEPTH)))).toBe(hexOf(bytes));
      }),
      { numRuns: 500 },
    );
  });

  it('does not depend on the order in which map keys were inserted', () => {
    fc.assert(
      fc.property(profileValue, (v) => {
        expect(hexOf(encodeCanonical(reversedInsertion(v)))).toBe(hexOf(encodeCanonical(v)));
      }),
      { numRuns: 300 },
    );
  });

  it("gives cbor-x's bytes (the encoder it replaced, configured as lintas configured it) for every value", () => {
    const cborX = new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false, variableMapSize: true, useTag259ForMaps: false, pack: false } as ConstructorParameters<typeof Encoder>[0]);
    // What lintas handed cbor-x: maps with their keys in canonical order (cbor-x keeps insertion
    // order), integers above 2^32 as BigInt (cbor-x writes them as floats otherwise).
    const forCborX = (v: CborValue): unknown => {
      if (typeof v === 'number') return v > 0xffffffff ? BigInt(v) : v;
      if (v === null || typeof v !== 'object' || v instanceof Uint8Array) return v;
      if (Array.isArray(v)) return v.map(forCborX);
      const utf8 = (k: string) => new TextEncoder().encode(k);
      const order = (a: string, b: string) => {
        const ea = utf8(a);
        const eb = utf8(b);
        if (ea.length !== eb.length) return ea.length - eb.length;
        for (let i = 0; i < ea.length; i++) if (ea[i] !== eb[i]) return ea[i]! - eb[i]!;
        return 0;
      };
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort(order)) out[k] = forCborX(v[k]!);
      return out;
    };
    fc.assert(
      fc.property(profileValue, (v) => {
        expect(hexOf(encodeCanonical(v))).toBe(hexOf(cborX.encode(forCborX(v)) as Uint8Array));
      }),
      { numRuns: 1000 },
    );
  });

  it('rejects every truncation and every appended byte', () => {
    fc.assert(
      fc.property(profileValue, fc.integer({ min: 0, max: 255 }), (v, extra) => {
        const bytes = encodeCanonical(v);
        for (let n = 0; n < bytes.length; n++) {
          expect(() => decodeCanonical(bytes.subarray(0, n), DEPTH)).toThrow(CborDecodeError);
        }
        expect(() => decodeCanonical(new Uint8Array([...bytes, extra]), DEPTH)).toThrow(CborDecodeError);
      }),
      { numRuns: 150 },
    );
  });

  it('writes every unsigned safe integer in its shortest head and reads it back', () => {
    fc.assert(
      fc.property(fc.oneof(fc.maxSafeNat(), interestingInts, fc.nat(70000)), (n) => {
        const bytes = encodeCanonical(n);
        const expectedLength = n < 24 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : n < 0x100000000 ? 5 : 9;
        expect(bytes.length).toBe(expectedLength);
        expect(bytes[0]! >> 5).toBe(0);
        expect(decodeCanonical(bytes)).toBe(n);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('integers above 2^32 use the uint64 form, never a float', () => {
  it.each([
    [2 ** 32, '1b0000000100000000'],
    [2 ** 32 + 1, '1b0000000100000001'],
    [2 ** 40, '1b0000010000000000'],
    [1_700_000_000_000, '1b0000018bcfe56800'],
    [2 ** 53 - 1, '1b001fffffffffffff'],
  ])('%d -> %s', (n, h) => {
    const bytes = encodeCanonical(n);
    expect(hexOf(bytes)).toBe(h);
    expect(decodeCanonical(bytes)).toBe(n);
    expect(decodeCanonical(encodeCanonical({ t: n }))).toEqual({ t: n });
  });
});

describe('encodeCanonical refuses values outside the profile with TypeError', () => {
  const deep = (levels: number): CborValue => {
    let v: CborValue = 0;
    for (let i = 0; i < levels; i++) v = [v];
    return v;
  };
  class Point {
    x = 1;
  }
  const withProtoKey = JSON.parse('{"__proto__": 1}') as CborValue;
  const cases: [string, unknown][] = [
    ['a negative integer', -1],
    ['a negative integer in a map', { a: -5 }],
    ['a fraction', 1.5],
    ['a fraction in an array', [0, 0.1]],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
    ['2^53 (not a safe integer)', 2 ** 53],
    ['Number.MAX_VALUE', Number.MAX_VALUE],
    ['a bigint', 10n],
    ['undefined', undefined],
    ['undefined in an array', [1, undefined]],
    ['an array with a hole', [1, , 3]],
    ['a symbol', Symbol('x')],
    ['a function', () => 1],
    ['a Date', new Date(0)],
    ['a Map', new Map([['a', 1]])],
    ['a Set', new Set([1])],
    ['a class instance', new Point()],
    ['a Uint16Array', new Uint16Array([1, 2])],
    ['an ArrayBuffer', new ArrayBuffer(4)],
    ['an integer-like key "0"', { '0': 1 }],
    ['an integer-like key "12"', { a: { '12': 1 } }],
    ['a "__proto__" key', withProtoKey],
    ['a lone high surrogate', '\ud800'],
    ['a lone low surrogate inside text', 'a\udc00b'],
    ['a lone surrogate in a map key', { '\ud83d': 1 }],
    ['nesting deeper than 64', deep(70)],
  ];

  it.each(cases)('%s', (_what, value) => {
    expect(() => encodeCanonical(value as CborValue)).toThrow(TypeError);
  });

  it('still encodes what is close to those but inside the profile', () => {
    expect(hexOf(encodeCanonical('\ud83d\ude00'))).toBe('64f09f9880');
    expect(hexOf(encodeCanonical({ '01': 1, '-1': 2, '1.5': 3 }))).toBe('a3622d31026230310163312e3503');
    expect(decodeCanonical(encodeCanonical(deep(60)), DEPTH)).toEqual(deep(60));
    expect(hexOf(encodeCanonical(Object.assign(Object.create(null) as CborMap, { b: 1, a: 2 })))).toBe('a2616102616201');
    // A Buffer is a Uint8Array: a byte string, not a map of indices.
    expect(hexOf(encodeCanonical(Buffer.from([1, 2])))).toBe('420102');
    expect(hexOf(encodeCanonical(new Uint8Array([9, 1, 2, 9]).subarray(1, 3)))).toBe('420102');
  });

  it('leaves out map entries whose value is undefined (optional fields)', () => {
    expect(hexOf(encodeCanonical({ a: undefined, b: 1 } as unknown as CborValue))).toBe('a1616201');
  });
});
