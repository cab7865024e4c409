/**
 * The meta block (SPEC section 5.3): who sent the envelope, to whom, when, and what it holds.
 * It travels encrypted inside the header, so an outside observer learns none of it.
 * Encoding only; encryption is in seal.ts and open.ts.
 */
import { decodeCanonical, encodeCanonical, type CborMap } from '../cbor/index.js';
import { utf8 } from '../crypto/bytes.js';
import { ED25519_PUBLIC_KEY_BYTES } from '../crypto/ed25519.js';
import { ENVELOPE_ID_BYTES, LIMITS, RECIPIENT_ID_BYTES } from './constants.js';
import { ENVELOPE_CBOR_LIMITS, expectBytes, expectKeys, expectMap, expectUint } from './header.js';
import { paddedMetaLength } from './padding.js';

/** The decoded meta block. */
export interface EnvelopeMeta {
  /** 16 random bytes naming this envelope (replay detection). */
  id: Uint8Array;
  /** Creation time, Unix seconds. */
  created: number;
  /** Expiry time, Unix seconds, if any. */
  expires: number | null;
  /** The sender's Ed25519 public key; null for an anonymous envelope. */
  sender: Uint8Array | null;
  /** Recipient ids of every real recipient, in sealing order. */
  to: Uint8Array[];
  /** Exact payload length, present whenever the sealer knew it (always when padded). */
  len: number | null;
  /** Media type of the payload, if given. */
  contentType: string | null;
  /**
   * Whether the envelope is padded (SPEC 5.6): the meta block carries `"pad"`, and the payload
   * is followed by zeros up to its Padmé length. Absent means false; decoding always sets it.
   */
  padded?: boolean;
}

/**
 * The meta block's canonical CBOR. A padded one (SPEC 5.6) gets a `"pad"` entry of zero bytes
 * that brings it to {@link paddedMetaLength} of `stanzaCount`, the number of stanzas in the header.
 */
export function encodeMeta(m: EnvelopeMeta, stanzaCount?: number): Uint8Array {
  const map: CborMap = { created: m.created, id: m.id, to: m.to };
  if (m.expires !== null) map.expires = m.expires;
  if (m.sender !== null) map.sender = m.sender;
  if (m.len !== null) map.len = m.len;
  if (m.contentType !== null) map.cty = m.contentType;
  const unpadded = encodeCanonical(map);
  if (!m.padded) return unpadded;
  if (stanzaCount === undefined) throw new TypeError('a padded meta block needs the stanza count');
  // "pad" (4 bytes), a 3-byte byte string head (0x59 + u16be), then the zeros: the room of
  // paddedMetaLength always leaves 256..65,535 of them, so the head is always 3 bytes.
  map.pad = new Uint8Array(paddedMetaLength(stanzaCount) - unpadded.length - 7);
  return encodeCanonical(map);
}

/**
 * Decode a meta block of a header with `stanzaCount` stanzas (needed only to check a padded
 * one; without it a padded block is refused). Any failure is reported by the caller as
 * ERR_ENVELOPE_TAMPERED.
 */
export function decodeMeta(bytes: Uint8Array, stanzaCount?: number): EnvelopeMeta {
  const map = expectMap(decodeCanonical(bytes, ENVELOPE_CBOR_LIMITS), 'meta');
  expectKeys(map, ['created', 'id', 'to'], ['expires', 'sender', 'len', 'cty', 'pad'], 'meta');
  const id = expectBytes(map.id, 'id', ENVELOPE_ID_BYTES);
  const created = expectUint(map.created, 'created');
  const expires = 'expires' in map ? expectUint(map.expires, 'expires') : null;
  const sender = 'sender' in map ? expectBytes(map.sender, 'sender', ED25519_PUBLIC_KEY_BYTES) : null;
  const len = 'len' in map ? expectUint(map.len, 'len') : null;
  if (!Array.isArray(map.to) || map.to.length === 0 || map.to.length > LIMITS.maxStanzas) throw new Error('meta "to" has a bad length');
  const to = map.to.map((r, i) => expectBytes(r, `to ${i}`, RECIPIENT_ID_BYTES));
  let contentType: string | null = null;
  if ('cty' in map) {
    // The limit is in UTF-8 bytes, as the sealer checks it (a string's .length counts UTF-16 units).
    if (typeof map.cty !== 'string' || utf8(map.cty).length > LIMITS.maxContentTypeBytes) {
      throw new Error('meta "cty" is not a short text string');
    }
    contentType = map.cty;
  }
  // SPEC 5.3 and 6.4: one rule for writers and readers, expires strictly after created.
  if (expires !== null && expires <= created) throw new Error('meta expires no later than it was created');
  const padded = 'pad' in map;
  if (padded) {
    // SPEC 6.4: a padded meta block has its one length, zero padding, and the payload length.
    const pad = expectBytes(map.pad, 'pad');
    if (pad.some((b) => b !== 0)) throw new Error('meta "pad" is not all zeros');
    if (len === null) throw new Error('padded meta block without "len"');
    if (stanzaCount === undefined || bytes.length !== paddedMetaLength(stanzaCount)) throw new Error('padded meta block of the wrong length');
  }
  return { id, created, expires, sender, to, len, contentType, padded };
}
