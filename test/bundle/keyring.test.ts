/**
 * Bundles with real key rings: recipients by contact and group (the key ring's `explicit`
 * decides TLP:RED), attributes from key cards, opening and forwarding with the ring's keys, and
 * the key ring's report on a bundle's sender (who sealed the envelope) and originator (who signed
 * the manifest).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { KeyRing, MemoryKeyRingStorage, KEYRING_KDF_MINIMUM } from '../../src/index.js';
import { BundleBuilder } from '../../src/bundle/builder.js';
import { sealBundle } from '../../src/bundle/seal.js';
import { bundleIdentityFromKeyRing, bundleRecipientsFromKeyRing, forwardBundleWithKeyRing, openBundleWithKeyRing } from '../../src/bundle/keyring-adapter.js';
import { PolicyViolationError } from '../../src/policy/override.js';
import { collect, expectCode, rejection, stixFixture } from './bundle-kit.js';
import type { KeyCard } from '../../src/keyring/key-card.js';

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
  // Fingerprints compared out of band: the policy counts only verified cards' attributes (SPEC 12.5).
  await bin.ring.importKeyCard(pdrm.identity.card, { name: 'mei', groups: ['ASEAN-CT-desk'], fingerprint: pdrm.identity.card.fingerprint });
  await bin.ring.importKeyCard(isd.identity.card, { name: 'tan', groups: ['ASEAN-CT-desk'], fingerprint: isd.identity.card.fingerprint });
  await pdrm.ring.importKeyCard(bin.identity.card, { name: 'ayu', fingerprint: bin.identity.card.fingerprint });
  await pdrm.ring.importKeyCard(isd.identity.card, { name: 'tan', fingerprint: isd.identity.card.fingerprint });
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

describe('the key ring report of openBundleWithKeyRing', () => {
  // Fresh rings per test: these revoke identities and import cards.
  const verifiedContact = (ring: KeyRing, card: KeyCard) => ring.importKeyCard(card, { name: card.name, fingerprint: card.fingerprint });
  const note = () => new BundleBuilder({ title: 'Note', markings: { tlp: 'GREEN' } }).addText('note.txt', 'three names');
  const sealTo = async (from: Awaited<ReturnType<typeof agency>>, to: string) =>
    (await sealBundle(note(), { sender: bundleIdentityFromKeyRing(from.ring, from.identity.name), recipients: bundleRecipientsFromKeyRing(from.ring, [to]) })).deliveries[0]!.envelope;

  it('reports a verified sealer, and the same party as originator when not forwarded', async () => {
    const a = await agency('ayu', 'BIN', 'ID');
    const b = await agency('mei', 'PDRM', 'MY');
    await verifiedContact(a.ring, b.identity.card);
    await verifiedContact(b.ring, a.identity.card);
    const opened = await openBundleWithKeyRing(b.ring, await sealTo(a, 'mei'), { requireKnownSender: true });
    expect(opened.senderVerification).toBe('verified');
    expect(opened.senderContact?.name).toBe('ayu');
    expect(opened.senderIdentity).toBeNull();
    expect(opened.senderCard?.fingerprint).toEqual(a.identity.card.fingerprint);
    expect(opened.recipientIdentity.name).toBe('mei');
    expect([opened.senderRevoked, opened.senderExpired, opened.senderSuperseded, opened.downgraded]).toEqual([false, false, false, false]);
    expect(opened.senderRevocation).toBeNull();
    expect(opened.forwarded).toBe(false);
    expect(opened.originatorVerification).toBe('verified');
    expect(opened.originatorContact?.name).toBe('ayu');
    expect(opened.originatorCard?.fingerprint).toEqual(a.identity.card.fingerprint);
    expect([opened.originatorRevoked, opened.originatorExpired, opened.originatorSuperseded]).toEqual([false, false, false]);
    // Only the report joins the bundle; the envelope fields stay in `envelope`.
    expect('envelopeId' in opened).toBe(false);
    expect((await opened.readAll())[0]!.name).toBe('note.txt');
    // An expired card is reported at the `now` of the options, for sealer and originator alike.
    const later = await openBundleWithKeyRing(b.ring, await sealTo(a, 'mei'), { now: new Date(a.identity.card.validUntil.getTime() + 1000) });
    expect([later.senderExpired, later.originatorExpired]).toEqual([true, true]);
    await later.close();
  });

  it('reports a sealer outside the ring as unknown, and refuses it with requireKnownSender', async () => {
    const a = await agency('ayu', 'BIN', 'ID');
    const stranger = await agency('tan', 'ISD', 'SG');
    await a.ring.importKeyCard(stranger.identity.card, { name: 'tan' });
    const env = await sealTo(a, 'tan');
    const opened = await openBundleWithKeyRing(stranger.ring, env);
    expect(opened.senderVerification).toBe('unknown');
    expect([opened.senderContact, opened.senderIdentity, opened.senderCard]).toEqual([null, null, null]);
    expect(opened.originatorVerification).toBe('unknown');
    expect([opened.originatorContact, opened.originatorIdentity, opened.originatorCard]).toEqual([null, null, null]);
    // The manifest still names its originator; the report says nobody in the ring vouched for it.
    expect(opened.originator.name).toBe('ayu');
    await opened.close();
    await expectCode(openBundleWithKeyRing(stranger.ring, env, { requireKnownSender: true }), 'ERR_UNKNOWN_SENDER');
    // Once imported as an unverified contact, it is known but not verified.
    await stranger.ring.importKeyCard(a.identity.card, { name: 'ayu' });
    const again = await openBundleWithKeyRing(stranger.ring, env, { requireKnownSender: true });
    expect([again.senderVerification, again.originatorVerification]).toEqual(['unverified', 'unverified']);
    await again.close();
  });

  it('flags a sealer whose card was revoked, without refusing the bundle', async () => {
    const a = await agency('ayu', 'BIN', 'ID');
    const b = await agency('mei', 'PDRM', 'MY');
    await verifiedContact(a.ring, b.identity.card);
    await verifiedContact(b.ring, a.identity.card);
    const env = await sealTo(a, 'mei');
    const revocation = await a.ring.revokeIdentity('ayu', { reason: 'key-compromise' });
    await b.ring.importRevocation(revocation.bytes);
    const opened = await openBundleWithKeyRing(b.ring, env, { requireKnownSender: true });
    expect(opened.senderRevoked).toBe(true);
    expect(opened.senderRevocation?.reason).toBe('key-compromise');
    expect(opened.originatorRevoked).toBe(true);
    expect(opened.originatorRevocation?.reason).toBe('key-compromise');
    // A key compromise withdraws the verification until a new card is compared out of band (KEYRING.md, "Revocation").
    expect(opened.senderVerification).toBe('unverified');
    expect((await opened.readAll()).length).toBe(1);
  });

  it('reports a card since rotated out as superseded, for sealer and originator', async () => {
    const a = await agency('ayu', 'BIN', 'ID');
    const b = await agency('mei', 'PDRM', 'MY');
    await verifiedContact(a.ring, b.identity.card);
    await verifiedContact(b.ring, a.identity.card);
    const env = await sealTo(a, 'mei');
    await a.ring.rotateIdentity('ayu');
    await b.ring.importKeyCard(a.ring.keyCardChain('ayu'));
    const opened = await openBundleWithKeyRing(b.ring, env);
    expect([opened.senderSuperseded, opened.originatorSuperseded]).toEqual([true, true]);
    expect(opened.originatorCard?.fingerprint).toEqual(a.identity.card.fingerprint);
    expect(opened.originatorContact?.card.fingerprint).not.toEqual(a.identity.card.fingerprint);
    await opened.close();
  });

  it('reports a bundle sealed to the X25519 key of a hybrid card as downgraded', async () => {
    const a = await agency('ayu', 'BIN', 'ID');
    const b = await agency('mei', 'PDRM', 'MY');
    await verifiedContact(a.ring, b.identity.card);
    await verifiedContact(b.ring, a.identity.card);
    const [recipient] = bundleRecipientsFromKeyRing(a.ring, ['mei']);
    const x25519 = b.identity.card.encryptionKeys.find((k) => k.type === 'X25519')!;
    expect(b.identity.card.encryptionKeys.some((k) => k.type === 'X-Wing')).toBe(true);
    const sealed = await sealBundle(note(), { sender: bundleIdentityFromKeyRing(a.ring, 'ayu'), recipients: [{ ...recipient!, encryptionKey: x25519 }] });
    const opened = await openBundleWithKeyRing(b.ring, sealed.deliveries[0]!.envelope);
    expect(opened.envelope.openedWith.type).toBe('X25519');
    expect(opened.downgraded).toBe(true);
    expect(opened.senderVerification).toBe('verified');
    await opened.close();
    const proper = await openBundleWithKeyRing(b.ring, await sealTo(a, 'mei'));
    expect(proper.downgraded).toBe(false);
    await proper.close();
  });

  it('tells a forwarded bundle\'s sender (the forwarder) from its originator, each checked on its own', async () => {
    const a = await agency('ayu', 'BIN', 'ID');
    const b = await agency('mei', 'PDRM', 'MY');
    const c = await agency('tan', 'PDRM', 'MY');
    await verifiedContact(a.ring, b.identity.card);
    await verifiedContact(b.ring, a.identity.card);
    await verifiedContact(b.ring, c.identity.card);
    await verifiedContact(c.ring, b.identity.card);
    const env = await sealTo(a, 'mei');
    const forward = async () => collect((await forwardBundleWithKeyRing(b.ring, env, { from: 'mei', to: ['tan'] })).envelope);

    // tan knows the forwarder, not the originator.
    const atTan = await openBundleWithKeyRing(c.ring, await forward(), { requireKnownSender: true });
    expect(atTan.forwarded).toBe(true);
    expect([atTan.sender.name, atTan.senderVerification, atTan.senderContact?.name]).toEqual(['mei', 'verified', 'mei']);
    expect(atTan.senderCard?.fingerprint).toEqual(b.identity.card.fingerprint);
    expect([atTan.originator.name, atTan.originatorVerification, atTan.originatorCard]).toEqual(['ayu', 'unknown', null]);
    await atTan.close();

    // The originator's key is compromised: an honest forwarder does not launder the bundle.
    await c.ring.importKeyCard(a.identity.card, { name: 'ayu' });
    const revocation = await a.ring.revokeIdentity('ayu', { reason: 'key-compromise' });
    await c.ring.importRevocation(revocation.bytes);
    const after = await openBundleWithKeyRing(c.ring, await forward());
    expect([after.originatorVerification, after.originatorContact?.name, after.originatorRevoked]).toEqual(['unverified', 'ayu', true]);
    expect(after.originatorCard?.fingerprint).toEqual(a.identity.card.fingerprint);
    expect([after.senderVerification, after.senderRevoked, after.senderRevocation]).toEqual(['verified', false, null]);
    expect((await after.readAll())[0]!.name).toBe('note.txt');
  });
});
