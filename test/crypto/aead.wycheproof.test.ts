/**
 * Every Wycheproof ChaCha20-Poly1305 and XChaCha20-Poly1305 case through lintas'
 * chachaEncrypt/chachaDecrypt and xchachaEncrypt/xchachaDecrypt.
 *
 * lintas supports one nonce size per construction (12 bytes, 24 bytes) and the 16-byte tag;
 * all cases in both files have a 128-bit tag. Cases with another nonce size ("invalid",
 * flag InvalidNonceSize) must be refused by input validation: encryption and decryption both
 * throw RangeError (a programming error, never mistaken for a failed tag). Every valid case must encrypt to exactly ct || tag and
 * decrypt back; every invalid case with a supported nonce size is a modified tag, which must
 * decrypt to null.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { cryptoReady } from '../../src/crypto/sodium.js';
import {
  AEAD_NONCE_BYTES,
  AEAD_TAG_BYTES,
  chachaDecrypt,
  chachaEncrypt,
  XAEAD_NONCE_BYTES,
  xchachaDecrypt,
  xchachaEncrypt,
} from '../../src/crypto/aead.js';
import { allCases, hex, label, loadWycheproof, toHex, type WycheproofCase } from './wycheproof.js';

interface AeadCase extends WycheproofCase {
  key: string;
  iv: string;
  aad: string;
  msg: string;
  ct: string;
  tag: string;
}
interface AeadGroup {
  ivSize: number;
  keySize: number;
  tagSize: number;
}

type Encrypt = (key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array) => Uint8Array;
type Decrypt = (key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, aad?: Uint8Array) => Uint8Array | null;

interface Suite {
  file: string;
  algorithm: string;
  nonceBytes: number;
  encrypt: Encrypt;
  decrypt: Decrypt;
  expected: { total: number; valid: number; modifiedTag: number; wrongNonceSize: number };
}

const suites: Suite[] = [
  {
    file: 'chacha20_poly1305_test.json',
    algorithm: 'CHACHA20-POLY1305',
    nonceBytes: AEAD_NONCE_BYTES,
    encrypt: chachaEncrypt,
    decrypt: chachaDecrypt,
    expected: { total: 325, valid: 256, modifiedTag: 60, wrongNonceSize: 9 },
  },
  {
    file: 'xchacha20_poly1305_test.json',
    algorithm: 'XCHACHA20-POLY1305',
    nonceBytes: XAEAD_NONCE_BYTES,
    encrypt: xchachaEncrypt,
    decrypt: xchachaDecrypt,
    expected: { total: 315, valid: 246, modifiedTag: 60, wrongNonceSize: 9 },
  },
];

beforeAll(cryptoReady);

for (const suite of suites) {
  describe(`Wycheproof ${suite.file}`, () => {
    const file = loadWycheproof<AeadCase, AeadGroup>(suite.file);
    const cases = allCases(file);

    it('has only 128-bit tags and 256-bit keys, and the expected number of cases', () => {
      expect(file.algorithm).toBe(suite.algorithm);
      expect(cases).toHaveLength(suite.expected.total);
      for (const { group, test } of cases) {
        expect(group.tagSize, label(test)).toBe(AEAD_TAG_BYTES * 8);
        expect(group.keySize, label(test)).toBe(256);
        expect(hex(test.iv).length * 8, label(test)).toBe(group.ivSize);
      }
    });

    it('runs every case: valid ones round-trip exactly, invalid ones are refused', () => {
      const tally = { valid: 0, modifiedTag: 0, wrongNonceSize: 0 };
      for (const { group, test } of cases) {
        const key = hex(test.key);
        const nonce = hex(test.iv);
        const aad = hex(test.aad);
        const msg = hex(test.msg);
        const sealed = hex(test.ct + test.tag);

        if (group.ivSize !== suite.nonceBytes * 8) {
          // Not applicable to lintas' construction: refused by input validation.
          expect(test.result, label(test)).toBe('invalid');
          expect(test.flags, label(test)).toContain('InvalidNonceSize');
          expect(() => suite.encrypt(key, nonce, msg, aad), label(test)).toThrow(RangeError);
          expect(() => suite.decrypt(key, nonce, sealed, aad), label(test)).toThrow(RangeError);
          tally.wrongNonceSize++;
          continue;
        }

        if (test.result === 'valid') {
          expect(toHex(suite.encrypt(key, nonce, msg, aad)), label(test)).toBe(test.ct + test.tag);
          const opened = suite.decrypt(key, nonce, sealed, aad);
          expect(opened && toHex(opened), label(test)).toBe(test.msg);
          tally.valid++;
        } else {
          // The only invalid cases with a supported nonce are tags changed after encryption.
          expect(test.flags, label(test)).toContain('ModifiedTag');
          expect(suite.decrypt(key, nonce, sealed, aad), label(test)).toBeNull();
          // Sanity: the ciphertext body is genuine and only the tag differs.
          const honest = toHex(suite.encrypt(key, nonce, msg, aad));
          expect(honest.slice(0, test.ct.length), label(test)).toBe(test.ct);
          expect(honest.slice(test.ct.length), label(test)).not.toBe(test.tag);
          tally.modifiedTag++;
        }
      }
      expect(tally).toEqual({
        valid: suite.expected.valid,
        modifiedTag: suite.expected.modifiedTag,
        wrongNonceSize: suite.expected.wrongNonceSize,
      });
    });

    it('refuses each valid case once its aad, ciphertext or tag is changed or truncated', () => {
      // Not Wycheproof verdicts: attacks derived from the valid cases, one byte at a time.
      let attacked = 0;
      for (const { group, test } of cases) {
        if (test.result !== 'valid' || group.ivSize !== suite.nonceBytes * 8) continue;
        const key = hex(test.key);
        const nonce = hex(test.iv);
        const aad = hex(test.aad);
        const sealed = hex(test.ct + test.tag);
        const flipped = sealed.slice();
        flipped[attacked % flipped.length]! ^= 0x01;
        expect(suite.decrypt(key, nonce, flipped, aad), label(test)).toBeNull();
        expect(suite.decrypt(key, nonce, sealed.subarray(0, sealed.length - 1), aad), label(test)).toBeNull();
        expect(suite.decrypt(key, nonce, sealed, new Uint8Array([...aad, 0])), label(test)).toBeNull();
        const otherNonce = nonce.slice();
        otherNonce[0]! ^= 0x80;
        expect(suite.decrypt(key, otherNonce, sealed, aad), label(test)).toBeNull();
        attacked++;
      }
      expect(attacked).toBe(suite.expected.valid);
    });
  });
}

describe('AEAD decryption of inputs shorter than a tag', () => {
  it('returns null for 0..15 bytes', () => {
    const key = new Uint8Array(32);
    for (let n = 0; n < AEAD_TAG_BYTES; n++) {
      expect(chachaDecrypt(key, new Uint8Array(AEAD_NONCE_BYTES), new Uint8Array(n))).toBeNull();
      expect(xchachaDecrypt(key, new Uint8Array(XAEAD_NONCE_BYTES), new Uint8Array(n))).toBeNull();
    }
  });
});
