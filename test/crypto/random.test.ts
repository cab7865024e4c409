/**
 * `systemRandom` (random.ts): short draws come from a 4 KiB pool of Web Crypto randomness, long
 * ones straight from Web Crypto. Every draw must have its length, be a fresh array of its own,
 * and never repeat bytes handed out before, across pool refills.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { systemRandom } from '../../src/crypto/random.js';
import { cryptoReady } from '../../src/crypto/sodium.js';
import { toHex } from './wycheproof.js';

beforeAll(cryptoReady);

describe('systemRandom', () => {
  it('gives draws of every length, each its own array, never repeating one across pool refills', () => {
    const seen = new Set<string>();
    let drawn = 0;
    for (let i = 0; i < 3000; i++) {
      const n = 16 + (i % 49); // 16..64 bytes: pooled draws, about 40 KiB in all (ten refills)
      const r = systemRandom(n);
      expect(r).toBeInstanceOf(Uint8Array);
      expect(r.length).toBe(n);
      expect(r.byteOffset).toBe(0);
      expect(r.buffer.byteLength).toBe(n); // not a view into the pool
      const h = toHex(r.subarray(0, 16));
      expect(seen.has(h), `draw ${i} repeats an earlier one`).toBe(false);
      seen.add(h);
      drawn += n;
    }
    expect(drawn).toBeGreaterThan(10 * 4096);
  });

  it('does not hand out zeros: the bytes of a draw are random, not the wiped pool', () => {
    // 64 KiB of pooled draws: all-zero 32-byte draws would be a pool served after wiping.
    let zeroDraws = 0;
    for (let i = 0; i < 2048; i++) if (systemRandom(32).every((b) => b === 0)) zeroDraws++;
    expect(zeroDraws).toBe(0);
  });

  it('fills long draws, past one Web Crypto call (65,536 bytes), without leaving zero blocks', () => {
    for (const n of [0, 65, 4096, 65536, 65537, 200_000]) {
      const r = systemRandom(n);
      expect(r.length).toBe(n);
      // No 64-byte block left unfilled.
      for (let off = 0; off + 64 <= n; off += 64) expect(r.subarray(off, off + 64).some((b) => b !== 0), `n ${n} block ${off}`).toBe(true);
    }
  });
});
