/**
 * Randomness. Production code always uses the system CSPRNG. The seal functions take a
 * {@link RandomSource} internally only so that the test-vector generator can reproduce an
 * envelope byte for byte; it is not part of the public API (no insecure switches).
 */
import { sodium } from './sodium.js';

/** Returns `n` random bytes. */
export type RandomSource = (n: number) => Uint8Array;

/** Web Crypto fills at most 65,536 bytes per call. */
const GET_RANDOM_VALUES_MAX_BYTES = 65536;

/**
 * The system CSPRNG: Web Crypto's `getRandomValues` (Node >= 19 and browsers), which is the very
 * source libsodium's WebAssembly build draws from, minus its cost per call (about 60 us for 32
 * bytes, against 2 us). libsodium's `randombytes_buf` where Web Crypto is missing.
 */
export const systemRandom: RandomSource = (n) => {
  const webCrypto = globalThis.crypto;
  if (typeof webCrypto?.getRandomValues !== 'function') return sodium().randombytes_buf(n);
  const out = new Uint8Array(n);
  for (let off = 0; off < n; off += GET_RANDOM_VALUES_MAX_BYTES) {
    webCrypto.getRandomValues(out.subarray(off, Math.min(n, off + GET_RANDOM_VALUES_MAX_BYTES)));
  }
  return out;
};
