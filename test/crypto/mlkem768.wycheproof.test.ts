/**
 * ML-KEM-768 is used by lintas only inside X-Wing (src/crypto/xwing.ts), which libsodium builds
 * on its own crypto_kem_mlkem768_*. lintas has no ML-KEM function of its own, so this test
 * calls libsodium's ML-KEM-768 directly (tests may import the sumo module) and runs every case of
 * Wycheproof's mlkem_768_test.json (key generation from seed + decapsulation) and
 * mlkem_768_encaps_test.json (deterministic encapsulation + the FIPS 203 section 7.2 input
 * checks) through it, so the primitive under X-Wing is checked against FIPS 203.
 *
 * Vector formats: `seed` is the 64-byte d || z of ML-KEM.KeyGen_internal (libsodium's seed
 * format); `m` is the 32-byte encapsulation randomness; `c` and `K` are ciphertext and secret.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import sodiumModule from 'libsodium-wrappers-sumo';
import { allCases, hex, label, loadWycheproof, toHex, type WycheproofCase } from './wycheproof.js';

/** The libsodium 1.0.22 ML-KEM-768 functions, typed here so the test does not depend on typings. */
interface MlKem768 {
  crypto_kem_mlkem768_seed_keypair(seed: Uint8Array): { publicKey: Uint8Array; privateKey: Uint8Array };
  crypto_kem_mlkem768_enc_deterministic(publicKey: Uint8Array, seed: Uint8Array): { ciphertext: Uint8Array; sharedSecret: Uint8Array };
  crypto_kem_mlkem768_dec(ciphertext: Uint8Array, privateKey: Uint8Array): Uint8Array;
  crypto_kem_mlkem768_SEEDBYTES: number;
  crypto_kem_mlkem768_PUBLICKEYBYTES: number;
  crypto_kem_mlkem768_CIPHERTEXTBYTES: number;
}

interface MlKemCase extends WycheproofCase {
  seed: string;
  ek?: string;
  c: string;
  K: string;
}
interface MlKemEncapsCase extends WycheproofCase {
  m: string;
  ek: string;
  c: string;
  K: string;
}

let kem: MlKem768;

beforeAll(async () => {
  await sodiumModule.ready;
  kem = sodiumModule as unknown as MlKem768;
});

function throws(f: () => unknown): boolean {
  try {
    f();
    return false;
  } catch {
    return true;
  }
}

describe('Wycheproof mlkem_768_test.json (keygen from seed, decapsulation)', () => {
  const file = loadWycheproof<MlKemCase>('mlkem_768_test.json');
  const cases = allCases(file).map(({ test }) => test);

  it('has the expected cases and libsodium has the FIPS 203 sizes', () => {
    expect(file.algorithm).toBe('ML-KEM');
    expect(cases).toHaveLength(193);
    expect(kem.crypto_kem_mlkem768_SEEDBYTES).toBe(64);
    expect(kem.crypto_kem_mlkem768_PUBLICKEYBYTES).toBe(1184);
    expect(kem.crypto_kem_mlkem768_CIPHERTEXTBYTES).toBe(1088);
  });

  it('derives every encapsulation key, decapsulates every valid case and refuses bad lengths', () => {
    const tally = { valid: 0, implicitRejection: 0, badSeedLength: 0, badCiphertextLength: 0 };
    for (const t of cases) {
      const seed = hex(t.seed);
      if (seed.length !== 64) {
        // "Private key too short/long": the seed is the private key; no key may come out of it.
        expect(t.result, label(t)).toBe('invalid');
        expect(throws(() => kem.crypto_kem_mlkem768_seed_keypair(seed)), label(t)).toBe(true);
        tally.badSeedLength++;
        continue;
      }
      const kp = kem.crypto_kem_mlkem768_seed_keypair(seed);
      expect(toHex(kp.publicKey), label(t)).toBe(t.ek);
      const c = hex(t.c);
      if (c.length !== 1088) {
        expect(t.result, label(t)).toBe('invalid');
        expect(throws(() => kem.crypto_kem_mlkem768_dec(c, kp.privateKey)), label(t)).toBe(true);
        tally.badCiphertextLength++;
        continue;
      }
      expect(t.result, label(t)).toBe('valid');
      // For "Random ciphertext", "Bit flipped ciphertext" and the Strcmp case, K is the
      // implicit-rejection secret J(z || c): decapsulation must return it, not fail.
      expect(toHex(kem.crypto_kem_mlkem768_dec(c, kp.privateKey)), label(t)).toBe(t.K);
      tally.valid++;
      if (/Random ciphertext|Bit flipped/.test(t.comment ?? '') || t.flags?.includes('Strcmp')) tally.implicitRejection++;
    }
    expect(tally).toEqual({ valid: 153, implicitRejection: 21, badSeedLength: 20, badCiphertextLength: 20 });
  });
});

describe('Wycheproof mlkem_768_encaps_test.json (deterministic encapsulation, key checks)', () => {
  const file = loadWycheproof<MlKemEncapsCase>('mlkem_768_encaps_test.json');
  const cases = allCases(file).map(({ test }) => test);

  it('has the expected cases', () => {
    expect(file.algorithm).toBe('ML-KEM');
    expect(cases).toHaveLength(265);
  });

  it('encapsulates every valid case exactly and refuses every invalid key', () => {
    const tally = { valid: 0, notReduced: 0, badLength: 0 };
    for (const t of cases) {
      const ek = hex(t.ek);
      const m = hex(t.m);
      if (t.result === 'valid') {
        const out = kem.crypto_kem_mlkem768_enc_deterministic(ek, m);
        expect(toHex(out.ciphertext), label(t)).toBe(t.c);
        expect(toHex(out.sharedSecret), label(t)).toBe(t.K);
        tally.valid++;
        continue;
      }
      // FIPS 203 section 7.2: an encapsulation key with a coefficient >= q ("Public key not
      // reduced", "ModulusOverflow") or of the wrong length must be refused.
      expect(throws(() => kem.crypto_kem_mlkem768_enc_deterministic(ek, m)), label(t)).toBe(true);
      if (ek.length === 1184) tally.notReduced++;
      else tally.badLength++;
    }
    expect(tally).toEqual({ valid: 133, notReduced: 112, badLength: 20 });
  });
});
