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
 * Draws of up to this many bytes are served from a pool filled {@link POOL_BYTES} at a time: a
 * seal draws about five times 16 to 32 bytes, and each `getRandomValues` call costs about 2 us
 * whatever its size up to a few KiB (docs/PERFORMANCE.md, "Small messages").
 */
const POOL_MAX_DRAW = 64;
const POOL_BYTES = 4096;

let pool: Uint8Array | null = null;
let poolOffset = POOL_BYTES;

/**
 * The system CSPRNG: Web Crypto's `getRandomValues` (Node >= 19 and browsers), which is the very
 * source libsodium's WebAssembly build draws from, minus its cost per call (about 60 us for 32
 * bytes, against 2 us). libsodium's `randombytes_buf` where Web Crypto is missing.
 *
 * Short draws come from a 4 KiB pool of the same source. Bytes are zeroed in the pool as they are
 * handed out, so the pool never holds a copy of a key that was drawn from it; what it holds is
 * bytes nobody has seen yet, as the operating system's own pool does.
 */
export const systemRandom: RandomSource = (n) => {
  const webCrypto = globalThis.crypto;
  if (typeof webCrypto?.getRandomValues !== 'function') return sodium().randombytes_buf(n);
  if (n <= POOL_MAX_DRAW) {
    if (poolOffset + n > POOL_BYTES) {
      pool ??= new Uint8Array(POOL_BYTES);
      webCrypto.getRandomValues(pool);
      poolOffset = 0;
    }
    const out = pool!.slice(poolOffset, poolOffset + n);
    pool!.fill(0, poolOffset, poolOffset + n);
    poolOffset += n;
    return out;
  }
  const out = new Uint8Array(n);
  for (let off = 0; off < n; off += GET_RANDOM_VALUES_MAX_BYTES) {
    webCrypto.getRandomValues(out.subarray(off, Math.min(n, off + GET_RANDOM_VALUES_MAX_BYTES)));
  }
  return out;
};
