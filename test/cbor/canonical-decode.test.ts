/**
 * The strict reader (decodeCanonical in src/cbor/canonical.ts): every rejection rule has an
 * attacking input here, with the reason it must give, plus RFC 8949 Appendix A examples.
 * Two byte strings must never decode to the same value, so anything the reader lets through
 * that is not the one canonical encoding would let an attacker re-encode a signed structure.
 */
import { describe, expect, it } from 'vitest';
import { CborDecodeError, decodeCanonical, encodeCanonical, type CborErrorReason, type CborValue } from '../../src/cbor/index.js';

function bytes(hexString: string): Uint8Array {
  const clean = hexString.replace(/\s+/g, '');
  return new Uint8Array(clean.match(/../g)?.map((b) => parseInt(b, 16)) ?? []);
}

function hexOf(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

function ascii(s: string): string {
  return hexOf(new TextEncoder().encode(s));
}

function reasonOf(input: Uint8Array, maxDepth?: number): CborErrorReason | 'accepted' {
  try {
    decodeCanonical(input, maxDepth === undefined ? {} : { maxDepth });
    return 'accepted';
  } catch (e) {
    if (!(e instanceof CborDecodeError)) throw e;
    return e.reason;
  }
}

/** [description, hex, expected reason] */
type Rejection = [string, string, CborErrorReason];

function rejects(cases: Rejection[]): void {
  it.each(cases)('%s (%s) -> %s', (_what, h, reason) => {
    expect(reasonOf(bytes(h))).toBe(reason);
  });
}

describe('RFC 8949 Appendix A examples inside the lintas profile', () => {
  // [value, encoding] exactly as printed in RFC 8949 Appendix A.
  const examples: [CborValue, string][] = [
    [0, '00'],
    [1, '01'],
    [10, '0a'],
    [23, '17'],
    [24, '1818'],
    [25, '1819'],
    [100, '1864'],
    [1000, '1903e8'],
    [1000000, '1a000f4240'],
    [1000000000000, '1b000000e8d4a51000'],
    [false, 'f4'],
    [true, 'f5'],
    [null, 'f6'],
    [new Uint8Array(0), '40'],
    [new Uint8Array([1, 2, 3, 4]), '4401020304'],
    ['', '60'],
    ['a', '6161'],
    ['IETF', '6449455446'],
    ['"\\', '62225c'],
    ['\u00fc', '62c3bc'],
    ['\u6c34', '63e6b0b4'],
    ['\ud800\udd51', '64f0908591'],
    [[], '80'],
    [[1, 2, 3], '83010203'],
    [[1, [2, 3], [4, 5]], '8301820203820405'],
    [Array.from({ length: 25 }, (_, i) => i + 1), '98190102030405060708090a0b0c0d0e0f101112131415161718181819'],
    [{}, 'a0'],
    [{ a: 1, b: [2, 3] }, 'a26161016162820203'],
    [['a', { b: 'c' }], '826161a161626163'],
    [{ a: 'A', b: 'B', c: 'C', d: 'D', e: 'E' }, 'a56161614161626142616361436164614461656145'],
  ];

  it.each(examples)('encodes %j as %s and decodes it back', (value, h) => {
    expect(hexOf(encodeCanonical(value))).toBe(h);
    expect(decodeCanonical(bytes(h))).toEqual(value);
  });

  // Appendix A examples outside the profile: the reader refuses each of them.
  rejects([
    ['18446744073709551615 (above 2^53 - 1)', '1bffffffffffffffff', 'unsupported'],
    ['-1', '20', 'unsupported'],
    ['-1000', '3903e7', 'unsupported'],
    ['-18446744073709551616', '3bffffffffffffffff', 'unsupported'],
    ['0.0 (half float)', 'f90000', 'unsupported'],
    ['1.5 (half float)', 'f93e00', 'unsupported'],
    ['100000.0 (single float)', 'fa47c35000', 'unsupported'],
    ['1.1 (double float)', 'fb3ff199999999999a', 'unsupported'],
    ['Infinity', 'f97c00', 'unsupported'],
    ['NaN', 'f97e00', 'unsupported'],
    ['undefined', 'f7', 'unsupported'],
    ['simple(16)', 'f0', 'unsupported'],
    ['simple(255)', 'f8ff', 'unsupported'],
    ['tag 0 date string', 'c074323031332d30332d32315432303a30343a30305a', 'unsupported'],
    ['tag 1 epoch time', 'c11a514b67b0', 'unsupported'],
    ['tag 2 bignum', 'c249010000000000000000', 'unsupported'],
    ['tag 32 URI', 'd82076687474703a2f2f7777772e6578616d706c652e636f6d', 'unsupported'],
    ['indefinite byte string', '5f42010243030405ff', 'unsupported'],
    ['indefinite text string', '7f657374726561646d696e67ff', 'unsupported'],
    ['indefinite array', '9fff', 'unsupported'],
    ['indefinite map', 'bf61610161629f0203ffff', 'unsupported'],
    ['map with integer keys {1: 2, 3: 4}', 'a201020304', 'unsupported'],
  ]);
});

describe('integers and lengths must use the shortest form', () => {
  rejects([
    ['23 in one extra byte', '1817', 'non-canonical'],
    ['0 in one extra byte', '1800', 'non-canonical'],
    ['255 in two bytes', '1900ff', 'non-canonical'],
    ['65535 in four bytes', '1a0000ffff', 'non-canonical'],
    ['2^32 - 1 in eight bytes', '1b00000000ffffffff', 'non-canonical'],
    ['0 in eight bytes', '1b0000000000000000', 'non-canonical'],
    ['byte string length 1 in one extra byte', '5801aa', 'non-canonical'],
    ['text string length 1 in one extra byte', '780161', 'non-canonical'],
    ['text string length 3 in two extra bytes', '790003616263', 'non-canonical'],
    ['array length 1 in one extra byte', '980100', 'non-canonical'],
    ['map length 1 in one extra byte', 'b801616100', 'non-canonical'],
    ['map key length in one extra byte', 'a1780161 00', 'non-canonical'],
    ['false as simple value 20 in two bytes', 'f814', 'unsupported'],
    ['null as simple value 22 in two bytes', 'f816', 'unsupported'],
  ]);

  it('accepts each boundary in its shortest form', () => {
    const boundaries: [number, string][] = [
      [23, '17'],
      [24, '1818'],
      [255, '18ff'],
      [256, '190100'],
      [65535, '19ffff'],
      [65536, '1a00010000'],
      [2 ** 32 - 1, '1affffffff'],
      [2 ** 32, '1b0000000100000000'],
      [2 ** 53 - 1, '1b001fffffffffffff'],
    ];
    for (const [n, h] of boundaries) {
      expect(decodeCanonical(bytes(h)), h).toBe(n);
      expect(hexOf(encodeCanonical(n)), String(n)).toBe(h);
    }
  });

  rejects([
    ['2^53 (first integer above the profile)', '1b0020000000000000', 'unsupported'],
    ['byte string declaring 2^53 bytes', '5b0020000000000000', 'unsupported'],
  ]);
});

describe('indefinite lengths and reserved additional information', () => {
  rejects([
    ['indefinite unsigned (info 31 on major 0)', '1f', 'unsupported'],
    ['lone break', 'ff', 'unsupported'],
    ['indefinite map inside a definite array', '81bfff', 'unsupported'],
    ['reserved info 28', '1c', 'malformed'],
    ['reserved info 29', '1d', 'malformed'],
    ['reserved info 30', '1e', 'malformed'],
    ['reserved info 28 on a byte string', '5c', 'malformed'],
    ['reserved info 28 on major 7', 'fc', 'malformed'],
  ]);
});

describe('maps: text keys, deterministic order, no duplicates, no __proto__', () => {
  const k = (s: string): string => hexOf(new Uint8Array([0x60 + s.length])) + ascii(s);
  rejects([
    ['keys out of bytewise order', `a2${k('b')}01${k('a')}02`, 'non-canonical'],
    ['longer key before a shorter one', `a2${k('aa')}01${k('b')}02`, 'non-canonical'],
    ['duplicate key', `a2${k('a')}01${k('a')}02`, 'non-canonical'],
    ['duplicate key after others', `a3${k('a')}01${k('b')}02${k('b')}03`, 'non-canonical'],
    ['integer key', 'a10102', 'unsupported'],
    ['byte string key', 'a1416101', 'unsupported'],
    ['null key', 'a1f601', 'unsupported'],
    ['array key', 'a18001', 'unsupported'],
    ['negative integer key', 'a12001', 'unsupported'],
    ['tagged key', `a1c0${k('a')}01`, 'unsupported'],
    ['"__proto__" key', `a1${k('__proto__')}01`, 'unsupported'],
    ['"__proto__" key among others', `a2${k('a')}01${k('__proto__')}a0`, 'unsupported'],
  ]);

  it('decodes maps with a null prototype, so keys like "constructor" are plain data', () => {
    const before = Object.keys(Object.prototype).length;
    const m = decodeCanonical(bytes(`a2${k('toString')}01${k('constructor')}02`)) as Record<string, CborValue>;
    expect(Object.getPrototypeOf(m)).toBeNull();
    expect(Object.keys(m)).toEqual(['toString', 'constructor']);
    expect(m.constructor).toBe(2);
    expect(Object.keys(Object.prototype)).toHaveLength(before);
  });

  it('accepts keys ordered shorter-first, then bytewise', () => {
    const h = `a3${k('b')}01${k('z')}02${k('aa')}03`;
    expect(decodeCanonical(bytes(h))).toEqual({ b: 1, z: 2, aa: 3 });
    expect(hexOf(encodeCanonical({ aa: 3, z: 2, b: 1 }))).toBe(h);
  });
});

describe('text strings must be valid UTF-8, kept exactly', () => {
  rejects([
    ['lone continuation byte', '6180', 'malformed'],
    ['0xff byte', '61ff', 'malformed'],
    ['truncated two-byte sequence', '61c3', 'malformed'],
    ['bad continuation', '62c328', 'malformed'],
    ['overlong NUL', '62c080', 'malformed'],
    ['overlong slash', '63e080af', 'malformed'],
    ['UTF-16 surrogate encoded as UTF-8', '63eda080', 'malformed'],
    ['code point above U+10FFFF', '64f4908080', 'malformed'],
    ['invalid UTF-8 in a map key', 'a161ff01', 'malformed'],
  ]);

  it('keeps a leading byte order mark as part of the string', () => {
    expect(decodeCanonical(bytes('64efbbbf61'))).toBe('\ufeffa');
    // Two keys that would collide if the BOM were stripped are two different keys.
    expect(Object.keys(decodeCanonical(bytes('a2616101 64efbbbf6102')) as object)).toEqual(['a', '\ufeffa']);
  });
});

describe('only false, true and null among the simple values', () => {
  rejects([
    ['undefined', 'f7', 'unsupported'],
    ['simple(0)', 'e0', 'unsupported'],
    ['simple(19)', 'f3', 'unsupported'],
    ['simple(32) in two bytes', 'f820', 'unsupported'],
    ['half float 1.0', 'f93c00', 'unsupported'],
    ['single float 1.0', 'fa3f800000', 'unsupported'],
    ['double float 1.0', 'fb3ff0000000000000', 'unsupported'],
    ['float hidden in an array', '82 01 f93c00', 'unsupported'],
    ['float as a map value', 'a16161f93c00', 'unsupported'],
  ]);
});

describe('negative integers and tags', () => {
  rejects([
    ['-1', '20', 'unsupported'],
    ['-24', '37', 'unsupported'],
    ['-25', '3818', 'unsupported'],
    ['-2^53', '3b001fffffffffffff', 'unsupported'],
    ['tag 0 on a number', 'c000', 'unsupported'],
    ['tag 24 (embedded CBOR)', 'd818 4101', 'unsupported'],
    ['self-describe tag 55799', 'd9d9f7 a0', 'unsupported'],
    ['tag 258 (set)', 'd90102 80', 'unsupported'],
    ['tag 259 (map)', 'd90103 a0', 'unsupported'],
    ['tag 64 (typed array)', 'd840 4101', 'unsupported'],
    ['tag inside a map value', 'a16161c000', 'unsupported'],
  ]);
});

describe('the item must span the input exactly', () => {
  rejects([
    ['empty input', '', 'malformed'],
    ['two items', '0000', 'trailing-bytes'],
    ['null then a byte', 'f600', 'trailing-bytes'],
    ['two arrays', '8080', 'trailing-bytes'],
    ['map then padding', 'a0 00', 'trailing-bytes'],
    ['missing 1-byte argument', '18', 'malformed'],
    ['missing 2-byte argument', '1900', 'malformed'],
    ['missing 4-byte argument', '1a000000', 'malformed'],
    ['missing 8-byte argument', '1b00000000000000', 'malformed'],
    ['byte string cut short', '420102'.slice(0, 4), 'malformed'],
    ['text string cut short', '6261', 'malformed'],
    ['array missing an item', '8201', 'malformed'],
    ['map missing a value', 'a16161', 'malformed'],
    ['half float cut short', 'f93c', 'malformed'],
  ]);

  it('rejects every strict prefix of a nested encoding, and the encoding plus one byte', () => {
    const full = encodeCanonical({ chunk: 16, list: [new Uint8Array(40).fill(7), 'text', [null, true]], n: 2 ** 40 });
    for (let n = 0; n < full.length; n++) {
      expect(reasonOf(full.subarray(0, n)), `prefix of ${n} bytes`).not.toBe('accepted');
    }
    expect(reasonOf(new Uint8Array([...full, 0x00]))).toBe('trailing-bytes');
    expect(reasonOf(full)).toBe('accepted');
  });
});

describe('declared lengths larger than the input', () => {
  rejects([
    ['byte string of 2^32 - 1 bytes', '5affffffff', 'malformed'],
    ['byte string of 2^53 - 1 bytes', '5b001fffffffffffff', 'malformed'],
    ['text string of 2^32 - 1 bytes', '7affffffff', 'malformed'],
    ['array of 2^32 - 1 items', '9affffffff', 'malformed'],
    ['array of 2^53 - 1 items', '9b001fffffffffffff 00', 'malformed'],
    ['array of 65536 items with two present', '9a00010000 0000', 'malformed'],
    ['map of 2^32 - 1 entries', 'baffffffff', 'malformed'],
    ['map of 2^53 - 1 entries', 'bb001fffffffffffff', 'malformed'],
    ['map of 3 entries with one present', 'a3616100', 'malformed'],
  ]);

  it('refuses a huge declared length without allocating for it', () => {
    // If the reader trusted the count it would allocate or loop 2^32 times; it answers at once.
    const input = bytes('9affffffff');
    expect(() => decodeCanonical(input)).toThrow(CborDecodeError);
  });
});

describe('nesting depth', () => {
  const nestedArrays = (levels: number): Uint8Array => new Uint8Array([...new Array<number>(levels - 1).fill(0x81), 0x80]);

  it('counts a top-level item as depth 0 and enforces maxDepth exactly', () => {
    // n nested arrays: the innermost (empty) array is at depth n - 1.
    expect(reasonOf(nestedArrays(3), 2)).toBe('accepted');
    expect(reasonOf(nestedArrays(4), 2)).toBe('too-deep');
    // An item inside the innermost array is one level deeper.
    expect(reasonOf(bytes('818100'), 2)).toBe('accepted');
    expect(reasonOf(bytes('81818100'), 2)).toBe('too-deep');
    expect(reasonOf(bytes('00'), 0)).toBe('accepted');
    expect(reasonOf(bytes('80'), 0)).toBe('accepted');
    expect(reasonOf(bytes('8100'), 0)).toBe('too-deep');
  });

  it('defaults to a depth of 8', () => {
    expect(reasonOf(nestedArrays(9))).toBe('accepted');
    expect(reasonOf(nestedArrays(10))).toBe('too-deep');
  });

  it('counts maps (keys and values) as levels too', () => {
    // {"a": {"a": {"a": 0}}}: the 0 is at depth 3.
    const h = 'a16161'.repeat(3) + '00';
    expect(reasonOf(bytes(h), 3)).toBe('accepted');
    expect(reasonOf(bytes(h), 2)).toBe('too-deep');
  });

  it('stops a very deep input early instead of overflowing the stack', () => {
    expect(reasonOf(nestedArrays(200_000))).toBe('too-deep');
    expect(reasonOf(bytes('a16161'.repeat(100_000) + '00'), 64)).toBe('too-deep');
  });
});

describe('decoded values own their bytes', () => {
  it('returns byte strings that are copies of the input', () => {
    const input = bytes('8243010203 4104');
    const out = decodeCanonical(input) as Uint8Array[];
    input.fill(0);
    expect(out).toEqual([new Uint8Array([1, 2, 3]), new Uint8Array([4])]);
    expect(out[0]!.buffer).not.toBe(input.buffer);
  });
});
