/**
 * recipientId() (SPEC 3.3) remembers the ids it computed under the caller's key array
 * (src/keys/recipient.ts). The cache must never answer for bytes other than the ones it hashed:
 * a key array changed in place, a different type on the same array, or a caller who changes the
 * id it was given must all get the id the SPEC formula gives for what the key is now.
 */
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { cryptoReady } from '../../src/crypto/sodium.js';
import { recipientId, type RecipientPublicKey } from '../../src/keys/recipient.js';

/** The SPEC 3.3 formula, computed here without lintas. */
function specId(key: RecipientPublicKey): string {
  const type = Buffer.from(key.type, 'utf8');
  return createHash('sha256')
    .update(Buffer.concat([Buffer.from('lintas/v1 recipient id'), Buffer.from([0, type.length]), type, key.publicKey]))
    .digest('hex');
}
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

beforeAll(() => cryptoReady());

describe('recipientId() with its cache', () => {
  it('gives the SPEC 3.3 id, the same on the first and later calls', () => {
    const key: RecipientPublicKey = { type: 'X25519', publicKey: new Uint8Array(32).fill(5) };
    expect(hex(recipientId(key))).toBe(specId(key));
    expect(hex(recipientId(key))).toBe(specId(key));
  });

  it('hashes again after the key array was changed in place (any byte, the last included)', () => {
    const publicKey = new Uint8Array(1216).fill(1);
    const key: RecipientPublicKey = { type: 'X-Wing', publicKey };
    const before = hex(recipientId(key));
    for (const i of [0, 600, 1215]) {
      publicKey[i]! ^= 0x80;
      expect(hex(recipientId(key))).toBe(specId(key));
      expect(hex(recipientId(key))).not.toBe(before);
      publicKey[i]! ^= 0x80;
      expect(hex(recipientId(key))).toBe(before);
    }
  });

  it('does not answer for another type on the same array', () => {
    const publicKey = new Uint8Array(32).fill(9);
    const asX25519 = hex(recipientId({ type: 'X25519', publicKey }));
    const other = { type: 'X-Wing', publicKey } as RecipientPublicKey;
    expect(hex(recipientId(other))).toBe(specId(other));
    expect(hex(recipientId(other))).not.toBe(asX25519);
  });

  it('hands out a fresh array each time: changing one does not change the next', () => {
    const key: RecipientPublicKey = { type: 'X25519', publicKey: new Uint8Array(32).fill(3) };
    const first = recipientId(key);
    first.fill(0);
    expect(hex(recipientId(key))).toBe(specId(key));
    expect(recipientId(key)).not.toBe(recipientId(key));
  });
});
