import { describe, expect, it } from 'vitest';
import { decodeCanonical, encodeCanonical } from '../../src/cbor/index.js';

const BOM = [0xef, 0xbb, 0xbf];
const ascii = (s: string) => Array.from(new TextEncoder().encode(s));

describe('canonical CBOR text strings keep a leading byte order mark (SPEC section 2)', () => {
  it('decodes EF BB BF "sender" to a string that is not "sender"', () => {
    // {"\uFEFFsender": 1}
    const bytes = new Uint8Array([0xa1, 0x69, ...BOM, ...ascii('sender'), 0x01]);
    const map = decodeCanonical(bytes) as Record<string, unknown>;
    expect(Object.keys(map)).toEqual(['\uFEFFsender']);
    expect('sender' in map).toBe(false);
  });

  it('cannot smuggle a second value for a key past the duplicate-key check', () => {
    // {"sender": 1, "\uFEFFsender": 2}: distinct encoded keys in canonical order.
    const bytes = new Uint8Array([0xa2, 0x66, ...ascii('sender'), 0x01, 0x69, ...BOM, ...ascii('sender'), 0x02]);
    const map = decodeCanonical(bytes) as Record<string, unknown>;
    expect(map.sender).toBe(1);
    expect(map['\uFEFFsender']).toBe(2);
  });

  it('round-trips a text value that starts with U+FEFF byte for byte', () => {
    const bytes = encodeCanonical('\uFEFFX25519');
    expect(Array.from(bytes.subarray(1, 4))).toEqual(BOM);
    expect(decodeCanonical(bytes)).toBe('\uFEFFX25519');
  });
});
