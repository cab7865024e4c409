/**
 * Adversarial index (docs/THREAT-MODEL.md): a recipient forwards a bundle against its markings
 * with modified software, and signs a valid forward record (issue 12, item 6). The record
 * verifies, chains and names the forwarder, so before this fix every reader showed the bundle
 * as an ordinary forward. Readers now apply the forwarding rules of SPEC 12.6 to the chain they
 * receive: a forwarded TLP:RED bundle is refused (no override lifts that), and so is a
 * TLP:AMBER+STRICT bundle that reached a forwarder, or the reader, outside the originator's
 * organization without an override naming it. The forwarder's own library takes the new
 * recipients' attributes from their verified cards (test/adversarial/unverified-card-claims-organization.test.ts).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import {
  BundleBuilder,
  bundleIdentityFromKeyRing,
  bundleRecipientsFromKeyRing,
  KeyRing,
  KEYRING_KDF_MINIMUM,
  MemoryKeyRingStorage,
  openBundle,
  openBundleWithKeyRing,
  PolicyViolationError,
  seal,
  sealBundle,
  type AppliedOverride,
  type HandlingMarkings,
  type Identity,
} from '../../src/index.js';
import { BUNDLE_CONTENT_TYPE } from '../../src/bundle/constants.js';
import { encodeForwardRecord, encodeHead, headPrefix, signForwardRecord } from '../../src/bundle/head.js';
import { internalsOf } from '../../src/bundle/open.js';
import { policyPartyFromCard } from '../../src/policy/keyring-adapter.js';
import { preferredEncryptionKey } from '../../src/keyring/key-card.js';
import { concatBytes } from '../../src/crypto/bytes.js';
import { sha256 } from '../../src/crypto/hash.js';
import { rejection } from '../bundle/bundle-kit.js';

const PASS = { passphrase: 'forbidden forwards', kdf: KEYRING_KDF_MINIMUM };

interface Agency {
  ring: KeyRing;
  identity: Identity;
}

async function agency(name: string, organization: string, country: string): Promise<Agency> {
  const ring = await KeyRing.create(new MemoryKeyRingStorage(), PASS);
  const identity = await ring.createIdentity({ name, organization, country });
  return { ring, identity };
}

async function meet(a: Agency, b: Agency): Promise<void> {
  await a.ring.importKeyCard(b.identity.card, { name: b.identity.name, fingerprint: b.identity.card.fingerprint });
  await b.ring.importKeyCard(a.identity.card, { name: a.identity.name, fingerprint: a.identity.card.fingerprint });
}

/**
 * What modified software does: open the received bundle, append a correctly signed forward
 * record and seal a new envelope to `to`, skipping the forwarding rules.
 */
async function forwardIgnoringRules(from: Agency, received: Uint8Array, to: Agency[], override: AppliedOverride | null = null): Promise<Uint8Array> {
  const keys = from.ring.identityKeys(from.identity.name);
  // Without a key ring, so the forwarder's own reader does not know its identity's organization.
  const bundle = await openBundle(received, { keys: [keys.xwing, keys.x25519] });
  const { head } = internalsOf(bundle);
  const last = head.forwards[head.forwards.length - 1];
  const record = encodeForwardRecord({
    manifestDigest: bundle.manifestDigest,
    prev: last ? sha256(last.record) : new Uint8Array(32),
    receivedIn: bundle.envelope.envelopeId,
    forwarder: { signingKey: keys.signing.publicKey, ...policyPartyFromCard(from.identity.card) },
    at: new Date(Math.floor(Date.now() / 1000) * 1000),
    to: to.map((t) => t.identity.card.fingerprint),
    override,
  });
  const newHead = encodeHead({ manifest: head.manifest, signature: head.signature, forwards: [...head.forwards, { record, signature: signForwardRecord(record, keys.signing.secretKey) }] });
  const items = (await bundle.readAll()).map((i) => i.bytes);
  return seal(concatBytes(headPrefix(newHead.length), newHead, ...items), {
    recipients: to.map((t) => preferredEncryptionKey(t.identity.card)),
    sender: keys.signing,
    contentType: BUNDLE_CONTENT_TYPE,
  });
}

let ayu: Agency; // BIN, originator
let budi: Agency; // BIN
let citra: Agency; // POLRI
let mei: Agency; // PDRM

beforeEach(async () => {
  [ayu, budi, citra, mei] = await Promise.all([agency('ayu', 'BIN', 'ID'), agency('budi', 'BIN', 'ID'), agency('citra', 'POLRI', 'ID'), agency('mei', 'PDRM', 'MY')]);
  for (const [a, b] of [
    [ayu, budi],
    [ayu, citra],
    [ayu, mei],
    [budi, citra],
    [budi, mei],
    [mei, citra],
  ] as const) {
    await meet(a, b);
  }
});

async function sealFromAyu(markings: HandlingMarkings, to: string[]): Promise<Uint8Array> {
  const sealed = await sealBundle(new BundleBuilder({ title: 'Source list', markings }).addText('sources.txt', 'three names'), {
    sender: bundleIdentityFromKeyRing(ayu.ring, 'ayu'),
    recipients: bundleRecipientsFromKeyRing(ayu.ring, to),
  });
  return sealed.deliveries[0]!.envelope;
}

const rulesOf = (e: unknown) => (e as PolicyViolationError).violations.map((v) => [v.rule, v.recipient?.name ?? null, v.overridable]);

describe('attack: a forbidden forward with a validly signed forward record', () => {
  it('a forwarded TLP:RED bundle is refused by every reader, with or without a key ring, even with an override in the record', async () => {
    const red = await sealFromAyu({ tlp: 'RED' }, ['mei']);
    const forwarded = await forwardIgnoringRules(mei, red, [citra]);
    const e = await rejection(openBundleWithKeyRing(citra.ring, forwarded));
    expect(e.code).toBe('ERR_POLICY_VIOLATION');
    expect(rulesOf(e)).toEqual([['tlp-red-no-forward', null, false]]);
    const keys = citra.ring.identityKeys('citra');
    expect((await rejection(openBundle(forwarded, { keys: [keys.xwing, keys.x25519] }))).code).toBe('ERR_POLICY_VIOLATION');
    const lifted: AppliedOverride = { reason: 'urgent', authorisedBy: 'mei herself', lifted: [{ rule: 'tlp-red-no-forward', recipient: null, item: null }] };
    expect((await rejection(openBundleWithKeyRing(citra.ring, await forwardIgnoringRules(mei, red, [citra], lifted)))).code).toBe('ERR_POLICY_VIOLATION');
  });

  it('TLP:AMBER+STRICT forwarded out of the organization is refused by the reader outside it', async () => {
    const strict = await sealFromAyu({ tlp: 'AMBER+STRICT' }, ['budi']);
    const forwarded = await forwardIgnoringRules(budi, strict, [citra]);
    const e = await rejection(openBundleWithKeyRing(citra.ring, forwarded));
    expect(e.code).toBe('ERR_POLICY_VIOLATION');
    expect(rulesOf(e)).toEqual([['tlp-amber-strict-organization', 'citra', false]]);
  });

  it('TLP:AMBER+STRICT whose chain left the organization is refused further down the chain, even inside it', async () => {
    const strict = await sealFromAyu({ tlp: 'AMBER+STRICT' }, ['budi']);
    const atCitra = await forwardIgnoringRules(budi, strict, [citra]);
    // citra (POLRI) passes it on to ayu's colleague budi: budi is inside BIN, but the chain shows citra outside.
    const back = await forwardIgnoringRules(citra, atCitra, [budi]);
    const e = await rejection(openBundleWithKeyRing(budi.ring, back));
    expect(rulesOf(e)).toEqual([['tlp-amber-strict-organization', 'citra', false]]);
    // A reader without a key ring checks the forwarders' chain too.
    const keys = budi.ring.identityKeys('budi');
    expect(rulesOf(await rejection(openBundle(back, { keys: [keys.xwing, keys.x25519] })))).toEqual([['tlp-amber-strict-organization', 'citra', false]]);
  });

  it('an override in the manifest naming the first forwarder is honoured; the hop after it needs its own', async () => {
    const sealed = await sealBundle(new BundleBuilder({ title: 'Source list', markings: { tlp: 'AMBER+STRICT' } }).addText('sources.txt', 'three names'), {
      sender: bundleIdentityFromKeyRing(ayu.ring, 'ayu'),
      recipients: bundleRecipientsFromKeyRing(ayu.ring, ['mei']),
      override: { reason: 'PDRM liaison seconded to BIN', authorisedBy: 'Deputy Director BIN' },
    });
    const envelope = sealed.deliveries[0]!.envelope;
    await (await openBundleWithKeyRing(mei.ring, envelope)).close();
    const toBudi = await openBundleWithKeyRing(budi.ring, await forwardIgnoringRules(mei, envelope, [budi]));
    expect(toBudi.forwards[0]!.forwarder.name).toBe('mei');
    await toBudi.close();
    expect(rulesOf(await rejection(openBundleWithKeyRing(citra.ring, await forwardIgnoringRules(mei, envelope, [citra]))))).toEqual([['tlp-amber-strict-organization', 'citra', false]]);
  });

  it('inside the organization, and out of it under a recorded override naming the reader, the forward opens', async () => {
    const strict = await sealFromAyu({ tlp: 'AMBER+STRICT' }, ['budi']);
    const colleague = await agency('dewi', 'BIN', 'ID');
    await meet(budi, colleague);
    await colleague.ring.importKeyCard(ayu.identity.card, { name: 'ayu', fingerprint: ayu.identity.card.fingerprint });
    const inside = await openBundleWithKeyRing(colleague.ring, await forwardIgnoringRules(budi, strict, [colleague]));
    expect(inside.forwarded).toBe(true);
    await inside.close();
    const override: AppliedOverride = { reason: 'POLRI joins the case', authorisedBy: 'Director BIN', lifted: [{ rule: 'tlp-amber-strict-organization', recipient: citra.identity.card.fingerprint, item: null }] };
    const outside = await openBundleWithKeyRing(citra.ring, await forwardIgnoringRules(budi, strict, [citra], override));
    expect(outside.forwards[0]!.override!.reason).toBe('POLRI joins the case');
    await outside.close();
  });
});
