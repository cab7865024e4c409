/**
 * Bundles with real key rings: recipients by contact and group (the key ring's `explicit`
 * decides TLP:RED), attributes from key cards, opening and forwarding with the ring's keys.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { KeyRing, MemoryKeyRingStorage, KEYRING_KDF_MINIMUM } from '../../src/index.js';
import { BundleBuilder } from '../../src/bundle/builder.js';
import { sealBundle } from '../../src/bundle/seal.js';
import { bundleIdentityFromKeyRing, bundleRecipientsFromKeyRing, forwardBundleWithKeyRing, openBundleWithKeyRing } from '../../src/bundle/keyring-adapter.js';
import { PolicyViolationError } from '../../src/policy/override.js';
import { collect, rejection, stixFixture } from './bundle-kit.js';

const PASS = { passphrase: 'correct horse battery staple', kdf: KEYRING_KDF_MINIMUM };

async function agency(name: string, organization: string, country: string) {
  const ring = await KeyRing.create(new MemoryKeyRingStorage(), PASS);
  const identity = await ring.createIdentity({ name, organization, country });
  return { ring, identity };
}

let bin: Awaited<ReturnType<typeof agency>>;
let pdrm: Awaited<ReturnType<typeof agency>>;
let isd: Awaited<ReturnType<typeof agency>>;
beforeAll(async () => {
  bin = await agency('ayu', 'BIN', 'ID');
  pdrm = await agency('mei', 'PDRM', 'MY');
  isd = await agency('tan', 'ISD', 'SG');
  await bin.ring.importKeyCard(pdrm.identity.card, { name: 'mei', groups: ['ASEAN-CT-desk'] });
  await bin.ring.importKeyCard(isd.identity.card, { name: 'tan', groups: ['ASEAN-CT-desk'] });
  await pdrm.ring.importKeyCard(bin.identity.card, { name: 'ayu' });
  await pdrm.ring.importKeyCard(isd.identity.card, { name: 'tan' });
});

const report = (tlp: 'RED' | 'GREEN', rel?: string[]) =>
  new BundleBuilder({ title: 'APT1 update', markings: { tlp, ...(rel ? { releasableTo: { countries: rel, organizations: [] } } : {}) } }).addStix('apt1.json', stixFixture('apt1'));

describe('bundles with the key ring', () => {
  it('takes organization and country from key cards: REL TO ID, MY refuses the Singaporean contact', async () => {
    const recipients = bundleRecipientsFromKeyRing(bin.ring, ['group:ASEAN-CT-desk']);
    expect(recipients.map((r) => [r.attributes.name, r.attributes.organization, r.attributes.country, r.attributes.explicit])).toEqual([
      ['mei', 'PDRM', 'MY', false],
      ['tan', 'ISD', 'SG', false],
    ]);
    expect(recipients[0]!.encryptionKey.type).toBe('X-Wing');
    const e = await rejection(sealBundle(report('GREEN', ['ID', 'MY']), { sender: bundleIdentityFromKeyRing(bin.ring, 'ayu'), recipients }));
    expect((e as PolicyViolationError).violations.map((v) => [v.rule, v.recipient?.name])).toEqual([['releasability', 'tan']]);
  });

  it('TLP:RED needs contacts named one by one, not a group', async () => {
    const sender = bundleIdentityFromKeyRing(bin.ring, 'ayu');
    const e = await rejection(sealBundle(report('RED'), { sender, recipients: bundleRecipientsFromKeyRing(bin.ring, ['group:ASEAN-CT-desk']) }));
    expect((e as PolicyViolationError).violations.map((v) => v.rule)).toEqual(['tlp-red-named-only', 'tlp-red-named-only']);
    // Named individually as well as through the group: explicit.
    const sealed = await sealBundle(report('RED'), { sender, recipients: bundleRecipientsFromKeyRing(bin.ring, ['mei', 'group:ASEAN-CT-desk', 'tan']) });
    expect(sealed.deliveries[0]!.recipients.map((r) => r.explicit)).toEqual([true, true]);
  });

  it('opens and forwards with the ring keys; the originator stays visible', async () => {
    const sealed = await sealBundle(report('GREEN'), { sender: bundleIdentityFromKeyRing(bin.ring, 'ayu'), recipients: bundleRecipientsFromKeyRing(bin.ring, ['mei']) });
    const env = sealed.deliveries[0]!.envelope;
    const opened = await openBundleWithKeyRing(pdrm.ring, env, { requireKnownSender: true });
    expect(opened.originator.fingerprint).toEqual(bin.identity.card.fingerprint);
    expect(opened.originator.organization).toBe('BIN');
    await opened.close();
    const fwd = await forwardBundleWithKeyRing(pdrm.ring, env, { from: 'mei', to: ['tan'] });
    expect(fwd.record.forwarder.fingerprint).toEqual(pdrm.identity.card.fingerprint);
    const atTan = await openBundleWithKeyRing(isd.ring, await collect(fwd.envelope));
    expect(atTan.forwarded).toBe(true);
    expect(atTan.originator.name).toBe('ayu');
    expect(atTan.sender.name).toBe('mei');
    expect((await atTan.readAll())[0]!.name).toBe('apt1.json');
  });
});
