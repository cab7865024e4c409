/**
 * Wrong-size arguments to the crypto layer are programming errors: they must be reported as
 * RangeError, the same on the portable and the fast path, and never as a failed decryption
 * (`null`), which callers would turn into "tampered" or "not for me".
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cryptoReady } from '../../src/crypto/sodium.js';
import { forceBulkBackendForTests } from '../../src/crypto/bulk-backend.js';
import { chachaDecrypt, chachaEncrypt, xchachaDecrypt, xchachaEncrypt } from '../../src/crypto/aead.js';
import { hkdfSha256 } from '../../src/crypto/hash.js';

beforeAll(async () => {
  await cryptoReady();
});

afterEach(() => forceBulkBackendForTests(null));

const key = new Uint8Array(32).fill(7);

describe.each(['portable', 'fast'] as const)('ChaCha20-Poly1305 on the %s path', (path) => {
  it.each([0, 11, 13, 24])('refuses a %i-byte nonce with RangeError', (n) => {
    forceBulkBackendForTests(path);
    const sealed = chachaEncrypt(key, new Uint8Array(12), new Uint8Array(40));
    expect(() => chachaEncrypt(key, new Uint8Array(n), new Uint8Array(40))).toThrow(RangeError);
    expect(() => chachaDecrypt(key, new Uint8Array(n), sealed)).toThrow(RangeError);
  });

  it.each([0, 16, 31, 33])('refuses a %i-byte key with RangeError', (n) => {
    forceBulkBackendForTests(path);
    const sealed = chachaEncrypt(key, new Uint8Array(12), new Uint8Array(40));
    expect(() => chachaEncrypt(new Uint8Array(n), new Uint8Array(12), new Uint8Array(40))).toThrow(RangeError);
    expect(() => chachaDecrypt(new Uint8Array(n), new Uint8Array(12), sealed)).toThrow(RangeError);
  });

  it('still decrypts with the right sizes, and a wrong tag is null, not an exception', () => {
    forceBulkBackendForTests(path);
    const nonce = new Uint8Array(12).fill(1);
    const sealed = chachaEncrypt(key, nonce, new Uint8Array([1, 2, 3]));
    expect(chachaDecrypt(key, nonce, sealed)).toEqual(new Uint8Array([1, 2, 3]));
    sealed[0]! ^= 1;
    expect(chachaDecrypt(key, nonce, sealed)).toBeNull();
  });
});

describe('XChaCha20-Poly1305', () => {
  it.each([0, 12, 23, 25])('refuses a %i-byte nonce with RangeError', (n) => {
    const sealed = xchachaEncrypt(key, new Uint8Array(24), new Uint8Array(40));
    expect(() => xchachaEncrypt(key, new Uint8Array(n), new Uint8Array(40))).toThrow(RangeError);
    expect(() => xchachaDecrypt(key, new Uint8Array(n), sealed)).toThrow(RangeError);
  });

  it.each([0, 31, 33])('refuses a %i-byte key with RangeError', (n) => {
    const sealed = xchachaEncrypt(key, new Uint8Array(24), new Uint8Array(40));
    expect(() => xchachaEncrypt(new Uint8Array(n), new Uint8Array(24), new Uint8Array(40))).toThrow(RangeError);
    expect(() => xchachaDecrypt(new Uint8Array(n), new Uint8Array(24), sealed)).toThrow(RangeError);
  });
});

describe('HKDF-SHA-256', () => {
  it('gives up to 255 * 32 bytes of output', () => {
    expect(hkdfSha256(key, key, 'lintas/test', 255 * 32)).toHaveLength(255 * 32);
  });

  it.each([255 * 32 + 1, 1 << 20])('refuses %i bytes of output with RangeError', (n) => {
    expect(() => hkdfSha256(key, key, 'lintas/test', n)).toThrow(RangeError);
  });

  it.each([-1, 1.5, Number.NaN])('refuses an output length of %s with RangeError', (n) => {
    expect(() => hkdfSha256(key, key, 'lintas/test', n)).toThrow(RangeError);
  });
});
