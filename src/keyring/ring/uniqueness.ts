/**
 * What must be unique in a key ring: a local name (among identities and contacts, ignoring case)
 * and a card (by fingerprint and by signing key), so every reference names exactly one thing.
 */
import { LintasError } from '../../errors/index.js';
import type { KeyCard } from '../key-card.js';
import { hex, type RingIndex } from '../ring-index.js';
import type { ContactRecord, RingState } from '../ring-state.js';

/** Throw ERR_KEYRING_NAME_TAKEN if `name` is used by an identity or a contact other than `except`. */
export function assertNameFree(s: RingState, name: string, except?: ContactRecord): void {
  const lower = name.toLowerCase();
  const taken =
    s.identities.some((i) => i.name.toLowerCase() === lower) || s.contacts.some((c) => c !== except && c.name.toLowerCase() === lower);
  if (taken) throw new LintasError('ERR_KEYRING_NAME_TAKEN', `The name "${name}" is already used in this key ring (names are compared ignoring case); choose another`);
}

/** Throw ERR_KEYRING_DUPLICATE_CARD if the card or its signing key is already in the ring. */
export function assertCardNew(idx: RingIndex, card: KeyCard): void {
  const loc = idx.byFingerprint.get(hex(card.fingerprint)) ?? idx.bySigningKey.get(hex(card.signingPublicKey));
  if (loc) throw new LintasError('ERR_KEYRING_DUPLICATE_CARD', `This key card (or its signing key) is already in the key ring as "${loc.record.name}"`);
}
