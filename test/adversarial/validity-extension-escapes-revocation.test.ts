/**
 * Adversarial index (docs/THREAT-MODEL.md): a card that escapes its key's revocation (issue 12,
 * item 2). A revocation statement names one card, but a compromise affects a key: a validity
 * extension that kept the key, or a rotation that kept the encryption keys the stolen key
 * certified, must be revoked with it, and envelopes the thief signs with the key must show
 * `senderRevoked`.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { fingerprintHex, generateIdentityKeys, KeyRing, KEYRING_KDF_MINIMUM, MemoryKeyRingStorage, type Revocation } from '../../src/index.js';
import { expectCode, sealWithSecrets } from '../envelope/envelope-kit.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const text = (s: string) => new TextEncoder().encode(s);
const PASS = { passphrase: 'key revocation tests', kdf: KEYRING_KDF_MINIMUM };

async function agency(name: string, country: string, validFrom?: Date) {
  const ring = await KeyRing.create(new MemoryKeyRingStorage(), PASS);
  const identity = await ring.createIdentity({ name, organization: name, country, ...(validFrom ? { validFrom } : {}) });
  return { ring, identity };
}

let bin: Awaited<ReturnType<typeof agency>>;
let pdrm: Awaited<ReturnType<typeof agency>>;
/** Made when PDRM's identity was created, kept offline, as docs/KEYRING.md advises. */
let pregenerated: Revocation;

beforeEach(async () => {
  bin = await agency('BIN', 'ID');
  pdrm = await agency('PDRM', 'MY', new Date(Date.now() - 30 * DAY));
  pregenerated = await pdrm.ring.createRevocation('PDRM', { reason: 'key-compromise', effectiveAt: pdrm.identity.card.validFrom });
  await bin.ring.importKeyCard(pdrm.identity.card, { name: 'PDRM', fingerprint: pdrm.identity.card.fingerprint });
});

/** An envelope signed with PDRM's (stolen) current signing key, opened by BIN. */
async function fromStolenKey() {
  const stolen = pdrm.ring.identityKeys('PDRM');
  const sealed = await sealWithSecrets(text('orders'), { recipients: [bin.identity.card.encryptionKeys[1]!], sender: stolen.signing });
  return bin.ring.open(sealed.envelope);
}

describe('attack: a card that reuses a revoked key escapes the revocation', () => {
  it('a pre-generated key-compromise revocation covers a later validity extension that kept the key', async () => {
    const extended = await pdrm.ring.rotateIdentity('PDRM', { keys: pdrm.ring.identityKeys('PDRM'), validUntil: new Date(Date.now() + 6 * 365 * DAY) });
    await bin.ring.importKeyCard(extended.card);
    // The thief signs with the key both cards carry; the owner sends the statement made on day one.
    await bin.ring.importRevocation(pregenerated.bytes);
    const opened = await fromStolenKey();
    expect([opened.senderContact?.name, opened.senderRevoked, opened.senderRevocation?.reason]).toEqual(['PDRM', true, 'key-compromise']);
    await expectCode(bin.ring.seal(text('x'), { from: 'BIN', to: ['PDRM'] }), 'ERR_KEYRING_RECIPIENT_REVOKED');
    // At the owner's side too: the extension cannot seal once the statement is imported.
    await pdrm.ring.importRevocation(pregenerated.bytes);
    await expectCode(pdrm.ring.seal(text('x'), { from: 'PDRM', to: ['PDRM'] }), 'ERR_KEYRING_IDENTITY_REVOKED');
    expect(pdrm.ring.identity('PDRM').revocation?.reason).toBe('key-compromise');
  });

  it('a revocation of the old card revokes an extension kept in the chain (made before the stated compromise time)', async () => {
    const extended = await pdrm.ring.rotateIdentity('PDRM', {
      keys: pdrm.ring.identityKeys('PDRM'),
      validFrom: new Date(Date.now() - 2 * HOUR),
      validUntil: new Date(Date.now() + 6 * 365 * DAY),
    });
    await bin.ring.importKeyCard(extended.card);
    const revocation = await pdrm.ring.createRevocation('PDRM', { reason: 'key-compromise', fingerprint: pdrm.identity.card.fingerprint, effectiveAt: new Date(Date.now() - HOUR) });
    await bin.ring.importRevocation(revocation);
    const contact = bin.ring.contact('PDRM');
    // The extension stays (its key signed it before the compromise) but is revoked with the key.
    expect(fingerprintHex(contact.card)).toBe(fingerprintHex(extended.card));
    expect(contact.revocation?.reason).toBe('key-compromise');
    expect(bin.ring.revocationOf(extended.card)?.reason).toBe('key-compromise');
    const opened = await fromStolenKey();
    expect([fingerprintHex(opened.senderCard!), opened.senderRevoked]).toEqual([fingerprintHex(extended.card), true]);
    await expectCode(bin.ring.seal(text('x'), { from: 'BIN', to: ['PDRM'] }), 'ERR_KEYRING_RECIPIENT_REVOKED');
  });

  it('a rotation that kept the encryption keys the stolen key certified is revoked with it', async () => {
    const old = pdrm.ring.identityKeys('PDRM');
    const fresh = await generateIdentityKeys();
    // New signing key, same decryption keys: whoever stole the old keys can still open what is sealed to them.
    const next = await pdrm.ring.rotateIdentity('PDRM', { keys: { ...old, signing: fresh.signing }, validFrom: new Date(Date.now() - 2 * HOUR) });
    await bin.ring.importKeyCard(next.card);
    expect(bin.ring.resolveRecipients(['PDRM'])).toHaveLength(1);
    await bin.ring.importRevocation(await pdrm.ring.createRevocation('PDRM', { reason: 'key-compromise', fingerprint: pdrm.identity.card.fingerprint, effectiveAt: new Date(Date.now() - HOUR) }));
    expect(fingerprintHex(bin.ring.contact('PDRM').card)).toBe(fingerprintHex(next.card));
    await expectCode(bin.ring.seal(text('x'), { from: 'BIN', to: ['PDRM'] }), 'ERR_KEYRING_RECIPIENT_REVOKED');
    // A rotation to new decryption keys as well is not affected by the old key's revocation.
    const clean = await pdrm.ring.rotateIdentity('PDRM');
    await bin.ring.importKeyCard(clean.card, { fingerprint: clean.card.fingerprint });
    expect(bin.ring.resolveRecipients(['PDRM'])[0]!.card.fingerprint).toEqual(clean.card.fingerprint);
  });
});
