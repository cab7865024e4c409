/**
 * Every Wycheproof Ed25519 case (ed25519_test.json, EddsaVerify) through lintas'
 * `ed25519Verify()`.
 *
 * libsodium's verifier is strict (non-canonical S, non-canonical or small-order A and R are
 * refused), which is stricter than RFC 8032 in places. The file has no "acceptable" cases, and
 * with libsodium 1.0.22 every "valid" case verifies and every "invalid" one is rejected, so
 * there is no per-case exception to document. Should a libsodium update change a verdict, the
 * exact-count assertions below fail and name the case.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { cryptoReady } from '../../src/crypto/sodium.js';
import { ed25519KeyPairFromSeed, ed25519Sign, ed25519Verify } from '../../src/crypto/ed25519.js';
import { allCases, hex, label, loadWycheproof, type WycheproofCase } from './wycheproof.js';

interface EddsaCase extends WycheproofCase {
  msg: string;
  sig: string;
}
interface EddsaGroup {
  publicKey: { curve: string; pk: string };
}

const file = loadWycheproof<EddsaCase, EddsaGroup>('ed25519_test.json');
const cases = allCases(file);

beforeAll(cryptoReady);

describe('Wycheproof ed25519_test.json through ed25519Verify()', () => {
  it('has the expected cases', () => {
    expect(file.algorithm).toBe('EDDSA');
    expect(cases).toHaveLength(151);
    expect(cases.every(({ group }) => group.publicKey.curve === 'edwards25519')).toBe(true);
    expect(cases.filter(({ test }) => test.result === 'valid')).toHaveLength(88);
    expect(cases.filter(({ test }) => test.result === 'invalid')).toHaveLength(63);
    expect(cases.filter(({ test }) => test.result === 'acceptable')).toHaveLength(0);
  });

  it('accepts exactly the valid signatures and rejects every invalid one', () => {
    const tally = { validAccepted: 0, invalidRejected: 0 };
    const rejectedByFlag: Record<string, number> = {};
    for (const { group, test } of cases) {
      const ok = ed25519Verify(hex(group.publicKey.pk), hex(test.msg), hex(test.sig));
      expect(ok, label(test)).toBe(test.result === 'valid');
      if (test.result === 'valid') tally.validAccepted++;
      else {
        tally.invalidRejected++;
        for (const f of test.flags ?? []) rejectedByFlag[f] = (rejectedByFlag[f] ?? 0) + 1;
      }
    }
    expect(tally).toEqual({ validAccepted: 88, invalidRejected: 63 });
    // Every attack class in the file is covered, malleability (S >= L) included.
    expect(rejectedByFlag).toEqual({
      CompressedSignature: 4,
      InvalidEncoding: 22,
      InvalidKtv: 1,
      InvalidSignature: 20,
      SignatureMalleability: 8,
      SignatureWithGarbage: 5,
      TruncatedSignature: 3,
    });
  });

  it('rejects each valid signature once any single bit of it is flipped', () => {
    // Not a Wycheproof case: a cheap sweep that the verifier looks at all 512 signature bits.
    const { group, test } = cases.find(({ test }) => test.result === 'valid' && test.msg.length > 0)!;
    const pk = hex(group.publicKey.pk);
    const msg = hex(test.msg);
    const sig = hex(test.sig);
    expect(ed25519Verify(pk, msg, sig)).toBe(true);
    for (let bit = 0; bit < 512; bit++) {
      const bad = sig.slice();
      bad[bit >> 3]! ^= 1 << (bit & 7);
      expect(ed25519Verify(pk, msg, bad), `bit ${bit}`).toBe(false);
    }
  });
});

describe('ed25519Verify() input handling', () => {
  it('returns false (never throws) for keys and signatures of the wrong length', () => {
    const kp = ed25519KeyPairFromSeed(new Uint8Array(32).fill(1));
    const msg = new Uint8Array([1, 2, 3]);
    const sig = ed25519Sign(kp.secretKey, msg);
    expect(ed25519Verify(kp.publicKey, msg, sig)).toBe(true);
    expect(ed25519Verify(kp.publicKey.subarray(0, 31), msg, sig)).toBe(false);
    expect(ed25519Verify(kp.publicKey, msg, sig.subarray(0, 63))).toBe(false);
    expect(ed25519Verify(kp.publicKey, msg, new Uint8Array([...sig, 0]))).toBe(false);
    expect(ed25519Verify(new Uint8Array(0), msg, new Uint8Array(0))).toBe(false);
  });
});
