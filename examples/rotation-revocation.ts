/**
 * Key rotation and revocation between partners, with the receiver following the change.
 *
 *   npm run example:rotation
 *
 * BIN (Indonesia) and PDRM (the Royal Malaysia Police) have verified each other's key cards.
 *
 * 1. PDRM rotates its key as scheduled. The new card is signed by the old key, so BIN's key ring
 *    follows it: same contact, still verified, and new envelopes go to the new key. Envelopes
 *    sealed to the old key before the rotation still open at PDRM.
 * 2. A PDRM laptop holding its keys is stolen. The thief signs a second successor of PDRM's old
 *    card: BIN refuses it as a succession conflict. PDRM revokes its current card as
 *    compromised; after BIN imports the revocation, sealing to PDRM is refused and everything
 *    that card ever signed is flagged.
 * 3. PDRM rotates to a fresh card. The succession was signed by a compromised key, so BIN follows
 *    it only with the new fingerprint confirmed over the phone.
 */
import {
  armorKeyCard,
  armorRevocation,
  createKeyCard,
  formatFingerprint,
  generateIdentityKeys,
  KeyRing,
  LintasError,
  MemoryKeyRingStorage,
  type KeyCard,
} from '../src/index.js';

const say = (who: string, text: string): void => console.log(`${who.padEnd(5)} ${text}`);
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const short = (card: KeyCard): string => formatFingerprint(card).slice(0, 11) + '...';

/** Run `action`, which must be refused; return the error code. */
async function refused(action: () => Promise<unknown>): Promise<string> {
  try {
    await action();
  } catch (e) {
    if (e instanceof LintasError) return e.code;
    throw e;
  }
  throw new Error('expected a refusal');
}

// Key rings in memory for the example; FileKeyRingStorage in real use (see the demo).
const newRing = () => KeyRing.create(new MemoryKeyRingStorage(), { rawKey: crypto.getRandomValues(new Uint8Array(32)) });
const bin = await newRing();
const pdrm = await newRing();
const binCard = (await bin.createIdentity({ name: 'BIN', organization: 'Badan Intelijen Negara', country: 'ID' })).card;
const card1 = (await pdrm.createIdentity({ name: 'PDRM', organization: 'Polis Diraja Malaysia', country: 'MY' })).card;
await bin.importKeyCard(armorKeyCard(card1), { name: 'PDRM', fingerprint: formatFingerprint(card1) });
await pdrm.importKeyCard(armorKeyCard(binCard), { name: 'BIN', fingerprint: formatFingerprint(binCard) });
say('BIN', `knows PDRM as card ${short(card1)} (${bin.contact('PDRM').verification})`);

// Still in transit when PDRM rotates: one envelope each way.
const toOldKey = await bin.seal(utf8('Meeting in Johor Bahru confirmed.'), { from: 'BIN', to: ['PDRM'] });
const signedByOldKey = await pdrm.seal(utf8('Ferry manifest for 20 Nov attached.'), { from: 'PDRM', to: ['BIN'] });

// PDRM's key ring is synced to a laptop, before and after the rotation: in step 2 the laptop is
// stolen with the keys of both cards. (Here only the old signing key is kept for the thief.)
const laptopCopy = pdrm.identityKeys('PDRM');

// ---- 1. Scheduled rotation ---------------------------------------------------------------
console.log('== 1. PDRM rotates its key as scheduled');
const card2 = (await pdrm.rotateIdentity('PDRM')).card;
say('PDRM', `-> new card ${short(card2)}, signed by the old key; sends it to its partners`);
const followed = await bin.importKeyCard(armorKeyCard(card2));
say('BIN', `<- imported: ${followed.action}; contact "${followed.contact.name}" now card ${short(followed.contact.card)} (${followed.contact.verification})`);

const afterRotation = await bin.seal(utf8('New target list attached.'), { from: 'BIN', to: ['PDRM'] });
/** PDRM opens with its key ring, which tries the keys of every card it ever had. */
const read = async (envelope: Uint8Array) => `"${new TextDecoder().decode((await pdrm.open(envelope, { requireKnownSender: true })).payload)}"`;
say('PDRM', `<- ${await read(afterRotation)} (sealed to the new card)`);
say('PDRM', `<- ${await read(toOldKey)} (sealed to the old card before the rotation)`);
const old = await bin.open(signedByOldKey);
say('BIN', `<- envelope signed by the old card: from ${old.senderContact?.name} (${old.senderVerification}), superseded ${old.senderSuperseded}`);

// An envelope PDRM signs with the new card, before anything goes wrong.
const signedBeforeTheft = await pdrm.seal(utf8('Suspect list, week 47.'), { from: 'PDRM', to: ['BIN'] });

// ---- 2. Theft and revocation -------------------------------------------------------------
console.log('== 2. A PDRM laptop with its old and current keys is stolen');
const forged = await createKeyCard({
  keys: await generateIdentityKeys(),
  name: 'PDRM',
  organization: 'Polis Diraja Malaysia',
  country: 'MY',
  validUntil: new Date(Date.now() + 365 * 86_400_000),
  predecessor: { card: card1, signing: laptopCopy.signing },
});
say('thief', '-> a "new PDRM card" signed with the stolen old key');
say('BIN', `<- refused: ${await refused(() => bin.importKeyCard(forged))}`);

const revocation = await pdrm.revokeIdentity('PDRM', { reason: 'key-compromise', comment: 'Laptop stolen in Kuala Lumpur on 26 Nov' });
say('PDRM', `-> revokes card ${short(card2)}: ${revocation.reason}; sends the statement to its partners`);
await bin.importRevocation(armorRevocation(revocation));
say('BIN', `<- imported the revocation; sealing to PDRM now: ${await refused(() => bin.seal(utf8('...'), { from: 'BIN', to: ['PDRM'] }))}`);
const flagged = await bin.open(signedBeforeTheft);
say('BIN', `<- an envelope the revoked card signed earlier: revoked ${flagged.senderRevoked} (a thief can backdate, so all of them are flagged)`);

// ---- 3. Recovery ----------------------------------------------------------------------
console.log('== 3. PDRM moves to a fresh card');
const card3 = (await pdrm.rotateIdentity('PDRM')).card;
say('PDRM', `-> new card ${short(card3)}`);
say('BIN', `<- without a fingerprint: ${await refused(() => bin.importKeyCard(armorKeyCard(card3)))} (the compromised key that signed it proves nothing)`);
const phone = formatFingerprint(card3); // read out by PDRM's liaison officer over the phone
const recovered = await bin.importKeyCard(armorKeyCard(card3), { fingerprint: phone });
say('BIN', `<- with the fingerprint compared over the phone: ${recovered.action}, ${recovered.contact.verification}`);
say('PDRM', `<- ${await read(await bin.seal(utf8('Glad to have you back.'), { from: 'BIN', to: ['PDRM'] }))}`);
bin.close();
pdrm.close();
