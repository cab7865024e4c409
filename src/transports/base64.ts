/**
 * Standard padded base64 (RFC 4648 section 4) with `btoa`/`atob`, so it runs in browsers as well
 * as Node: envelopes carried inside JSON (TAXII `payload_bin`, relay lease answers with inline
 * envelopes, docs/TRANSPORTS.md 3.3).
 */

// Linear to check (no nested quantifier): the base64 alphabet, up to two '=' at the end.
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Standard padded base64 of `bytes`. */
export function toBase64(bytes: Uint8Array): string {
  let s = '';
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) s += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(s);
}

/** True for standard padded base64: a multiple of 4 characters of its alphabet, up to two '=' at the end. */
export function isBase64(text: string): boolean {
  return text.length % 4 === 0 && BASE64.test(text);
}

/** The bytes of base64 text; check it with {@link isBase64} first (`atob` throws a DOMException on other text). */
export function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
