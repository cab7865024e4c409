/**
 * Key cards: creation, strict decoding, and attacks on the signed encoding (flip, strip, swap,
 * truncate, re-version, non-canonical CBOR); fingerprints and safety numbers.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeCanonical, decodeCanonical, type CborMap } from '../../src/cbor/index.js';
import {
  armorKeyCard,
  createKeyCard,
  decodeKeyCard,
  encodeKeyCard,
  fingerprintHex,
  formatFingerprint,
  generateIdentityKeys,
  identityKeysFromSeed,
  parseFingerprint,
  safetyNumber,
  type IdentityKeys,
  type KeyCard,
} from '../../src/index.js';
import { expectCode } from './keyring-kit.js';

let keys: IdentityKeys;
let other: IdentityKeys;
let card: KeyCard;

function params(k: IdentityKeys = keys) {
  return {
    keys: k,
    name: 'BIN Direktorat 21',
    organization: 'Badan Intelijen Negara',
    country: 'id',
    validFrom: new Date('2026-01-01T00:00:00Z'),
    validUntil: new Date('2028-01-01T00:00:00Z'),
  };
}

/** Rebuild a card's outer map with changes, re-encoded canonically (signatures untouched). */
function reencode(bytes: Uint8Array, change: (outer: CborMap, body: CborMap) => void): Uint8Array {
  const outer = { ...(decodeCanonical(bytes) as CborMap) };
  const body = { ...(decodeCanonical(outer.body as Uint8Array) as CborMap) };
  change(outer, body);
  if (!('body' in outer) || outer.body instanceof Uint8Array) outer.body = outer.body ?? encodeCanonical(body);
  return encodeCanonical(outer);
}

beforeAll(async () => {
  keys = await identityKeysFromSeed(new Uint8Array(32).fill(7));
  other = await generateIdentityKeys();
  card = await createKeyCard(params());
});

describe('creating and decoding', () => {
  it('round-trips through bytes and armor with every field intact', async () => {
    expect(card.name).toBe('BIN Direktorat 21');
    expect(card.organization).toBe('Badan Intelijen Negara');
    expect(card.country).toBe('ID');
    expect(card.signingPublicKey).toEqual(keys.signing.publicKey);
    expect(card.encryptionKeys.map((k) => k.type)).toEqual(['X25519', 'X-Wing']);
    expect(card.encryptionKeys[1]!.publicKey).toEqual(keys.xwing.publicKey);
    expect(card.validFrom.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(card.previous).toBeNull();
    const armored = armorKeyCard(card);
    expect(armored.startsWith('-----BEGIN LINTAS KEY CARD-----\n')).toBe(true);
    expect(armored.trimEnd().endsWith('-----END LINTAS KEY CARD-----')).toBe(true);
    for (const input of [encodeKeyCard(card), armored, armored.replace(/\n/g, '\r\n')]) {
      const again = await decodeKeyCard(input);
      expect(again.fingerprint).toEqual(card.fingerprint);
      expect(again.bytes).toEqual(card.bytes);
    }
  });

  it('is deterministic: the same keys and fields give the same bytes and fingerprint', async () => {
    const again = await createKeyCard(params());
    expect(again.bytes).toEqual(card.bytes);
    expect(fingerprintHex(again)).toBe(fingerprintHex(card));
  });

  it('gives a different fingerprint when any signed field changes', async () => {
    const variants = [
      { ...params(), name: 'BIN Direktorat 22' },
      { ...params(), organization: 'BIN' },
      { ...params(), country: 'MY' },
      { ...params(), validUntil: new Date('2028-01-01T00:00:01Z') },
      { ...params(), includeXWing: false },
      params(other),
    ];
    const seen = new Set([fingerprintHex(card)]);
    for (const v of variants) seen.add(fingerprintHex(await createKeyCard(v)));
    expect(seen.size).toBe(variants.length + 1);
  });

  it('can publish only an X25519 key', async () => {
    const c = await createKeyCard({ ...params(), includeXWing: false });
    expect(c.encryptionKeys.map((k) => k.type)).toEqual(['X25519']);
  });

  it('refuses bad parameters at creation with TypeError or RangeError', async () => {
    await expect(createKeyCard({ ...params(), country: 'UK' })).rejects.toThrow(RangeError); // ISO code is GB
    await expect(createKeyCard({ ...params(), country: 'IDN' })).rejects.toThrow(RangeError);
    await expect(createKeyCard({ ...params(), name: '' })).rejects.toThrow(RangeError);
    await expect(createKeyCard({ ...params(), name: ' padded' })).rejects.toThrow(RangeError);
    await expect(createKeyCard({ ...params(), name: 'BIN\u202eNIB' })).rejects.toThrow(RangeError); // bidi override
    await expect(createKeyCard({ ...params(), organization: 'a\u0000b' })).rejects.toThrow(RangeError);
    await expect(createKeyCard({ ...params(), name: 'x'.repeat(257) })).rejects.toThrow(RangeError);
    await expect(createKeyCard({ ...params(), validUntil: new Date('2025-01-01T00:00:00Z') })).rejects.toThrow(RangeError);
    await expect(createKeyCard({ ...params(), validUntil: new Date('invalid') })).rejects.toThrow(TypeError);
    await expect(createKeyCard({ ...params(), name: 42 as unknown as string })).rejects.toThrow(TypeError);
    await expect(
      createKeyCard({ ...params(other), predecessor: { card, signing: other.signing } }),
    ).rejects.toThrow(RangeError); // the predecessor's key must be the predecessor card's
  });

  it('normalizes names to NFC, so one name has one encoding', async () => {
    const decomposed = 'Polis Diraja Male\u0301'; // e + combining acute
    const c = await createKeyCard({ ...params(), name: decomposed });
    expect(c.name).toBe(decomposed.normalize('NFC'));
  });
});

describe('tampering with the encoding', () => {
  it('refuses every single-bit flip of the encoded card', async () => {
    const bytes = encodeKeyCard(card);
    const codes = new Set<string>();
    for (let i = 0; i < bytes.length; i++) {
      const bad = bytes.slice();
      bad[i]! ^= 1 << (i % 8);
      const err = await decodeKeyCard(bad).then(
        () => null,
        (e: { code?: string }) => e,
      );
      expect(err, `flip at byte ${i} was accepted`).not.toBeNull();
      codes.add(err!.code!);
    }
    expect([...codes].every((c) => ['ERR_KEYCARD_MALFORMED', 'ERR_KEYCARD_SIGNATURE_INVALID', 'ERR_KEYCARD_UNSUPPORTED_VERSION'].includes(c))).toBe(true);
    expect(codes.has('ERR_KEYCARD_SIGNATURE_INVALID')).toBe(true);
  });

  it('refuses every truncation and trailing bytes', async () => {
    const bytes = encodeKeyCard(card);
    for (let n = 0; n < bytes.length; n += 7) await expectCode(decodeKeyCard(bytes.subarray(0, n)), 'ERR_KEYCARD_MALFORMED');
    await expectCode(decodeKeyCard(new Uint8Array([...bytes, 0])), 'ERR_KEYCARD_MALFORMED');
  });

  it('refuses a card whose self-signature was stripped or replaced', async () => {
    await expectCode(decodeKeyCard(reencode(card.bytes, (o) => void delete o.self)), 'ERR_KEYCARD_MALFORMED');
    const forged = reencode(card.bytes, (o) => void (o.self = new Uint8Array(64)));
    await expectCode(decodeKeyCard(forged), 'ERR_KEYCARD_SIGNATURE_INVALID');
  });

  it('refuses keys swapped between two cards (the signatures no longer match)', async () => {
    const theirs = await createKeyCard({ ...params(other), name: 'Someone else' });
    const theirBody = decodeCanonical((decodeCanonical(theirs.bytes) as CborMap).body as Uint8Array) as CborMap;
    // Our card, carrying their encryption keys: signed by us over other keys.
    const swappedEnc = reencode(card.bytes, (o, b) => {
      b.enc = theirBody.enc!;
      o.body = encodeCanonical(b);
    });
    await expectCode(decodeKeyCard(swappedEnc), 'ERR_KEYCARD_SIGNATURE_INVALID');
    // Our card with their signing key (our signature does not verify under it).
    const swappedSign = reencode(card.bytes, (o, b) => {
      b.sign = theirBody.sign!;
      o.body = encodeCanonical(b);
    });
    await expectCode(decodeKeyCard(swappedSign), 'ERR_KEYCARD_SIGNATURE_INVALID');
    // Their signature moved onto our body.
    const swappedSig = reencode(card.bytes, (o) => void (o.self = (decodeCanonical(theirs.bytes) as CborMap).self!));
    await expectCode(decodeKeyCard(swappedSig), 'ERR_KEYCARD_SIGNATURE_INVALID');
  });

  it('reports an unknown version as unsupported, before reading anything else', async () => {
    await expectCode(decodeKeyCard(reencode(card.bytes, (o) => void (o.v = 2))), 'ERR_KEYCARD_UNSUPPORTED_VERSION');
    await expectCode(decodeKeyCard(encodeCanonical({ v: 9, future: 'shape' })), 'ERR_KEYCARD_UNSUPPORTED_VERSION');
    await expectCode(decodeKeyCard(reencode(card.bytes, (o) => void delete o.v)), 'ERR_KEYCARD_MALFORMED');
  });

  it('refuses unknown fields, missing fields and wrong types even when self-signed', async () => {
    const signWith = async (body: CborMap) => {
      const { ed25519Sign } = await import('../../src/crypto/ed25519.js');
      const { concatBytes, utf8 } = await import('../../src/crypto/bytes.js');
      const b = encodeCanonical(body);
      return encodeCanonical({ v: 1, body: b, self: ed25519Sign(keys.signing.secretKey, concatBytes(utf8('lintas/v1 key card'), new Uint8Array([0]), b)) });
    };
    const body = decodeCanonical((decodeCanonical(card.bytes) as CborMap).body as Uint8Array) as CborMap;
    // Sanity: re-signing the unchanged body gives a valid card.
    expect((await decodeKeyCard(await signWith({ ...body }))).fingerprint).toEqual(card.fingerprint);
    const cases: CborMap[] = [
      { ...body, extra: 'field' },
      (() => {
        const b = { ...body };
        delete b.org;
        return b;
      })(),
      { ...body, country: 'id' },
      { ...body, from: 'yesterday' },
      { ...body, until: body.from! },
      { ...body, enc: [] },
      { ...body, enc: [(body.enc as CborMap[])[1]!, (body.enc as CborMap[])[0]!] }, // X-Wing first
      { ...body, enc: [['X25519', new Uint8Array(31)]] },
      { ...body, enc: [['RSA', new Uint8Array(32)]] },
      { ...body, name: 'BIN\u200bX' },
      { ...body, prev: { fp: new Uint8Array(32) } },
    ];
    for (const c of cases) await expectCode(decodeKeyCard(await signWith(c)), 'ERR_KEYCARD_MALFORMED');
  });

  it('refuses non-canonical CBOR (a long-form length) and oversized input', async () => {
    const bytes = encodeKeyCard(card);
    expect(bytes[0]).toBe(0xa3); // map(3)
    const longForm = new Uint8Array([0xb8, 3, ...bytes.subarray(1)]);
    await expectCode(decodeKeyCard(longForm), 'ERR_KEYCARD_MALFORMED');
    await expectCode(decodeKeyCard(new Uint8Array(9000)), 'ERR_KEYCARD_MALFORMED');
  });

  it('refuses malformed armor with the armor code', async () => {
    const armored = armorKeyCard(card);
    await expectCode(decodeKeyCard(armored.replace('KEY CARD', 'ENVELOPE')), 'ERR_ARMOR_MALFORMED');
    await expectCode(decodeKeyCard(armored.split('\n').slice(0, -2).join('\n')), 'ERR_ARMOR_MALFORMED');
  });
});

describe('succession signatures', () => {
  it('verifies a successor signed by the predecessor key and names the predecessor', async () => {
    const next = await createKeyCard({ ...params(other), predecessor: { card, signing: keys.signing } });
    expect(next.previous!.fingerprint).toEqual(card.fingerprint);
    expect(next.previous!.signingPublicKey).toEqual(card.signingPublicKey);
    expect((await decodeKeyCard(next.bytes)).previous).not.toBeNull();
  });

  it('refuses a successor whose succession signature was stripped or is not by the named key', async () => {
    const next = await createKeyCard({ ...params(other), predecessor: { card, signing: keys.signing } });
    await expectCode(decodeKeyCard(reencode(next.bytes, (o) => void delete o.succ)), 'ERR_KEYCARD_SUCCESSION_INVALID');
    await expectCode(decodeKeyCard(reencode(next.bytes, (o) => void (o.succ = o.self!))), 'ERR_KEYCARD_SUCCESSION_INVALID');
    await expectCode(decodeKeyCard(reencode(card.bytes, (o) => void (o.succ = o.self!))), 'ERR_KEYCARD_MALFORMED');
  });
});

describe('fingerprints and safety numbers', () => {
  it('formats a fingerprint as eight groups of five digits that parse back', () => {
    const f = formatFingerprint(card);
    expect(f).toMatch(/^\d{5}( \d{5}){7}$/);
    expect(formatFingerprint(card.fingerprint)).toBe(f);
    expect(parseFingerprint(f)).toEqual({ kind: 'formatted', formatted: f });
    expect(parseFingerprint(f.replace(/ /g, '-'))).toEqual({ kind: 'formatted', formatted: f });
    const hex = fingerprintHex(card);
    expect(hex).toMatch(/^[0-9a-f]{64}$/);
    expect(parseFingerprint(hex.toUpperCase())).toEqual({ kind: 'hex', fingerprint: card.fingerprint });
    expect(parseFingerprint('BIN')).toBeNull();
    expect(() => formatFingerprint(new Uint8Array(31))).toThrow(RangeError);
    expect(() => formatFingerprint('x' as unknown as Uint8Array)).toThrow(TypeError);
  });

  it('gives both sides the same safety number, which changes when either card changes', async () => {
    const a = card;
    const b = await createKeyCard({ ...params(other), name: 'PDRM Special Branch', country: 'MY' });
    const n = safetyNumber(a, b);
    expect(n).toMatch(/^\d{5}( \d{5}){11}$/);
    expect(safetyNumber(b, a)).toBe(n);
    expect(safetyNumber(a.fingerprint, b.fingerprint)).toBe(n);
    const b2 = await createKeyCard({ ...params(other), name: 'PDRM Special Branch', country: 'MY', validUntil: new Date('2029-01-01T00:00:00Z') });
    expect(safetyNumber(a, b2)).not.toBe(n);
  });

  it('renders known bytes to a fixed string (format stability)', () => {
    const fp = new Uint8Array(32).map((_, i) => i * 8);
    // Words 0x00081018 = 528408 -> 28408, 0x20283038 = 539504696 -> 04696, ...
    expect(formatFingerprint(fp).split(' ').slice(0, 2)).toEqual(['28408', '04696']);
  });
});
