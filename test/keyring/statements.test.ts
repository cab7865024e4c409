/**
 * Revocation statements and introductions on their own: round trip, armor, and forgery.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeCanonical, encodeCanonical, type CborMap } from '../../src/cbor/index.js';
import {
  armorIntroduction,
  armorRevocation,
  createIntroduction,
  createKeyCard,
  createRevocation,
  decodeIntroduction,
  decodeRevocation,
  generateIdentityKeys,
  type IdentityKeys,
  type KeyCard,
} from '../../src/index.js';
import { expectCode } from './keyring-kit.js';

let aKeys: IdentityKeys;
let bKeys: IdentityKeys;
let a: KeyCard;
let b: KeyCard;

beforeAll(async () => {
  aKeys = await generateIdentityKeys();
  bKeys = await generateIdentityKeys();
  const until = new Date(Date.now() + 86_400_000 * 365);
  a = await createKeyCard({ keys: aKeys, name: 'BIN', organization: 'Badan Intelijen Negara', country: 'ID', validUntil: until });
  b = await createKeyCard({ keys: bKeys, name: 'ISD', organization: 'Internal Security Department', country: 'SG', validUntil: until });
});

function swapField(bytes: Uint8Array, change: (outer: CborMap, body: CborMap) => void): Uint8Array {
  const outer = { ...(decodeCanonical(bytes) as CborMap) };
  const body = { ...(decodeCanonical(outer.body as Uint8Array) as CborMap) };
  change(outer, body);
  outer.body = encodeCanonical(body);
  return encodeCanonical(outer);
}

describe('revocation statements', () => {
  it('round-trips with reason, times and comment, as bytes and armor', async () => {
    const effectiveAt = new Date('2026-03-01T00:00:00Z');
    const r = await createRevocation(a, aKeys.signing, { reason: 'key-compromise', effectiveAt, comment: 'laptop stolen in transit' });
    expect(r.reason).toBe('key-compromise');
    expect(r.effectiveAt).toEqual(effectiveAt);
    expect(r.fingerprint).toEqual(a.fingerprint);
    const armored = armorRevocation(r);
    expect(armored.startsWith('-----BEGIN LINTAS REVOCATION-----')).toBe(true);
    for (const input of [r.bytes, armored]) {
      const again = await decodeRevocation(input);
      expect(again.comment).toBe('laptop stolen in transit');
      expect(again.effectiveAt).toEqual(effectiveAt);
    }
  });

  it('can only be signed with the key of the card it revokes', async () => {
    await expect(createRevocation(a, bKeys.signing, { reason: 'retired' })).rejects.toThrow(RangeError);
    await expect(createRevocation(a, aKeys.signing, { reason: 'bored' as 'retired' })).rejects.toThrow(RangeError);
  });

  it('refuses a forged statement: body changed, signature moved, or fields swapped', async () => {
    const r = await createRevocation(a, aKeys.signing, { reason: 'superseded' });
    await expectCode(decodeRevocation(swapField(r.bytes, (_, body) => void (body.reason = 'key-compromise'))), 'ERR_REVOCATION_SIGNATURE_INVALID');
    await expectCode(decodeRevocation(swapField(r.bytes, (_, body) => void (body.card = b.fingerprint))), 'ERR_REVOCATION_SIGNATURE_INVALID');
    await expectCode(decodeRevocation(swapField(r.bytes, (_, body) => void (body.effective = 0))), 'ERR_REVOCATION_SIGNATURE_INVALID');
    await expectCode(decodeRevocation(swapField(r.bytes, (o) => void (o.sig = new Uint8Array(64)))), 'ERR_REVOCATION_SIGNATURE_INVALID');
    await expectCode(decodeRevocation(swapField(r.bytes, (_, body) => void (body.extra = 1))), 'ERR_REVOCATION_MALFORMED');
    await expectCode(decodeRevocation(r.bytes.subarray(0, r.bytes.length - 3)), 'ERR_REVOCATION_MALFORMED');
    await expectCode(decodeRevocation(swapField(r.bytes, (o) => void (o.v = 2))), 'ERR_REVOCATION_MALFORMED');
    for (let i = 0; i < r.bytes.length; i += 3) {
      const bad = r.bytes.slice();
      bad[i]! ^= 0x40;
      await expect(decodeRevocation(bad)).rejects.toMatchObject({ code: expect.stringMatching(/^ERR_REVOCATION_/) });
    }
  });
});

describe('introductions', () => {
  it('round-trips and names the introduced and the introducing card', async () => {
    const intro = await createIntroduction(b, a, aKeys.signing);
    expect(intro.fingerprint).toEqual(b.fingerprint);
    expect(intro.introducerFingerprint).toEqual(a.fingerprint);
    const again = await decodeIntroduction(armorIntroduction(intro));
    expect(again.introducerSigningKey).toEqual(a.signingPublicKey);
  });

  it('refuses a forged introduction', async () => {
    const intro = await createIntroduction(b, a, aKeys.signing);
    await expectCode(decodeIntroduction(swapField(intro.bytes, (_, body) => void (body.card = a.fingerprint))), 'ERR_INTRODUCTION_INVALID');
    await expectCode(decodeIntroduction(swapField(intro.bytes, (_, body) => void (body.sign = b.signingPublicKey))), 'ERR_INTRODUCTION_INVALID');
    await expectCode(decodeIntroduction(swapField(intro.bytes, (_, body) => void delete body.by)), 'ERR_INTRODUCTION_MALFORMED');
    await expect(createIntroduction(b, a, bKeys.signing)).rejects.toThrow(RangeError);
  });
});
