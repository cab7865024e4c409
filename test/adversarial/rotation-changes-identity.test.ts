/**
 * Adversarial index (docs/THREAT-MODEL.md): a rotation that changes who the card says it is
 * (issue 12, item 3). Whoever holds a contact's signing key (the owner, or a thief before any
 * revocation) can sign a successor that names another organization or country; handling policy
 * decides on those attributes, so the contact must not stay 'verified' on them until someone
 * compares the new card out of band, and the import must say what changed.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { createKeyCard, generateIdentityKeys, KeyRing, KEYRING_KDF_MINIMUM, MemoryKeyRingStorage } from '../../src/index.js';

const DAY = 86_400_000;
const PASS = { passphrase: 'identity change tests', kdf: KEYRING_KDF_MINIMUM };

async function agency(name: string, organization: string, country: string) {
  const ring = await KeyRing.create(new MemoryKeyRingStorage(), PASS);
  const identity = await ring.createIdentity({ name, organization, country });
  return { ring, identity };
}

let bin: Awaited<ReturnType<typeof agency>>;
let pdrm: Awaited<ReturnType<typeof agency>>;

beforeEach(async () => {
  bin = await agency('BIN', 'Badan Intelijen Negara', 'ID');
  pdrm = await agency('PDRM', 'Polis Diraja Malaysia', 'MY');
  await bin.ring.importKeyCard(pdrm.identity.card, { name: 'PDRM', fingerprint: pdrm.identity.card.fingerprint, groups: ['ASEAN'] });
});

describe('attack: a rotation changes the name, organization or country of a verified contact', () => {
  it('a successor claiming another organization and country leaves the contact unverified, and says so', async () => {
    const next = await pdrm.ring.rotateIdentity('PDRM', { organization: 'Badan Intelijen Negara', country: 'ID' });
    const r = await bin.ring.importKeyCard(next.card);
    expect(r.action).toBe('rotated');
    expect(r.changedAttributes).toEqual([
      { attribute: 'organization', from: 'Polis Diraja Malaysia', to: 'Badan Intelijen Negara' },
      { attribute: 'country', from: 'MY', to: 'ID' },
    ]);
    expect([r.contact.verification, r.contact.organization, r.contact.country]).toEqual(['unverified', 'Badan Intelijen Negara', 'ID']);
    // What handling policy sees: an unverified card, whatever it claims.
    expect(bin.ring.resolveRecipients(['group:ASEAN'])[0]!.verification).toBe('unverified');
    // The old card's fingerprint, compared long ago, says nothing about the new one.
    expect((await bin.ring.importKeyCard(pdrm.identity.card, { fingerprint: pdrm.identity.card.fingerprint })).action).toBe('unchanged');
    expect(bin.ring.contact('PDRM').verification).toBe('unverified');
    // Comparing the new card's fingerprint out of band confirms the change.
    expect((await bin.ring.verifyContact('PDRM', next.card.fingerprint)).verification).toBe('verified');
  });

  it('a change of name alone downgrades too, also for an introduced contact and inside a chain that changes back', async () => {
    const isd = await agency('ISD', 'Internal Security Department', 'SG');
    const other = await agency('OTHER', 'Other Agency', 'TH');
    await bin.ring.importKeyCard(isd.identity.card, { name: 'ISD', fingerprint: isd.identity.card.fingerprint });
    await isd.ring.importKeyCard(other.identity.card, { name: 'OTHER', fingerprint: other.identity.card.fingerprint });
    await bin.ring.importKeyCard(other.identity.card, { name: 'OTHER', introduction: await isd.ring.createIntroduction('ISD', 'OTHER') });
    expect(bin.ring.contact('OTHER').verification).toBe('introduced');
    const renamed = await other.ring.rotateIdentity('OTHER', { cardName: 'Other Agency HQ' });
    const r = await bin.ring.importKeyCard(renamed.card);
    expect([r.contact.verification, r.changedAttributes.map((c) => c.attribute)]).toEqual(['unverified', ['name']]);

    // A chain that moves to another country and back still had a card that changed it.
    const signing = pdrm.ring.identityKeys('PDRM').signing;
    const [awayKeys, backKeys] = [await generateIdentityKeys(), await generateIdentityKeys()];
    const validUntil = new Date(Date.now() + 365 * DAY);
    const away = await createKeyCard({ keys: awayKeys, name: 'PDRM', organization: 'Polis Diraja Malaysia', country: 'SG', validUntil, predecessor: { card: pdrm.identity.card, signing } });
    const back = await createKeyCard({ keys: backKeys, name: 'PDRM', organization: 'Polis Diraja Malaysia', country: 'MY', validUntil, predecessor: { card: away, signing: awayKeys.signing } });
    const chain = await bin.ring.importKeyCard([pdrm.identity.card, away, back]);
    expect(chain.changedAttributes).toEqual([
      { attribute: 'country', from: 'MY', to: 'SG' },
      { attribute: 'country', from: 'SG', to: 'MY' },
    ]);
    expect(chain.contact.verification).toBe('unverified');
  });

  it('a rotation that keeps name, organization and country keeps the verification', async () => {
    const next = await pdrm.ring.rotateIdentity('PDRM');
    const r = await bin.ring.importKeyCard(next.card);
    expect([r.action, r.contact.verification, r.changedAttributes, r.contact.groups]).toEqual(['rotated', 'verified', [], ['ASEAN']]);
  });
});
