/**
 * Adversarial index (docs/THREAT-MODEL.md): an unverified key card claims the originator's
 * organization and country to receive material above TLP:GREEN (issue 12, item 4). A key card
 * is signed by its own key, so anyone can make one that says "organization BIN, country ID".
 * The handling policy (SPEC 12.5) counts a recipient's organization and country only when its
 * card is verified (or introduced, when the sender accepts introductions); any recipient whose
 * card is not is refused above TLP:GREEN with `unverified-recipient`, and covered by no
 * organization rule or "REL TO". Only an explicit override passes, and it is recorded.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import {
  AuditLog,
  BundleBuilder,
  bundleIdentityFromKeyRing,
  bundleRecipientsFromKeyRing,
  forwardBundleWithKeyRing,
  KeyRing,
  KEYRING_KDF_MINIMUM,
  MemoryAuditStore,
  MemoryKeyRingStorage,
  openBundleWithKeyRing,
  PolicyViolationError,
  sealBundle,
  verifyAuditLog,
  type HandlingMarkings,
  type Identity,
} from '../../src/index.js';
import { rejection } from '../bundle/bundle-kit.js';

const PASS = { passphrase: 'unverified claims', kdf: KEYRING_KDF_MINIMUM };

async function agency(name: string, organization: string, country: string): Promise<{ ring: KeyRing; identity: Identity }> {
  const ring = await KeyRing.create(new MemoryKeyRingStorage(), PASS);
  const identity = await ring.createIdentity({ name, organization, country });
  return { ring, identity };
}

let bin: Awaited<ReturnType<typeof agency>>; // the originator, BIN (ID)
let colleague: Awaited<ReturnType<typeof agency>>; // a real BIN colleague, verified
let mallory: Awaited<ReturnType<typeof agency>>; // an outsider whose card claims BIN, ID

beforeEach(async () => {
  bin = await agency('ayu', 'BIN', 'ID');
  colleague = await agency('budi', 'BIN', 'ID');
  mallory = await agency('mallory', 'BIN', 'ID');
  await bin.ring.importKeyCard(colleague.identity.card, { name: 'budi', fingerprint: colleague.identity.card.fingerprint });
  // Mallory's card arrived by e-mail; nobody compared its fingerprint.
  await bin.ring.importKeyCard(mallory.identity.card, { name: 'mallory', groups: ['BIN-desk'] });
});

const report = (markings: HandlingMarkings) => new BundleBuilder({ title: 'Source list', markings }).addText('sources.txt', 'three names');
const rulesOf = (e: unknown) => (e as PolicyViolationError).violations.map((v) => [v.rule, v.recipient?.name ?? null]);

describe('attack: an unverified card claims the originator organization', () => {
  it('AMBER+STRICT REL TO ID is refused for the unverified claimant, naming the rules; the verified colleague passes', async () => {
    const sender = bundleIdentityFromKeyRing(bin.ring, 'ayu');
    const markings: HandlingMarkings = { tlp: 'AMBER+STRICT', releasableTo: { countries: ['ID'], organizations: [] } };
    const e = await rejection(sealBundle(report(markings), { sender, recipients: bundleRecipientsFromKeyRing(bin.ring, ['budi', 'mallory']) }));
    expect(e.code).toBe('ERR_POLICY_VIOLATION');
    expect(rulesOf(e)).toEqual([
      ['unverified-recipient', 'mallory'],
      ['tlp-amber-strict-organization', 'mallory'],
      ['releasability', 'mallory'],
    ]);
    const sealed = await sealBundle(report(markings), { sender, recipients: bundleRecipientsFromKeyRing(bin.ring, ['budi']) });
    expect(sealed.override).toBeNull();
  });

  it('every level above GREEN refuses an unverified recipient, also through a group; GREEN without REL TO does not', async () => {
    const sender = bundleIdentityFromKeyRing(bin.ring, 'ayu');
    for (const tlp of ['AMBER', 'AMBER+STRICT', 'RED'] as const) {
      const e = await rejection(sealBundle(report({ tlp }), { sender, recipients: bundleRecipientsFromKeyRing(bin.ring, ['mallory']) }));
      expect(rulesOf(e)[0]).toEqual(['unverified-recipient', 'mallory']);
    }
    const e = await rejection(sealBundle(report({ tlp: 'AMBER' }), { sender, recipients: bundleRecipientsFromKeyRing(bin.ring, ['group:BIN-desk']) }));
    expect(rulesOf(e)).toEqual([
      ['unverified-recipient', 'mallory'],
      ['tlp-amber-organizations', 'mallory'],
    ]);
    await expect(sealBundle(report({ tlp: 'GREEN' }), { sender, recipients: bundleRecipientsFromKeyRing(bin.ring, ['mallory']) })).resolves.toBeTruthy();
  });

  it('REL TO counts only verified attributes, even at TLP:GREEN', async () => {
    const sender = bundleIdentityFromKeyRing(bin.ring, 'ayu');
    const e = await rejection(
      sealBundle(report({ tlp: 'GREEN', releasableTo: { countries: ['ID'], organizations: ['BIN'] } }), { sender, recipients: bundleRecipientsFromKeyRing(bin.ring, ['mallory']) }),
    );
    expect(rulesOf(e)).toEqual([['releasability', 'mallory']]);
  });

  it('once the fingerprint is verified out of band, the same card passes', async () => {
    await bin.ring.verifyContact('mallory', mallory.identity.card.fingerprint);
    const sender = bundleIdentityFromKeyRing(bin.ring, 'ayu');
    const sealed = await sealBundle(report({ tlp: 'AMBER+STRICT' }), { sender, recipients: bundleRecipientsFromKeyRing(bin.ring, ['mallory']) });
    expect(sealed.deliveries[0]!.recipients[0]!.verification).toBe('verified');
  });

  it('an introduced card counts only when the sender accepts introductions', async () => {
    const ops = await agency('ops', 'BIN', 'ID');
    const ring = await KeyRing.create(new MemoryKeyRingStorage(), PASS);
    await ring.createIdentity({ name: 'hq', organization: 'BIN', country: 'ID' });
    // hq verified ayu, and ayu introduces her colleague ops.
    await ring.importKeyCard(bin.identity.card, { name: 'ayu', fingerprint: bin.identity.card.fingerprint });
    await bin.ring.importKeyCard(ops.identity.card, { name: 'ops', fingerprint: ops.identity.card.fingerprint });
    const introduction = await bin.ring.createIntroduction('ayu', 'ops');
    await ring.importKeyCard(ops.identity.card, { name: 'ops', introduction });
    const sender = bundleIdentityFromKeyRing(ring, 'hq');
    const recipients = bundleRecipientsFromKeyRing(ring, ['ops']);
    expect(recipients[0]!.attributes.verification).toBe('introduced');
    const e = await rejection(sealBundle(report({ tlp: 'AMBER+STRICT' }), { sender, recipients }));
    expect(rulesOf(e)).toEqual([
      ['unverified-recipient', 'ops'],
      ['tlp-amber-strict-organization', 'ops'],
    ]);
    await expect(sealBundle(report({ tlp: 'AMBER+STRICT' }), { sender, recipients, acceptIntroduced: true })).resolves.toBeTruthy();
  });

  it('an explicit override passes, and is recorded in the manifest and the audit log', async () => {
    const store = new MemoryAuditStore();
    const audit = await AuditLog.open(store, bin.ring.identityKeys('ayu').signing);
    const override = { reason: 'Mallory joins the desk before her card is verified', authorisedBy: 'Head of desk, order 3/2026' };
    const sealed = await sealBundle(report({ tlp: 'AMBER+STRICT' }), {
      sender: bundleIdentityFromKeyRing(bin.ring, 'ayu'),
      recipients: bundleRecipientsFromKeyRing(bin.ring, ['mallory']),
      override,
      audit,
    });
    expect(sealed.override!.lifted.map((l) => l.rule)).toEqual(['unverified-recipient', 'tlp-amber-strict-organization']);
    await mallory.ring.importKeyCard(bin.identity.card, { name: 'ayu', fingerprint: bin.identity.card.fingerprint });
    const opened = await openBundleWithKeyRing(mallory.ring, sealed.deliveries[0]!.envelope);
    expect(opened.manifest.override!.lifted.map((l) => l.rule)).toEqual(['unverified-recipient', 'tlp-amber-strict-organization']);
    await opened.close();
    const log = await verifyAuditLog(store.bytes());
    expect(log.entries.map((x) => x.event)).toEqual(['override', 'sealed']);
    expect(log.entries[0]!.override!.lifted.map((l) => l.rule)).toEqual(['unverified-recipient', 'tlp-amber-strict-organization']);
  });

  it('forwarding counts the new recipients verified cards only: an unverified claimant of the forwarder organization is refused', async () => {
    const pdrm = await agency('mei', 'PDRM', 'MY');
    const fake = await agency('fake-colleague', 'PDRM', 'MY');
    await bin.ring.importKeyCard(pdrm.identity.card, { name: 'mei', fingerprint: pdrm.identity.card.fingerprint });
    await pdrm.ring.importKeyCard(bin.identity.card, { name: 'ayu', fingerprint: bin.identity.card.fingerprint });
    await pdrm.ring.importKeyCard(fake.identity.card, { name: 'fake' });
    const sealed = await sealBundle(report({ tlp: 'AMBER', amberOrganizations: ['PDRM'] }), {
      sender: bundleIdentityFromKeyRing(bin.ring, 'ayu'),
      recipients: bundleRecipientsFromKeyRing(bin.ring, ['mei']),
    });
    const e = await rejection(forwardBundleWithKeyRing(pdrm.ring, sealed.deliveries[0]!.envelope, { from: 'mei', to: ['fake'] }));
    expect(e.code).toBe('ERR_POLICY_VIOLATION');
    expect(rulesOf(e)).toEqual([
      ['unverified-recipient', 'fake-colleague'],
      ['tlp-amber-forward-organization', 'fake-colleague'],
    ]);
  });
});
