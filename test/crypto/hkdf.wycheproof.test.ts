/**
 * Every Wycheproof HKDF-SHA-256 case (hkdf_sha256_test.json) through lintas' `hkdfSha256()`.
 * Valid cases must produce exactly `okm` (empty salts included: RFC 5869 then uses HashLen zero
 * bytes, which HMAC treats the same as an empty key). The invalid cases ask for more than
 * 255 * 32 = 8160 bytes, which RFC 5869 forbids: hkdfSha256() must throw, not truncate.
 * Run on both HMAC backends: node:crypto (Node's default) and libsodium (browsers).
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { forceBulkBackendForTests } from '../../src/crypto/bulk-backend.js';
import { hkdfSha256 } from '../../src/crypto/hash.js';
import { cryptoReady } from '../../src/crypto/sodium.js';
import { allCases, hex, label, loadWycheproof, toHex, type WycheproofCase } from './wycheproof.js';

interface HkdfCase extends WycheproofCase {
  ikm: string;
  salt: string;
  info: string;
  size: number;
  okm: string;
}

const file = loadWycheproof<HkdfCase>('hkdf_sha256_test.json');
const cases = allCases(file).map(({ test }) => test);

beforeAll(cryptoReady);

describe.each(['fast', 'portable'] as const)('Wycheproof hkdf_sha256_test.json through hkdfSha256(), %s backend', (backend) => {
  beforeEach(() => forceBulkBackendForTests(backend));
  afterEach(() => forceBulkBackendForTests(null));

  it('has the expected cases', () => {
    expect(file.algorithm).toBe('HKDF-SHA-256');
    expect(cases).toHaveLength(86);
  });

  it('derives every valid case exactly and refuses every over-long output', () => {
    const tally = { valid: 0, validEmptySalt: 0, validMaximalOutput: 0, tooLongRejected: 0 };
    for (const t of cases) {
      if (t.result === 'valid') {
        expect(toHex(hkdfSha256(hex(t.ikm), hex(t.salt), hex(t.info), t.size)), label(t)).toBe(t.okm);
        tally.valid++;
        if (t.salt === '') tally.validEmptySalt++;
        if (t.size === 255 * 32) tally.validMaximalOutput++;
      } else {
        expect(t.flags, label(t)).toContain('SizeTooLarge');
        expect(t.size, label(t)).toBeGreaterThan(255 * 32);
        expect(() => hkdfSha256(hex(t.ikm), hex(t.salt), hex(t.info), t.size), label(t)).toThrow();
        tally.tooLongRejected++;
      }
    }
    expect(tally).toEqual({ valid: 83, validEmptySalt: 23, validMaximalOutput: 3, tooLongRejected: 3 });
  });

  it('treats a string info as its UTF-8 bytes', () => {
    const t = cases.find((c) => c.result === 'valid' && c.info.length > 0)!;
    const info = 'lintas/v1 héader mac';
    expect(hkdfSha256(hex(t.ikm), hex(t.salt), info, 32)).toEqual(hkdfSha256(hex(t.ikm), hex(t.salt), new TextEncoder().encode(info), 32));
  });
});
