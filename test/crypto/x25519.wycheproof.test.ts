/**
 * Every Wycheproof X25519 case (x25519_test.json, XdhComp) through lintas' `x25519()`.
 *
 * How the Wycheproof verdicts map onto lintas (SPEC section 4.1):
 * - "valid": x25519() must return exactly `shared`.
 * - "acceptable" with flag ZeroSharedSecret (always together with LowOrderPublic in this file):
 *   the peer key is a low-order point, the shared secret is all zeros. RFC 7748 section 6.1 lets
 *   an implementation abort here and lintas must: x25519() throws ERR_CRYPTO_LOW_ORDER_POINT.
 *   (libsodium itself already refuses an all-zero result; x25519.ts checks again.)
 * - "acceptable" for any other reason (Twist, NonCanonicalPublic, SmallPublicKey,
 *   SpecialPublicKey, EdgeCase*): libraries may reject such keys, but RFC 7748 says to mask the
 *   top bit and reduce a non-canonical u, and the result is a usable non-zero secret. libsodium
 *   does exactly that, so lintas accepts them and must return exactly `shared`.
 * No case in the file is "invalid". The counts below pin the mapping: a changed file, a broken
 * loader or a changed libsodium verdict fails the test instead of passing with fewer cases.
 * `x25519WithOwnKey()` (libsodium on a key's first use, node:crypto on Node after that) must give
 * every case the same result and error as `x25519()`.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fastRepeatedKeyX25519, forceBulkBackendForTests } from '../../src/crypto/bulk-backend.js';
import { wipe } from '../../src/crypto/bytes.js';
import { cryptoReady } from '../../src/crypto/sodium.js';
import { x25519, x25519WithOwnKey, X25519_KEY_BYTES } from '../../src/crypto/x25519.js';
import { isLintasError } from '../../src/errors/index.js';
import { allCases, hex, label, loadWycheproof, toHex, type WycheproofCase } from './wycheproof.js';

interface XdhCase extends WycheproofCase {
  public: string;
  private: string;
  shared: string;
}

const file = loadWycheproof<XdhCase>('x25519_test.json');
const cases = allCases(file).map(({ test }) => test);
const ZERO_SHARED = '00'.repeat(32);

beforeAll(cryptoReady);

describe('Wycheproof x25519_test.json through x25519()', () => {
  it('has the expected cases', () => {
    expect(file.algorithm).toBe('XDH');
    expect(cases).toHaveLength(518);
    expect(cases.filter((t) => t.result === 'valid')).toHaveLength(264);
    expect(cases.filter((t) => t.result === 'acceptable')).toHaveLength(254);
    expect(cases.filter((t) => t.result === 'invalid')).toHaveLength(0);
  });

  it('maps the flags consistently: ZeroSharedSecret <=> LowOrderPublic <=> all-zero shared', () => {
    for (const t of cases) {
      const flags = t.flags ?? [];
      const zero = t.shared === ZERO_SHARED;
      expect(flags.includes('ZeroSharedSecret'), label(t)).toBe(zero);
      expect(flags.includes('LowOrderPublic'), label(t)).toBe(zero);
      // Wycheproof never calls an all-zero result "valid".
      if (zero) expect(t.result, label(t)).toBe('acceptable');
    }
  });

  it('computes every valid and non-degenerate acceptable case and rejects every low-order one', () => {
    const tally = { validComputed: 0, acceptableComputed: 0, lowOrderRejected: 0 };
    for (const t of cases) {
      if (t.shared === ZERO_SHARED) {
        let err: unknown;
        try {
          x25519(hex(t.private), hex(t.public));
        } catch (e) {
          err = e;
        }
        expect(isLintasError(err, 'ERR_CRYPTO_LOW_ORDER_POINT'), label(t)).toBe(true);
        tally.lowOrderRejected++;
      } else {
        expect(toHex(x25519(hex(t.private), hex(t.public))), label(t)).toBe(t.shared);
        if (t.result === 'valid') tally.validComputed++;
        else tally.acceptableComputed++;
      }
    }
    expect(tally).toEqual({ validComputed: 264, acceptableComputed: 223, lowOrderRejected: 31 });
  });

  it('accepts the acceptable-but-odd public keys (twist, non-canonical u) with the RFC 7748 result', () => {
    // Spelled out separately so a stricter libsodium (rejecting twist or non-canonical points)
    // is reported as exactly this behaviour change.
    const odd = cases.filter((t) => t.result === 'acceptable' && t.shared !== ZERO_SHARED);
    const byFlag = (f: string): number => odd.filter((t) => t.flags?.includes(f)).length;
    expect({ twist: byFlag('Twist'), nonCanonical: byFlag('NonCanonicalPublic') }).toEqual({ twist: 216, nonCanonical: 13 });
    for (const t of odd) expect(toHex(x25519(hex(t.private), hex(t.public))), label(t)).toBe(t.shared);
  });
});

describe('x25519() input validation', () => {
  const key = new Uint8Array(X25519_KEY_BYTES).fill(7);
  it.each([0, 31, 33, 64])('throws RangeError (not a low-order error) for a %i-byte key', (n) => {
    expect(() => x25519(new Uint8Array(n).fill(7), key)).toThrow(RangeError);
    expect(() => x25519(key, new Uint8Array(n).fill(9))).toThrow(RangeError);
  });
});

describe('x25519WithOwnKey(): the same results and errors as x25519(), on libsodium and node:crypto', () => {
  afterEach(() => forceBulkBackendForTests(null));

  const outcome = (f: () => Uint8Array): string => {
    try {
      return toHex(f());
    } catch (e) {
      return isLintasError(e, 'ERR_CRYPTO_LOW_ORDER_POINT') ? 'low order' : `other error: ${String(e)}`;
    }
  };

  it('on Node, has the node:crypto path (which the cases below must reach)', () => {
    expect(fastRepeatedKeyX25519()).not.toBeNull();
  });

  it('matches x25519() on every case, on the first, second and third use of a key array', () => {
    const tally = { computed: 0, lowOrderRejected: 0 };
    for (const t of cases) {
      const expected = t.shared === ZERO_SHARED ? 'low order' : t.shared;
      const secretKey = hex(t.private);
      for (let use = 0; use < 3; use++) expect(outcome(() => x25519WithOwnKey(secretKey, hex(t.public))), `${label(t)} use ${use}`).toBe(expected);
      if (expected === 'low order') tally.lowOrderRejected++;
      else tally.computed++;
    }
    expect(tally).toEqual({ computed: 487, lowOrderRejected: 31 });
  });

  it('gets every non-degenerate case right on node:crypto itself, not through a fallback', () => {
    const fast = fastRepeatedKeyX25519()!;
    let computed = 0;
    for (const t of cases) {
      if (t.shared === ZERO_SHARED) continue;
      const secretKey = hex(t.private);
      expect(fast(secretKey, hex(t.public)), label(t)).toBeNull(); // first use: left to libsodium
      expect(toHex(fast(secretKey, hex(t.public))!), label(t)).toBe(t.shared);
      computed++;
    }
    expect(computed).toBe(487);
  });

  it('never answers with a stale key: a changed array is re-imported, a wiped one forgotten', () => {
    const valid = cases.filter((t) => t.result === 'valid');
    const [a, b] = [valid[0]!, valid[1]!];
    const fast = fastRepeatedKeyX25519()!;
    const secretKey = hex(a.private);
    const peer = hex(a.public);
    fast(secretKey, peer);
    expect(toHex(x25519WithOwnKey(secretKey, peer))).toBe(a.shared);
    // Same array, other key bytes: the result must be the new key's.
    secretKey.set(hex(b.private));
    expect(toHex(x25519WithOwnKey(secretKey, hex(b.public)))).toBe(b.shared);
    expect(toHex(fast(secretKey, hex(b.public))!)).toBe(b.shared);
    // wipe() drops the kept key: the array counts as never seen again.
    wipe(secretKey);
    expect(fast(secretKey, peer)).toBeNull();
    secretKey.set(hex(a.private));
    expect(toHex(x25519WithOwnKey(secretKey, peer))).toBe(a.shared);
  });

  it('uses only libsodium when the portable backend is forced', () => {
    forceBulkBackendForTests('portable');
    expect(fastRepeatedKeyX25519()).toBeNull();
    const t = cases.find((c) => c.result === 'valid')!;
    const secretKey = hex(t.private);
    for (let use = 0; use < 2; use++) expect(toHex(x25519WithOwnKey(secretKey, hex(t.public)))).toBe(t.shared);
  });

  it.each([0, 31, 33])('throws RangeError for a %i-byte key, like x25519()', (n) => {
    const key = new Uint8Array(X25519_KEY_BYTES).fill(7);
    for (let use = 0; use < 2; use++) {
      expect(() => x25519WithOwnKey(new Uint8Array(n).fill(7), key)).toThrow(RangeError);
      expect(() => x25519WithOwnKey(key, new Uint8Array(n).fill(9))).toThrow(RangeError);
    }
  });
});
