/**
 * Your own identities (docs/KEYRING.md, "Identities"): creating them, rotating them to new cards,
 * and the statements they sign about cards (revocations, introductions).
 */
import { LintasError } from '../../errors/index.js';
import { generateIdentityKeys, type IdentityKeys } from '../../keys/identity-keys.js';
import { bytesEqual, createKeyCard } from '../key-card.js';
import { fingerprintMatches, looksLikeFingerprint } from '../fingerprint.js';
import { createRevocation, type Revocation, type RevocationOptions } from '../revocation.js';
import { createIntroduction, type Introduction } from '../introduction.js';
import { hex, type Identity } from '../ring-index.js';
import type { IdentityRecord } from '../ring-state.js';
import { checkLocalName } from '../text-rules.js';
import { checkDate, checkIdentityKeys, copyKeys } from './arguments.js';
import { conflict, unknownIdentity } from './errors.js';
import type { RingStore } from './ring-store.js';
import { assertCardNew, assertNameFree } from './uniqueness.js';
import { DEFAULT_VALIDITY_DAYS } from './validity.js';

/** Options of {@link KeyRing.createIdentity}. */
export interface CreateIdentityOptions {
  /** Local name of the identity (and the default name on its card). */
  name: string;
  /** Name on the card if different from `name`. */
  cardName?: string;
  /** The agency or unit, as written on the card; handling policy matches it exactly. */
  organization: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
  /** Default: now. */
  validFrom?: Date;
  /** Default: `validFrom` plus {@link DEFAULT_VALIDITY_DAYS} days. Must be in the future. */
  validUntil?: Date;
  /** Existing keys (e.g. from `identityKeysFromSeed`); default: fresh keys. The key ring keeps a copy. */
  keys?: IdentityKeys;
  /** Publish the X-Wing key on the card. Default true. */
  includeXWing?: boolean;
}

/** Options of {@link KeyRing.rotateIdentity}: everything defaults to the current card's values. */
export interface RotateIdentityOptions {
  /** New keys; default: fresh ones. The key ring keeps a copy. */
  keys?: IdentityKeys;
  /** Name on the new card. */
  cardName?: string;
  /** Organization on the new card. */
  organization?: string;
  /** ISO 3166-1 alpha-2 country on the new card. */
  country?: string;
  /** Start of the new card's validity. Default: now. */
  validFrom?: Date;
  /** End of the new card's validity. Default: `validFrom` plus {@link DEFAULT_VALIDITY_DAYS} days. */
  validUntil?: Date;
  /** Publish the X-Wing key on the new card. Default: as on the current card. */
  includeXWing?: boolean;
}

/** The validity window of a new card from its options: default now + 730 days, end in the future. */
function validityWindow(options: { validFrom?: Date; validUntil?: Date }): { validFrom: Date; validUntil: Date } {
  const validFrom = options.validFrom === undefined ? new Date() : checkDate(options.validFrom, 'options.validFrom');
  const validUntil =
    options.validUntil === undefined ? new Date(validFrom.getTime() + DEFAULT_VALIDITY_DAYS * 86_400_000) : checkDate(options.validUntil, 'options.validUntil');
  if (validUntil.getTime() <= Date.now()) throw new RangeError('options.validUntil must be in the future');
  return { validFrom, validUntil };
}

/** See {@link KeyRing.createIdentity}. */
export async function createIdentity(store: RingStore, options: CreateIdentityOptions): Promise<Identity> {
  store.assertOpen();
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const name = checkLocalName(options.name, 'options.name', looksLikeFingerprint);
  const { validFrom, validUntil } = validityWindow(options);
  const keys = options.keys === undefined ? await generateIdentityKeys() : copyKeys(checkIdentityKeys(options.keys, 'options.keys'));
  const card = await createKeyCard({
    keys,
    name: options.cardName ?? name,
    organization: options.organization,
    country: options.country,
    validFrom,
    validUntil,
    ...(options.includeXWing === undefined ? {} : { includeXWing: options.includeXWing }),
  });
  return store.commit((s, idx) => {
    assertNameFree(s, name);
    assertCardNew(idx, card);
    const record: IdentityRecord = { name, cards: [card], keys: [keys], createdAt: Math.floor(Date.now() / 1000) };
    s.identities.push(record);
    return (i) => i.identity(record);
  });
}

/** See {@link KeyRing.rotateIdentity}. */
export async function rotateIdentity(store: RingStore, name: string, options: RotateIdentityOptions): Promise<Identity> {
  const record = store.identityRecord(name);
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const current = record.cards[record.cards.length - 1]!;
  const currentKeys = record.keys[record.keys.length - 1]!;
  const { validFrom, validUntil } = validityWindow(options);
  const keys = options.keys === undefined ? await generateIdentityKeys() : copyKeys(checkIdentityKeys(options.keys, 'options.keys'));
  const card = await createKeyCard({
    keys,
    name: options.cardName ?? current.name,
    organization: options.organization ?? current.organization,
    country: options.country ?? current.country,
    validFrom,
    validUntil,
    includeXWing: options.includeXWing ?? current.encryptionKeys.length > 1,
    predecessor: { card: current, signing: currentKeys.signing },
  });
  return store.commit((s, idx) => {
    const r = s.identities.find((i) => i.name === record.name);
    if (!r) throw unknownIdentity(name);
    if (!bytesEqual(r.cards[r.cards.length - 1]!.fingerprint, current.fingerprint)) throw conflict('The identity was rotated by another process');
    const other = idx.byFingerprint.get(hex(card.fingerprint));
    if (other) throw new LintasError('ERR_KEYRING_DUPLICATE_CARD', 'The new card is already in the key ring');
    r.cards.push(card);
    r.keys.push(keys);
    return (i) => i.identity(r);
  });
}

/** See {@link KeyRing.createRevocation}. */
export async function createIdentityRevocation(
  store: RingStore,
  name: string,
  options: RevocationOptions & { fingerprint?: string | Uint8Array },
): Promise<Revocation> {
  const record = store.identityRecord(name);
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  let position = record.cards.length - 1;
  if (options.fingerprint !== undefined) {
    position = record.cards.findIndex((c) => fingerprintMatches(options.fingerprint!, c.fingerprint));
    if (position < 0) throw new RangeError('options.fingerprint is not a card of this identity');
  }
  const { fingerprint: _ignored, ...revocationOptions } = options;
  return createRevocation(record.cards[position]!, record.keys[position]!.signing, revocationOptions);
}

/** See {@link KeyRing.createIntroduction}. */
export async function introduceContact(store: RingStore, identityName: string, contactName: string): Promise<Introduction> {
  const id = store.identityRecord(identityName);
  const contact = store.contactRecord(contactName);
  if (contact.verification !== 'verified') {
    throw new LintasError('ERR_INTRODUCTION_INVALID', `You can only introduce contacts you verified yourself; "${contactName}" is ${contact.verification}`);
  }
  return createIntroduction(contact.cards[contact.cards.length - 1]!, id.cards[id.cards.length - 1]!, id.keys[id.keys.length - 1]!.signing);
}

