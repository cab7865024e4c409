/**
 * Your partners' identities (docs/KEYRING.md, "Contacts"): importing their cards, verifying them,
 * naming and grouping them, removing them.
 */
import { cryptoReady } from '../../crypto/sodium.js';
import type { KeyCard } from '../key-card.js';
import { fingerprintMatches, looksLikeFingerprint } from '../fingerprint.js';
import type { Introduction } from '../introduction.js';
import { RingIndex, type Contact } from '../ring-index.js';
import { checkLocalName } from '../text-rules.js';
import { attributeMap, decodeCardInput, decodeIntroductionInput, textList } from './arguments.js';
import { importOne, refuseCompromised, type AttributeChange, type ImportKeyCardResult, type ImportStep } from './card-import.js';
import { settleCompromises } from './compromise.js';
import { fingerprintMismatch, unknownContact } from './errors.js';
import type { RingStore } from './ring-store.js';
import { assertNameFree } from './uniqueness.js';

/** Options of {@link KeyRing.importKeyCard}. */
export interface ImportKeyCardOptions {
  /** Local name; required when the card starts a new contact (it does not succeed a known card). */
  name?: string;
  /**
   * The fingerprint you compared out of band (hex or formatted): the contact becomes 'verified'.
   * For a chain, the fingerprint of its last (newest) card.
   */
  fingerprint?: string | Uint8Array;
  /** An introduction by a contact you verified: the contact becomes 'introduced'. */
  introduction?: Introduction | Uint8Array | string;
  /** Free-form tags for the contact. */
  labels?: string[];
  /** Groups to put the contact in; seal to all members with `group:NAME`. */
  groups?: string[];
  /** Local attributes (lower-case keys) for the app's or the policy's own rules. */
  attributes?: Record<string, string>;
}

/** Options of {@link KeyRing.updateContact}; omitted fields stay as they are. */
export interface UpdateContactOptions {
  /** Rename the contact. */
  name?: string;
  /** Replace the labels. */
  labels?: string[];
  /** Replace the groups. */
  groups?: string[];
  /** Replace the attributes. */
  attributes?: Record<string, string>;
  /** Only 'unverified' can be set here (to withdraw trust); verify with {@link KeyRing.verifyContact}. */
  verification?: 'unverified';
}

/** See {@link KeyRing.importKeyCard}. */
export async function importKeyCard(
  store: RingStore,
  input: KeyCard | Uint8Array | string | (KeyCard | Uint8Array | string)[],
  options: ImportKeyCardOptions,
): Promise<ImportKeyCardResult> {
  store.assertOpen();
  await cryptoReady();
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const inputs = Array.isArray(input) ? input : [input];
  if (inputs.length === 0) throw new RangeError('input must contain at least one key card');
  const cards = inputs.map((c) => decodeCardInput(c));
  const name = options.name === undefined ? undefined : checkLocalName(options.name, 'options.name', looksLikeFingerprint);
  const labels = options.labels === undefined ? [] : textList(options.labels, 'options.labels');
  const groups = options.groups === undefined ? [] : textList(options.groups, 'options.groups');
  const attributes = options.attributes === undefined ? {} : attributeMap(options.attributes, 'options.attributes');
  let fingerprint: string | Uint8Array | undefined;
  if (options.fingerprint !== undefined) {
    if (typeof options.fingerprint !== 'string' && !(options.fingerprint instanceof Uint8Array)) throw new TypeError('options.fingerprint must be a string or Uint8Array');
    fingerprint = options.fingerprint;
  }
  const introduction = options.introduction === undefined ? null : decodeIntroductionInput(options.introduction);
  return store.commit((s, idx0) => {
    let idx = idx0;
    let result: ImportStep | null = null;
    const changedAttributes: AttributeChange[] = [];
    const dropped: KeyCard[] = [];
    for (const [i, card] of cards.entries()) {
      // The fingerprint compared out of band is the newest card's (the one the owner reads out);
      // the earlier cards of a chain reach it through their succession signatures.
      const fp = i === cards.length - 1 ? fingerprint : undefined;
      const step = importOne(s, idx, card, { name, labels, groups, attributes, fingerprint: fp, introduction }, (n) => assertNameFree(s, n));
      changedAttributes.push(...step.changedAttributes);
      dropped.push(...step.dropped);
      // Later cards of a chain must see the earlier ones.
      idx = new RingIndex(s);
      result = result === null || step.action !== 'unchanged' ? step : result;
    }
    settleCompromises(s);
    const r = result!;
    return (i) => ({ contact: i.contact(r.record), action: r.action, changedAttributes, dropped });
  });
}

/** See {@link KeyRing.groups}. */
export function groupNames(store: RingStore): string[] {
  store.assertOpen();
  const all = new Set<string>();
  for (const c of store.state.contacts) if (!store.index.suspended(c)) for (const g of c.groups) all.add(g);
  return [...all].sort();
}

/** See {@link KeyRing.groupMembers}. */
export function groupMembers(store: RingStore, group: string): Contact[] {
  store.assertOpen();
  if (typeof group !== 'string') throw new TypeError('group must be a string');
  const nfc = group.normalize('NFC');
  return store.state.contacts.filter((c) => c.groups.includes(nfc) && !store.index.suspended(c)).map((r) => store.index.contact(r));
}

/** See {@link KeyRing.verifyContact}. */
export async function verifyContact(store: RingStore, contactName: string, fingerprint: string | Uint8Array): Promise<Contact> {
  const { name } = store.contactRecord(contactName);
  if (typeof fingerprint !== 'string' && !(fingerprint instanceof Uint8Array)) throw new TypeError('fingerprint must be a string or Uint8Array');
  return store.commit((s, idx) => {
    const r = s.contacts.find((c) => c.name === name);
    if (!r) throw unknownContact(name);
    const card = r.cards[r.cards.length - 1]!;
    if (!fingerprintMatches(fingerprint, card.fingerprint)) throw fingerprintMismatch(name);
    refuseCompromised(idx, r, card);
    r.verification = 'verified';
    r.introduction = null;
    r.confirmed = card.fingerprint;
    return (i) => i.contact(r);
  });
}

/** See {@link KeyRing.updateContact}. */
export async function updateContact(store: RingStore, contactName: string, options: UpdateContactOptions): Promise<Contact> {
  const { name } = store.contactRecord(contactName);
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const rename = options.name === undefined ? undefined : checkLocalName(options.name, 'options.name', looksLikeFingerprint);
  const labels = options.labels === undefined ? undefined : textList(options.labels, 'options.labels');
  const groups = options.groups === undefined ? undefined : textList(options.groups, 'options.groups');
  const attributes = options.attributes === undefined ? undefined : attributeMap(options.attributes, 'options.attributes');
  if (options.verification !== undefined && options.verification !== 'unverified') {
    throw new RangeError("options.verification can only be 'unverified'; use verifyContact() to verify");
  }
  return store.commit((s) => {
    const r = s.contacts.find((c) => c.name === name);
    if (!r) throw unknownContact(name);
    if (rename !== undefined && rename !== r.name) {
      assertNameFree(s, rename, r);
      r.name = rename;
    }
    if (labels) r.labels = labels;
    if (groups) r.groups = groups;
    if (attributes) r.attributes = attributes;
    if (options.verification === 'unverified') {
      r.verification = 'unverified';
      r.introduction = null;
      r.confirmed = null;
    }
    return (i) => i.contact(r);
  });
}

/** See {@link KeyRing.removeContact}. */
export async function removeContact(store: RingStore, contactName: string): Promise<void> {
  const { name } = store.contactRecord(contactName);
  await store.commit((s) => {
    const i = s.contacts.findIndex((c) => c.name === name);
    if (i < 0) throw unknownContact(name);
    s.contacts.splice(i, 1);
    return () => undefined;
  });
}
