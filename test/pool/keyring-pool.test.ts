/**
 * The worker pool with a key ring: the key ring chooses and checks the keys (KeyRing.sealingKeys,
 * KeyRing.openingOptions) and judges the sender of what the pool opened (KeyRing.senderReport),
 * on the calling thread; the pool only does the crypto. Each must refuse what KeyRing.seal and
 * KeyRing.open refuse, and report what they report.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { armorKeyCard, createWorkerPool, fingerprintHex, generateIdentityKeys, open, seal, type LintasWorkerPool } from '../../src/node.js';
import { agency, expectCode, text, untext } from '../keyring/keyring-kit.js';

let bin: Awaited<ReturnType<typeof agency>>;
let pdrm: Awaited<ReturnType<typeof agency>>;
let pool: LintasWorkerPool;

beforeAll(async () => {
  [bin, pdrm] = await Promise.all([agency('BIN', 'Badan Intelijen Negara', 'ID'), agency('PDRM', 'Royal Malaysia Police', 'MY')]);
  await bin.ring.importKeyCard(armorKeyCard(pdrm.identity.card), { name: 'PDRM', fingerprint: fingerprintHex(pdrm.identity.card) });
  await pdrm.ring.importKeyCard(armorKeyCard(bin.identity.card), { name: 'BIN', fingerprint: fingerprintHex(bin.identity.card) });
  const { sender } = bin.ring.sealingKeys({ from: 'BIN', to: ['PDRM'] });
  const { keys } = pdrm.ring.openingOptions();
  pool = await createWorkerPool({ workers: 2, sender, keys });
});
afterAll(async () => {
  await pool?.close();
  bin?.ring.close();
  pdrm?.ring.close();
});

describe('sealing with the key ring keys', () => {
  it('what the pool seals with sealingKeys opens with KeyRing.open as from the sealing identity', async () => {
    const { recipients } = bin.ring.sealingKeys({ from: 'BIN', to: ['PDRM'] });
    const envelopes = await pool.seal([{ payload: text('first'), recipients }, { payload: text('second'), recipients }]);
    const opened = await Promise.all(envelopes.map((e) => pdrm.ring.open(e, { requireKnownSender: true })));
    expect(opened.map((o) => untext(o.payload))).toEqual(['first', 'second']);
    expect(opened.map((o) => [o.senderContact?.name, o.senderVerification, o.downgraded])).toEqual([
      ['BIN', 'verified', false],
      ['BIN', 'verified', false],
    ]);
  });

  it('refuses what KeyRing.seal refuses: an unknown recipient, an unknown identity', async () => {
    await expectCode(() => bin.ring.sealingKeys({ from: 'BIN', to: ['nobody'] }), 'ERR_KEYRING_UNKNOWN_RECIPIENT');
    await expectCode(() => bin.ring.sealingKeys({ from: 'nobody', to: ['PDRM'] }), 'ERR_KEYRING_UNKNOWN_IDENTITY');
    expect(() => bin.ring.sealingKeys({ from: 42 as never, to: ['PDRM'] })).toThrow(TypeError);
  });

  it('hands out a copy of the signing key: wiping it changes nothing in the key ring', async () => {
    const { sender } = bin.ring.sealingKeys({ from: 'BIN', to: ['PDRM'] });
    sender.secretKey.fill(0);
    const envelope = await bin.ring.seal(text('still signed'), { from: 'BIN', to: ['PDRM'] });
    expect(untext((await pdrm.ring.open(envelope)).payload)).toBe('still signed');
  });

  it('a revoked identity gets no keys to seal with, as KeyRing.seal refuses it', async () => {
    const desk = await agency('desk', 'Desk', 'ID');
    await desk.ring.revokeIdentity('desk', { reason: 'retired' });
    await expectCode(() => desk.ring.sealingKeys({ from: 'desk', to: ['desk'] }), 'ERR_KEYRING_IDENTITY_REVOKED');
    await expectCode(desk.ring.seal(text('x'), { from: 'desk', to: ['desk'] }), 'ERR_KEYRING_IDENTITY_REVOKED');
    desk.ring.close();
  });
});

describe('opening with the key ring keys, judged by the key ring', () => {
  it('senderReport of a pool-opened envelope is what KeyRing.open reports', async () => {
    const envelope = await bin.ring.seal(text('report'), { from: 'BIN', to: ['PDRM'] });
    const [result] = await pool.open([envelope], { trustedSenders: pdrm.ring.openingOptions({ requireKnownSender: true }).trustedSenders! });
    expect(result!.ok).toBe(true);
    const opened = result!.ok ? result!.opened : null;
    const viaRing = await pdrm.ring.open(envelope);
    const { payload: _p, ...info } = opened!;
    const { payload: _q, ...ringInfo } = viaRing;
    expect({ ...info, ...pdrm.ring.senderReport(opened!) }).toEqual(ringInfo);
  });

  it('openingOptions with requireKnownSender makes the pool refuse a stranger, as KeyRing.open does', async () => {
    const stranger = await generateIdentityKeys();
    const { trustedSenders } = pdrm.ring.openingOptions({ requireKnownSender: true });
    const xwing = pdrm.identity.card.encryptionKeys.find((k) => k.type === 'X-Wing')!;
    const envelope = await seal(text('x'), { recipients: [xwing], sender: stranger.signing });
    const [refused] = await pool.open([envelope], { trustedSenders: trustedSenders! });
    expect(!refused!.ok && (refused!.error as { code?: string }).code).toBe('ERR_UNKNOWN_SENDER');
    await expectCode(pdrm.ring.open(envelope, { requireKnownSender: true }), 'ERR_UNKNOWN_SENDER');
    // Without the requirement the ring reports the stranger as unknown, for the app to decide.
    const [accepted] = await pool.open([envelope]);
    expect(accepted!.ok && pdrm.ring.senderReport(accepted!.opened).senderVerification).toBe('unknown');
  });

  it('senderReport refuses an envelope opened with keys that are not the key ring own', async () => {
    const other = await generateIdentityKeys();
    const envelope = await seal(text('x'), { recipients: [other.xwing], sender: other.signing });
    const opened = await open(envelope, { keys: [other.xwing] });
    await expectCode(() => pdrm.ring.senderReport(opened), 'ERR_KEYRING_UNKNOWN_IDENTITY');
    expect(() => pdrm.ring.senderReport({} as never)).toThrow(TypeError);
  });

  it('openingOptions hands out copies of the decryption keys', async () => {
    const { keys } = pdrm.ring.openingOptions();
    for (const k of keys) k.secretKey.fill(0);
    const envelope = await bin.ring.seal(text('opens'), { from: 'BIN', to: ['PDRM'] });
    expect(untext((await pdrm.ring.open(envelope)).payload)).toBe('opens');
  });
});
