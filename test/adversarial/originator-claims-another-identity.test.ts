/**
 * Adversarial index (docs/THREAT-MODEL.md): a bundle's manifest names someone else as its
 * originator (issue 12, item 5). The manifest's originator (card fingerprint, name,
 * organization, country) is written by whoever signs it; the signature proves only the key. A
 * partner with a real signing key writes "ayu, BIN, ID" and BIN's card fingerprint into its own
 * manifest. Reading through the key ring (docs/KEYRING.md, "Bundles") compares the claim with
 * the card the ring holds for the signing key: a contradiction is refused with
 * `ERR_BUNDLE_ORIGINATOR_CLAIM_MISMATCH`, or, on request, reported; the audit trail records an
 * originator only when the ring confirmed it (SPEC 12.8).
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
  sealBundle,
  verifyAuditLog,
  type BundleIdentity,
  type Identity,
} from '../../src/index.js';
import { wipe } from '../../src/crypto/bytes.js';
import { expectCode } from '../bundle/bundle-kit.js';

const PASS = { passphrase: 'originator claims', kdf: KEYRING_KDF_MINIMUM };

async function agency(name: string, organization: string, country: string): Promise<{ ring: KeyRing; identity: Identity }> {
  const ring = await KeyRing.create(new MemoryKeyRingStorage(), PASS);
  const identity = await ring.createIdentity({ name, organization, country });
  return { ring, identity };
}

let bin: Awaited<ReturnType<typeof agency>>; // the agency being impersonated
let pdrm: Awaited<ReturnType<typeof agency>>; // the reader
let mallory: Awaited<ReturnType<typeof agency>>; // a verified partner turned hostile

beforeEach(async () => {
  bin = await agency('ayu', 'BIN', 'ID');
  pdrm = await agency('mei', 'PDRM', 'MY');
  mallory = await agency('mallory', 'NICA', 'MY');
  for (const other of [bin, mallory]) await pdrm.ring.importKeyCard(other.identity.card, { name: other.identity.name, fingerprint: other.identity.card.fingerprint });
  await mallory.ring.importKeyCard(pdrm.identity.card, { name: 'mei', fingerprint: pdrm.identity.card.fingerprint });
});

/** Mallory's real signing key, with BIN's name, organization, country and card fingerprint. */
function impersonating(): BundleIdentity {
  const own = bundleIdentityFromKeyRing(mallory.ring, 'mallory');
  const c = bin.identity.card;
  return { signing: own.signing, card: { fingerprint: c.fingerprint, name: c.name, organization: c.organization, country: c.country } };
}

async function forged(): Promise<Uint8Array> {
  const sender = impersonating();
  const sealed = await sealBundle(new BundleBuilder({ title: 'Urgent: new source', markings: { tlp: 'GREEN' } }).addText('tip.txt', 'meet at the port'), {
    sender,
    recipients: bundleRecipientsFromKeyRing(mallory.ring, ['mei']),
  });
  wipe(sender.signing.secretKey);
  return sealed.deliveries[0]!.envelope;
}

describe('attack: a manifest claims another identity as its originator', () => {
  it('is refused by default with ERR_BUNDLE_ORIGINATOR_CLAIM_MISMATCH, and nothing is recorded as opened', async () => {
    const store = new MemoryAuditStore();
    const audit = await AuditLog.open(store, pdrm.ring.identityKeys('mei').signing);
    await expectCode(openBundleWithKeyRing(pdrm.ring, await forged(), { audit }), 'ERR_BUNDLE_ORIGINATOR_CLAIM_MISMATCH');
    expect((await verifyAuditLog(store.bytes())).entries).toEqual([]);
  });

  it('opt-in: opens, reports which parts of the claim differ, and shows the card that really signed', async () => {
    const opened = await openBundleWithKeyRing(pdrm.ring, await forged(), { allowOriginatorMismatch: true });
    expect(opened.originator.organization).toBe('BIN'); // the claim, as written
    expect(opened.originatorMismatch).toEqual(['fingerprint', 'name', 'organization', 'country']);
    expect(opened.originatorConfirmed).toBe(false);
    expect(opened.originatorContact?.name).toBe('mallory');
    expect(opened.originatorCard?.organization).toBe('NICA');
    await opened.close();
  });

  it('a partner cannot even change one attribute of its own card in the manifest', async () => {
    const own = bundleIdentityFromKeyRing(mallory.ring, 'mallory');
    const sender: BundleIdentity = { signing: own.signing, card: { ...own.card, organization: 'PDRM' } };
    const sealed = await sealBundle(new BundleBuilder({ title: 'x', markings: { tlp: 'GREEN' } }).addText('a.txt', 'a'), {
      sender,
      recipients: bundleRecipientsFromKeyRing(mallory.ring, ['mei']),
    });
    await expectCode(openBundleWithKeyRing(pdrm.ring, sealed.deliveries[0]!.envelope), 'ERR_BUNDLE_ORIGINATOR_CLAIM_MISMATCH');
    const opened = await openBundleWithKeyRing(pdrm.ring, sealed.deliveries[0]!.envelope, { allowOriginatorMismatch: true });
    expect(opened.originatorMismatch).toEqual(['organization']);
    await opened.close();
  });

  it('an unconfirmed claim is never recorded as the originator: unknown signer, no originator in the audit entry', async () => {
    const stranger = await agency('stranger', 'BIN', 'ID');
    await stranger.ring.importKeyCard(pdrm.identity.card, { name: 'mei', fingerprint: pdrm.identity.card.fingerprint });
    const sealed = await sealBundle(new BundleBuilder({ title: 'x', markings: { tlp: 'GREEN' } }).addText('a.txt', 'a'), {
      sender: bundleIdentityFromKeyRing(stranger.ring, 'stranger'),
      recipients: bundleRecipientsFromKeyRing(stranger.ring, ['mei']),
    });
    const store = new MemoryAuditStore();
    const audit = await AuditLog.open(store, pdrm.ring.identityKeys('mei').signing);
    const opened = await openBundleWithKeyRing(pdrm.ring, sealed.deliveries[0]!.envelope, { audit });
    expect(opened.originatorVerification).toBe('unknown');
    expect(opened.originatorConfirmed).toBe(false);
    await opened.close();
    const [entry] = (await verifyAuditLog(store.bytes())).entries;
    expect(entry!.event).toBe('opened');
    expect(entry!.originator).toBeUndefined();
  });

  it('a confirmed originator is recorded with the key ring card fingerprint', async () => {
    await bin.ring.importKeyCard(pdrm.identity.card, { name: 'mei', fingerprint: pdrm.identity.card.fingerprint });
    const sealed = await sealBundle(new BundleBuilder({ title: 'x', markings: { tlp: 'GREEN' } }).addText('a.txt', 'a'), {
      sender: bundleIdentityFromKeyRing(bin.ring, 'ayu'),
      recipients: bundleRecipientsFromKeyRing(bin.ring, ['mei']),
    });
    const store = new MemoryAuditStore();
    const audit = await AuditLog.open(store, pdrm.ring.identityKeys('mei').signing);
    const opened = await openBundleWithKeyRing(pdrm.ring, sealed.deliveries[0]!.envelope, { audit });
    expect(opened.originatorConfirmed).toBe(true);
    expect(opened.originatorMismatch).toEqual([]);
    await opened.close();
    expect((await verifyAuditLog(store.bytes())).entries[0]!.originator).toEqual(bin.identity.card.fingerprint);
  });

  it('a forwarder does not pass the forged claim on', async () => {
    const nica = await agency('nica-desk', 'PDRM', 'MY');
    await pdrm.ring.importKeyCard(nica.identity.card, { name: 'nica-desk', fingerprint: nica.identity.card.fingerprint });
    await expectCode(forwardBundleWithKeyRing(pdrm.ring, await forged(), { from: 'mei', to: ['nica-desk'] }), 'ERR_BUNDLE_ORIGINATOR_CLAIM_MISMATCH');
  });
});
