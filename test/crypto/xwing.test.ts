/**
 * X-Wing (src/crypto/xwing.ts): known answers from draft-connolly-cfrg-xwing-kem-08 Appendix C,
 * round trip, implicit rejection, determinism, and the one place libsodium is stricter than the
 * draft (a low-order X25519 ciphertext part), including how the X-Wing stanza handles it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { cryptoReady } from '../../src/crypto/sodium.js';
import {
  XWING_CIPHERTEXT_BYTES,
  XWING_ENCAPS_SEED_BYTES,
  XWING_PUBLIC_KEY_BYTES,
  XWING_SECRET_KEY_BYTES,
  xwingDecapsulate,
  xwingEncapsulate,
  xwingKeyPairFromSeed,
} from '../../src/crypto/xwing.js';
import { isLintasError } from '../../src/errors/index.js';
import { xwingScheme } from '../../src/envelope/stanza-xwing.js';
import { decodeHeader, decodePrefix, encodeHeader, encodePrefix } from '../../src/envelope/header.js';
import { PREFIX_BYTES } from '../../src/envelope/constants.js';
import { generateIdentityKeys, open, seal } from '../../src/index.js';
import { hex, toHex } from './wycheproof.js';
import { XWING_DRAFT_08_VECTORS } from './xwing-draft-vectors.js';

/** Where the X25519 ephemeral key sits in an X-Wing ciphertext (after the 1088-byte ML-KEM part). */
const CT_X_OFFSET = 1088;

function seedOf(byte: number, n: number): Uint8Array {
  return new Uint8Array(n).fill(byte);
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isLintasError(e) ? e.code : (e as Error).constructor.name;
  }
  return undefined;
}

beforeAll(cryptoReady);

describe('X-Wing known answers (draft-connolly-cfrg-xwing-kem-08, Appendix C)', () => {
  it('has all three vectors', () => {
    expect(XWING_DRAFT_08_VECTORS).toHaveLength(3);
  });

  for (const [i, v] of XWING_DRAFT_08_VECTORS.entries()) {
    it(`vector ${i + 1}: key pair from seed, encapsulation and decapsulation match byte for byte`, () => {
      expect(v.pk.length / 2).toBe(XWING_PUBLIC_KEY_BYTES);
      expect(v.ct.length / 2).toBe(XWING_CIPHERTEXT_BYTES);
      expect(v.eseed.length / 2).toBe(XWING_ENCAPS_SEED_BYTES);
      const kp = xwingKeyPairFromSeed(hex(v.sk));
      expect(toHex(kp.publicKey)).toBe(v.pk);
      expect(toHex(kp.secretKey)).toBe(v.sk);
      const enc = xwingEncapsulate(hex(v.pk), hex(v.eseed));
      expect(toHex(enc.ciphertext)).toBe(v.ct);
      expect(toHex(enc.sharedSecret)).toBe(v.ss);
      expect(toHex(xwingDecapsulate(hex(v.ct), hex(v.sk)))).toBe(v.ss);
    });
  }
});

describe('X-Wing behaviour', () => {
  it('round-trips: decapsulation recovers the encapsulated secret', () => {
    for (let i = 0; i < 4; i++) {
      const kp = xwingKeyPairFromSeed(seedOf(i, XWING_SECRET_KEY_BYTES));
      const enc = xwingEncapsulate(kp.publicKey, seedOf(100 + i, XWING_ENCAPS_SEED_BYTES));
      expect(enc.ciphertext).toHaveLength(XWING_CIPHERTEXT_BYTES);
      expect(enc.sharedSecret).toHaveLength(32);
      expect(xwingDecapsulate(enc.ciphertext, kp.secretKey)).toEqual(enc.sharedSecret);
    }
  });

  it('is deterministic: the same seed gives the same key pair, the same encapsulation seed the same output', () => {
    const a = xwingKeyPairFromSeed(seedOf(7, 32));
    const b = xwingKeyPairFromSeed(seedOf(7, 32));
    expect(a).toEqual(b);
    expect(xwingKeyPairFromSeed(seedOf(8, 32)).publicKey).not.toEqual(a.publicKey);
    const e1 = xwingEncapsulate(a.publicKey, seedOf(9, 64));
    const e2 = xwingEncapsulate(a.publicKey, seedOf(9, 64));
    expect(e1).toEqual(e2);
    const e3 = xwingEncapsulate(a.publicKey, seedOf(10, 64));
    expect(e3.ciphertext).not.toEqual(e1.ciphertext);
    expect(e3.sharedSecret).not.toEqual(e1.sharedSecret);
  });

  it('rejects implicitly: a modified ciphertext gives a different secret, not an error', () => {
    const kp = xwingKeyPairFromSeed(seedOf(1, 32));
    const enc = xwingEncapsulate(kp.publicKey, seedOf(2, 64));
    // Bytes in the ML-KEM part (first, middle, last) and in the X25519 part.
    const positions = [0, 500, CT_X_OFFSET - 1, CT_X_OFFSET, CT_X_OFFSET + 16, XWING_CIPHERTEXT_BYTES - 2];
    const secrets = new Set<string>([toHex(enc.sharedSecret)]);
    for (const pos of positions) {
      const bad = enc.ciphertext.slice();
      bad[pos]! ^= 0x04;
      const ss = xwingDecapsulate(bad, kp.secretKey);
      expect(ss, `byte ${pos}`).toHaveLength(32);
      expect(ss, `byte ${pos}`).not.toEqual(enc.sharedSecret);
      secrets.add(toHex(ss));
    }
    // Every modification leads somewhere different: no two collapse to one fixed "error" secret.
    expect(secrets.size).toBe(positions.length + 1);
  });

  it('gives a different secret under the wrong secret key, without an error', () => {
    const bob = xwingKeyPairFromSeed(seedOf(1, 32));
    const eve = xwingKeyPairFromSeed(seedOf(2, 32));
    const enc = xwingEncapsulate(bob.publicKey, seedOf(3, 64));
    expect(xwingDecapsulate(enc.ciphertext, eve.secretKey)).not.toEqual(enc.sharedSecret);
  });

  it('binds the secret to the public key: the same encapsulation seed to another key gives another secret', () => {
    const e1 = xwingEncapsulate(xwingKeyPairFromSeed(seedOf(1, 32)).publicKey, seedOf(5, 64));
    const e2 = xwingEncapsulate(xwingKeyPairFromSeed(seedOf(2, 32)).publicKey, seedOf(5, 64));
    expect(e1.sharedSecret).not.toEqual(e2.sharedSecret);
  });
});

describe('X-Wing: where libsodium is stricter than the draft', () => {
  // The draft's Decapsulate never fails. libsodium 1.0.22 refuses when the X25519 part of the
  // ciphertext (or of the public key, on encapsulation) is a low-order point, since the X25519
  // secret would be all zeros. lintas reports that as a LintasError, never a raw libsodium Error.
  const lowOrderPoints = [
    new Uint8Array(32), // u = 0
    (() => {
      const p = new Uint8Array(32);
      p[0] = 1; // u = 1
      return p;
    })(),
  ];

  it('decapsulating a ciphertext with a low-order X25519 part throws ERR_CRYPTO_LOW_ORDER_POINT', () => {
    const kp = xwingKeyPairFromSeed(seedOf(1, 32));
    const enc = xwingEncapsulate(kp.publicKey, seedOf(2, 64));
    for (const point of lowOrderPoints) {
      const bad = enc.ciphertext.slice();
      bad.set(point, CT_X_OFFSET);
      expect(codeOf(() => xwingDecapsulate(bad, kp.secretKey))).toBe('ERR_CRYPTO_LOW_ORDER_POINT');
    }
  });

  it('encapsulating to a public key with a low-order X25519 part throws ERR_CRYPTO_INVALID_KEY', () => {
    const kp = xwingKeyPairFromSeed(seedOf(1, 32));
    for (const point of lowOrderPoints) {
      const pk = kp.publicKey.slice();
      pk.set(point, XWING_PUBLIC_KEY_BYTES - 32);
      expect(codeOf(() => xwingEncapsulate(pk, seedOf(2, 64)))).toBe('ERR_CRYPTO_INVALID_KEY');
    }
  });

  it('encapsulating to a public key whose ML-KEM part is not reduced mod q throws ERR_CRYPTO_INVALID_KEY', () => {
    const pk = xwingKeyPairFromSeed(seedOf(1, 32)).publicKey.slice();
    // The first 12-bit coefficient becomes 0xfff >= q = 3329.
    pk[0] = 0xff;
    pk[1]! |= 0x0f;
    expect(codeOf(() => xwingEncapsulate(pk, seedOf(2, 64)))).toBe('ERR_CRYPTO_INVALID_KEY');
  });

  it('the X-Wing stanza treats a low-order ciphertext as "not mine" (null), not as a crash', () => {
    const own = { type: 'X-Wing' as const, ...xwingKeyPairFromSeed(seedOf(1, 32)) };
    const wrapped = xwingScheme.wrap(new Uint8Array(32).fill(0x42), own, (n) => seedOf(3, n));
    expect(xwingScheme.unwrap(wrapped.args, wrapped.body, own)).toEqual(new Uint8Array(32).fill(0x42));
    const ct = wrapped.args[0]!.slice();
    ct.set(lowOrderPoints[0]!, CT_X_OFFSET);
    expect(xwingScheme.unwrap([ct], wrapped.body, own)).toBeNull();
  });

  it('open() reports a stanza with a low-order X25519 part as a tampered header', async () => {
    const alice = await generateIdentityKeys();
    const bob = await generateIdentityKeys();
    const env = await seal(new TextEncoder().encode('sighting'), { recipients: [bob.xwing], sender: alice.signing });
    const headerLength = decodePrefix(env.subarray(0, PREFIX_BYTES));
    const header = decodeHeader(env.subarray(PREFIX_BYTES, PREFIX_BYTES + headerLength));
    const ct = header.stanzas.find((s) => s.type === 'X-Wing')!.args[0]!;
    ct.set(new Uint8Array(32), CT_X_OFFSET);
    const newHeader = encodeHeader(header);
    const rest = env.subarray(PREFIX_BYTES + headerLength);
    const forged = new Uint8Array([...encodePrefix(newHeader.length), ...newHeader, ...rest]);
    await expect(open(forged, { keys: [bob.xwing] })).rejects.toMatchObject({ code: 'ERR_ENVELOPE_HEADER_TAMPERED' });
  });
});

describe('X-Wing input validation', () => {
  it('throws RangeError for wrong lengths', () => {
    const kp = xwingKeyPairFromSeed(seedOf(1, 32));
    const enc = xwingEncapsulate(kp.publicKey, seedOf(2, 64));
    expect(() => xwingKeyPairFromSeed(seedOf(1, 31))).toThrow(RangeError);
    expect(() => xwingKeyPairFromSeed(seedOf(1, 64))).toThrow(RangeError);
    expect(() => xwingEncapsulate(kp.publicKey.subarray(1), seedOf(2, 64))).toThrow(RangeError);
    expect(() => xwingEncapsulate(kp.publicKey, seedOf(2, 32))).toThrow(RangeError);
    expect(() => xwingDecapsulate(enc.ciphertext.subarray(1), kp.secretKey)).toThrow(RangeError);
    expect(() => xwingDecapsulate(new Uint8Array([...enc.ciphertext, 0]), kp.secretKey)).toThrow(RangeError);
    expect(() => xwingDecapsulate(enc.ciphertext, seedOf(1, 31))).toThrow(RangeError);
  });
});
