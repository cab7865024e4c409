/**
 * The key ring's lifecycle, end to end between agencies: identities, contacts and verification,
 * introductions, recipient resolution, seal/open with sender reports, rotation (followed, forged,
 * forked), revocation (own, imported, pre-generated, forged) and expiry.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { decodeCanonical, encodeCanonical, type CborMap } from '../../src/cbor/index.js';
import { concatBytes, utf8 } from '../../src/crypto/bytes.js';
import { ed25519Sign } from '../../src/crypto/ed25519.js';
import {
  armorKeyCard,
  armorRevocation,
  createKeyCard,
  createRevocation,
  fingerprintHex,
  formatFingerprint,
  generateIdentityKeys,
  identityKeysFromSeed,
  inspect,
  recipientId,
  seal,
  type KeyCard,
} from '../../src/index.js';
import { agency, expectCode, text, untext } from './keyring-kit.js';

const DAY = 86_400_000;
const inYears = (n: number) => new Date(Date.now() + n * 365 * DAY);

type Agency = Awaited<ReturnType<typeof agency>>;
let bin: Agency; // Indonesia: the key ring under test
let pdrm: Agency; // Malaysia: verified partner
let isd: Agency; // Singapore: introduced by PDRM

beforeEach(async () => {
  bin = await agency('BIN', 'Badan Intelijen Negara', 'ID');
  pdrm = await agency('PDRM', 'Royal Malaysia Police Special Branch', 'MY');
  isd = await agency('ISD', 'Internal Security Department', 'SG');
});

/** Make BIN and PDRM verified contacts of each other. */
async function pair() {
  await bin.ring.importKeyCard(armorKeyCard(pdrm.identity.card), { name: 'PDRM', fingerprint: formatFingerprint(pdrm.identity.card), groups: ['ASEAN-CT'] });
  await pdrm.ring.importKeyCard(armorKeyCard(bin.identity.card), { name: 'BIN', fingerprint: fingerprintHex(bin.identity.card) });
}

/** Self-sign an arbitrary key card body with `secretKey` (for forging tests). */
function selfSigned(body: CborMap, secretKey: Uint8Array, succ?: Uint8Array): Uint8Array {
  const b = encodeCanonical(body);
  const outer: CborMap = { v: 1, body: b, self: ed25519Sign(secretKey, concatBytes(utf8('lintas/v1 key card'), new Uint8Array([0]), b)) };
  if (succ) outer.succ = succ;
  return encodeCanonical(outer);
}

describe('identities', () => {
  it('creates an identity with a self-signed card and keeps names unique ignoring case', async () => {
    expect(bin.identity.card.name).toBe('BIN');
    expect(bin.identity.card.country).toBe('ID');
    expect(bin.identity.card.encryptionKeys.map((k) => k.type)).toEqual(['X25519', 'X-Wing']);
    expect(bin.ring.identities().map((i) => i.name)).toEqual(['BIN']);
    await expectCode(bin.ring.createIdentity({ name: 'bin', organization: 'x', country: 'ID' }), 'ERR_KEYRING_NAME_TAKEN');
    await expectCode(() => bin.ring.identity('nobody'), 'ERR_KEYRING_UNKNOWN_IDENTITY');
  });

  it('accepts existing keys, and hands out copies of secret keys only', async () => {
    const keys = await identityKeysFromSeed(new Uint8Array(32).fill(3));
    const id = await bin.ring.createIdentity({ name: 'BIN-Field', cardName: 'BIN Field Office Batam', organization: 'Badan Intelijen Negara', country: 'ID', keys });
    expect(id.card.signingPublicKey).toEqual(keys.signing.publicKey);
    expect(id.card.name).toBe('BIN Field Office Batam');
    const copy = bin.ring.identityKeys('BIN-Field');
    copy.signing.secretKey.fill(0);
    keys.signing.secretKey.fill(0); // the ring kept its own copy
    expect(bin.ring.identityKeys('BIN-Field').signing.secretKey.some((b) => b !== 0)).toBe(true);
  });

  it('refuses names that read as other references, and already-expired validity', async () => {
    await expect(bin.ring.createIdentity({ name: 'group:desk', organization: 'x', country: 'ID' })).rejects.toThrow(RangeError);
    await expect(bin.ring.createIdentity({ name: 'a'.repeat(64), organization: 'x', country: 'ID' })).rejects.toThrow(RangeError);
    await expect(bin.ring.createIdentity({ name: '12345 67890 12345 67890 12345 67890 12345 67890', organization: 'x', country: 'ID' })).rejects.toThrow(RangeError);
    await expect(
      bin.ring.createIdentity({ name: 'Old', organization: 'x', country: 'ID', validFrom: new Date(Date.now() - 10 * DAY), validUntil: new Date(Date.now() - DAY) }),
    ).rejects.toThrow(RangeError);
  });
});

describe('contacts and verification', () => {
  it('imports a card unverified, then verifies it by its formatted fingerprint', async () => {
    const r = await bin.ring.importKeyCard(pdrm.identity.card.bytes, { name: 'PDRM', labels: ['police'], attributes: { desk: 'CT' } });
    expect(r.action).toBe('added');
    expect(r.contact.verification).toBe('unverified');
    expect(r.contact.country).toBe('MY');
    expect(r.contact.organization).toBe('Royal Malaysia Police Special Branch');
    expect(r.contact.attributes).toEqual({ desk: 'CT' });
    await expectCode(bin.ring.verifyContact('PDRM', formatFingerprint(isd.identity.card)), 'ERR_KEYRING_FINGERPRINT_MISMATCH');
    expect(bin.ring.contact('PDRM').verification).toBe('unverified');
    const v = await bin.ring.verifyContact('PDRM', formatFingerprint(pdrm.identity.card).replace(/ /g, '-'));
    expect(v.verification).toBe('verified');
  });

  it('verifies on import when the compared fingerprint matches, and adds nothing when it does not', async () => {
    await expectCode(bin.ring.importKeyCard(pdrm.identity.card, { name: 'PDRM', fingerprint: fingerprintHex(isd.identity.card) }), 'ERR_KEYRING_FINGERPRINT_MISMATCH');
    expect(bin.ring.contacts()).toEqual([]);
    const r = await bin.ring.importKeyCard(pdrm.identity.card, { name: 'PDRM', fingerprint: pdrm.identity.card.fingerprint });
    expect(r.contact.verification).toBe('verified');
  });

  it('checks a fingerprint given with a card already held: a mismatch is refused, a match verifies the contact', async () => {
    await bin.ring.importKeyCard(pdrm.identity.card, { name: 'PDRM' });
    expect(bin.ring.contact('PDRM').verification).toBe('unverified');
    await expectCode(bin.ring.importKeyCard(pdrm.identity.card, { name: 'impostor', fingerprint: fingerprintHex(isd.identity.card) }), 'ERR_KEYRING_FINGERPRINT_MISMATCH');
    expect(bin.ring.contact('PDRM').verification).toBe('unverified');
    expect(bin.ring.contacts().map((c) => c.name)).toEqual(['PDRM']);
    const r = await bin.ring.importKeyCard(pdrm.identity.card, { fingerprint: pdrm.identity.card.fingerprint });
    expect(r.action).toBe('verified');
    expect(bin.ring.contact('PDRM').verification).toBe('verified');
    expect((await bin.ring.importKeyCard(pdrm.identity.card, { fingerprint: pdrm.identity.card.fingerprint })).action).toBe('unchanged');
  });

  it('treats a re-import as unchanged and refuses own cards, same-key cards, taken names and a missing name', async () => {
    await pair();
    expect((await bin.ring.importKeyCard(pdrm.identity.card)).action).toBe('unchanged');
    await expectCode(bin.ring.importKeyCard(bin.identity.card, { name: 'Me' }), 'ERR_KEYRING_DUPLICATE_CARD');
    const pdrmKeys = pdrm.ring.identityKeys('PDRM');
    const sameKey = await createKeyCard({ keys: pdrmKeys, name: 'PDRM Sabah', organization: 'PDRM', country: 'MY', validUntil: inYears(1) });
    await expectCode(bin.ring.importKeyCard(sameKey, { name: 'PDRM-Sabah' }), 'ERR_KEYRING_DUPLICATE_CARD');
    await expectCode(bin.ring.importKeyCard(isd.identity.card, { name: 'pdrm' }), 'ERR_KEYRING_NAME_TAKEN');
    await expectCode(bin.ring.importKeyCard(isd.identity.card, { name: 'BIN' }), 'ERR_KEYRING_NAME_TAKEN');
    await expect(bin.ring.importKeyCard(isd.identity.card)).rejects.toThrow(TypeError);
  });

  it('marks a card introduced by a verified contact, and refuses other introductions', async () => {
    await pair();
    await pdrm.ring.importKeyCard(isd.identity.card, { name: 'ISD', fingerprint: isd.identity.card.fingerprint });
    const intro = await pdrm.ring.createIntroduction('PDRM', 'ISD');
    // Wrong card for the introduction.
    const other = await agency('NICA', 'National Intelligence Coordinating Agency', 'PH');
    await expectCode(bin.ring.importKeyCard(other.identity.card, { name: 'NICA', introduction: intro }), 'ERR_INTRODUCTION_INVALID');
    const r = await bin.ring.importKeyCard(isd.identity.card, { name: 'ISD', introduction: intro.bytes });
    expect(r.contact.verification).toBe('introduced');
    expect(r.contact.introducedBy).toEqual(pdrm.identity.card.fingerprint);
    // Introductions do not chain: ISD is only introduced to BIN, so its introductions do not count.
    await isd.ring.importKeyCard(other.identity.card, { name: 'NICA', fingerprint: other.identity.card.fingerprint });
    const chained = await isd.ring.createIntroduction('ISD', 'NICA');
    await expectCode(bin.ring.importKeyCard(other.identity.card, { name: 'NICA', introduction: chained }), 'ERR_INTRODUCTION_INVALID');
    // Nor can you introduce a contact you did not verify yourself.
    await expectCode(bin.ring.createIntroduction('BIN', 'ISD'), 'ERR_INTRODUCTION_INVALID');
  });

  it('an introduction from an unverified contact does not count', async () => {
    await bin.ring.importKeyCard(pdrm.identity.card, { name: 'PDRM' });
    await pdrm.ring.importKeyCard(isd.identity.card, { name: 'ISD', fingerprint: isd.identity.card.fingerprint });
    const intro = await pdrm.ring.createIntroduction('PDRM', 'ISD');
    await expectCode(bin.ring.importKeyCard(isd.identity.card, { name: 'ISD', introduction: intro }), 'ERR_INTRODUCTION_INVALID');
  });

  it('updates labels, groups, attributes and names, withdraws verification, and removes contacts', async () => {
    await pair();
    const c = await bin.ring.updateContact('PDRM', { name: 'PDRM-SB', labels: ['police', 'police'], groups: ['ASEAN-CT', 'MY-desk'], attributes: { clearance: 'RAHSIA' } });
    expect(c.name).toBe('PDRM-SB');
    expect(c.labels).toEqual(['police']);
    expect(bin.ring.groups()).toEqual(['ASEAN-CT', 'MY-desk']);
    expect(bin.ring.groupMembers('MY-desk').map((m) => m.name)).toEqual(['PDRM-SB']);
    await expect(bin.ring.updateContact('PDRM-SB', { attributes: { 'Bad Key': 'x' } })).rejects.toThrow(RangeError);
    await expect(bin.ring.updateContact('PDRM-SB', { verification: 'verified' as 'unverified' })).rejects.toThrow(RangeError);
    expect((await bin.ring.updateContact('PDRM-SB', { verification: 'unverified' })).verification).toBe('unverified');
    await bin.ring.removeContact('PDRM-SB');
    await expectCode(() => bin.ring.contact('PDRM-SB'), 'ERR_KEYRING_UNKNOWN_CONTACT');
    await expectCode(bin.ring.removeContact('PDRM-SB'), 'ERR_KEYRING_UNKNOWN_CONTACT');
  });

  it('finds names and groups in any Unicode normalization form', async () => {
    await bin.ring.importKeyCard(pdrm.identity.card, { name: 'Polis Diraja Malaysia \u00c9', groups: ['D\u00e9sk'] });
    expect(bin.ring.contact('Polis Diraja Malaysia E\u0301').country).toBe('MY');
    expect(bin.ring.resolveRecipients(['group:De\u0301sk'])).toHaveLength(1);
    expect(bin.ring.groupMembers('De\u0301sk')).toHaveLength(1);
  });

  it('snapshots do not change under their holder', async () => {
    await pair();
    const before = bin.ring.contact('PDRM');
    await bin.ring.updateContact('PDRM', { labels: ['changed'] });
    expect(before.labels).toEqual([]);
    expect(bin.ring.contact('PDRM').labels).toEqual(['changed']);
  });
});

describe('resolving recipients', () => {
  beforeEach(async () => {
    await pair();
    await bin.ring.importKeyCard(isd.identity.card, { name: 'ISD', groups: ['ASEAN-CT'] });
  });

  it('resolves names, groups, fingerprints, cards and own identities, marking who was named explicitly', () => {
    const r = bin.ring.resolveRecipients(['group:ASEAN-CT', 'PDRM']);
    expect(r.map((x) => [x.label, x.explicit, x.verification])).toEqual([
      ['PDRM', true, 'verified'],
      ['ISD', false, 'unverified'],
    ]);
    expect(r[0]!.via).toEqual(['group:ASEAN-CT', 'PDRM']);
    expect(r[0]!.contact!.country).toBe('MY');
    expect(bin.ring.resolveRecipients([fingerprintHex(isd.identity.card)])[0]!.label).toBe('ISD');
    expect(bin.ring.resolveRecipients([formatFingerprint(isd.identity.card)])[0]!.explicit).toBe(true);
    expect(bin.ring.resolveRecipients([pdrm.identity.card])[0]!.contact!.name).toBe('PDRM');
    const self = bin.ring.resolveRecipients(['BIN'])[0]!;
    expect([self.label, self.verification, self.contact]).toEqual(['BIN', 'verified', null]);
  });

  it('accepts a card that is not in the ring as an unverified recipient', async () => {
    const stranger = await agency('NICA', 'National Intelligence Coordinating Agency', 'PH');
    const r = bin.ring.resolveRecipients([stranger.identity.card]);
    expect([r[0]!.label, r[0]!.verification, r[0]!.contact]).toEqual(['NICA', 'unverified', null]);
  });

  it('uses the signed bytes of a KeyCard, never fields edited on the object', () => {
    const edited = { ...isd.identity.card, country: 'ID', name: 'Totally BIN' } as KeyCard;
    expect(bin.ring.resolveRecipients([edited])[0]!.card.country).toBe('SG');
    const broken = { ...isd.identity.card, bytes: isd.identity.card.bytes.slice(0, -1) } as KeyCard;
    expect(() => bin.ring.resolveRecipients([broken])).toThrow(expect.objectContaining({ code: 'ERR_KEYCARD_MALFORMED' }));
  });

  it('refuses unknown names, empty groups and unknown fingerprints with ERR_KEYRING_UNKNOWN_RECIPIENT', async () => {
    for (const ref of ['Nobody', 'group:Nobody', fingerprintHex(new Uint8Array(32)), '00000 00000 00000 00000 00000 00000 00000 00000']) {
      await expectCode(() => bin.ring.resolveRecipients([ref]), 'ERR_KEYRING_UNKNOWN_RECIPIENT');
    }
    expect(() => bin.ring.resolveRecipients([])).toThrow(RangeError);
    expect(() => bin.ring.resolveRecipients([42 as unknown as string])).toThrow(TypeError);
  });

  it('refuses expired and not-yet-valid cards, also inside groups', async () => {
    await expectCode(() => bin.ring.resolveRecipients(['group:ASEAN-CT'], { now: inYears(3) }), 'ERR_KEYRING_RECIPIENT_EXPIRED');
    const futureKeys = await generateIdentityKeys();
    const future = await createKeyCard({ keys: futureKeys, name: 'Later', organization: 'x', country: 'TH', validFrom: new Date(Date.now() + 10 * DAY), validUntil: inYears(1) });
    await bin.ring.importKeyCard(future, { name: 'Later' });
    await expectCode(() => bin.ring.resolveRecipients(['Later']), 'ERR_KEYRING_RECIPIENT_EXPIRED');
  });
});

describe('seal and open through the key ring', () => {
  beforeEach(pair);

  it('seals to the X-Wing key of a hybrid card only, and to X25519 for a classic card', async () => {
    const env = await bin.ring.seal(text('vessel sighted 03:10Z'), { from: 'BIN', to: ['PDRM'] });
    expect((await inspect(env)).stanzas.map((s) => s.type)).toEqual(['X-Wing']);
    const opened = await pdrm.ring.open(env);
    expect(untext(opened.payload)).toBe('vessel sighted 03:10Z');
    expect(opened.openedWith.type).toBe('X-Wing');

    const classicKeys = await generateIdentityKeys();
    const classic = await pdrm.ring.createIdentity({ name: 'PDRM-Sabah', organization: 'PDRM', country: 'MY', keys: classicKeys, includeXWing: false });
    await bin.ring.importKeyCard(classic.card, { name: 'PDRM-Sabah' });
    const env2 = await bin.ring.seal(text('x'), { from: 'BIN', to: ['PDRM-Sabah'] });
    expect((await inspect(env2)).stanzas.map((s) => s.type)).toEqual(['X25519']);
    const opened2 = await pdrm.ring.open(env2);
    expect(opened2.recipientIdentity.name).toBe('PDRM-Sabah');
    expect(opened2.openedWith.recipientId).toEqual(recipientId(classicKeys.x25519));
  });

  it('reports the sender as verified, introduced, unverified, unknown or anonymous', async () => {
    // verified
    const fromPdrm = await pdrm.ring.seal(text('a'), { from: 'PDRM', to: ['BIN'] });
    let o = await bin.ring.open(fromPdrm);
    expect([o.senderVerification, o.senderContact?.name, o.senderIdentity, o.senderRevoked, o.senderExpired, o.senderSuperseded]).toEqual(['verified', 'PDRM', null, false, false, false]);
    expect(o.senderCard!.fingerprint).toEqual(pdrm.identity.card.fingerprint);
    // unverified
    await isd.ring.importKeyCard(bin.identity.card, { name: 'BIN' });
    await bin.ring.importKeyCard(isd.identity.card, { name: 'ISD' });
    o = await bin.ring.open(await isd.ring.seal(text('b'), { from: 'ISD', to: ['BIN'] }));
    expect(o.senderVerification).toBe('unverified');
    // introduced
    await pdrm.ring.importKeyCard(isd.identity.card, { name: 'ISD', fingerprint: isd.identity.card.fingerprint });
    await bin.ring.removeContact('ISD');
    await bin.ring.importKeyCard(isd.identity.card, { name: 'ISD', introduction: await pdrm.ring.createIntroduction('PDRM', 'ISD') });
    o = await bin.ring.open(await isd.ring.seal(text('c'), { from: 'ISD', to: ['BIN'] }));
    expect(o.senderVerification).toBe('introduced');
    // unknown: a sealer BIN never heard of, using BIN's card directly
    const stranger = await generateIdentityKeys();
    const unknown = await seal(text('d'), { recipients: [bin.identity.card.encryptionKeys[0]!], sender: stranger.signing });
    o = await bin.ring.open(unknown);
    expect([o.senderVerification, o.senderContact, o.senderCard]).toEqual(['unknown', null, null]);
    await expectCode(bin.ring.open(unknown, { requireKnownSender: true }), 'ERR_UNKNOWN_SENDER');
    expect((await bin.ring.open(fromPdrm, { requireKnownSender: true })).senderVerification).toBe('verified');
    // anonymous: refused by default, reported when allowed
    const anon = await seal(text('e'), { recipients: [bin.identity.card.encryptionKeys[1]!], anonymous: true });
    await expectCode(bin.ring.open(anon), 'ERR_ENVELOPE_ANONYMOUS');
    o = await bin.ring.open(anon, { allowAnonymous: true, requireKnownSender: true });
    expect([o.senderVerification, o.authenticated]).toEqual(['anonymous', false]);
  });

  it('recognises envelopes sent to yourself', async () => {
    const env = await bin.ring.seal(text('note to file'), { from: 'BIN', to: ['BIN', 'PDRM'] });
    const o = await bin.ring.open(env);
    expect([o.senderVerification, o.senderIdentity?.name, o.recipientIdentity.name]).toEqual(['verified', 'BIN', 'BIN']);
  });

  it('streams through sealStream and openStream', async () => {
    const parts = [text('part one, '), text('part two')];
    const chunks: Uint8Array[] = [];
    for await (const c of bin.ring.sealStream(parts, { from: 'BIN', to: ['PDRM'], size: 18, chunkSize: 4096 })) chunks.push(c);
    const opened = await pdrm.ring.openStream(concatBytes(...chunks));
    expect(opened.info.senderContact?.name).toBe('BIN');
    let all = '';
    for await (const p of opened.payload) all += untext(p);
    expect(all).toBe('part one, part two');
  });

  it('refuses options that would bypass the key ring, and unknown or missing identities', async () => {
    await expect(bin.ring.seal(text('x'), { from: 'BIN', to: ['PDRM'], recipients: [] } as never)).rejects.toThrow(TypeError);
    await expect(bin.ring.open(new Uint8Array(10), { keys: [] } as never)).rejects.toThrow(TypeError);
    await expectCode(bin.ring.seal(text('x'), { from: 'Nobody', to: ['PDRM'] }), 'ERR_KEYRING_UNKNOWN_IDENTITY');
    const { KeyRing, MemoryKeyRingStorage } = await import('../../src/index.js');
    const empty = await KeyRing.create(new MemoryKeyRingStorage(), { passphrase: 'p', kdf: { opslimit: 1, memlimit: 8 << 20 } });
    await expectCode(empty.open(await bin.ring.seal(text('x'), { from: 'BIN', to: ['PDRM'] })), 'ERR_ENVELOPE_NOT_FOR_ME');
  });
});

describe('rotation', () => {
  beforeEach(pair);

  it('tries the current keys first in hidden mode, so a trial budget never goes to rotated-out keys first (SPEC 4.3)', async () => {
    for (let i = 0; i < 2; i++) await pdrm.ring.importKeyCard(armorKeyCard((await bin.ring.rotateIdentity('BIN')).card));
    // One hidden X-Wing stanza, for BIN's newest key; BIN holds three X-Wing keys.
    const env = await pdrm.ring.seal(text('hidden'), { from: 'PDRM', to: ['BIN'], hideRecipients: true });
    const o = await bin.ring.open(env, { maxTrialDecryptions: 1 });
    expect(untext(o.payload)).toBe('hidden');
  });

  it('keeps old keys for old envelopes, and partners follow the chain with their verification', async () => {
    const oldEnvelope = await pdrm.ring.seal(text('sealed to the old key'), { from: 'PDRM', to: ['BIN'] });
    const signedByOld = await bin.ring.seal(text('signed by the old key'), { from: 'BIN', to: ['PDRM'] });
    const oldCard = bin.identity.card;
    const rotated = await bin.ring.rotateIdentity('BIN');
    expect(rotated.history.map((c) => fingerprintHex(c))).toEqual([fingerprintHex(oldCard)]);
    expect(rotated.card.previous!.fingerprint).toEqual(oldCard.fingerprint);
    expect(rotated.card.signingPublicKey).not.toEqual(oldCard.signingPublicKey);
    // BIN still opens what was sealed to its old key.
    expect(untext((await bin.ring.open(oldEnvelope)).payload)).toBe('sealed to the old key');

    const r = await pdrm.ring.importKeyCard(armorKeyCard(rotated.card));
    expect([r.action, r.contact.name, r.contact.verification, r.contact.history.length]).toEqual(['rotated', 'BIN', 'verified', 1]);
    // New envelopes to BIN go to the new key only.
    const env = await pdrm.ring.seal(text('new'), { from: 'PDRM', to: ['BIN'] });
    const o = await bin.ring.open(env);
    expect(o.openedWith.recipientId).toEqual(recipientId(rotated.card.encryptionKeys[1]!));
    // A reference to the old fingerprint resolves to the current card.
    expect(pdrm.ring.resolveRecipients([fingerprintHex(oldCard)])[0]!.card.fingerprint).toEqual(rotated.card.fingerprint);
    // An envelope signed with the old key is still attributed, and flagged as superseded.
    const old = await pdrm.ring.open(signedByOld);
    expect([old.senderContact?.name, old.senderVerification, old.senderSuperseded]).toEqual(['BIN', 'verified', true]);
    expect(old.senderCard!.fingerprint).toEqual(oldCard.fingerprint);
    // Rotated identities still sign and are attributed to the new card.
    const fresh = await pdrm.ring.open(await bin.ring.seal(text('hi'), { from: 'BIN', to: ['PDRM'] }));
    expect([fresh.senderSuperseded, fresh.senderCard!.fingerprint]).toEqual([false, rotated.card.fingerprint]);
  });

  it('follows several rotations at once when given the chain', async () => {
    await bin.ring.rotateIdentity('BIN');
    await bin.ring.rotateIdentity('BIN', { validUntil: inYears(1) });
    const chain = bin.ring.keyCardChain('BIN');
    expect(chain).toHaveLength(3);
    // Out of order on its own, the last card is an unknown successor and needs a name.
    await expect(pdrm.ring.importKeyCard(chain[2]!)).rejects.toThrow(TypeError);
    const r = await pdrm.ring.importKeyCard(chain);
    expect([r.action, r.contact.card.fingerprint, r.contact.verification]).toEqual(['rotated', chain[2]!.fingerprint, 'verified']);
  });

  it('refuses a rotation forged by a third party', async () => {
    const mallory = await generateIdentityKeys();
    const binCard = bin.identity.card;
    // (a) Internally consistent, but the "predecessor key" is Mallory's own, not BIN's.
    const claimsBin = await createKeyCard({
      keys: mallory,
      name: 'BIN',
      organization: 'Badan Intelijen Negara',
      country: 'ID',
      validUntil: inYears(1),
      predecessor: { card: { ...binCard, signingPublicKey: mallory.signing.publicKey } as KeyCard, signing: mallory.signing },
    });
    await expectCode(pdrm.ring.importKeyCard(claimsBin), 'ERR_KEYCARD_SUCCESSION_INVALID');
    // (b) Names BIN's real key, but Mallory cannot produce BIN's succession signature.
    const body = { ...(decodeCanonical((decodeCanonical(claimsBin.bytes) as CborMap).body as Uint8Array) as CborMap) };
    body.prev = { fp: binCard.fingerprint, sign: binCard.signingPublicKey };
    const succ = ed25519Sign(mallory.signing.secretKey, concatBytes(utf8('lintas/v1 key card succession'), new Uint8Array([0]), encodeCanonical(body)));
    await expectCode(pdrm.ring.importKeyCard(selfSigned(body, mallory.signing.secretKey, succ)), 'ERR_KEYCARD_SUCCESSION_INVALID');
    // (c) Stripped of its succession signature.
    await expectCode(pdrm.ring.importKeyCard(selfSigned(body, mallory.signing.secretKey)), 'ERR_KEYCARD_SUCCESSION_INVALID');
    expect(pdrm.ring.contact('BIN').card.fingerprint).toEqual(binCard.fingerprint);
    // (d) A successor of your own identity that your key ring did not create.
    await expectCode(bin.ring.importKeyCard(claimsBin), 'ERR_KEYCARD_SUCCESSION_INVALID');
  });

  it('refuses a second successor of a card already succeeded (a fork)', async () => {
    const oldKeys = bin.ring.identityKeys('BIN');
    const oldCard = bin.identity.card;
    await pdrm.ring.importKeyCard((await bin.ring.rotateIdentity('BIN')).card);
    const forkKeys = await generateIdentityKeys();
    const fork = await createKeyCard({ keys: forkKeys, name: 'BIN', organization: 'Badan Intelijen Negara', country: 'ID', validUntil: inYears(1), predecessor: { card: oldCard, signing: oldKeys.signing } });
    await expectCode(pdrm.ring.importKeyCard(fork), 'ERR_KEYCARD_SUCCESSION_CONFLICT');
  });

  it('does not carry trust across a rotation signed by a key revoked as compromised', async () => {
    const revocation = await bin.ring.createRevocation('BIN', { reason: 'key-compromise' });
    const next = await bin.ring.rotateIdentity('BIN');
    await pdrm.ring.importRevocation(revocation.bytes);
    await expectCode(pdrm.ring.importKeyCard(next.card), 'ERR_KEYCARD_SUCCESSION_INVALID');
    expect(pdrm.ring.contact('BIN').card.fingerprint).toEqual(bin.identity.card.fingerprint);
    const r = await pdrm.ring.importKeyCard(next.card, { fingerprint: next.card.fingerprint });
    expect([r.action, r.contact.verification]).toEqual(['rotated', 'verified']);
  });
});

describe('revocation', () => {
  beforeEach(pair);

  it('refuses sealing from a revoked identity and to a revoked contact', async () => {
    const r = await bin.ring.revokeIdentity('BIN', { reason: 'retired', comment: 'desk closed' });
    expect(bin.ring.identity('BIN').revocation!.reason).toBe('retired');
    await expectCode(bin.ring.seal(text('x'), { from: 'BIN', to: ['PDRM'] }), 'ERR_KEYRING_IDENTITY_REVOKED');
    await pdrm.ring.importRevocation(armorRevocation(r));
    expect(pdrm.ring.contact('BIN').revocation!.comment).toBe('desk closed');
    expect(pdrm.ring.revocationOf(bin.identity.card)!.reason).toBe('retired');
    await expectCode(pdrm.ring.seal(text('x'), { from: 'PDRM', to: ['BIN'] }), 'ERR_KEYRING_RECIPIENT_REVOKED');
    // Opening still works: the private keys are kept.
    const before = await pdrm.ring.seal(text('y'), { from: 'PDRM', to: ['PDRM'] });
    expect(untext((await pdrm.ring.open(before)).payload)).toBe('y');
  });

  it('a pre-generated statement does nothing until imported, then revokes', async () => {
    const kept = await bin.ring.createRevocation('BIN', { reason: 'unspecified', effectiveAt: bin.identity.card.validFrom });
    const env = await bin.ring.seal(text('still fine'), { from: 'BIN', to: ['PDRM'] });
    expect((await pdrm.ring.open(env)).senderRevoked).toBe(false);
    await pdrm.ring.importRevocation(kept.bytes);
    expect((await pdrm.ring.open(env)).senderRevoked).toBe(true);
    await expectCode(() => pdrm.ring.resolveRecipients(['BIN']), 'ERR_KEYRING_RECIPIENT_REVOKED');
  });

  it('reports envelopes signed after the revocation time, and not those signed before', async () => {
    const env = await bin.ring.seal(text('sent before'), { from: 'BIN', to: ['PDRM'] });
    const later = await bin.ring.createRevocation('BIN', { reason: 'superseded', effectiveAt: new Date(Date.now() + 3_600_000) });
    await pdrm.ring.importRevocation(later);
    let o = await pdrm.ring.open(env);
    expect([o.senderRevoked, o.senderRevocation?.reason]).toEqual([false, 'superseded']);
    // Before the effective time the card can still be sealed to; after it, not.
    expect(pdrm.ring.resolveRecipients(['BIN'])).toHaveLength(1);
    await expectCode(() => pdrm.ring.resolveRecipients(['BIN'], { now: new Date(Date.now() + 7_200_000) }), 'ERR_KEYRING_RECIPIENT_REVOKED');
    // A key compromise covers everything signed with the key, whatever time it claims.
    const compromise = await bin.ring.createRevocation('BIN', { reason: 'key-compromise', effectiveAt: new Date(Date.now() + 3_600_000) });
    await pdrm.ring.importRevocation(compromise.bytes);
    o = await pdrm.ring.open(env);
    expect([o.senderRevoked, o.senderRevocation?.reason]).toEqual([true, 'key-compromise']);
  });

  it('refuses forged revocation statements', async () => {
    const mallory = await generateIdentityKeys();
    // Signed by Mallory about BIN's card: internally valid, but not BIN's key.
    const fakeCard = { ...bin.identity.card, signingPublicKey: mallory.signing.publicKey } as KeyCard;
    const forged = await createRevocation(fakeCard, mallory.signing, { reason: 'key-compromise' });
    await expectCode(pdrm.ring.importRevocation(forged.bytes), 'ERR_REVOCATION_SIGNATURE_INVALID');
    const real = await bin.ring.createRevocation('BIN', { reason: 'retired' });
    const bad = real.bytes.slice();
    bad[bad.length - 1]! ^= 1;
    await expectCode(pdrm.ring.importRevocation(bad), 'ERR_REVOCATION_SIGNATURE_INVALID');
    expect(pdrm.ring.contact('BIN').revocation).toBeNull();
    expect(pdrm.ring.resolveRecipients(['BIN'])).toHaveLength(1);
  });

  it('keeps a statement for a card not yet known and applies it when the card arrives', async () => {
    const r = await isd.ring.revokeIdentity('ISD', { reason: 'retired' });
    await bin.ring.importRevocation(r);
    await bin.ring.importKeyCard(isd.identity.card, { name: 'ISD' });
    expect(bin.ring.contact('ISD').revocation).not.toBeNull();
    await expectCode(() => bin.ring.resolveRecipients(['ISD']), 'ERR_KEYRING_RECIPIENT_REVOKED');
  });

  it('follows a successor of a card revoked as compromised only with the fingerprint compared out of band', async () => {
    const compromised = pdrm.ring.identity('PDRM').card;
    await bin.ring.updateContact('PDRM', { groups: ['ASEAN'] });
    await bin.ring.importRevocation(await pdrm.ring.revokeIdentity('PDRM', { reason: 'key-compromise' }));
    // Whoever holds the stolen key (the thief, or PDRM itself) can sign a successor: it proves nothing.
    const successor = (await pdrm.ring.rotateIdentity('PDRM')).card;
    await expectCode(bin.ring.importKeyCard(successor), 'ERR_KEYCARD_SUCCESSION_INVALID');
    await expectCode(bin.ring.importKeyCard(successor, { fingerprint: fingerprintHex(isd.identity.card) }), 'ERR_KEYRING_FINGERPRINT_MISMATCH');
    // Nothing was followed: the contact is still the revoked card.
    expect(bin.ring.contact('PDRM').card.fingerprint).toEqual(compromised.fingerprint);
    const r = await bin.ring.importKeyCard(successor, { fingerprint: successor.fingerprint });
    expect([r.action, r.contact.verification]).toEqual(['rotated', 'verified']);
    expect(bin.ring.resolveRecipients(['group:ASEAN'])[0]!.card.fingerprint).toEqual(successor.fingerprint);
  });

  it('a key compromise withdraws trust that came through the compromised card', async () => {
    await pdrm.ring.importKeyCard(isd.identity.card, { name: 'ISD', fingerprint: isd.identity.card.fingerprint });
    await bin.ring.importKeyCard(isd.identity.card, { name: 'ISD', introduction: await pdrm.ring.createIntroduction('PDRM', 'ISD') });
    expect(bin.ring.contact('ISD').verification).toBe('introduced');
    await bin.ring.importRevocation(await pdrm.ring.revokeIdentity('PDRM', { reason: 'key-compromise' }));
    expect(bin.ring.contact('ISD').verification).toBe('unverified');
  });

  it('can revoke a rotated-out card by fingerprint', async () => {
    const old = bin.identity.card;
    await bin.ring.rotateIdentity('BIN');
    const r = await bin.ring.createRevocation('BIN', { reason: 'superseded', fingerprint: formatFingerprint(old) });
    expect(r.fingerprint).toEqual(old.fingerprint);
    await expect(bin.ring.createRevocation('BIN', { reason: 'superseded', fingerprint: fingerprintHex(pdrm.identity.card) })).rejects.toThrow(RangeError);
  });
});

describe('expiry', () => {
  beforeEach(pair);

  it('refuses sealing from an expired identity and to an expired contact, and flags expired senders on open', async () => {
    const later = inYears(3);
    await expectCode(bin.ring.seal(text('x'), { from: 'BIN', to: ['PDRM'], now: later }), 'ERR_KEYRING_IDENTITY_EXPIRED');
    await bin.ring.createIdentity({ name: 'BIN-2029', organization: 'Badan Intelijen Negara', country: 'ID', validUntil: inYears(5) });
    await expectCode(bin.ring.seal(text('x'), { from: 'BIN-2029', to: ['PDRM'], now: later }), 'ERR_KEYRING_RECIPIENT_EXPIRED');
    const env = await bin.ring.seal(text('x'), { from: 'BIN', to: ['PDRM'] });
    expect((await pdrm.ring.open(env)).senderExpired).toBe(false);
    expect((await pdrm.ring.open(env, { now: later })).senderExpired).toBe(true);
  });

  it('extends validity by rotating with the same keys, which partners follow', async () => {
    const next = await bin.ring.rotateIdentity('BIN', { keys: bin.ring.identityKeys('BIN'), validUntil: inYears(6) });
    expect(next.card.signingPublicKey).toEqual(next.history[0]!.signingPublicKey);
    await pdrm.ring.importKeyCard(next.card);
    const later = inYears(3);
    const env = await bin.ring.seal(text('x'), { from: 'BIN', to: ['PDRM'], now: new Date() });
    expect((await pdrm.ring.open(env, { now: later })).senderExpired).toBe(false);
    await expectCode(bin.ring.seal(text('x'), { from: 'BIN', to: ['PDRM'], now: later }), 'ERR_KEYRING_RECIPIENT_EXPIRED');
  });
});
