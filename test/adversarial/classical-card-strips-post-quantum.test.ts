/**
 * Adversarial index (docs/THREAT-MODEL.md): one classical-only (X25519) card in a group strips
 * post-quantum protection from every hybrid recipient (issue 12, item 8). The file key is the
 * same in every stanza (SPEC 10.9), so whoever records the envelope and later breaks X25519
 * unwraps the classical stanza and reads what the X-Wing recipients received. Before this fix
 * the key ring sealed such a mix silently and the hybrid recipients' `downgraded` stayed false.
 * Now sealing refuses it with `ERR_SEAL_CLASSICAL_RECIPIENT` unless the caller passes
 * `allowClassicalRecipients`, and every opener of a mixed envelope gets `downgraded = true`.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import {
  BundleBuilder,
  bundleIdentityFromKeyRing,
  bundleRecipientsFromKeyRing,
  forwardBundleWithKeyRing,
  inspect,
  KeyRing,
  KEYRING_KDF_MINIMUM,
  MemoryKeyRingStorage,
  openBundleWithKeyRing,
  sealBundle,
  type Identity,
} from '../../src/index.js';
import { expectCode } from '../bundle/bundle-kit.js';

const PASS = { passphrase: 'classical cards', kdf: KEYRING_KDF_MINIMUM };
const text = (s: string) => new TextEncoder().encode(s);

interface Agency {
  ring: KeyRing;
  identity: Identity;
}

async function agency(name: string, organization: string, includeXWing = true): Promise<Agency> {
  const ring = await KeyRing.create(new MemoryKeyRingStorage(), PASS);
  const identity = await ring.createIdentity({ name, organization, country: 'ID', includeXWing });
  return { ring, identity };
}

let bin: Agency; // seals
let polri: Agency; // hybrid card (X25519 + X-Wing)
let legacy: Agency; // classical-only card (an old deployment)

beforeEach(async () => {
  bin = await agency('BIN', 'BIN');
  polri = await agency('POLRI', 'POLRI');
  legacy = await agency('LEGACY', 'BAIS', false);
  for (const other of [polri, legacy]) {
    await bin.ring.importKeyCard(other.identity.card, { name: other.identity.name, fingerprint: other.identity.card.fingerprint, groups: ['task-force'] });
    await other.ring.importKeyCard(bin.identity.card, { name: 'BIN', fingerprint: bin.identity.card.fingerprint });
  }
});

describe('attack: a classical-only card strips post-quantum protection from the others', () => {
  it('the key ring refuses to seal X-Wing and X25519-only recipients together, through a group too', async () => {
    await expectCode(bin.ring.seal(text('plan'), { from: 'BIN', to: ['group:task-force'] }), 'ERR_SEAL_CLASSICAL_RECIPIENT');
    await expectCode(bin.ring.seal(text('plan'), { from: 'BIN', to: ['POLRI', 'LEGACY'] }), 'ERR_SEAL_CLASSICAL_RECIPIENT');
    // Either kind alone is fine: all X-Wing keeps post-quantum protection, all X25519 never had it.
    const pq = await inspect(await bin.ring.seal(text('plan'), { from: 'BIN', to: ['POLRI'] }));
    expect(pq.stanzas.map((s) => s.type)).toEqual(['X-Wing']);
    expect((await inspect(await bin.ring.seal(text('plan'), { from: 'BIN', to: ['LEGACY'] }))).stanzas.map((s) => s.type)).toEqual(['X25519']);
  });

  it('bundles: sealing and forwarding refuse the mix before anything is sealed', async () => {
    const bundle = () => new BundleBuilder({ title: 'Task force plan', markings: { tlp: 'GREEN' } }).addText('plan.txt', 'plan');
    await expectCode(sealBundle(bundle(), { sender: bundleIdentityFromKeyRing(bin.ring, 'BIN'), recipients: bundleRecipientsFromKeyRing(bin.ring, ['group:task-force']) }), 'ERR_SEAL_CLASSICAL_RECIPIENT');
    const toPolri = await sealBundle(bundle(), { sender: bundleIdentityFromKeyRing(bin.ring, 'BIN'), recipients: bundleRecipientsFromKeyRing(bin.ring, ['POLRI']) });
    const hq = await agency('BIN-HQ', 'POLRI');
    await polri.ring.importKeyCard(hq.identity.card, { name: 'HQ', fingerprint: hq.identity.card.fingerprint });
    await polri.ring.importKeyCard(legacy.identity.card, { name: 'LEGACY', fingerprint: legacy.identity.card.fingerprint });
    await expectCode(forwardBundleWithKeyRing(polri.ring, toPolri.deliveries[0]!.envelope, { from: 'POLRI', to: ['HQ', 'LEGACY'] }), 'ERR_SEAL_CLASSICAL_RECIPIENT');
  });

  it('with the explicit allowance the mix is sealed, and every opener, hybrid or not, is told downgraded', async () => {
    const envelope = await bin.ring.seal(text('plan'), { from: 'BIN', to: ['POLRI', 'LEGACY'], allowClassicalRecipients: true });
    expect((await inspect(envelope)).stanzas.map((s) => s.type).sort()).toEqual(['X-Wing', 'X25519']);
    const atPolri = await polri.ring.open(envelope);
    expect(atPolri.openedWith.type).toBe('X-Wing');
    expect(atPolri.stanzaTypes.sort()).toEqual(['X-Wing', 'X25519']);
    expect(atPolri.downgraded).toBe(true);
    expect((await legacy.ring.open(envelope)).downgraded).toBe(true);
    const bundle = await sealBundle(new BundleBuilder({ title: 'Task force plan', markings: { tlp: 'GREEN' } }).addText('plan.txt', 'plan'), {
      sender: bundleIdentityFromKeyRing(bin.ring, 'BIN'),
      recipients: bundleRecipientsFromKeyRing(bin.ring, ['group:task-force']),
      allowClassicalRecipients: true,
    });
    const opened = await openBundleWithKeyRing(polri.ring, bundle.deliveries[0]!.envelope);
    expect(opened.downgraded).toBe(true);
    await opened.close();
  });

  it('an all X-Wing envelope opened with X-Wing is not downgraded', async () => {
    const atPolri = await polri.ring.open(await bin.ring.seal(text('plan'), { from: 'BIN', to: ['POLRI'] }));
    expect(atPolri.downgraded).toBe(false);
  });
});
