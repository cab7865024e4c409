/**
 * Keys the key ring publishes must be keys it can use (docs/THREAT-MODEL.md section 6, both
 * findings now fixed): identity keys handed to `createIdentity`, `rotateIdentity` and
 * `createKeyCard` must be real key pairs of the right lengths, and a key card must not publish an
 * X25519 key (alone or inside an X-Wing key) of small order or non-canonically encoded, or an
 * X-Wing key that sealing would refuse (docs/KEYRING.md, "Key cards"). Before the fix the ring
 * accepted all of these, and such a card was refused only when someone sealed to it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeCanonical, encodeCanonical, type CborMap } from '../../src/cbor/index.js';
import { concatBytes, utf8 } from '../../src/crypto/bytes.js';
import { ed25519Sign } from '../../src/crypto/ed25519.js';
import { cryptoReady } from '../../src/crypto/sodium.js';
import { isValidX25519PublicKey, x25519 } from '../../src/crypto/x25519.js';
import { isValidXWingPublicKey } from '../../src/crypto/xwing.js';
import {
  createKeyCard,
  decodeKeyCard,
  identityKeysFromSeed,
  KeyRing,
  MemoryKeyRingStorage,
  type IdentityKeys,
  type KeyCard,
} from '../../src/index.js';
import { allCases, hex, loadWycheproof, type WycheproofCase } from '../crypto/wycheproof.js';
import { LOW_ORDER_X25519 } from '../crypto/x25519-points.js';
import { expectCode, PASS, text, untext } from './keyring-kit.js';

let keys: IdentityKeys;
let other: IdentityKeys;
let card: KeyCard;

const inAYear = () => new Date(Date.now() + 365 * 86_400_000);
const cardParams = (k: IdentityKeys) => ({ keys: k, name: 'Desk', organization: 'BIN', country: 'ID', validUntil: inAYear() });


/** Non-canonical encodings of points that are not of small order (X25519 itself accepts them, SPEC 4.1). */
function nonCanonical(real: Uint8Array): Record<string, Uint8Array> {
  const bit255 = real.slice();
  bit255[31]! |= 0x80;
  return { 'the real key with bit 255 set': bit255, 'p + 9 (the base point, unreduced)': hex('f6' + 'ff'.repeat(30) + '7f') };
}

/** The genuine card's body with other encryption keys, self-signed again by the genuine signing key. */
function cardWithKeys(enc: [string, Uint8Array][]): Uint8Array {
  const outer = decodeCanonical(card.bytes) as CborMap;
  const body = { ...(decodeCanonical(outer.body as Uint8Array) as CborMap), enc };
  const bodyBytes = encodeCanonical(body);
  const self = ed25519Sign(keys.signing.secretKey, concatBytes(utf8('lintas/v1 key card'), new Uint8Array([0]), bodyBytes));
  return encodeCanonical({ v: 1, body: bodyBytes, self });
}

const newRing = () => KeyRing.create(new MemoryKeyRingStorage(), PASS);

beforeAll(async () => {
  await cryptoReady();
  keys = await identityKeysFromSeed(new Uint8Array(32).fill(11));
  other = await identityKeysFromSeed(new Uint8Array(32).fill(12));
  card = await createKeyCard(cardParams(keys));
});

/** Keys whose public and secret halves do not belong together, one pair at a time. */
function mismatchedKeys(): Record<string, IdentityKeys> {
  const embeddedOther = concatBytes(keys.signing.secretKey.subarray(0, 32), other.signing.publicKey);
  return {
    'signing public key of another identity': { ...keys, signing: { publicKey: other.signing.publicKey, secretKey: keys.signing.secretKey } },
    'signing secret key embedding another public key': { ...keys, signing: { publicKey: other.signing.publicKey, secretKey: embeddedOther } },
    'X25519 public key of another identity': { ...keys, x25519: { type: 'X25519', publicKey: other.x25519.publicKey, secretKey: keys.x25519.secretKey } },
    'X-Wing public key of another identity': { ...keys, xwing: { type: 'X-Wing', publicKey: other.xwing.publicKey, secretKey: keys.xwing.secretKey } },
  };
}

/** Keys with one key of the wrong length (the review's case: a 31-byte X-Wing secret). */
function wrongLengthKeys(): Record<string, IdentityKeys> {
  return {
    '31-byte X-Wing secret': { ...keys, xwing: { ...keys.xwing, secretKey: keys.xwing.secretKey.subarray(0, 31) } },
    '1,215-byte X-Wing public key': { ...keys, xwing: { ...keys.xwing, publicKey: keys.xwing.publicKey.subarray(0, 1215) } },
    '33-byte X25519 secret': { ...keys, x25519: { ...keys.x25519, secretKey: concatBytes(keys.x25519.secretKey, new Uint8Array(1)) } },
    '31-byte X25519 public key': { ...keys, x25519: { ...keys.x25519, publicKey: keys.x25519.publicKey.subarray(0, 31) } },
    'Ed25519 seed instead of the 64-byte secret key': { ...keys, signing: { ...keys.signing, secretKey: keys.signing.secretKey.subarray(0, 32) } },
    '31-byte Ed25519 public key': { ...keys, signing: { ...keys.signing, publicKey: keys.signing.publicKey.subarray(0, 31) } },
  };
}

async function expectRangeError(p: Promise<unknown>, what: string): Promise<void> {
  await expect(p, what).rejects.toBeInstanceOf(RangeError);
}

describe('identity keys handed to the key ring must be key pairs (THREAT-MODEL.md section 6)', () => {
  it('createIdentity refuses a public key that is not its secret key\'s (ERR_CRYPTO_INVALID_KEY) and stores nothing', async () => {
    const storage = new MemoryKeyRingStorage();
    const ring = await KeyRing.create(storage, PASS);
    const lowOrder = { ...keys, x25519: { type: 'X25519' as const, publicKey: LOW_ORDER_X25519['order 8 (a)']!, secretKey: keys.x25519.secretKey } };
    for (const [what, bad] of Object.entries({ ...mismatchedKeys(), 'low-order X25519 public key': lowOrder })) {
      await expectCode(ring.createIdentity({ name: 'Desk', organization: 'BIN', country: 'ID', keys: bad }), 'ERR_CRYPTO_INVALID_KEY').catch((e) => {
        throw new Error(`${what}: ${String(e)}`);
      });
    }
    expect(ring.identities()).toEqual([]);
    expect((await KeyRing.open(storage, PASS)).identities()).toEqual([]);
  });

  it('createIdentity refuses keys of the wrong length with a RangeError', async () => {
    const ring = await newRing();
    for (const [what, bad] of Object.entries(wrongLengthKeys())) {
      await expectRangeError(ring.createIdentity({ name: 'Desk', organization: 'BIN', country: 'ID', keys: bad }), what);
    }
    expect(ring.identities()).toEqual([]);
  });

  it('rotateIdentity refuses the same keys, and the identity keeps its card and keys', async () => {
    const ring = await newRing();
    const before = await ring.createIdentity({ name: 'Desk', organization: 'BIN', country: 'ID', keys });
    for (const [what, bad] of Object.entries(mismatchedKeys())) {
      await expectCode(ring.rotateIdentity('Desk', { keys: bad }), 'ERR_CRYPTO_INVALID_KEY').catch((e) => {
        throw new Error(`${what}: ${String(e)}`);
      });
    }
    for (const [what, bad] of Object.entries(wrongLengthKeys())) await expectRangeError(ring.rotateIdentity('Desk', { keys: bad }), what);
    expect(ring.keyCardChain('Desk').map((c) => c.bytes)).toEqual([before.card.bytes]);
    expect(ring.identityKeys('Desk')).toEqual(keys);
  });

  it('control: real key pairs are accepted by both, and the ring opens what is sealed to each card', async () => {
    const ring = await newRing();
    await ring.createIdentity({ name: 'Desk', organization: 'BIN', country: 'ID', keys });
    expect(untext((await ring.open(await ring.seal(text('first'), { from: 'Desk', to: ['Desk'] }))).payload)).toBe('first');
    await ring.rotateIdentity('Desk', { keys: other });
    expect(untext((await ring.open(await ring.seal(text('second'), { from: 'Desk', to: ['Desk'] }))).payload)).toBe('second');
  });

  it('createKeyCard refuses mismatched pairs and wrong lengths too, including the predecessor\'s signing pair', async () => {
    for (const [what, bad] of Object.entries(mismatchedKeys())) {
      await expectCode(createKeyCard(cardParams(bad)), 'ERR_CRYPTO_INVALID_KEY').catch((e) => {
        throw new Error(`${what}: ${String(e)}`);
      });
    }
    for (const [what, bad] of Object.entries(wrongLengthKeys())) await expectRangeError(createKeyCard(cardParams(bad)), what);
    // The X-Wing pair is checked only when the card publishes it.
    const noXWing = { ...keys, xwing: { ...keys.xwing, publicKey: other.xwing.publicKey } };
    expect((await createKeyCard({ ...cardParams(noXWing), includeXWing: false })).encryptionKeys).toHaveLength(1);
    const forgedPredecessor = { publicKey: keys.signing.publicKey, secretKey: concatBytes(other.signing.secretKey.subarray(0, 32), keys.signing.publicKey) };
    await expectCode(createKeyCard({ ...cardParams(other), predecessor: { card, signing: forgedPredecessor } }), 'ERR_CRYPTO_INVALID_KEY');
    expect((await createKeyCard({ ...cardParams(other), predecessor: { card, signing: keys.signing } })).previous?.fingerprint).toEqual(card.fingerprint);
  });
});

describe('key cards publish only valid encryption keys (KEYRING.md, "Key cards")', () => {
  it('isValidX25519PublicKey: false exactly for a small-order or non-canonical key, on every Wycheproof X25519 public key', () => {
    interface XdhCase extends WycheproofCase {
      public: string;
      shared: string;
    }
    const P = 2n ** 255n - 19n;
    const cases = allCases(loadWycheproof<XdhCase>('x25519_test.json'));
    let refused = 0;
    for (const { test } of cases) {
      const pub = hex(test.public);
      const u = pub.reduceRight((acc, b) => (acc << 8n) | BigInt(b), 0n);
      const expected = u < P && test.shared !== '00'.repeat(32);
      expect(isValidX25519PublicKey(pub), `tcId ${test.tcId}`).toBe(expected);
      if (!expected) refused++;
    }
    // Pins the mapping: the file has both kinds, so a check that accepts (or refuses) everything fails.
    expect(refused).toBeGreaterThan(20);
    expect(cases.length - refused).toBeGreaterThan(400);
    for (const point of Object.values(LOW_ORDER_X25519)) {
      expect(() => x25519(keys.x25519.secretKey, point)).toThrow();
      expect(isValidX25519PublicKey(point)).toBe(false);
    }
  });

  it('decodeKeyCard and importKeyCard refuse a self-signed card with a low-order or non-canonical X25519 key', async () => {
    const ring = await newRing();
    const control = cardWithKeys([['X25519', keys.x25519.publicKey]]);
    expect((await decodeKeyCard(control)).encryptionKeys[0]!.publicKey).toEqual(keys.x25519.publicKey);
    for (const [what, point] of Object.entries({ ...LOW_ORDER_X25519, ...nonCanonical(keys.x25519.publicKey) })) {
      const forged = cardWithKeys([['X25519', point]]);
      await expectCode(decodeKeyCard(forged), 'ERR_KEYCARD_MALFORMED').catch((e) => {
        throw new Error(`${what}: ${String(e)}`);
      });
      await expectCode(ring.importKeyCard(forged, { name: 'Evil' }), 'ERR_KEYCARD_MALFORMED');
      // Next to a valid X-Wing key it is refused all the same: sealing may pick either key.
      await expectCode(decodeKeyCard(cardWithKeys([['X25519', point], ['X-Wing', keys.xwing.publicKey]])), 'ERR_KEYCARD_MALFORMED');
    }
    expect(ring.contacts()).toEqual([]);
    await ring.importKeyCard(control, { name: 'Good' });
    expect(ring.contacts().map((c) => c.name)).toEqual(['Good']);
  });

  it('and a card whose X-Wing key has such an X25519 part, or an ML-KEM part that is not reduced', async () => {
    const withTail = (tail: Uint8Array) => concatBytes(keys.xwing.publicKey.subarray(0, 1184), tail);
    const unreduced = keys.xwing.publicKey.slice();
    unreduced[0] = 0xff; // the first 12-bit coefficient becomes 0xfff, above q = 3329
    unreduced[1]! |= 0x0f;
    const bad: Record<string, Uint8Array> = { 'unreduced ML-KEM coefficient': unreduced };
    for (const [what, point] of Object.entries({ ...LOW_ORDER_X25519, ...nonCanonical(keys.xwing.publicKey.subarray(1184)) })) bad[`X25519 part: ${what}`] = withTail(point);
    const ring = await newRing();
    expect(isValidXWingPublicKey(keys.xwing.publicKey)).toBe(true);
    expect((await decodeKeyCard(cardWithKeys([['X25519', keys.x25519.publicKey], ['X-Wing', keys.xwing.publicKey]]))).encryptionKeys).toHaveLength(2);
    for (const [what, key] of Object.entries(bad)) {
      expect(isValidXWingPublicKey(key), what).toBe(false);
      const forged = cardWithKeys([['X25519', keys.x25519.publicKey], ['X-Wing', key]]);
      await expectCode(decodeKeyCard(forged), 'ERR_KEYCARD_MALFORMED').catch((e) => {
        throw new Error(`${what}: ${String(e)}`);
      });
      await expectCode(ring.importKeyCard(forged, { name: 'Evil' }), 'ERR_KEYCARD_MALFORMED');
    }
    expect(ring.contacts()).toEqual([]);
  });

  it('createKeyCard refuses to publish such a key (ERR_KEYCARD_MALFORMED), whatever secret comes with it', async () => {
    for (const [what, point] of Object.entries(LOW_ORDER_X25519)) {
      const x = { ...keys, x25519: { type: 'X25519' as const, publicKey: point, secretKey: keys.x25519.secretKey } };
      await expectCode(createKeyCard({ ...cardParams(x), includeXWing: false }), 'ERR_KEYCARD_MALFORMED').catch((e) => {
        throw new Error(`${what}: ${String(e)}`);
      });
      const xw = { ...keys, xwing: { type: 'X-Wing' as const, publicKey: concatBytes(keys.xwing.publicKey.subarray(0, 1184), point), secretKey: keys.xwing.secretKey } };
      await expectCode(createKeyCard(cardParams(xw)), 'ERR_KEYCARD_MALFORMED');
    }
  });
});
