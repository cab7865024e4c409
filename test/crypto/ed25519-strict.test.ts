/**
 * Ed25519 on both backends (SPEC 1.3): `ed25519Verify()` on node:crypto (OpenSSL behind lintas's
 * own checks of rules 1 to 4) and on libsodium (forced portable) must give the verdict of
 * libsodium's `crypto_sign_verify_detached` itself on every input: the Wycheproof file, random
 * signatures with random damage, and crafted attacks (small-order and mixed-order points,
 * S >= l, non-canonical A and R encodings). `ed25519Sign()` must give the same bytes on both.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fastEd25519, forceBulkBackendForTests } from '../../src/crypto/bulk-backend.js';
import { wipe } from '../../src/crypto/bytes.js';
import { ed25519KeyPairFromSeed, ed25519Sign, ed25519Verify } from '../../src/crypto/ed25519.js';
import { cryptoReady, sodium } from '../../src/crypto/sodium.js';
import {
  forgeWithIdentityR,
  forgeWithSmallOrderKey,
  IDENTITY_KEY,
  malleateS,
  mixedOrderSignature,
  NON_CANONICAL_IDENTITY_KEY,
  ORDER_TWO_KEY,
} from '../../scripts/ed25519-forgeries.js';
import { allCases, hex, label, loadWycheproof, toHex, type WycheproofCase } from './wycheproof.js';

interface EddsaCase extends WycheproofCase {
  msg: string;
  sig: string;
}
const wycheproof = allCases(loadWycheproof<EddsaCase, { publicKey: { pk: string } }>('ed25519_test.json'));

beforeAll(cryptoReady);
afterEach(() => forceBulkBackendForTests(null));

/** libsodium's own verdict, with nothing of lintas in between. */
function libsodiumVerdict(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    return sodium().crypto_sign_verify_detached(signature, message, publicKey);
  } catch {
    return false;
  }
}

/** ed25519Verify() on each backend, and libsodium's verdict; the three must agree. */
function verdicts(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): { node: boolean; portable: boolean; libsodium: boolean } {
  forceBulkBackendForTests(null);
  const node = ed25519Verify(publicKey, message, signature);
  forceBulkBackendForTests('portable');
  const portable = ed25519Verify(publicKey, message, signature);
  forceBulkBackendForTests(null);
  return { node, portable, libsodium: libsodiumVerdict(publicKey, message, signature) };
}

function expectSameVerdict(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array, what: string): boolean {
  const v = verdicts(publicKey, message, signature);
  expect(v, what).toEqual({ node: v.libsodium, portable: v.libsodium, libsodium: v.libsodium });
  return v.libsodium;
}

/** Deterministic bytes for the random cases: SHA-512 blocks of a label and counter. */
function bytesOf(labelText: string, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let off = 0, i = 0; off < n; off += 64, i++) {
    out.set(sodium().crypto_hash_sha512(new TextEncoder().encode(`${labelText} ${i}`)).subarray(0, Math.min(64, n - off)), off);
  }
  return out;
}

const le = (n: bigint): Uint8Array => Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
const P = 2n ** 255n - 19n;

describe('Ed25519 verification: node:crypto and libsodium give libsodium\'s verdict', () => {
  it('on Node, verification and signing run on node:crypto (which the cases below must reach)', () => {
    expect(fastEd25519()).not.toBeNull();
  });

  it('on every Wycheproof case', () => {
    let accepted = 0;
    for (const { group, test } of wycheproof) {
      const ok = expectSameVerdict(hex(group.publicKey.pk), hex(test.msg), hex(test.sig), label(test));
      expect(ok, label(test)).toBe(test.result === 'valid');
      if (ok) accepted++;
    }
    expect(accepted).toBe(88);
  });

  it('on random valid signatures, and on each with one random bit flipped in the key, the signature or the message', () => {
    let accepted = 0;
    for (let i = 0; i < 150; i++) {
      const kp = ed25519KeyPairFromSeed(bytesOf(`seed ${i}`, 32));
      const message = bytesOf(`message ${i}`, i * 7);
      const signature = ed25519Sign(kp.secretKey, message);
      if (expectSameVerdict(kp.publicKey, message, signature, `valid ${i}`)) accepted++;
      const bit = bytesOf(`bit ${i}`, 2);
      const where = bit[0]! % 3;
      const [pk, msg, sig] = [kp.publicKey.slice(), message.slice(), signature.slice()];
      const target = where === 0 ? pk : where === 1 || msg.length === 0 ? sig : msg;
      const index = ((bit[0]! << 8) | bit[1]!) % (target.length * 8);
      target[index >> 3]! ^= 1 << (index & 7);
      expect(expectSameVerdict(pk, msg, sig, `damaged ${i}`), `damaged ${i}`).toBe(false);
    }
    expect(accepted).toBe(150);
  });

  it('on random bytes as keys and signatures', () => {
    for (let i = 0; i < 300; i++) {
      const bytes = bytesOf(`junk ${i}`, 96);
      // Every fourth S is made canonical, so that the point checks and the equation are reached.
      if (i % 4 === 0) bytes[95]! &= 0x0f;
      expect(expectSameVerdict(bytes.subarray(0, 32), bytesOf(`junk message ${i}`, 40), bytes.subarray(32), `junk ${i}`)).toBe(false);
    }
  });

  it('refuses forgeries that pass the bare equation, which OpenSSL alone accepts: small-order and non-canonical keys, R of small order', () => {
    const message = new TextEncoder().encode('attack at dawn');
    const forgeries: [string, Uint8Array, Uint8Array][] = [
      ['identity key', IDENTITY_KEY, forgeWithSmallOrderKey(IDENTITY_KEY, message, 'identity')],
      ['order-two key', ORDER_TWO_KEY, forgeWithSmallOrderKey(ORDER_TWO_KEY, message, 'order two')],
      ['non-canonical identity key (y = p + 1)', NON_CANONICAL_IDENTITY_KEY, forgeWithSmallOrderKey(NON_CANONICAL_IDENTITY_KEY, message, 'non-canonical')],
    ];
    const r = forgeWithIdentityR(message, 'identity R');
    forgeries.push(['R = identity under a sound key', r.publicKey, r.signature]);
    const openssl = fastEd25519()!;
    for (const [what, publicKey, signature] of forgeries) {
      expect(expectSameVerdict(publicKey, message, signature, what), what).toBe(false);
      // The attack is real: OpenSSL's verifier without lintas's checks takes the forgery.
      expect(openssl.verify(publicKey, message, signature), what).toBe(true);
    }
  });

  it('refuses S >= l (malleability), on a valid signature and on a forgery', () => {
    const message = new TextEncoder().encode('malleable');
    const kp = ed25519KeyPairFromSeed(new Uint8Array(32).fill(3));
    const valid = ed25519Sign(kp.secretKey, message);
    expect(expectSameVerdict(kp.publicKey, message, valid, 'valid')).toBe(true);
    expect(expectSameVerdict(kp.publicKey, message, malleateS(valid), 'S + l')).toBe(false);
    const lOnly = valid.slice();
    lOnly.set(le(2n ** 252n + 27742317777372353535851937790883648493n), 32);
    expect(expectSameVerdict(kp.publicKey, message, lOnly, 'S = l')).toBe(false);
  });

  it('treats mixed-order keys as libsodium does: accepted exactly when the cofactorless equation holds', () => {
    const message = new TextEncoder().encode('mixed order');
    for (let i = 0; i < 4; i++) {
      const good = mixedOrderSignature(message, `mixed ${i}`, true);
      expect(expectSameVerdict(good.publicKey, message, good.signature, `mixed ${i}, 8 | k`)).toBe(true);
      const bad = mixedOrderSignature(message, `mixed ${i}`, false);
      expect(expectSameVerdict(bad.publicKey, message, bad.signature, `mixed ${i}, 8 ∤ k`)).toBe(false);
    }
  });

  it('refuses every small-order and non-canonical encoding as A and as R, with either sign bit', () => {
    const message = new TextEncoder().encode('encodings');
    const kp = ed25519KeyPairFromSeed(new Uint8Array(32).fill(4));
    const valid = ed25519Sign(kp.secretKey, message);
    const encodings: [string, Uint8Array][] = [];
    // y = 0 .. 18 and their non-canonical twins y + p (p + 0 .. p + 18, below 2^255).
    for (let y = 0n; y < 19n; y++) {
      encodings.push([`y = ${y}`, le(y)], [`y = p + ${y}`, le(P + y)]);
    }
    encodings.push(
      ['order 8 (a)', hex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05')],
      ['order 8 (b)', hex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a')],
      ['y = p - 1', le(P - 1n)],
      ['all ones', new Uint8Array(32).fill(0xff)],
    );
    for (const [what, enc] of encodings) {
      for (const sign of [0, 0x80]) {
        const e = enc.slice();
        e[31] = (e[31]! & 0x7f) | sign;
        expectSameVerdict(e, message, valid, `${what} (sign ${sign}) as A`);
        const asR = valid.slice();
        asR.set(e, 0);
        expect(expectSameVerdict(kp.publicKey, message, asR, `${what} (sign ${sign}) as R`)).toBe(false);
      }
    }
  });
});

describe('Ed25519 signing on node:crypto', () => {
  it('gives libsodium\'s bytes on the first, second and third use of a key array', () => {
    for (let i = 0; i < 40; i++) {
      const kp = ed25519KeyPairFromSeed(bytesOf(`sign seed ${i}`, 32));
      const message = bytesOf(`sign message ${i}`, i * 13);
      const expected = toHex(sodium().crypto_sign_detached(message, kp.secretKey));
      for (let use = 0; use < 3; use++) expect(toHex(ed25519Sign(kp.secretKey, message)), `${i} use ${use}`).toBe(expected);
      expect(toHex(fastEd25519()!.sign(kp.secretKey, message)!)).toBe(expected); // kept: OpenSSL signed
    }
  });

  it('leaves an inconsistent key pair (wrong embedded public key) to libsodium, whose bytes it keeps', () => {
    const kp = ed25519KeyPairFromSeed(new Uint8Array(32).fill(5));
    const other = ed25519KeyPairFromSeed(new Uint8Array(32).fill(6));
    const secretKey = kp.secretKey.slice();
    secretKey.set(other.publicKey, 32);
    const message = new TextEncoder().encode('inconsistent');
    const expected = toHex(sodium().crypto_sign_detached(message, secretKey));
    for (let use = 0; use < 3; use++) expect(toHex(ed25519Sign(secretKey, message))).toBe(expected);
    expect(fastEd25519()!.sign(secretKey, message)).toBeNull();
  });

  it('never signs with a stale key: a changed array is re-imported, a wiped one forgotten', () => {
    const a = ed25519KeyPairFromSeed(new Uint8Array(32).fill(7));
    const b = ed25519KeyPairFromSeed(new Uint8Array(32).fill(8));
    const message = new TextEncoder().encode('stale');
    const secretKey = a.secretKey.slice();
    ed25519Sign(secretKey, message);
    ed25519Sign(secretKey, message);
    secretKey.set(b.secretKey);
    expect(toHex(ed25519Sign(secretKey, message))).toBe(toHex(sodium().crypto_sign_detached(message, b.secretKey)));
    wipe(secretKey);
    expect(fastEd25519()!.sign(secretKey, message)).toBeNull(); // forgotten: a first use again
  });

  it('uses only libsodium when the portable backend is forced', () => {
    forceBulkBackendForTests('portable');
    expect(fastEd25519()).toBeNull();
    const kp = ed25519KeyPairFromSeed(new Uint8Array(32).fill(9));
    const message = new Uint8Array([1, 2, 3]);
    const signature = ed25519Sign(kp.secretKey, message);
    expect(ed25519Verify(kp.publicKey, message, signature)).toBe(true);
  });
});
