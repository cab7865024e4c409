/**
 * The byte limits of SPEC section 7 count UTF-8 bytes, never UTF-16 code units, so a reader in
 * another language (which sees bytes) accepts and rejects exactly the same headers and meta blocks.
 */
import { describe, expect, it } from 'vitest';
import { encodeCanonical } from '../../src/cbor/index.js';
import { decodeHeader } from '../../src/envelope/header.js';
import { decodeMeta } from '../../src/envelope/meta.js';

// 16 x U+00E9: 16 UTF-16 code units but 32 UTF-8 bytes, the longest type the limit allows.
const TYPE_32_BYTES = '\u00e9'.repeat(16);

function headerWithStanza(type: string, bodyLength: number): Uint8Array {
  return encodeCanonical({
    chunk: 16,
    commit: new Uint8Array(32),
    meta: new Uint8Array(64),
    salt: new Uint8Array(32),
    stanzas: [[type, new Uint8Array(32), [], new Uint8Array(bodyLength)]],
  });
}

describe('stanza size limit (2,048 bytes) counts the UTF-8 bytes of the type', () => {
  it('accepts a stanza of exactly 2,048 bytes', () => {
    expect(decodeHeader(headerWithStanza(TYPE_32_BYTES, 2048 - 32 - 32)).stanzas).toHaveLength(1);
  });

  it('rejects a stanza one byte over, even though its type is only 16 UTF-16 units', () => {
    expect(() => decodeHeader(headerWithStanza(TYPE_32_BYTES, 2048 - 32 - 32 + 1))).toThrow(
      expect.objectContaining({ code: 'ERR_ENVELOPE_LIMIT_EXCEEDED' }),
    );
  });
});

describe('content type limit (256 bytes) counts UTF-8 bytes', () => {
  const meta = (cty: string) => encodeCanonical({ created: 1, id: new Uint8Array(16), to: [new Uint8Array(32)], cty });

  it('accepts 128 x U+00E9 (256 bytes)', () => {
    expect(decodeMeta(meta('\u00e9'.repeat(128))).contentType).toHaveLength(128);
  });

  it('rejects 129 x U+00E9 (258 bytes, 129 UTF-16 units)', () => {
    expect(() => decodeMeta(meta('\u00e9'.repeat(129)))).toThrow();
  });
});
