/**
 * Lookup tables over one key ring state (by fingerprint, signing key, recipient id) and the
 * read-only snapshots the public API hands out. Rebuilt whenever the state is replaced, so a
 * snapshot never changes under its holder.
 */
import type { RecipientKeyPair } from '../keys/recipient.js';
import { recipientId } from '../keys/recipient.js';
import { bytesEqual, type KeyCard } from './key-card.js';
import type { Revocation } from './revocation.js';
import { strictestRevocation } from './revocation.js';
import type { ContactRecord, IdentityRecord, RingState, Verification } from './ring-state.js';

/** One of your own identities, as the key ring shows it. */
export interface Identity {
  /** Your local name for it; unique among identities and contacts. Use it as `from` when sealing. */
  readonly name: string;
  /** The current key card: export it to partners. */
  readonly card: KeyCard;
  /** Earlier cards of this identity (rotated out), oldest first. Their private keys are kept. */
  readonly history: readonly KeyCard[];
  /** The revocation of the current card, if one was made (strictest first). */
  readonly revocation: Revocation | null;
  /** When it was created in this key ring. */
  readonly createdAt: Date;
}

/** A partner's identity in your key ring. */
export interface Contact {
  /** Your local name for it; unique among identities and contacts. Use it as a recipient. */
  readonly name: string;
  /** The current card (the end of the succession chain you followed). */
  readonly card: KeyCard;
  /** Earlier cards of this contact, oldest first. */
  readonly history: readonly KeyCard[];
  /**
   * 'verified' (fingerprint compared out of band), 'introduced' (by a contact you verified) or
   * 'unverified'.
   */
  readonly verification: Verification;
  /** Fingerprint of the verified contact's card that introduced this one, if `verification` is 'introduced'. */
  readonly introducedBy: Uint8Array | null;
  /** From the current card, for handling policy. */
  readonly organization: string;
  /** From the current card (ISO 3166-1 alpha-2), for handling policy. */
  readonly country: string;
  /** Free-form tags. */
  readonly labels: readonly string[];
  /** Named recipient sets; seal to all members with `group:NAME`. Empty while `suspendedGroups` holds them. */
  readonly groups: readonly string[];
  /**
   * The contact's groups, held back because one of its cards was revoked as compromised and its
   * current card has not been verified out of band since: group seals skip it until
   * {@link KeyRing.verifyContact} (or an import with the compared fingerprint) verifies it again
   * (docs/KEYRING.md, "Revocation").
   */
  readonly suspendedGroups: readonly string[];
  /** Local attributes (lower-case keys) for the app's or the policy's own rules. */
  readonly attributes: Readonly<Record<string, string>>;
  /**
   * The revocation of the current card, if one was imported (strictest first): one of its
   * signing key, or of the signing key of a card of the same chain that certified one of its
   * encryption keys.
   */
  readonly revocation: Revocation | null;
  /** When it was added to this key ring. */
  readonly addedAt: Date;
}

/** Where a card sits in the ring. */
export type CardLocation =
  | { kind: 'identity'; record: IdentityRecord; position: number }
  | { kind: 'contact'; record: ContactRecord; position: number };

/** A recipient key pair of one of your identities, with the identity it belongs to. */
export interface OwnKey {
  identity: IdentityRecord;
  key: RecipientKeyPair;
}

export function hex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

export class RingIndex {
  readonly byFingerprint = new Map<string, CardLocation>();
  /** Signing key -> the newest card that uses it. */
  readonly bySigningKey = new Map<string, CardLocation>();
  /** Signing key (hex) -> the revocations signed with it. A revocation revokes a key, not one card. */
  readonly revocations = new Map<string, Revocation[]>();
  readonly ownKeys: OwnKey[] = [];
  readonly byRecipientId = new Map<string, IdentityRecord>();
  private readonly identitySnapshots = new Map<IdentityRecord, Identity>();
  private readonly contactSnapshots = new Map<ContactRecord, Contact>();

  constructor(readonly state: RingState) {
    const place = (loc: CardLocation, card: KeyCard) => {
      this.byFingerprint.set(hex(card.fingerprint), loc);
      this.bySigningKey.set(hex(card.signingPublicKey), loc);
    };
    for (const record of state.identities) {
      record.cards.forEach((card, position) => place({ kind: 'identity', record, position }, card));
      // Newest keys first: a hidden-mode open spends its trial budget in this order (SPEC 4.3),
      // so current keys are always tried and rotated-out ones only while budget is left.
      for (const keys of [...record.keys].reverse()) {
        for (const key of [keys.x25519, keys.xwing]) {
          const rid = hex(recipientId(key));
          if (this.byRecipientId.has(rid)) continue; // a rotation that kept its keys
          this.byRecipientId.set(rid, record);
          this.ownKeys.push({ identity: record, key });
        }
      }
    }
    for (const record of state.contacts) record.cards.forEach((card, position) => place({ kind: 'contact', record, position }, card));
    for (const r of state.revocations) {
      const k = hex(r.signingPublicKey);
      const list = this.revocations.get(k) ?? [];
      list.push(r);
      this.revocations.set(k, list);
    }
  }

  /** The revocations signed with `signingPublicKey`. */
  revocationsOfKey(signingPublicKey: Uint8Array): readonly Revocation[] {
    return this.revocations.get(hex(signingPublicKey)) ?? [];
  }

  /**
   * The strictest revocation that applies to `card`, or null: one signed with its signing key
   * (whichever card of that key it names, so a validity extension that kept the key is revoked
   * with it), or one of the signing key of another card of the same chain that carries one of
   * `card`'s encryption keys (the revoked key certified it). Only the same chain counts: anyone
   * can publish a card carrying someone else's public encryption key and revoke it.
   */
  revocationOf(card: KeyCard): Revocation | null {
    const list = [...this.revocationsOfKey(card.signingPublicKey)];
    const loc = this.byFingerprint.get(hex(card.fingerprint));
    if (loc) {
      for (const other of loc.record.cards) {
        if (bytesEqual(other.signingPublicKey, card.signingPublicKey)) continue;
        const shares = other.encryptionKeys.some((k) => card.encryptionKeys.some((e) => bytesEqual(e.publicKey, k.publicKey)));
        if (shares) list.push(...this.revocationsOfKey(other.signingPublicKey));
      }
    }
    return strictestRevocation(list);
  }

  /**
   * A contact is suspended while one of its cards is revoked as compromised and it is not
   * verified (docs/KEYRING.md, "Revocation"): its groups are held back, so a group seal does not
   * reach a card whose key a thief may hold, nor fails for the whole group because of it.
   */
  suspended(record: ContactRecord): boolean {
    return record.verification !== 'verified' && record.cards.some((c) => this.revocationOf(c)?.reason === 'key-compromise');
  }

  identity(record: IdentityRecord): Identity {
    let snap = this.identitySnapshots.get(record);
    if (!snap) {
      const card = record.cards[record.cards.length - 1]!;
      snap = Object.freeze({
        name: record.name,
        card,
        history: Object.freeze(record.cards.slice(0, -1)),
        revocation: this.revocationOf(card),
        createdAt: new Date(record.createdAt * 1000),
      });
      this.identitySnapshots.set(record, snap);
    }
    return snap;
  }

  contact(record: ContactRecord): Contact {
    let snap = this.contactSnapshots.get(record);
    if (!snap) {
      const card = record.cards[record.cards.length - 1]!;
      const held = this.suspended(record);
      snap = Object.freeze({
        name: record.name,
        card,
        history: Object.freeze(record.cards.slice(0, -1)),
        verification: record.verification,
        introducedBy: record.verification === 'introduced' && record.introduction ? record.introduction.introducerFingerprint : null,
        organization: card.organization,
        country: card.country,
        labels: Object.freeze([...record.labels]),
        groups: Object.freeze(held ? [] : [...record.groups]),
        suspendedGroups: Object.freeze(held ? [...record.groups] : []),
        attributes: Object.freeze({ ...record.attributes }),
        revocation: this.revocationOf(card),
        addedAt: new Date(record.addedAt * 1000),
      });
      this.contactSnapshots.set(record, snap);
    }
    return snap;
  }
}
