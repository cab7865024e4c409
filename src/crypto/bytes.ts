/**
 * Byte-array helpers that matter for security: constant-time comparison and wiping.
 */
import { forgetKeptKeys } from './node-kept-keys.js';
import { sodium } from './sodium.js';

/**
 * Compare two byte arrays in time that depends only on their length (libsodium `sodium_memcmp`).
 * Use it for every comparison of secret or secret-derived values (MACs, commitments).
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  if (a.length === 0) return true;
  return sodium().memcmp(a, b);
}

/**
 * Overwrite a secret buffer with zeros once it is no longer needed, and drop any OpenSSL copy
 * kept for it (`node-kept-keys.ts`).
 */
export function wipe(...buffers: (Uint8Array | undefined | null)[]): void {
  for (const b of buffers) {
    if (!b) continue;
    if (b.length > 0) b.fill(0);
    forgetKeptKeys(b);
  }
}

/** Concatenate byte arrays into a new one. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** One encoder for every call: constructing a TextEncoder costs more than encoding a short string. */
const encoder = new TextEncoder();

/** Encode a UTF-8 string (context strings, type names). */
export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}
