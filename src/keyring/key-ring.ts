/**
 * The key ring (docs/KEYRING.md): your identities and their secret keys, your partners' key
 * cards with how you verified them, rotation and revocation, encrypted storage, and sealing and
 * opening through all of it, so an app never has to pick keys by hand.
 *
 * This is the facade: each operation lives in a file of its own under ./ring/ (identities,
 * contacts and card import, revocations, recipient resolution, sealing, opening), and all of
 * them change the ring only through the transactions of ./ring/ring-store.ts.
 */
import type { IdentityKeys } from '../keys/identity-keys.js';
import type { ByteSource } from '../envelope/byte-source.js';
import { collectBytes } from '../envelope/byte-source.js';
import type { KeyCard } from './key-card.js';
import type { Revocation, RevocationOptions } from './revocation.js';
import type { Introduction } from './introduction.js';
import type { KeyRingSecret } from './encrypted-file.js';
import type { Contact, Identity } from './ring-index.js';
import type { KeyRingStorage } from './storage.js';
import { copyKeys, decodeCardInput } from './ring/arguments.js';
import type { ImportKeyCardResult } from './ring/card-import.js';
import { groupMembers, groupNames, importKeyCard, removeContact, updateContact, verifyContact, type ImportKeyCardOptions, type UpdateContactOptions } from './ring/contacts.js';
import {
  createIdentity,
  createIdentityRevocation,
  introduceContact,
  rotateIdentity,
  type CreateIdentityOptions,
  type RotateIdentityOptions,
} from './ring/identities.js';
import { openingOptions, openStream, reportOnSender, type KeyRingOpenedEnvelope, type KeyRingOpenedEnvelopeStream, type KeyRingOpenOptions, type SenderReport } from './ring/opening.js';
import { findByFingerprint, lookupSigningKey, resolveRecipients, type RecipientRef, type ResolvedRecipient, type ResolveOptions } from './ring/resolution.js';
import { importRevocation } from './ring/revocations.js';
import { RingStore, type OpenKeyRingOptions, type StorageProtection } from './ring/ring-store.js';
import { sealingKeys, sealStream, type KeyRingSealingKeys, type KeyRingSealingKeysOptions, type KeyRingSealOptions, type KeyRingSealStreamOptions } from './ring/sealing.js';
import type { EnvelopeInfo, OpenOptions } from '../envelope/open.js';

export { DEFAULT_VALIDITY_DAYS, CARD_CLOCK_SKEW_SECONDS } from './ring/validity.js';
export type { CreateIdentityOptions, RotateIdentityOptions } from './ring/identities.js';
export type { ImportKeyCardOptions, UpdateContactOptions } from './ring/contacts.js';
export type { ImportKeyCardResult, AttributeChange } from './ring/card-import.js';
export type { RecipientRef, ResolvedRecipient, ResolveOptions } from './ring/resolution.js';
export type { KeyRingSealOptions, KeyRingSealStreamOptions, KeyRingSealingKeysOptions, KeyRingSealingKeys } from './ring/sealing.js';
export type { SenderVerification, KeyRingOpenOptions, SenderReport, KeyRingOpenedEnvelope, KeyRingOpenedEnvelopeStream } from './ring/opening.js';
export type { OpenKeyRingOptions, StorageProtection } from './ring/ring-store.js';

/** Node's `util.inspect` hook; a registered symbol, so this module still loads in browsers. */
const INSPECT: unique symbol = Symbol.for('nodejs.util.inspect.custom');

/**
 * A key ring opened from a {@link KeyRingStorage}. Create one with {@link KeyRing.create}, open
 * it with {@link KeyRing.open}; call {@link KeyRing.close} to wipe its secrets from memory.
 * After that, every method throws {@link LintasError} `ERR_KEYRING_CLOSED`.
 *
 * Every method that changes the key ring saves it before it resolves. Besides the codes each one
 * lists, such a method can throw what saving can: `ERR_KEYRING_CONFLICT` (another process deleted
 * the key ring, changed its secret, or kept changing it through 20 attempts), the codes of a
 * newer generation that does not read (`ERR_KEYRING_MALFORMED`, `ERR_KEYRING_TAMPERED`,
 * `ERR_KEYRING_UNSUPPORTED_VERSION`), and the storage's own errors (`ERR_KEYRING_LOCKED` from
 * `FileKeyRingStorage`, I/O errors).
 */
export class KeyRing {
  /**
   * Prints without key material (`console.log`, `util.inspect` at any depth): its fields hold every
   * secret key and the key that encrypts the stored ring.
   */
  [INSPECT](): string {
    return 'KeyRing { [secret keys not shown] }';
  }

  /** `JSON.stringify` shows no key material either. */
  toJSON(): {
    /** The class name, and nothing else. */
    type: 'KeyRing';
  } {
    return { type: 'KeyRing' };
  }

  /** The open state and its transactions; every operation below works on it (src/keyring/ring/). */
  private constructor(private readonly store: RingStore) {}

  // ---------------------------------------------------------------- storage lifecycle

  /**
   * Create an empty key ring in `storage`, protected by `secret`.
   * @param storage - Where the encrypted key ring lives: {@link MemoryKeyRingStorage}, a file
   *   (`FileKeyRingStorage` from `lintas/node`) or your own {@link KeyRingStorage}.
   * @param secret - A passphrase (stretched with Argon2id) or a raw 32-byte key.
   * @throws {@link LintasError} `ERR_KEYRING_EXISTS` if the storage already holds a key ring (or its backup).
   * @throws {TypeError | RangeError} for an invalid secret or KDF parameters below the floor.
   * @example
   * ```ts
   * import { formatFingerprint, KeyRing, MemoryKeyRingStorage } from 'lintas';
   *
   * const storage = new MemoryKeyRingStorage(); // in Node: new FileKeyRingStorage(path) from 'lintas/node'
   * const ring = await KeyRing.create(storage, { passphrase: 'correct horse battery staple' });
   * const desk = await ring.createIdentity({ name: 'bin-desk', organization: 'BIN', country: 'ID' });
   * console.log(formatFingerprint(desk.card.fingerprint)); // read this to partners to verify the card
   * ring.close();
   * ```
   */
  static async create(storage: KeyRingStorage, secret: KeyRingSecret): Promise<KeyRing> {
    return new KeyRing(await RingStore.create(storage, secret));
  }

  /**
   * Open the key ring in `storage`. A missing, damaged or undecryptable key ring is always an
   * error, never an empty key ring.
   * @example
   * ```ts
   * import { isLintasError, KeyRing, MemoryKeyRingStorage } from 'lintas';
   *
   * const storage = new MemoryKeyRingStorage();
   * (await KeyRing.create(storage, { passphrase: 'correct horse battery staple' })).close();
   *
   * try {
   *   await KeyRing.open(storage, { passphrase: 'wrong' });
   * } catch (e) {
   *   console.assert(isLintasError(e, 'ERR_KEYRING_WRONG_PASSPHRASE'));
   * }
   * const ring = await KeyRing.open(storage, { passphrase: 'correct horse battery staple' });
   * console.log(ring.identities().length, ring.storageProtection.kind); // 0 "passphrase"
   * ring.close();
   * ```
   * @param options - `acceptOlderGeneration: true` is the explicit recovery of an older copy
   *   (docs/KEYRING.md, "Rollback"): the key ring opens although a newer generation was seen
   *   through this storage, and is saved at once as a generation above every one seen, so the
   *   newer copies it replaces now read as older.
   * @throws {@link LintasError} `ERR_KEYRING_NOT_FOUND`, `ERR_KEYRING_MALFORMED` (damaged or truncated:
   *   see {@link KeyRing.restoreFromBackup}), `ERR_KEYRING_UNSUPPORTED_VERSION`,
   *   `ERR_KEYRING_KDF_LIMIT_EXCEEDED` (an Argon2id cost above {@link KEYRING_KDF_MAXIMUM}, not run),
   *   `ERR_KEYRING_WRONG_PASSPHRASE`, `ERR_KEYRING_TAMPERED`, `ERR_KEYRING_ROLLBACK` (an older
   *   generation than one already seen through this storage, or a damaged record of it).
   * @throws {TypeError} for malformed options.
   */
  static async open(storage: KeyRingStorage, secret: KeyRingSecret, options: OpenKeyRingOptions = {}): Promise<KeyRing> {
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
    if (options.acceptOlderGeneration !== undefined && typeof options.acceptOlderGeneration !== 'boolean') throw new TypeError('options.acceptOlderGeneration must be a boolean');
    return new KeyRing(await RingStore.open(storage, secret, { acceptOlderGeneration: options.acceptOlderGeneration === true }));
  }

  /**
   * Open the previous generation (the backup) and make it the current one again, after the
   * current one was reported damaged or tampered with. Changes made in the lost generation are
   * gone; the damaged generation becomes the backup until the next save. Restoring is an explicit
   * recovery: the backup's contents are saved as a generation above every one seen, so neither
   * the replaced generation nor the backup file is refused or accepted by mistake later.
   * @throws {@link LintasError} `ERR_KEYRING_NOT_FOUND` (no backup), and the errors of {@link KeyRing.open} for the backup.
   */
  static async restoreFromBackup(storage: KeyRingStorage, secret: KeyRingSecret): Promise<KeyRing> {
    return new KeyRing(await RingStore.restoreFromBackup(storage, secret));
  }

  /**
   * The save counter of the stored key ring (docs/KEYRING.md, "Rollback"): 1 when created, one
   * more with every save by any process (0 for a version 1 file never saved since). Record it
   * somewhere an attacker cannot roll back (the reference CLI signs it into its audit anchors)
   * and refuse to continue if the key ring you open later is older.
   */
  get generation(): number {
    this.store.assertOpen();
    return this.store.generation;
  }

  /** How the stored key ring is protected, and whether its Argon2id cost is below today's default (then call {@link KeyRing.rekey}). */
  get storageProtection(): StorageProtection {
    return this.store.storageProtection;
  }

  /**
   * Protect the stored key ring with a new secret: change the passphrase, raise the Argon2id
   * cost, or switch to (or from) a raw key. Takes effect with this save, and saves once more so
   * the storage's backup generation is under the new secret too: no generation stays readable
   * with the old passphrase through the storage (a file system may still hold old blocks).
   * @throws {@link LintasError} `ERR_KEYRING_CONFLICT` if another process changed the secret first.
   */
  async rekey(secret: KeyRingSecret): Promise<void> {
    return this.store.rekey(secret);
  }

  /**
   * Load the latest saved contents (changes by other processes). Changes made through this
   * object are always saved already.
   * @throws {@link LintasError} `ERR_KEYRING_CONFLICT` (another process deleted the key ring or
   *   changed its secret), `ERR_KEYRING_MALFORMED`, `ERR_KEYRING_UNSUPPORTED_VERSION`,
   *   `ERR_KEYRING_TAMPERED`; `ERR_KEYRING_CLOSED`.
   */
  async refresh(): Promise<void> {
    return this.store.refresh();
  }

  /** Wipe secret keys and the storage key from memory. The object cannot be used afterwards. */
  close(): void {
    this.store.close();
  }

  // ---------------------------------------------------------------- identities

  /**
   * Create one of your identities with its first key card.
   * @throws {@link LintasError} `ERR_KEYRING_NAME_TAKEN`, `ERR_KEYRING_DUPLICATE_CARD`;
   *   `ERR_CRYPTO_INVALID_KEY` if a public key in `options.keys` is not the public key of its
   *   secret key.
   * @throws {TypeError | RangeError} for invalid options (text rules, country code, validity,
   *   a key of `options.keys` of the wrong length).
   */
  async createIdentity(options: CreateIdentityOptions): Promise<Identity> {
    return createIdentity(this.store, options);
  }

  /** Your identities, in creation order. */
  identities(): Identity[] {
    this.store.assertOpen();
    return this.store.state.identities.map((r) => this.store.index.identity(r));
  }

  /**
   * One of your identities by name.
   * @throws {@link LintasError} `ERR_KEYRING_UNKNOWN_IDENTITY`.
   */
  identity(name: string): Identity {
    return this.store.index.identity(this.store.identityRecord(name));
  }

  /**
   * A copy of the current secret keys of an identity, for code that signs on its own (transport
   * challenges, receipts). Keep it in memory only and `wipeIdentityKeys()` it after use.
   * @throws {@link LintasError} `ERR_KEYRING_UNKNOWN_IDENTITY`.
   */
  identityKeys(name: string): IdentityKeys {
    const r = this.store.identityRecord(name);
    return copyKeys(r.keys[r.keys.length - 1]!);
  }

  /**
   * The whole succession chain of an identity, oldest first: give it to partners who may have
   * missed a rotation, so their key rings can follow it.
   * @throws {@link LintasError} `ERR_KEYRING_UNKNOWN_IDENTITY`.
   */
  keyCardChain(name: string): KeyCard[] {
    return [...this.store.identityRecord(name).cards];
  }

  /**
   * Rotate an identity: new keys (by default) and a new card signed by the previous signing key.
   * Contacts who trusted the old card follow to the new one when they import it; the old private
   * keys stay in the key ring so envelopes sealed to them still open.
   * @throws {@link LintasError} `ERR_KEYRING_UNKNOWN_IDENTITY`, `ERR_KEYRING_CONFLICT` (rotated concurrently);
   *   `ERR_CRYPTO_INVALID_KEY` if a public key in `options.keys` is not the public key of its
   *   secret key.
   * @throws {TypeError | RangeError} for invalid options (validity, a key of `options.keys` of
   *   the wrong length).
   */
  async rotateIdentity(name: string, options: RotateIdentityOptions = {}): Promise<Identity> {
    return rotateIdentity(this.store, name, options);
  }

  /**
   * Sign a revocation statement for one of your cards without applying it: generate it in advance
   * and keep it offline, to revoke the card even after losing its keys. Import it with
   * {@link KeyRing.importRevocation} (here and at your partners) to take effect.
   * @param options.fingerprint which card of the identity (default: the current one).
   * @throws {@link LintasError} `ERR_KEYRING_UNKNOWN_IDENTITY`; RangeError if the fingerprint is not one of its cards.
   */
  async createRevocation(name: string, options: RevocationOptions & { fingerprint?: string | Uint8Array }): Promise<Revocation> {
    return createIdentityRevocation(this.store, name, options);
  }

  /**
   * Revoke the current card of one of your identities now: sealing from it is refused from then
   * on. Send `revocation.bytes` (or its armor) to your partners.
   * @throws {@link LintasError} `ERR_KEYRING_UNKNOWN_IDENTITY`.
   */
  async revokeIdentity(name: string, options: RevocationOptions): Promise<Revocation> {
    const revocation = await this.createRevocation(name, options);
    return this.importRevocation(revocation.bytes);
  }

  /**
   * Sign an introduction of a contact you verified, for a partner who trusts you to pass on.
   * @throws {@link LintasError} `ERR_KEYRING_UNKNOWN_IDENTITY`, `ERR_KEYRING_UNKNOWN_CONTACT`,
   *   `ERR_INTRODUCTION_INVALID` (the contact is not verified by you).
   */
  async createIntroduction(identityName: string, contactName: string): Promise<Introduction> {
    return introduceContact(this.store, identityName, contactName);
  }

  // ---------------------------------------------------------------- contacts

  /**
   * Import a key card (bytes, armor or KeyCard), or a succession chain of them oldest first.
   * - A card that succeeds a contact's current card, signed by that card's key, updates the
   *   contact ('rotated'); its verification carries over, unless the rotation changes the name,
   *   organization or country (then 'unverified', listed in `changedAttributes`) or one of the
   *   contact's cards is revoked as compromised. A successor signed with a compromised key after
   *   the compromise time is refused without `options.fingerprint`.
   * - With `options.fingerprint`, a card that succeeds an *older* card of the contact replaces
   *   the unconfirmed successors of that card (listed in `dropped`): the key signed twice.
   * - Any other card starts a new contact ('added'), named `options.name`: 'verified' if
   *   `options.fingerprint` matches, 'introduced' with a valid `options.introduction`, else
   *   'unverified'.
   *
   * The result does not depend on the order in which cards and revocations arrive
   * (docs/KEYRING.md, "Revocation").
   * @throws {@link LintasError} the decoding errors of `decodeKeyCard`; `ERR_KEYCARD_SUCCESSION_INVALID`
   *   (claims to succeed a known card whose key did not sign it, or one of your own cards, or
   *   signed with a compromised key and imported without its fingerprint),
   *   `ERR_KEYCARD_SUCCESSION_CONFLICT` (a second successor of a card already succeeded, without
   *   a compared fingerprint), `ERR_KEYRING_NAME_TAKEN`, `ERR_KEYRING_DUPLICATE_CARD`,
   *   `ERR_KEYRING_FINGERPRINT_MISMATCH`, `ERR_KEYRING_RECIPIENT_REVOKED` (a fingerprint given for
   *   a known card revoked as compromised), `ERR_INTRODUCTION_MALFORMED`, `ERR_INTRODUCTION_INVALID`.
   */
  async importKeyCard(input: KeyCard | Uint8Array | string | (KeyCard | Uint8Array | string)[], options: ImportKeyCardOptions = {}): Promise<ImportKeyCardResult> {
    return importKeyCard(this.store, input, options);
  }

  /** Your contacts, in the order they were added. */
  contacts(): Contact[] {
    this.store.assertOpen();
    return this.store.state.contacts.map((r) => this.store.index.contact(r));
  }

  /**
   * One contact by name.
   * @throws {@link LintasError} `ERR_KEYRING_UNKNOWN_CONTACT`.
   */
  contact(name: string): Contact {
    return this.store.index.contact(this.store.contactRecord(name));
  }

  /** Every group name used by a contact, sorted (groups of suspended contacts, see {@link Contact.suspendedGroups}, are not counted). */
  groups(): string[] {
    return groupNames(this.store);
  }

  /**
   * The contacts in a group (empty if none), without suspended contacts ({@link Contact.suspendedGroups}).
   * @throws {TypeError} if `group` is not a string.
   */
  groupMembers(group: string): Contact[] {
    return groupMembers(this.store, group);
  }

  /**
   * Mark a contact 'verified' after comparing its fingerprint out of band (phone, in person).
   * This also gives a suspended contact its groups back.
   * @throws {@link LintasError} `ERR_KEYRING_UNKNOWN_CONTACT`, `ERR_KEYRING_FINGERPRINT_MISMATCH` (the
   *   fingerprint you were given is not the card's: do not trust it), `ERR_KEYRING_RECIPIENT_REVOKED`
   *   (the current card was revoked as compromised: import the owner's new card instead).
   */
  async verifyContact(contactName: string, fingerprint: string | Uint8Array): Promise<Contact> {
    return verifyContact(this.store, contactName, fingerprint);
  }

  /**
   * Change a contact's name, labels, groups or attributes, or withdraw its verification.
   * @throws {@link LintasError} `ERR_KEYRING_UNKNOWN_CONTACT`, `ERR_KEYRING_NAME_TAKEN`.
   */
  async updateContact(contactName: string, options: UpdateContactOptions): Promise<Contact> {
    return updateContact(this.store, contactName, options);
  }

  /**
   * Remove a contact and its cards. Revocations you imported stay.
   * @throws {@link LintasError} `ERR_KEYRING_UNKNOWN_CONTACT`.
   */
  async removeContact(contactName: string): Promise<void> {
    return removeContact(this.store, contactName);
  }

  /**
   * Import a revocation statement (bytes or armor). It revokes the signing key that signed it:
   * every card carrying that key (the one it names, and validity extensions that kept the key),
   * and the cards of the same chain carrying an encryption key such a card certified; it takes
   * effect when such a card arrives if none is in the key ring yet. If the card it names is in
   * the key ring, it must carry that key.
   *
   * A key compromise also voids what the key signed from the compromise time on (see
   * {@link Revocation}; all of it when no time is stated): a contact that followed a successor it
   * signed drops back to the last card before it, contacts it introduced become 'unverified', and
   * a contact with a compromised card is 'unverified', its groups suspended, until its current
   * card is verified out of band (docs/KEYRING.md, "Revocation").
   * @throws {@link LintasError} `ERR_ARMOR_MALFORMED`, `ERR_REVOCATION_MALFORMED`,
   *   `ERR_REVOCATION_SIGNATURE_INVALID` (also when the card in the key ring has another key).
   */
  async importRevocation(input: Revocation | Uint8Array | string): Promise<Revocation> {
    return importRevocation(this.store, input);
  }

  /** The strictest revocation of `card` known to this key ring, or null. */
  revocationOf(card: KeyCard): Revocation | null {
    this.store.assertOpen();
    return this.store.index.revocationOf(decodeCardInput(card));
  }

  /**
   * Who owns a signing key: one of your identities or a contact, with the exact card. Null if unknown.
   */
  lookupSigningKey(signingPublicKey: Uint8Array): {
    /** The identity the card belongs to, if it is one of yours. */
    identity: Identity | null;
    /** The contact the card belongs to, if it is a partner's. */
    contact: Contact | null;
    /** The exact card (current or earlier). */
    card: KeyCard;
  } | null {
    return lookupSigningKey(this.store, signingPublicKey);
  }

  /**
   * Find a card by fingerprint (bytes, hex or formatted) among identities and contacts, including
   * rotated-out cards. Null if unknown.
   */
  findByFingerprint(fingerprint: string | Uint8Array): {
    /** The identity the card belongs to, if it is one of yours. */
    identity: Identity | null;
    /** The contact the card belongs to, if it is a partner's. */
    contact: Contact | null;
    /** The exact card (current or earlier). */
    card: KeyCard;
  } | null {
    return findByFingerprint(this.store, fingerprint);
  }

  // ---------------------------------------------------------------- envelopes

  /**
   * Turn recipient references into key cards, checking each is known, not revoked and valid.
   * A card reached both by name and through a group counts as explicit. References to a
   * rotated-out card resolve to the current card of its chain.
   * @throws {@link LintasError} `ERR_KEYRING_UNKNOWN_RECIPIENT`, `ERR_KEYRING_RECIPIENT_REVOKED`,
   *   `ERR_KEYRING_RECIPIENT_EXPIRED` (also for a card not valid yet); the error message names the recipient.
   * @throws {TypeError | RangeError} for a malformed list.
   */
  resolveRecipients(refs: RecipientRef[], options: ResolveOptions = {}): ResolvedRecipient[] {
    return resolveRecipients(this.store, refs, options);
  }

  /**
   * The keys {@link KeyRing.seal} would seal with, after the same checks (the sender's card
   * unrevoked and valid, every recipient known, unrevoked and valid, no silent classical
   * recipient: SPEC 10.9), for sealing elsewhere: `lintas/node`'s worker pool. The sender's key
   * pair is a copy: wipe it (`wipe` its `secretKey`) once the pool has it.
   * @throws {@link LintasError} the key codes of {@link KeyRing.seal}.
   * @throws {TypeError | RangeError} for a malformed `from`, `to` or `now`.
   * @example
   * ```ts
   * import { createWorkerPool, KeyRing, MemoryKeyRingStorage } from 'lintas/node';
   *
   * const ring = await KeyRing.create(new MemoryKeyRingStorage(), { passphrase: 'correct horse battery staple' });
   * await ring.createIdentity({ name: 'desk', organization: 'BIN', country: 'ID' });
   * const { sender, recipients } = ring.sealingKeys({ from: 'desk', to: ['desk'] });
   * const pool = await createWorkerPool({ sender });
   * sender.secretKey.fill(0); // the pool holds its own copy
   * const envelopes = await pool.seal([{ payload: new Uint8Array(1024), recipients }]);
   * const opened = await ring.open(envelopes[0]!);
   * console.assert(opened.senderIdentity?.name === 'desk');
   * await pool.close();
   * ring.close();
   * ```
   */
  sealingKeys(options: KeyRingSealingKeysOptions): KeyRingSealingKeys {
    this.store.assertOpen();
    const { sender, recipients } = sealingKeys(this.store, options);
    return { sender: { publicKey: sender.publicKey.slice(), secretKey: sender.secretKey.slice() }, recipients };
  }

  /**
   * The `keys` (every decryption key of your identities, current and rotated out) and, with
   * `requireKnownSender`, the `trustedSenders` (every signing key this key ring knows) that
   * {@link KeyRing.open} opens with, for opening elsewhere: `lintas/node`'s worker pool. The keys
   * are copies: wipe their `secretKey`s once the pool has them. Then pass each opened envelope to
   * {@link KeyRing.senderReport}, and its id to your replay guard (SPEC 10.7).
   * @throws {@link LintasError} `ERR_ENVELOPE_NOT_FOR_ME` if the key ring has no identity.
   */
  openingOptions(options: { requireKnownSender?: boolean } = {}): Pick<OpenOptions, 'keys' | 'trustedSenders'> {
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
    if (options.requireKnownSender !== undefined && typeof options.requireKnownSender !== 'boolean') throw new TypeError('options.requireKnownSender must be a boolean');
    const { keys, trustedSenders } = openingOptions(this.store, options.requireKnownSender === true);
    const copies = keys.map((k) => ({ ...k, publicKey: k.publicKey.slice(), secretKey: k.secretKey.slice() }));
    return trustedSenders ? { keys: copies, trustedSenders } : { keys: copies };
  }

  /**
   * What {@link KeyRing.open} reports about the sender of an envelope that was opened elsewhere
   * (with {@link KeyRing.openingOptions}, e.g. by `lintas/node`'s worker pool): the contact or
   * identity, how its card was verified, whether it is revoked, expired or superseded, and
   * whether the envelope was downgraded (SPEC 10.9). The trust decision is yours, as with `open`.
   * @param info - What `open` (or the pool) returned for the envelope.
   * @param options - `now`: the time to judge the card's validity at (default: now).
   * @throws {@link LintasError} `ERR_KEYRING_UNKNOWN_IDENTITY` if it was opened with a key that
   * is not one of this key ring's.
   * @throws {TypeError} if `info` is not what `open` returns.
   */
  senderReport(info: EnvelopeInfo, options: { now?: Date } = {}): SenderReport {
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
    return reportOnSender(this.store, info, options.now);
  }

  /**
   * Seal `payload` from one of your identities to recipients named by reference. Each recipient
   * card's X-Wing key is used when it has one, else its X25519 key; a card with only an X25519
   * key beside X-Wing cards is refused unless `allowClassicalRecipients` (SPEC 10.9).
   * @throws {TypeError | RangeError} for invalid options, as the envelope-level `seal` function.
   * @throws {@link LintasError} `ERR_KEYRING_UNKNOWN_IDENTITY`, `ERR_KEYRING_IDENTITY_REVOKED`,
   *   `ERR_KEYRING_IDENTITY_EXPIRED` (the sender); `ERR_KEYRING_UNKNOWN_RECIPIENT`,
   *   `ERR_KEYRING_RECIPIENT_REVOKED`, `ERR_KEYRING_RECIPIENT_EXPIRED` (a recipient, see
   *   {@link KeyRing.resolveRecipients}); `ERR_SEAL_CLASSICAL_RECIPIENT` (X25519-only and X-Wing
   *   cards mixed); `ERR_SEAL_INVALID_RECIPIENT`; `ERR_KEYRING_CLOSED`.
   */
  async seal(payload: Uint8Array, options: KeyRingSealOptions): Promise<Uint8Array> {
    if (!(payload instanceof Uint8Array)) throw new TypeError('payload must be a Uint8Array');
    return collectBytes(this.sealStream(payload, { ...options, size: payload.length }));
  }

  /**
   * Streaming {@link KeyRing.seal}: recipients and sender are checked before the first byte is produced.
   * @throws {TypeError | RangeError} for invalid options.
   * @throws {@link LintasError} the codes of {@link KeyRing.seal}, and `ERR_SEAL_SIZE_MISMATCH` if
   *   `size` was given and the payload differs (from the iteration).
   */
  sealStream(payload: ByteSource, options: KeyRingSealStreamOptions): AsyncIterable<Uint8Array> {
    return sealStream(this.store, payload, options);
  }

  /**
   * Open an envelope with any of your keys (current and rotated out) and report what the key ring
   * knows about its sender. Unknown senders are reported as 'unknown', not trusted.
   * @throws {TypeError | RangeError} for invalid options.
   * @throws {@link LintasError} the codes of the envelope-level `open` function;
   *   `ERR_UNKNOWN_SENDER` with `requireKnownSender`.
   * @example
   * ```ts
   * import { KeyRing, MemoryKeyRingStorage } from 'lintas';
   *
   * // Two agencies, each with its own key ring.
   * const police = await KeyRing.create(new MemoryKeyRingStorage(), { passphrase: 'police passphrase' });
   * const bin = await KeyRing.create(new MemoryKeyRingStorage(), { passphrase: 'bin passphrase' });
   * const desk = await police.createIdentity({ name: 'desk', organization: 'POLRI', country: 'ID' });
   * const analyst = await bin.createIdentity({ name: 'analyst', organization: 'BIN', country: 'ID' });
   *
   * // Exchange cards; each side compares the fingerprint out of band and marks it verified.
   * await police.importKeyCard(analyst.card.bytes, { name: 'bin', fingerprint: analyst.card.fingerprint });
   * await bin.importKeyCard(desk.card.bytes, { name: 'polri', fingerprint: desk.card.fingerprint });
   *
   * const envelope = await police.seal(new TextEncoder().encode('Suspect seen in Medan'), { from: 'desk', to: ['bin'] });
   * const opened = await bin.open(envelope, { requireKnownSender: true });
   * console.log(opened.senderContact?.name, opened.senderVerification); // "polri" "verified"
   * console.assert(!opened.senderRevoked && !opened.senderExpired);
   * police.close();
   * bin.close();
   * ```
   */
  async open(envelope: ByteSource | string, options: KeyRingOpenOptions = {}): Promise<KeyRingOpenedEnvelope> {
    const opened = await this.openStream(envelope, options);
    const payload = await collectBytes(opened.payload);
    return { ...opened.info, payload };
  }

  /**
   * Streaming {@link KeyRing.open}. As with `openStream`, each window of the payload is released
   * only once the sender's checkpoint over it verified; treat the payload as unfinished until
   * iteration completes without error.
   * @throws {TypeError | RangeError} for invalid options.
   * @throws {@link LintasError} the codes of {@link KeyRing.open}; from iterating `payload`:
   *   `ERR_ENVELOPE_TAMPERED`, `ERR_SIGNATURE_INVALID`, `ERR_ARMOR_MALFORMED`.
   */
  async openStream(envelope: ByteSource | string, options: KeyRingOpenOptions = {}): Promise<KeyRingOpenedEnvelopeStream> {
    return openStream(this.store, envelope, options);
  }
}
