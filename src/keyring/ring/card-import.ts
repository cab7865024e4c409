/**
 * The rules for one imported key card (docs/KEYRING.md, "Rotation" and "Verification"): a known
 * card, a successor that follows its contact's chain, or a new contact, and when an introduction
 * counts.
 */
import { LintasError } from '../../errors/index.js';
import { bytesEqual, type KeyCard } from '../key-card.js';
import { fingerprintMatches } from '../fingerprint.js';
import type { Introduction } from '../introduction.js';
import { hex, type Contact, type RingIndex } from '../ring-index.js';
import type { ContactRecord, RingState, Verification } from '../ring-state.js';
import { fingerprintMismatch } from './errors.js';
import { validityProblem } from './validity.js';

/** What {@link KeyRing.importKeyCard} did. */
export interface ImportKeyCardResult {
  /** The contact the card now belongs to. */
  contact: Contact;
  /**
   * 'added': a new contact; 'rotated': an existing contact followed its succession chain;
   * 'verified': an already known card whose fingerprint was given and matched, so its contact is
   * now verified; 'unchanged': already known.
   */
  action: 'added' | 'rotated' | 'verified' | 'unchanged';
}

/** The checked options of one import. */
export interface ImportParams {
  name: string | undefined;
  labels: string[];
  groups: string[];
  attributes: Record<string, string>;
  fingerprint: string | Uint8Array | undefined;
  introduction: Introduction | null;
}

/** One card of {@link KeyRing.importKeyCard}, applied to the draft state `s`. */
export function importOne(
  s: RingState,
  idx: RingIndex,
  card: KeyCard,
  p: ImportParams,
  assertNameFree: (name: string) => void,
): { record: ContactRecord; action: ImportKeyCardResult['action'] } {
  const known = idx.byFingerprint.get(hex(card.fingerprint));
  if (known) {
    if (known.kind === 'identity') throw new LintasError('ERR_KEYRING_DUPLICATE_CARD', `This is a card of your own identity "${known.record.name}"`);
    // A fingerprint given with a card we already hold is still checked: the caller compared it
    // out of band, and a mismatch means the card in hand is not the one they were read.
    if (p.fingerprint !== undefined) {
      if (!fingerprintMatches(p.fingerprint, card.fingerprint)) throw fingerprintMismatch(known.record.name);
      if (known.record.verification !== 'verified') {
        known.record.verification = 'verified';
        known.record.introduction = null;
        return { record: known.record, action: 'verified' };
      }
    }
    return { record: known.record, action: 'unchanged' };
  }
  if (card.previous !== null) {
    const pred = idx.byFingerprint.get(hex(card.previous.fingerprint));
    if (pred) {
      const predCard = pred.record.cards[pred.position]!;
      if (!bytesEqual(predCard.signingPublicKey, card.previous.signingPublicKey)) {
        throw new LintasError(
          'ERR_KEYCARD_SUCCESSION_INVALID',
          `This card claims to succeed a card of "${pred.record.name}" but was not signed by that card's key: it is forged; do not import it`,
        );
      }
      if (pred.kind === 'identity') {
        throw new LintasError(
          'ERR_KEYCARD_SUCCESSION_INVALID',
          `This card claims to succeed your own identity "${pred.record.name}" but this key ring did not create it: your old key may be compromised`,
        );
      }
      const record = pred.record;
      if (pred.position !== record.cards.length - 1) {
        throw new LintasError(
          'ERR_KEYCARD_SUCCESSION_CONFLICT',
          `"${record.name}" already rotated away from the card this one claims to succeed; two successors of one card suggest a compromised key: verify with them out of band`,
        );
      }
      // A card revoked as compromised may have been used by the thief to sign this successor:
      // its signature proves nothing. Following it unchecked would hand the thief the contact's
      // name and groups (a seal to the group would reach them), so the fingerprint compared out
      // of band is required (docs/KEYRING.md, "Rotation", case 5).
      if (idx.revocationOf(predCard)?.reason === 'key-compromise') {
        if (p.fingerprint === undefined) {
          throw new LintasError(
            'ERR_KEYCARD_SUCCESSION_INVALID',
            `This card claims to succeed a card of "${record.name}" that was revoked as compromised, so its signature proves nothing: compare the new card's fingerprint with "${record.name}" out of band and import it with that fingerprint`,
          );
        }
        if (!fingerprintMatches(p.fingerprint, card.fingerprint)) throw fingerprintMismatch(record.name);
      }
      record.cards.push(card);
      if (p.fingerprint !== undefined) {
        if (!fingerprintMatches(p.fingerprint, card.fingerprint)) throw fingerprintMismatch(record.name);
        record.verification = 'verified';
        record.introduction = null;
      }
      return { record, action: 'rotated' };
    }
  }
  if (p.name === undefined) throw new TypeError('options.name is required to import a card that does not succeed a known contact');
  assertNameFree(p.name);
  const sameKey = idx.bySigningKey.get(hex(card.signingPublicKey));
  if (sameKey) throw new LintasError('ERR_KEYRING_DUPLICATE_CARD', `A card with the same signing key is already in the key ring as "${sameKey.record.name}"`);
  let verification: Verification = 'unverified';
  let introduction: Introduction | null = null;
  if (p.fingerprint !== undefined) {
    if (!fingerprintMatches(p.fingerprint, card.fingerprint)) throw fingerprintMismatch(p.name);
    verification = 'verified';
  } else if (p.introduction !== null) {
    checkIntroduction(idx, card, p.introduction);
    verification = 'introduced';
    introduction = p.introduction;
  }
  const record: ContactRecord = {
    name: p.name,
    cards: [card],
    verification,
    introduction,
    labels: p.labels,
    groups: p.groups,
    attributes: p.attributes,
    addedAt: Math.floor(Date.now() / 1000),
  };
  s.contacts.push(record);
  return { record, action: 'added' };
}

/** An introduction counts only from the current, valid, unrevoked card of a contact you verified yourself. */
function checkIntroduction(idx: RingIndex, card: KeyCard, intro: Introduction): void {
  const invalid = (why: string) => new LintasError('ERR_INTRODUCTION_INVALID', `Introduction not accepted: ${why}`);
  if (!bytesEqual(intro.fingerprint, card.fingerprint)) throw invalid('it introduces a different card');
  const loc = idx.byFingerprint.get(hex(intro.introducerFingerprint));
  if (!loc || loc.kind !== 'contact') throw invalid('the introducer is not one of your contacts');
  const introducer = loc.record.cards[loc.position]!;
  if (!bytesEqual(introducer.signingPublicKey, intro.introducerSigningKey)) throw invalid("it is not signed by the introducer card's key");
  if (loc.position !== loc.record.cards.length - 1) throw invalid(`it was signed with an old card of "${loc.record.name}"`);
  if (loc.record.verification !== 'verified') throw invalid(`you have not verified "${loc.record.name}" yourself (${loc.record.verification})`);
  if (idx.revocationOf(introducer)) throw invalid(`the card of "${loc.record.name}" is revoked`);
  if (validityProblem(introducer, Math.floor(Date.now() / 1000))) throw invalid(`the card of "${loc.record.name}" is not valid now`);
}
