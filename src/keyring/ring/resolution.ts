/**
 * From references to cards (docs/KEYRING.md, "Sealing"): recipients by name, group, fingerprint
 * or card, each checked for revocation and validity; and lookups by signing key or fingerprint.
 */
import { LintasError } from '../../errors/index.js';
import { decodeKeyCardSync, type KeyCard } from '../key-card.js';
import { formatFingerprint, looksLikeFingerprint, parseFingerprint } from '../fingerprint.js';
import { revocationCovers } from '../revocation.js';
import { hex, type CardLocation, type Contact, type Identity, type RingIndex } from '../ring-index.js';
import type { Verification } from '../ring-state.js';
import { nowSeconds } from './arguments.js';
import { unknownRecipient } from './errors.js';
import type { RingStore } from './ring-store.js';
import { validityProblem } from './validity.js';

/** A recipient as an app names it: a contact or identity name, `group:NAME`, a fingerprint (hex or formatted), or a KeyCard. */
export type RecipientRef = string | KeyCard;

/** One recipient after resolution, for handling policy and for sealing. */
export interface ResolvedRecipient {
  /** The card that will be sealed to (the current card of its chain). */
  card: KeyCard;
  /** True if named individually (name, fingerprint or card), false if only reached through a group. */
  explicit: boolean;
  /**
   * How far you trust the card: 'verified', 'introduced' or 'unverified' (your own identities count as
   * verified).
   */
  verification: Verification;
  /** The local name (contact or identity), or the card's own name for a card not in the ring. */
  label: string;
  /** The contact, if the card belongs to one (null for your own identities and unknown cards). */
  contact: Contact | null;
  /** The references that selected this recipient, in the order given. */
  via: string[];
}

/** Options of {@link KeyRing.resolveRecipients}. */
export interface ResolveOptions {
  /** The time to check validity and revocation at. Default: now. */
  now?: Date;
}

/** A card found by {@link KeyRing.lookupSigningKey} or {@link KeyRing.findByFingerprint}. */
export interface CardOwner {
  /** The identity the card belongs to, if it is one of yours. */
  identity: Identity | null;
  /** The contact the card belongs to, if it is a partner's. */
  contact: Contact | null;
  /** The exact card (current or earlier). */
  card: KeyCard;
}

/** See {@link KeyRing.resolveRecipients}. */
export function resolveRecipients(store: RingStore, refs: RecipientRef[], options: ResolveOptions): ResolvedRecipient[] {
  store.assertOpen();
  if (!Array.isArray(refs)) throw new TypeError('recipients must be an array');
  if (refs.length === 0) throw new RangeError('recipients must name at least one recipient');
  const now = nowSeconds(options?.now);
  const { state, index } = store;
  const out = new Map<string, ResolvedRecipient>();
  const add = (loc: CardLocation | null, card: KeyCard, explicit: boolean, via: string) => {
    const current = loc ? loc.record.cards[loc.record.cards.length - 1]! : card;
    const key = hex(current.fingerprint);
    const existing = out.get(key);
    if (existing) {
      existing.explicit ||= explicit;
      if (!existing.via.includes(via)) existing.via.push(via);
      return;
    }
    const contact = loc?.kind === 'contact' ? index.contact(loc.record) : null;
    out.set(key, {
      card: current,
      explicit,
      verification: loc?.kind === 'contact' ? loc.record.verification : loc?.kind === 'identity' ? 'verified' : 'unverified',
      label: loc ? loc.record.name : current.name,
      contact,
      via: [via],
    });
  };
  refs.forEach((ref, i) => {
    if (typeof ref === 'string') {
      if (ref.startsWith('group:')) {
        const group = ref.slice('group:'.length).normalize('NFC');
        // A suspended contact's groups are held back (KEYRING.md, "Revocation"): the group seal
        // goes to the others instead of failing on, or reaching, a compromised card.
        const members = state.contacts.filter((c) => c.groups.includes(group) && !index.suspended(c));
        if (members.length === 0) throw unknownRecipient(`group "${group}" has no members`);
        for (const m of members) add({ kind: 'contact', record: m, position: m.cards.length - 1 }, m.cards[m.cards.length - 1]!, false, ref);
        return;
      }
      const nfc = ref.normalize('NFC');
      const contact = state.contacts.find((c) => c.name === nfc);
      if (contact) return add({ kind: 'contact', record: contact, position: contact.cards.length - 1 }, contact.cards[contact.cards.length - 1]!, true, ref);
      const identity = state.identities.find((c) => c.name === nfc);
      if (identity) return add({ kind: 'identity', record: identity, position: identity.cards.length - 1 }, identity.cards[identity.cards.length - 1]!, true, ref);
      if (looksLikeFingerprint(ref)) {
        const locs = locate(index, ref);
        if (locs.length > 1) throw unknownRecipient(`fingerprint "${ref}" matches more than one card; use the hex fingerprint`);
        if (locs.length === 1) return add(locs[0]!, locs[0]!.record.cards[locs[0]!.position]!, true, ref);
        throw unknownRecipient(`no card with fingerprint "${ref}"`);
      }
      throw unknownRecipient(`no contact, identity or group named "${ref}"`);
    }
    if (ref && typeof ref === 'object' && ref.bytes instanceof Uint8Array) {
      const card = decodeKeyCardSync(ref.bytes);
      const loc = index.byFingerprint.get(hex(card.fingerprint)) ?? null;
      return add(loc, card, true, formatFingerprint(card));
    }
    throw new TypeError(`recipients[${i}] must be a string or a KeyCard`);
  });
  const resolved = [...out.values()];
  for (const r of resolved) {
    const revocation = index.revocationOf(r.card);
    if (revocation && revocationCovers(revocation, new Date(now * 1000))) {
      throw new LintasError(
        'ERR_KEYRING_RECIPIENT_REVOKED',
        `Recipient "${r.label}" has revoked its key card (${revocation.reason}, ${revocation.effectiveAt.toISOString()}); ask them for their new card`,
      );
    }
    const problem = validityProblem(r.card, now);
    if (problem) {
      throw new LintasError('ERR_KEYRING_RECIPIENT_EXPIRED', `Recipient "${r.label}" has a key card that is ${problem}; ask them for a current card`);
    }
  }
  return resolved;
}

/** See {@link KeyRing.lookupSigningKey}. */
export function lookupSigningKey(store: RingStore, signingPublicKey: Uint8Array): CardOwner | null {
  store.assertOpen();
  if (!(signingPublicKey instanceof Uint8Array)) throw new TypeError('signingPublicKey must be a Uint8Array');
  const loc = store.index.bySigningKey.get(hex(signingPublicKey));
  if (!loc) return null;
  return describe(store.index, loc);
}

/** See {@link KeyRing.findByFingerprint}. */
export function findByFingerprint(store: RingStore, fingerprint: string | Uint8Array): CardOwner | null {
  store.assertOpen();
  const locs = locate(store.index, fingerprint);
  return locs.length === 1 ? describe(store.index, locs[0]!) : null;
}

function describe(index: RingIndex, loc: CardLocation): CardOwner {
  return {
    identity: loc.kind === 'identity' ? index.identity(loc.record) : null,
    contact: loc.kind === 'contact' ? index.contact(loc.record) : null,
    card: loc.record.cards[loc.position]!,
  };
}

/** Every card location matching a fingerprint reference. */
function locate(index: RingIndex, fingerprint: string | Uint8Array): CardLocation[] {
  if (fingerprint instanceof Uint8Array) {
    const loc = index.byFingerprint.get(hex(fingerprint));
    return loc ? [loc] : [];
  }
  if (typeof fingerprint !== 'string') throw new TypeError('fingerprint must be a string or Uint8Array');
  const ref = parseFingerprint(fingerprint);
  if (ref === null) return [];
  if (ref.kind === 'hex') {
    const loc = index.byFingerprint.get(hex(ref.fingerprint));
    return loc ? [loc] : [];
  }
  return [...index.byFingerprint.values()].filter((loc) => formatFingerprint(loc.record.cards[loc.position]!) === ref.formatted);
}
