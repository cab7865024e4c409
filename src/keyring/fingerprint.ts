/**
 * Fingerprints and safety numbers: what two people read to each other over the phone to know
 * they hold the same key card (docs/KEYRING.md, "Fingerprints and safety numbers").
 *
 * Both are rendered as groups of five decimal digits. Digits read the same in every language a
 * partner agency may speak on the call, have no look-alikes (0/O, 1/l/I, B/8) and no letter
 * names that differ between alphabets; five-digit groups are what people already know from
 * Signal's safety numbers.
 */
import { concatBytes, utf8 } from '../crypto/bytes.js';
import { sha512 } from '../crypto/hash.js';

/** Size of a key card fingerprint in bytes (SHA-256). */
export const FINGERPRINT_BYTES = 32;

const GROUP_DIGITS = 5;
const GROUP_MODULUS = 100_000;
/** A formatted fingerprint: 8 groups, about 132.9 bits (8 x log2(100000)). */
const FINGERPRINT_GROUPS = 8;
/** A safety number: 12 groups, about 199 bits. */
const SAFETY_NUMBER_GROUPS = 12;

/** Render 4-byte big-endian words of `bytes` as `groups` five-digit groups. */
function digitGroups(bytes: Uint8Array, groups: number): string[] {
  const out: string[] = [];
  for (let g = 0; g < groups; g++) {
    const o = g * 4;
    const word = ((bytes[o]! << 24) >>> 0) + (bytes[o + 1]! << 16) + (bytes[o + 2]! << 8) + bytes[o + 3]!;
    // 2^32 mod 10^5 skews each group by at most 10^5 / 2^32 (about 0.002 %): negligible.
    out.push(String(word % GROUP_MODULUS).padStart(GROUP_DIGITS, '0'));
  }
  return out;
}

function fingerprintBytesOf(fp: Uint8Array | { fingerprint: Uint8Array }, what: string): Uint8Array {
  const bytes = fp instanceof Uint8Array ? fp : fp && typeof fp === 'object' ? fp.fingerprint : undefined;
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${what} must be a fingerprint (Uint8Array) or a KeyCard`);
  if (bytes.length !== FINGERPRINT_BYTES) throw new RangeError(`${what} must be ${FINGERPRINT_BYTES} bytes`);
  return bytes;
}

/**
 * A fingerprint for people to compare: 40 digits in eight groups of five, e.g.
 * `"04721 88310 ..."`. Each group is one 32-bit word of the fingerprint modulo 100,000, so all
 * 32 bytes contribute and the rendering keeps about 133 bits: forging a different card that
 * renders the same needs about 2^133 work.
 * @throws {TypeError | RangeError} if `fp` is not a 32-byte fingerprint or a KeyCard.
 */
export function formatFingerprint(fp: Uint8Array | { fingerprint: Uint8Array }): string {
  return digitGroups(fingerprintBytesOf(fp, 'fingerprint'), FINGERPRINT_GROUPS).join(' ');
}

/** Lower-case hex of a fingerprint (64 characters), for logs and machine references. */
export function fingerprintHex(fp: Uint8Array | { fingerprint: Uint8Array }): string {
  let s = '';
  for (const b of fingerprintBytesOf(fp, 'fingerprint')) s += b.toString(16).padStart(2, '0');
  return s;
}

/** A fingerprint reference as a person or program may write it. */
export type FingerprintRef =
  | {
      /** The full fingerprint was written (64 hex digits). */
      kind: 'hex';
      /** The 32 fingerprint bytes. */
      fingerprint: Uint8Array;
    }
  | {
      /** The 40-digit form of {@link formatFingerprint} was written. */
      kind: 'formatted';
      /** The digits in their normal form, to compare with {@link formatFingerprint}. */
      formatted: string;
    };

/**
 * Read `text` as a fingerprint: 64 hex digits (any case, optional `:`/space/`-` separators), or
 * the 40 digits of {@link formatFingerprint} (spaces and dashes ignored). Null if it is neither.
 */
export function parseFingerprint(text: string): FingerprintRef | null {
  const compact = text.trim().replace(/[\s:-]/g, '');
  if (/^[0-9a-fA-F]{64}$/.test(compact)) {
    const out = new Uint8Array(FINGERPRINT_BYTES);
    for (let i = 0; i < FINGERPRINT_BYTES; i++) out[i] = parseInt(compact.slice(i * 2, i * 2 + 2), 16);
    return { kind: 'hex', fingerprint: out };
  }
  if (/^[0-9]{40}$/.test(compact)) {
    const groups: string[] = [];
    for (let i = 0; i < compact.length; i += GROUP_DIGITS) groups.push(compact.slice(i, i + GROUP_DIGITS));
    return { kind: 'formatted', formatted: groups.join(' ') };
  }
  return null;
}

/** True if `text` reads as a fingerprint (see {@link parseFingerprint}). */
export function looksLikeFingerprint(text: string): boolean {
  return parseFingerprint(text) !== null;
}

/** True if `text` (hex or formatted) names the fingerprint `fp`. */
export function fingerprintMatches(text: string | Uint8Array, fp: Uint8Array): boolean {
  if (text instanceof Uint8Array) return text.length === fp.length && text.every((b, i) => b === fp[i]);
  const ref = parseFingerprint(text);
  if (ref === null) return false;
  if (ref.kind === 'hex') return ref.fingerprint.every((b, i) => b === fp[i]);
  return ref.formatted === formatFingerprint(fp);
}

/**
 * The safety number of two key cards: 60 digits in twelve groups of five, the same whichever
 * side computes it (the two fingerprints are sorted before hashing). Reading it aloud checks both
 * cards at once; it changes when either side rotates to a new card.
 * SHA-512("lintas/v1 safety number" || 0x00 || lower fingerprint || higher fingerprint),
 * rendered from its first 48 bytes like {@link formatFingerprint}.
 * @throws {TypeError | RangeError} if either argument is not a KeyCard or a 32-byte fingerprint.
 */
export function safetyNumber(a: Uint8Array | { fingerprint: Uint8Array }, b: Uint8Array | { fingerprint: Uint8Array }): string {
  const fa = fingerprintBytesOf(a, 'first card');
  const fb = fingerprintBytesOf(b, 'second card');
  const [lo, hi] = compareBytes(fa, fb) <= 0 ? [fa, fb] : [fb, fa];
  const digest = sha512(concatBytes(utf8('lintas/v1 safety number'), new Uint8Array([0]), lo, hi));
  return digitGroups(digest, SAFETY_NUMBER_GROUPS).join(' ');
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}
