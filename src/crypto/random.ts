/**
 * Randomness. Production code always uses libsodium's CSPRNG. The seal functions take a
 * {@link RandomSource} internally only so that the test-vector generator can reproduce an
 * envelope byte for byte; it is not part of the public API (no insecure switches).
 */
import { sodium } from './sodium.js';

/** Returns `n` random bytes. */
export type RandomSource = (n: number) => Uint8Array;

/** The system CSPRNG (libsodium `randombytes_buf`). */
export const systemRandom: RandomSource = (n) => sodium().randombytes_buf(n);
