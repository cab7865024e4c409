/**
 * Adversarial index (docs/THREAT-MODEL.md): revoked or expired keys. A former partner whose card
 * was revoked (or whose key was stolen) keeps the secret keys; what the key ring refuses and what
 * it flags. Deeper variants: test/keyring/lifecycle.test.ts ("revocation", "expiry", "rotation")
 * and test/keyring/statements.test.ts.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import {
  armorKeyCard,
  bundleIdentityFromKeyRing,
  bundleRecipientsFromKeyRing,
  createKeyCard,
  formatFingerprint,
  generateIdentityKeys,
  KeyRing,
  KEYRING_KDF_MINIMUM,
  MemoryKeyRingStorage,
  type Identity,
} from '../../src/index.js';
import { expectCode, sealWithSecrets } from '../envelope/envelope-kit.js';

const DAY = 86_400_000;
const text = (s: string) => new TextEncoder().encode(s);
const PASS = { passphrase: 'revocation tests', kdf: KEYRING_KDF_MINIMUM };

async function agency(name: string, country: string, validUntil?: Date): Promise<{ ring: KeyRing; identity: Identity }> {
  const ring = await KeyRing.create(new MemoryKeyRingStorage(), PASS);
  const identity = await ring.createIdentity({ name, organization: name, country, ...(validUntil ? { validUntil } : {}) });
  return { ring, identity };
}

let bin: Awaited<ReturnType<typeof agency>>; // the key ring under attack
let former: Awaited<ReturnType<typeof agency>>; // a former partner, later revoked

beforeEach(async () => {
  bin = await agency('BIN', 'ID');
  former = await agency('FORMER', 'MY', new Date(Date.now() + 30 * DAY));
  await bin.ring.importKeyCard(armorKeyCard(former.identity.card), { name: 'FORMER', fingerprint: formatFingerprint(former.identity.card), groups: ['ASEAN-CT'] });
  await former.ring.importKeyCard(armorKeyCard(bin.identity.card), { name: 'BIN', fingerprint: formatFingerprint(bin.identity.card) });
});

describe('attack: revoked or expired keys', () => {
  it('nothing is sealed to a revoked or expired card, named or through a group, envelope or bundle', async () => {
    const later = new Date(Date.now() + 60 * DAY); // after FORMER's card expired
    await expectCode(bin.ring.seal(text('x'), { from: 'BIN', to: ['FORMER'], now: later }), 'ERR_KEYRING_RECIPIENT_EXPIRED');
    await expectCode(bin.ring.seal(text('x'), { from: 'BIN', to: ['group:ASEAN-CT'], now: later }), 'ERR_KEYRING_RECIPIENT_EXPIRED');
    await expectCode((async () => bundleRecipientsFromKeyRing(bin.ring, ['FORMER'], { now: later }))(), 'ERR_KEYRING_RECIPIENT_EXPIRED');
    await bin.ring.importRevocation(await former.ring.revokeIdentity('FORMER', { reason: 'retired' }));
    await expectCode(bin.ring.seal(text('x'), { from: 'BIN', to: ['FORMER'] }), 'ERR_KEYRING_RECIPIENT_REVOKED');
    await expectCode(bin.ring.seal(text('x'), { from: 'BIN', to: ['group:ASEAN-CT'] }), 'ERR_KEYRING_RECIPIENT_REVOKED');
    await expectCode((async () => bundleRecipientsFromKeyRing(bin.ring, ['group:ASEAN-CT']))(), 'ERR_KEYRING_RECIPIENT_REVOKED');
  });

  it('a revoked or expired identity cannot seal or originate a bundle', async () => {
    await expectCode(former.ring.seal(text('x'), { from: 'FORMER', to: ['BIN'], now: new Date(Date.now() + 60 * DAY) }), 'ERR_KEYRING_IDENTITY_EXPIRED');
    await expectCode((async () => bundleIdentityFromKeyRing(former.ring, 'FORMER', { now: new Date(Date.now() + 60 * DAY) }))(), 'ERR_KEYRING_IDENTITY_EXPIRED');
    await former.ring.revokeIdentity('FORMER', { reason: 'retired' });
    await expectCode(former.ring.seal(text('x'), { from: 'FORMER', to: ['BIN'] }), 'ERR_KEYRING_IDENTITY_REVOKED');
  });

  it('envelopes from a key revoked as compromised are flagged whatever creation time they claim', async () => {
    await bin.ring.importRevocation(await former.ring.revokeIdentity('FORMER', { reason: 'key-compromise' }));
    // The thief signs with the stolen key and backdates the envelope to a year ago (the sealing
    // core takes the clock as a parameter; any implementation can write any "created").
    const stolen = former.ring.identityKeys('FORMER');
    const backdated = await sealWithSecrets(text('old order, honest'), { recipients: [bin.identity.card.encryptionKeys[1]!], sender: stolen.signing }, Date.now() - 365 * DAY);
    const opened = await bin.ring.open(backdated.envelope);
    expect(opened.createdAt.getTime()).toBeLessThan(Date.now() - 300 * DAY);
    expect([opened.senderContact?.name, opened.senderRevoked, opened.senderRevocation?.reason]).toEqual(['FORMER', true, 'key-compromise']);
  });

  it('envelopes from an expired card are flagged as expired', async () => {
    const env = await former.ring.seal(text('x'), { from: 'FORMER', to: ['BIN'] });
    expect((await bin.ring.open(env)).senderExpired).toBe(false);
    expect((await bin.ring.open(env, { now: new Date(Date.now() + 60 * DAY) })).senderExpired).toBe(true);
  });

  it("a successor card signed by a key revoked as compromised is not followed: the thief cannot take over the contact", async () => {
    // The thief rotates the stolen identity to keys of its own and publishes the new card.
    await bin.ring.importRevocation(await former.ring.createRevocation('FORMER', { reason: 'key-compromise' }));
    const thief = await generateIdentityKeys();
    const successor = await createKeyCard({
      keys: thief,
      name: 'FORMER',
      organization: 'FORMER',
      country: 'MY',
      validUntil: new Date(Date.now() + 365 * DAY),
      predecessor: { card: former.identity.card, signing: former.ring.identityKeys('FORMER').signing },
    });
    await expectCode(bin.ring.importKeyCard(successor), 'ERR_KEYCARD_SUCCESSION_INVALID');
    // The real FORMER reads out its own new fingerprint: the thief's card does not match it.
    const genuine = (await former.ring.rotateIdentity('FORMER')).card;
    await expectCode(bin.ring.importKeyCard(successor, { fingerprint: genuine.fingerprint }), 'ERR_KEYRING_FINGERPRINT_MISMATCH');
    expect(bin.ring.contact('FORMER').card.fingerprint).toEqual(former.ring.identity('FORMER').history[0]!.fingerprint);
    // Envelopes signed by the thief's new key stay unknown.
    const fromThief = await bin.ring.open(await sealWithSecrets(text('new orders'), { recipients: [bin.identity.card.encryptionKeys[1]!], sender: thief.signing }).then((s) => s.envelope));
    expect([fromThief.senderContact, fromThief.senderVerification]).toEqual([null, 'unknown']);
  });
});
