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
import { voidedSuccession } from './compromise.js';
import { fingerprintMismatch } from './errors.js';
import { validityProblem } from './validity.js';

/** An identity attribute of a key card that a rotation changed. */
export interface AttributeChange {
  /** Which attribute. */
  attribute: 'name' | 'organization' | 'country';
  /** Its value on the card that was succeeded. */
  from: string;
  /** Its value on the successor. */
  to: string;
}

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
  /**
   * Name, organization or country changed by the rotation(s) followed, in chain order. Without a
   * fingerprint compared out of band such a change leaves the contact 'unverified' (its owner's
   * old key vouches for the new keys, not for a new identity): tell the user, and verify the
   * new card before relying on the new attributes (docs/KEYRING.md, "Rotation", case 6).
   */
  changedAttributes: AttributeChange[];
  /**
   * Cards removed from the contact's chain by this import: successors of the same card that
   * were not confirmed, replaced by the card whose fingerprint was compared out of band (two
   * successors of one card mean its key signed twice: a thief's rotation; case 3).
   */
  dropped: KeyCard[];
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

/** What one card of an import did to the draft state. */
export interface ImportStep {
  record: ContactRecord;
  action: ImportKeyCardResult['action'];
  changedAttributes: AttributeChange[];
  dropped: KeyCard[];
}

/** One card of {@link KeyRing.importKeyCard}, applied to the draft state `s`. */
export function importOne(s: RingState, idx: RingIndex, card: KeyCard, p: ImportParams, assertNameFree: (name: string) => void): ImportStep {
  const known = idx.byFingerprint.get(hex(card.fingerprint));
  if (known) {
    if (known.kind === 'identity') throw new LintasError('ERR_KEYRING_DUPLICATE_CARD', `This is a card of your own identity "${known.record.name}"`);
    // A fingerprint given with a card we already hold is still checked: the caller compared it
    // out of band, and a mismatch means the card in hand is not the one they were read.
    if (p.fingerprint !== undefined) {
      if (!fingerprintMatches(p.fingerprint, card.fingerprint)) throw fingerprintMismatch(known.record.name);
      refuseCompromised(idx, known.record, card);
      // Verification is of the current card: comparing an older card's fingerprint says nothing
      // about the card in use (it would undo the downgrade of case 6 in docs/KEYRING.md).
      if (known.position === known.record.cards.length - 1 && known.record.verification !== 'verified') {
        confirm(known.record, card);
        return step(known.record, 'verified');
      }
      if (known.position === known.record.cards.length - 1) known.record.confirmed = card.fingerprint;
    }
    return step(known.record, 'unchanged');
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
      if (pred.position !== record.cards.length - 1) return replaceFork(record, pred.position, card, p);
      // A successor signed with a key revoked as compromised, at or after the compromise time, may
      // be the thief's: its signature proves nothing. Following it unchecked would hand the thief
      // the contact's name and groups (a seal to the group would reach them), so the fingerprint
      // compared out of band is required (docs/KEYRING.md, "Rotation", case 5).
      if (voidedSuccession(idx, predCard, card) && p.fingerprint === undefined) {
        throw new LintasError(
          'ERR_KEYCARD_SUCCESSION_INVALID',
          `This card claims to succeed a card of "${record.name}" that was revoked as compromised, so its signature proves nothing: compare the new card's fingerprint with "${record.name}" out of band and import it with that fingerprint`,
        );
      }
      if (p.fingerprint !== undefined && !fingerprintMatches(p.fingerprint, card.fingerprint)) throw fingerprintMismatch(record.name);
      record.cards.push(card);
      const changed = attributeChanges(predCard, card);
      if (p.fingerprint !== undefined) confirm(record, card);
      // The old key vouches for the new keys, not for a new name, organization or country: a
      // change of identity is trusted only once compared out of band (case 6).
      else if (changed.length > 0) {
        record.verification = 'unverified';
        record.introduction = null;
      }
      return step(record, 'rotated', changed);
    }
  }
  if (p.name === undefined) throw new TypeError('options.name is required to import a card that does not succeed a known contact');
  assertNameFree(p.name);
  const sameKey = idx.bySigningKey.get(hex(card.signingPublicKey));
  if (sameKey) throw new LintasError('ERR_KEYRING_DUPLICATE_CARD', `A card with the same signing key is already in the key ring as "${sameKey.record.name}"`);
  let verification: Verification = 'unverified';
  let introduction: Introduction | null = null;
  let confirmed: Uint8Array | null = null;
  if (p.fingerprint !== undefined) {
    if (!fingerprintMatches(p.fingerprint, card.fingerprint)) throw fingerprintMismatch(p.name);
    verification = 'verified';
    confirmed = card.fingerprint;
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
    confirmed,
    labels: p.labels,
    groups: p.groups,
    attributes: p.attributes,
    addedAt: Math.floor(Date.now() / 1000),
  };
  s.contacts.push(record);
  return step(record, 'added');
}

/**
 * A second successor of a card the contact already rotated away from: its key signed twice,
 * so one of the two is a thief's. Only the card whose fingerprint was compared out of band can
 * settle which: it replaces the unconfirmed successors (so an owner's confirmed card is taken
 * whether the thief's rotation arrived first or not); anything else is a conflict (case 3).
 */
function replaceFork(record: ContactRecord, position: number, card: KeyCard, p: ImportParams): ImportStep {
  const later = record.cards.slice(position + 1);
  const laterConfirmed = record.confirmed !== null && later.some((c) => bytesEqual(c.fingerprint, record.confirmed!));
  if (p.fingerprint === undefined || laterConfirmed) {
    throw new LintasError(
      'ERR_KEYCARD_SUCCESSION_CONFLICT',
      `"${record.name}" already rotated away from the card this one claims to succeed; two successors of one card suggest a compromised key: verify with them out of band`,
    );
  }
  if (!fingerprintMatches(p.fingerprint, card.fingerprint)) throw fingerprintMismatch(record.name);
  const predCard = record.cards[position]!;
  record.cards.splice(position + 1);
  record.cards.push(card);
  confirm(record, card);
  return step(record, 'rotated', attributeChanges(predCard, card), later);
}

/**
 * A card revoked as compromised cannot be verified by its fingerprint: the fingerprint is right,
 * but a thief may hold its key. The owner's new card, imported with its fingerprint, is the way
 * back (docs/KEYRING.md, "Revocation").
 */
export function refuseCompromised(idx: RingIndex, record: ContactRecord, card: KeyCard): void {
  if (idx.revocationOf(card)?.reason === 'key-compromise') {
    throw new LintasError(
      'ERR_KEYRING_RECIPIENT_REVOKED',
      `The card of "${record.name}" was revoked as compromised: verifying it would trust a key a thief may hold; ask them for their new card and import it with its fingerprint`,
    );
  }
}

function step(record: ContactRecord, action: ImportStep['action'], changedAttributes: AttributeChange[] = [], dropped: KeyCard[] = []): ImportStep {
  return { record, action, changedAttributes, dropped };
}

/** The fingerprint of `card` was compared out of band: the contact is verified on it. */
function confirm(record: ContactRecord, card: KeyCard): void {
  record.verification = 'verified';
  record.introduction = null;
  record.confirmed = card.fingerprint;
}

function attributeChanges(from: KeyCard, to: KeyCard): AttributeChange[] {
  const out: AttributeChange[] = [];
  for (const attribute of ['name', 'organization', 'country'] as const) {
    if (from[attribute] !== to[attribute]) out.push({ attribute, from: from[attribute], to: to[attribute] });
  }
  return out;
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
