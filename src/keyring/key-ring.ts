/**
 * The key ring (docs/KEYRING.md): your identities and their secret keys, your partners' key
 * cards with how you verified them, rotation and revocation, encrypted storage, and sealing and
 * opening through all of it, so an app never has to pick keys by hand.
 *
 * Every change is one transaction: it is applied to a copy of the contents, encrypted and saved
 * with compare-and-swap; if another process saved first, the latest contents are loaded and the
 * change is applied again. Two processes sharing one key ring therefore never lose each other's
 * changes, and the in-memory state only changes once the storage holds it.
 */
import { LintasError } from '../errors/index.js';
import { cryptoReady } from '../crypto/sodium.js';
import { wipe } from '../crypto/bytes.js';
import { checkIdentityKeyPairs, generateIdentityKeys, type IdentityKeys } from '../keys/identity-keys.js';
import { recipientId, type RecipientKeyPair } from '../keys/recipient.js';
import { sealStream as sealEnvelopeStream, type SealOptions, type SealStreamOptions } from '../envelope/seal.js';
import {
  openStream as openEnvelopeStream,
  type EnvelopeInfo,
  type OpenedEnvelope,
  type OpenOptions,
} from '../envelope/open.js';
import { collectBytes, type ByteSource } from '../envelope/byte-source.js';
import { createKeyCard, decodeKeyCardSync, preferredEncryptionKey, bytesEqual, type KeyCard } from './key-card.js';
import { fingerprintMatches, formatFingerprint, looksLikeFingerprint, parseFingerprint } from './fingerprint.js';
import { createRevocation, decodeRevocationSync, revocationApplies, revocationCovers, type Revocation, type RevocationOptions } from './revocation.js';
import { createIntroduction as signIntroduction, decodeIntroductionSync, type Introduction } from './introduction.js';
import {
  checkSecret,
  decryptKeyRingFile,
  deriveFileKey,
  encryptKeyRingFile,
  kdfBelowDefaults,
  newFileKey,
  parseKeyRingFile,
  sameKdf,
  wipeFileKey,
  type FileKey,
  type KeyRingSecret,
} from './encrypted-file.js';
import { cloneState, decodeState, emptyState, encodeState, type ContactRecord, type IdentityRecord, type RingState, type Verification } from './ring-state.js';
import { hex, RingIndex, type CardLocation, type Contact, type Identity } from './ring-index.js';
import type { KeyRingStorage } from './storage.js';
import { ATTRIBUTE_KEY, checkDisplayText, checkLocalName, MAX_ATTRIBUTE_VALUE_BYTES, MAX_LOCAL_NAME_BYTES } from './text-rules.js';

/** Node's `util.inspect` hook; a registered symbol, so this module still loads in browsers. */
const INSPECT: unique symbol = Symbol.for('nodejs.util.inspect.custom');

/** A recipient as an app names it: a contact or identity name, `group:NAME`, a fingerprint (hex or formatted), or a KeyCard. */
export type RecipientRef = string | KeyCard;

/** How the sender of an opened envelope is known to this key ring. */
export type SenderVerification = Verification | 'unknown' | 'anonymous';

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

/** Options of {@link KeyRing.importKeyCard}. */
export interface ImportKeyCardOptions {
  /** Local name; required when the card starts a new contact (it does not succeed a known card). */
  name?: string;
  /** The fingerprint you compared out of band (hex or formatted): the contact becomes 'verified'. */
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

/** Options of {@link KeyRing.resolveRecipients}. */
export interface ResolveOptions {
  /** The time to check validity and revocation at. Default: now. */
  now?: Date;
}

/** Options of {@link KeyRing.seal}. */
export interface KeyRingSealOptions extends Omit<SealOptions, 'recipients' | 'sender' | 'anonymous'> {
  /** The name of your identity that signs. */
  from: string;
  /** Recipients (see {@link RecipientRef}). */
  to: RecipientRef[];
  /** The time to check validity and revocation at. Default: now. */
  now?: Date;
}

/** Options of {@link KeyRing.sealStream}. */
export interface KeyRingSealStreamOptions extends Omit<SealStreamOptions, 'recipients' | 'sender' | 'anonymous'> {
  /** The name of your identity that signs. */
  from: string;
  /** Recipients (see {@link RecipientRef}). */
  to: RecipientRef[];
  /** The time to check validity and revocation at. Default: now. */
  now?: Date;
}

/** Options of {@link KeyRing.open} and {@link KeyRing.openStream}. */
export interface KeyRingOpenOptions extends Omit<OpenOptions, 'keys' | 'trustedSenders'> {
  /** Refuse envelopes whose (non-anonymous) sender is not in this key ring, with ERR_UNKNOWN_SENDER. Default false. */
  requireKnownSender?: boolean;
}

/** What the key ring knows about the sender of an opened envelope. */
export interface SenderReport {
  /** The contact whose card signed it, or null (anonymous, unknown, or one of your identities). */
  senderContact: Contact | null;
  /** Your own identity, if you sent it to yourself. */
  senderIdentity: Identity | null;
  /** The exact card whose signing key signed it. */
  senderCard: KeyCard | null;
  /** 'unknown': signed, but by a key not in this key ring; 'anonymous': no sender at all. */
  senderVerification: SenderVerification;
  /** The signing card is revoked for this envelope: a key compromise, or signed at or after the revocation time. */
  senderRevoked: boolean;
  /** The revocation that applies to the signing card, if `senderRevoked`. */
  senderRevocation: Revocation | null;
  /** The signing card's validity has ended (checked at the `now` of the open options). */
  senderExpired: boolean;
  /** The signing card has been replaced by a newer card of the same sender. */
  senderSuperseded: boolean;
  /** Which of your identities the envelope was opened for. */
  recipientIdentity: Identity;
  /**
   * The envelope was opened with the X25519 key of one of your identities whose card also
   * publishes an X-Wing key. The key ring never seals that way (SPEC 10.9): the sealer used the
   * classic key instead of the post-quantum one, so this envelope is only as strong as X25519
   * against someone who records it now and has a quantum computer later. Nobody but the sealer
   * can make such an envelope; ask the sender to seal to your card's X-Wing key.
   */
  downgraded: boolean;
}

/** An envelope opened through the key ring. */
export interface KeyRingOpenedEnvelope extends OpenedEnvelope, SenderReport {}

/** A streamed open through the key ring; see `openStream` for when the payload may be trusted. */
export interface KeyRingOpenedEnvelopeStream {
  /**
   * What the envelope says about itself, and what the key ring knows about its sender (claimed until
   * the payload has been read without error).
   */
  info: EnvelopeInfo & SenderReport;
  /**
   * The payload, decrypted as it is read; iteration throws `ERR_ENVELOPE_TAMPERED` or
   * `ERR_SIGNATURE_INVALID` at the end if it is not authentic. Can be iterated once.
   */
  payload: AsyncIterable<Uint8Array>;
}

/** How the stored key ring is protected. */
export type StorageProtection =
  | {
      /** Unlocked with a passphrase through Argon2id. */
      kind: 'passphrase';
      /** Argon2id passes. */
      opslimit: number;
      /** Argon2id memory in bytes. */
      memlimit: number;
      /** The cost is below {@link KEYRING_KDF_DEFAULTS}: call {@link KeyRing.rekey} to raise it. */
      belowDefaults: boolean;
    }
  | {
      /** Unlocked with a raw 32-byte key (OS keychain, HSM). */
      kind: 'raw-key';
    };

/** Default validity of a new card, in days. */
export const DEFAULT_VALIDITY_DAYS = 730;
/** Clock difference tolerated when a card's validity starts, in seconds. */
export const CARD_CLOCK_SKEW_SECONDS = 300;
const MAX_SAVE_ATTEMPTS = 20;
const MAX_LIST = 256;

function unknownIdentity(name: string): LintasError {
  return new LintasError('ERR_KEYRING_UNKNOWN_IDENTITY', `No identity named "${name}" in this key ring`);
}
function unknownContact(name: string): LintasError {
  return new LintasError('ERR_KEYRING_UNKNOWN_CONTACT', `No contact named "${name}" in this key ring`);
}
function conflict(message: string): LintasError {
  return new LintasError('ERR_KEYRING_CONFLICT', `${message}; open the key ring again and repeat the change`);
}

/** Dates in key ring options: valid Date or TypeError. */
function checkDate(d: unknown, what: string): Date {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new TypeError(`${what} must be a valid Date`);
  return d;
}

function nowSeconds(now?: Date): number {
  return Math.floor((now === undefined ? Date.now() : checkDate(now, 'options.now').getTime()) / 1000);
}

/** Why a card cannot be used at `now` (expired or not yet valid), or null. */
function validityProblem(card: KeyCard, now: number): string | null {
  if (now >= card.validUntil.getTime() / 1000) return `expired on ${card.validUntil.toISOString()}`;
  if (now + CARD_CLOCK_SKEW_SECONDS < card.validFrom.getTime() / 1000) return `not valid before ${card.validFrom.toISOString()}`;
  return null;
}

function textList(values: unknown, what: string): string[] {
  if (!Array.isArray(values)) throw new TypeError(`${what} must be an array of strings`);
  if (values.length > MAX_LIST) throw new RangeError(`${what} has more than ${MAX_LIST} entries`);
  const out: string[] = [];
  values.forEach((v, i) => {
    const t = checkDisplayText(v, `${what}[${i}]`, MAX_LOCAL_NAME_BYTES);
    if (!out.includes(t)) out.push(t);
  });
  return out;
}

function attributeMap(values: unknown, what: string): Record<string, string> {
  if (values === null || typeof values !== 'object' || Array.isArray(values)) throw new TypeError(`${what} must be an object of strings`);
  const entries = Object.entries(values as Record<string, unknown>);
  if (entries.length > MAX_LIST) throw new RangeError(`${what} has more than ${MAX_LIST} entries`);
  const out: Record<string, string> = {};
  for (const [k, v] of entries) {
    if (!ATTRIBUTE_KEY.test(k)) throw new RangeError(`${what} key "${k}" must match ${ATTRIBUTE_KEY}`);
    out[k] = checkDisplayText(v, `${what}.${k}`, MAX_ATTRIBUTE_VALUE_BYTES);
  }
  return out;
}

function copyKeys(k: IdentityKeys): IdentityKeys {
  return {
    signing: { publicKey: k.signing.publicKey.slice(), secretKey: k.signing.secretKey.slice() },
    x25519: { type: 'X25519', publicKey: k.x25519.publicKey.slice(), secretKey: k.x25519.secretKey.slice() },
    xwing: { type: 'X-Wing', publicKey: k.xwing.publicKey.slice(), secretKey: k.xwing.secretKey.slice() },
  };
}

function checkIdentityKeys(k: unknown, what: string): IdentityKeys {
  const keys = k as IdentityKeys;
  const ok =
    keys &&
    typeof keys === 'object' &&
    keys.signing?.secretKey instanceof Uint8Array &&
    keys.signing.publicKey instanceof Uint8Array &&
    keys.x25519?.secretKey instanceof Uint8Array &&
    keys.x25519.publicKey instanceof Uint8Array &&
    keys.xwing?.secretKey instanceof Uint8Array &&
    keys.xwing.publicKey instanceof Uint8Array;
  if (!ok) throw new TypeError(`${what} must be IdentityKeys`);
  // The card publishes these public keys and the ring keeps these secret keys: they must be
  // pairs, or partners seal to keys the ring cannot open with (THREAT-MODEL.md section 6).
  checkIdentityKeyPairs(keys, what);
  return keys;
}

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
  private state: RingState;
  private index: RingIndex;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

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

  private constructor(
    private readonly storage: KeyRingStorage,
    private fileKey: FileKey,
    private stored: Uint8Array,
    state: RingState,
  ) {
    this.state = state;
    this.index = new RingIndex(state);
  }

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
    checkStorage(storage);
    const s = checkSecret(secret);
    await cryptoReady();
    if ((await storage.load()) !== null || (await storage.loadBackup()) !== null) {
      throw new LintasError('ERR_KEYRING_EXISTS', 'This storage already holds a key ring; open it instead of creating a new one');
    }
    const fileKey = newFileKey(s);
    const state = emptyState();
    const bytes = encryptKeyRingFile(encodeState(state), fileKey);
    if (!(await storage.save(bytes, null))) {
      wipeFileKey(fileKey);
      throw new LintasError('ERR_KEYRING_EXISTS', 'Another process created a key ring in this storage at the same time; open it instead');
    }
    return new KeyRing(storage, fileKey, bytes, state);
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
   * @throws {@link LintasError} `ERR_KEYRING_NOT_FOUND`, `ERR_KEYRING_MALFORMED` (damaged or truncated:
   *   see {@link KeyRing.restoreFromBackup}), `ERR_KEYRING_UNSUPPORTED_VERSION`,
   *   `ERR_KEYRING_WRONG_PASSPHRASE`, `ERR_KEYRING_TAMPERED`.
   */
  static async open(storage: KeyRingStorage, secret: KeyRingSecret): Promise<KeyRing> {
    checkStorage(storage);
    const s = checkSecret(secret);
    await cryptoReady();
    const bytes = await storage.load();
    if (bytes === null) {
      if ((await storage.loadBackup()) !== null) {
        throw new LintasError(
          'ERR_KEYRING_MALFORMED',
          'The key ring is missing but its backup exists; restore it with KeyRing.restoreFromBackup()',
        );
      }
      throw new LintasError('ERR_KEYRING_NOT_FOUND', 'No key ring in this storage; create one with KeyRing.create()');
    }
    const { fileKey, state } = decryptWithSecret(bytes, s);
    return new KeyRing(storage, fileKey, bytes, state);
  }

  /**
   * Open the previous generation (the backup) and make it the current one again, after the
   * current one was reported damaged or tampered with. Changes made in the lost generation are
   * gone; the damaged generation becomes the backup until the next save.
   * @throws {@link LintasError} `ERR_KEYRING_NOT_FOUND` (no backup), and the errors of {@link KeyRing.open} for the backup.
   */
  static async restoreFromBackup(storage: KeyRingStorage, secret: KeyRingSecret): Promise<KeyRing> {
    checkStorage(storage);
    const s = checkSecret(secret);
    await cryptoReady();
    const backup = await storage.loadBackup();
    if (backup === null) throw new LintasError('ERR_KEYRING_NOT_FOUND', 'This storage holds no backup generation of the key ring');
    const { fileKey, state } = decryptWithSecret(backup, s);
    const current = await storage.load();
    if (!(await storage.save(backup, current))) {
      wipeFileKey(fileKey);
      throw conflict('Another process saved the key ring while it was being restored');
    }
    return new KeyRing(storage, fileKey, backup, state);
  }

  /** How the stored key ring is protected, and whether its Argon2id cost is below today's default (then call {@link KeyRing.rekey}). */
  get storageProtection(): StorageProtection {
    this.assertOpen();
    const kdf = this.fileKey.kdf;
    return kdf.alg === 'raw'
      ? { kind: 'raw-key' }
      : { kind: 'passphrase', opslimit: kdf.opslimit, memlimit: kdf.memlimit, belowDefaults: kdfBelowDefaults(kdf) };
  }

  /**
   * Protect the stored key ring with a new secret: change the passphrase, raise the Argon2id
   * cost, or switch to (or from) a raw key. Takes effect with this save.
   * @throws {@link LintasError} `ERR_KEYRING_CONFLICT` if another process changed the secret first.
   */
  async rekey(secret: KeyRingSecret): Promise<void> {
    const s = checkSecret(secret);
    await this.serial(async () => {
      const next = newFileKey(s);
      for (let attempt = 0; attempt < MAX_SAVE_ATTEMPTS; attempt++) {
        const bytes = encryptKeyRingFile(encodeState(this.state), next);
        if (await this.storage.save(bytes, this.stored)) {
          wipeFileKey(this.fileKey);
          this.fileKey = next;
          this.stored = bytes;
          return;
        }
        await this.reload();
      }
      wipeFileKey(next);
      throw conflict('The key ring kept changing while it was being re-keyed');
    });
  }

  /**
   * Load the latest saved contents (changes by other processes). Changes made through this
   * object are always saved already.
   * @throws {@link LintasError} `ERR_KEYRING_CONFLICT` (another process deleted the key ring or
   *   changed its secret), `ERR_KEYRING_MALFORMED`, `ERR_KEYRING_UNSUPPORTED_VERSION`,
   *   `ERR_KEYRING_TAMPERED`; `ERR_KEYRING_CLOSED`.
   */
  async refresh(): Promise<void> {
    await this.serial(() => this.reload());
  }

  /** Wipe secret keys and the storage key from memory. The object cannot be used afterwards. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const id of this.state.identities) for (const k of id.keys) wipe(k.signing.secretKey, k.x25519.secretKey, k.xwing.secretKey);
    wipeFileKey(this.fileKey);
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
    this.assertOpen();
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
    const name = checkLocalName(options.name, 'options.name', looksLikeFingerprint);
    const validFrom = options.validFrom === undefined ? new Date() : checkDate(options.validFrom, 'options.validFrom');
    const validUntil =
      options.validUntil === undefined ? new Date(validFrom.getTime() + DEFAULT_VALIDITY_DAYS * 86_400_000) : checkDate(options.validUntil, 'options.validUntil');
    if (validUntil.getTime() <= Date.now()) throw new RangeError('options.validUntil must be in the future');
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
    return this.commit((s, idx) => {
      this.assertNameFree(s, name);
      this.assertCardNew(idx, card);
      const record: IdentityRecord = { name, cards: [card], keys: [keys], createdAt: Math.floor(Date.now() / 1000) };
      s.identities.push(record);
      return (i) => i.identity(record);
    });
  }

  /** Your identities, in creation order. */
  identities(): Identity[] {
    this.assertOpen();
    return this.state.identities.map((r) => this.index.identity(r));
  }

  /**
   * One of your identities by name.
   * @throws {@link LintasError} `ERR_KEYRING_UNKNOWN_IDENTITY`.
   */
  identity(name: string): Identity {
    return this.index.identity(this.identityRecord(name));
  }

  /**
   * A copy of the current secret keys of an identity, for code that signs on its own (transport
   * challenges, receipts). Keep it in memory only and `wipeIdentityKeys()` it after use.
   * @throws {@link LintasError} `ERR_KEYRING_UNKNOWN_IDENTITY`.
   */
  identityKeys(name: string): IdentityKeys {
    const r = this.identityRecord(name);
    return copyKeys(r.keys[r.keys.length - 1]!);
  }

  /**
   * The whole succession chain of an identity, oldest first: give it to partners who may have
   * missed a rotation, so their key rings can follow it.
   * @throws {@link LintasError} `ERR_KEYRING_UNKNOWN_IDENTITY`.
   */
  keyCardChain(name: string): KeyCard[] {
    return [...this.identityRecord(name).cards];
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
    const record = this.identityRecord(name);
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
    const current = record.cards[record.cards.length - 1]!;
    const currentKeys = record.keys[record.keys.length - 1]!;
    const validFrom = options.validFrom === undefined ? new Date() : checkDate(options.validFrom, 'options.validFrom');
    const validUntil =
      options.validUntil === undefined ? new Date(validFrom.getTime() + DEFAULT_VALIDITY_DAYS * 86_400_000) : checkDate(options.validUntil, 'options.validUntil');
    if (validUntil.getTime() <= Date.now()) throw new RangeError('options.validUntil must be in the future');
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
    return this.commit((s, idx) => {
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

  /**
   * Sign a revocation statement for one of your cards without applying it: generate it in advance
   * and keep it offline, to revoke the card even after losing its keys. Import it with
   * {@link KeyRing.importRevocation} (here and at your partners) to take effect.
   * @param options.fingerprint which card of the identity (default: the current one).
   * @throws {@link LintasError} `ERR_KEYRING_UNKNOWN_IDENTITY`; RangeError if the fingerprint is not one of its cards.
   */
  async createRevocation(name: string, options: RevocationOptions & { fingerprint?: string | Uint8Array }): Promise<Revocation> {
    const record = this.identityRecord(name);
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
    let position = record.cards.length - 1;
    if (options.fingerprint !== undefined) {
      position = record.cards.findIndex((c) => fingerprintMatches(options.fingerprint!, c.fingerprint));
      if (position < 0) throw new RangeError('options.fingerprint is not a card of this identity');
    }
    const { fingerprint: _ignored, ...revocationOptions } = options;
    return createRevocation(record.cards[position]!, record.keys[position]!.signing, revocationOptions);
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
    const id = this.identityRecord(identityName);
    const contact = this.contactRecord(contactName);
    if (contact.verification !== 'verified') {
      throw new LintasError('ERR_INTRODUCTION_INVALID', `You can only introduce contacts you verified yourself; "${contactName}" is ${contact.verification}`);
    }
    return signIntroduction(contact.cards[contact.cards.length - 1]!, id.cards[id.cards.length - 1]!, id.keys[id.keys.length - 1]!.signing);
  }

  // ---------------------------------------------------------------- contacts

  /**
   * Import a key card (bytes, armor or KeyCard), or a succession chain of them oldest first.
   * - A card that succeeds a contact's current card, signed by that card's key, updates the
   *   contact ('rotated'); its verification carries over, unless the old card was revoked as
   *   compromised (then the contact becomes 'unverified').
   * - Any other card starts a new contact ('added'), named `options.name`: 'verified' if
   *   `options.fingerprint` matches, 'introduced' with a valid `options.introduction`, else
   *   'unverified'.
   * @throws {@link LintasError} the decoding errors of `decodeKeyCard`; `ERR_KEYCARD_SUCCESSION_INVALID`
   *   (claims to succeed a known card whose key did not sign it, or one of your own cards),
   *   `ERR_KEYCARD_SUCCESSION_CONFLICT` (a second successor of a card already succeeded),
   *   `ERR_KEYRING_NAME_TAKEN`, `ERR_KEYRING_DUPLICATE_CARD`, `ERR_KEYRING_FINGERPRINT_MISMATCH`,
   *   `ERR_INTRODUCTION_MALFORMED`, `ERR_INTRODUCTION_INVALID`.
   */
  async importKeyCard(input: KeyCard | Uint8Array | string | (KeyCard | Uint8Array | string)[], options: ImportKeyCardOptions = {}): Promise<ImportKeyCardResult> {
    this.assertOpen();
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
    return this.commit((s, idx0) => {
      let idx = idx0;
      let result: { record: ContactRecord; action: ImportKeyCardResult['action'] } | null = null;
      for (const card of cards) {
        const step = importOne(s, idx, card, { name, labels, groups, attributes, fingerprint, introduction }, (n) => this.assertNameFree(s, n));
        // Later cards of a chain must see the earlier ones.
        idx = new RingIndex(s);
        result = result === null || step.action !== 'unchanged' ? step : result;
      }
      const r = result!;
      return (i) => ({ contact: i.contact(r.record), action: r.action });
    });
  }

  /** Your contacts, in the order they were added. */
  contacts(): Contact[] {
    this.assertOpen();
    return this.state.contacts.map((r) => this.index.contact(r));
  }

  /**
   * One contact by name.
   * @throws {@link LintasError} `ERR_KEYRING_UNKNOWN_CONTACT`.
   */
  contact(name: string): Contact {
    return this.index.contact(this.contactRecord(name));
  }

  /** Every group name used by a contact, sorted. */
  groups(): string[] {
    this.assertOpen();
    const all = new Set<string>();
    for (const c of this.state.contacts) for (const g of c.groups) all.add(g);
    return [...all].sort();
  }

  /**
   * The contacts in a group (empty if none).
   * @throws {TypeError} if `group` is not a string.
   */
  groupMembers(group: string): Contact[] {
    this.assertOpen();
    if (typeof group !== 'string') throw new TypeError('group must be a string');
    const nfc = group.normalize('NFC');
    return this.state.contacts.filter((c) => c.groups.includes(nfc)).map((r) => this.index.contact(r));
  }

  /**
   * Mark a contact 'verified' after comparing its fingerprint out of band (phone, in person).
   * @throws {@link LintasError} `ERR_KEYRING_UNKNOWN_CONTACT`, `ERR_KEYRING_FINGERPRINT_MISMATCH` (the
   *   fingerprint you were given is not the card's: do not trust it).
   */
  async verifyContact(contactName: string, fingerprint: string | Uint8Array): Promise<Contact> {
    const { name } = this.contactRecord(contactName);
    if (typeof fingerprint !== 'string' && !(fingerprint instanceof Uint8Array)) throw new TypeError('fingerprint must be a string or Uint8Array');
    return this.commit((s) => {
      const r = s.contacts.find((c) => c.name === name);
      if (!r) throw unknownContact(name);
      const card = r.cards[r.cards.length - 1]!;
      if (!fingerprintMatches(fingerprint, card.fingerprint)) throw fingerprintMismatch(name);
      r.verification = 'verified';
      r.introduction = null;
      return (i) => i.contact(r);
    });
  }

  /**
   * Change a contact's name, labels, groups or attributes, or withdraw its verification.
   * @throws {@link LintasError} `ERR_KEYRING_UNKNOWN_CONTACT`, `ERR_KEYRING_NAME_TAKEN`.
   */
  async updateContact(contactName: string, options: UpdateContactOptions): Promise<Contact> {
    const { name } = this.contactRecord(contactName);
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
    const rename = options.name === undefined ? undefined : checkLocalName(options.name, 'options.name', looksLikeFingerprint);
    const labels = options.labels === undefined ? undefined : textList(options.labels, 'options.labels');
    const groups = options.groups === undefined ? undefined : textList(options.groups, 'options.groups');
    const attributes = options.attributes === undefined ? undefined : attributeMap(options.attributes, 'options.attributes');
    if (options.verification !== undefined && options.verification !== 'unverified') {
      throw new RangeError("options.verification can only be 'unverified'; use verifyContact() to verify");
    }
    return this.commit((s) => {
      const r = s.contacts.find((c) => c.name === name);
      if (!r) throw unknownContact(name);
      if (rename !== undefined && rename !== r.name) {
        this.assertNameFree(s, rename, r);
        r.name = rename;
      }
      if (labels) r.labels = labels;
      if (groups) r.groups = groups;
      if (attributes) r.attributes = attributes;
      if (options.verification === 'unverified') {
        r.verification = 'unverified';
        r.introduction = null;
      }
      return (i) => i.contact(r);
    });
  }

  /**
   * Remove a contact and its cards. Revocations you imported stay.
   * @throws {@link LintasError} `ERR_KEYRING_UNKNOWN_CONTACT`.
   */
  async removeContact(contactName: string): Promise<void> {
    const { name } = this.contactRecord(contactName);
    await this.commit((s) => {
      const i = s.contacts.findIndex((c) => c.name === name);
      if (i < 0) throw unknownContact(name);
      s.contacts.splice(i, 1);
      return () => undefined;
    });
  }

  /**
   * Import a revocation statement (bytes or armor). It takes effect for the card it names once
   * that card is in the key ring, and only if it is signed by that card's own key. A key
   * compromise also withdraws trust that came through the compromised card: contacts that
   * rotated away from it, and contacts it introduced, become 'unverified'.
   * @throws {@link LintasError} `ERR_ARMOR_MALFORMED`, `ERR_REVOCATION_MALFORMED`,
   *   `ERR_REVOCATION_SIGNATURE_INVALID` (also when the card in the key ring has another key).
   */
  async importRevocation(input: Revocation | Uint8Array | string): Promise<Revocation> {
    this.assertOpen();
    await cryptoReady();
    const revocation =
      typeof input === 'string' || input instanceof Uint8Array
        ? decodeRevocationSync(input)
        : input && input.bytes instanceof Uint8Array
          ? decodeRevocationSync(input.bytes)
          : (() => {
              throw new TypeError('input must be a Revocation, its bytes or its armor');
            })();
    return this.commit((s, idx) => {
      const loc = idx.byFingerprint.get(hex(revocation.fingerprint));
      if (loc) {
        const card = loc.record.cards[loc.position]!;
        if (!revocationApplies(revocation, card)) {
          throw new LintasError('ERR_REVOCATION_SIGNATURE_INVALID', 'Revocation statement is not signed by the key of the card it names; ignore it');
        }
      }
      if (!s.revocations.some((r) => bytesEqual(r.bytes, revocation.bytes))) s.revocations.push(revocation);
      if (revocation.reason === 'key-compromise') {
        for (const c of s.contacts) {
          const pos = c.cards.findIndex((k) => bytesEqual(k.fingerprint, revocation.fingerprint));
          const rotatedAway = pos >= 0 && pos < c.cards.length - 1;
          const introducedByIt = c.introduction !== null && bytesEqual(c.introduction.introducerFingerprint, revocation.fingerprint);
          if (rotatedAway || introducedByIt) {
            c.verification = 'unverified';
            c.introduction = null;
          }
        }
      }
      return () => revocation;
    });
  }

  /** The strictest revocation of `card` known to this key ring, or null. */
  revocationOf(card: KeyCard): Revocation | null {
    this.assertOpen();
    return this.index.revocationOf(decodeCardInput(card));
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
    this.assertOpen();
    if (!(signingPublicKey instanceof Uint8Array)) throw new TypeError('signingPublicKey must be a Uint8Array');
    const loc = this.index.bySigningKey.get(hex(signingPublicKey));
    if (!loc) return null;
    return this.describe(loc);
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
    this.assertOpen();
    const locs = this.locate(fingerprint);
    return locs.length === 1 ? this.describe(locs[0]!) : null;
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
    this.assertOpen();
    if (!Array.isArray(refs)) throw new TypeError('recipients must be an array');
    if (refs.length === 0) throw new RangeError('recipients must name at least one recipient');
    const now = nowSeconds(options?.now);
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
      const contact = loc?.kind === 'contact' ? this.index.contact(loc.record) : null;
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
          const members = this.state.contacts.filter((c) => c.groups.includes(group));
          if (members.length === 0) throw unknownRecipient(`group "${group}" has no members`);
          for (const m of members) add({ kind: 'contact', record: m, position: m.cards.length - 1 }, m.cards[m.cards.length - 1]!, false, ref);
          return;
        }
        const nfc = ref.normalize('NFC');
        const contact = this.state.contacts.find((c) => c.name === nfc);
        if (contact) return add({ kind: 'contact', record: contact, position: contact.cards.length - 1 }, contact.cards[contact.cards.length - 1]!, true, ref);
        const identity = this.state.identities.find((c) => c.name === nfc);
        if (identity) return add({ kind: 'identity', record: identity, position: identity.cards.length - 1 }, identity.cards[identity.cards.length - 1]!, true, ref);
        if (looksLikeFingerprint(ref)) {
          const locs = this.locate(ref);
          if (locs.length > 1) throw unknownRecipient(`fingerprint "${ref}" matches more than one card; use the hex fingerprint`);
          if (locs.length === 1) return add(locs[0]!, locs[0]!.record.cards[locs[0]!.position]!, true, ref);
          throw unknownRecipient(`no card with fingerprint "${ref}"`);
        }
        throw unknownRecipient(`no contact, identity or group named "${ref}"`);
      }
      if (ref && typeof ref === 'object' && ref.bytes instanceof Uint8Array) {
        const card = decodeKeyCardSync(ref.bytes);
        const loc = this.index.byFingerprint.get(hex(card.fingerprint)) ?? null;
        return add(loc, card, true, formatFingerprint(card));
      }
      throw new TypeError(`recipients[${i}] must be a string or a KeyCard`);
    });
    const resolved = [...out.values()];
    for (const r of resolved) {
      const revocation = this.index.revocationOf(r.card);
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

  /**
   * Seal `payload` from one of your identities to recipients named by reference. Each recipient
   * card's X-Wing key is used when it has one, else its X25519 key.
   * @throws {TypeError | RangeError} for invalid options, as the envelope-level `seal` function.
   * @throws {@link LintasError} `ERR_KEYRING_UNKNOWN_IDENTITY`, `ERR_KEYRING_IDENTITY_REVOKED`,
   *   `ERR_KEYRING_IDENTITY_EXPIRED` (the sender); `ERR_KEYRING_UNKNOWN_RECIPIENT`,
   *   `ERR_KEYRING_RECIPIENT_REVOKED`, `ERR_KEYRING_RECIPIENT_EXPIRED` (a recipient, see
   *   {@link KeyRing.resolveRecipients}); `ERR_SEAL_INVALID_RECIPIENT`; `ERR_KEYRING_CLOSED`.
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
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
    const { from, to, now, ...rest } = options;
    if (typeof from !== 'string') throw new TypeError('options.from must be the name of one of your identities');
    for (const k of ['recipients', 'sender', 'anonymous'] as const) {
      if (k in options) throw new TypeError(`options.${k} is not accepted here: the key ring chooses keys from options.from and options.to`);
    }
    const sender = this.senderKeys(from, nowSeconds(now));
    // A hybrid (X-Wing) card gets only an X-Wing stanza: adding an X25519 stanza for the same
    // recipient would let whoever breaks X25519 (a future quantum computer) unwrap the file key
    // through it, which would throw away the post-quantum protection the card asked for.
    const recipients = this.resolveRecipients(to, now === undefined ? {} : { now }).map((r) => preferredEncryptionKey(r.card));
    return sealEnvelopeStream(payload, { ...rest, recipients, sender });
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
   * Streaming {@link KeyRing.open}. As with `openStream`, the signature is checked after the last
   * chunk: do not act on the payload before iteration completes without error.
   * @throws {TypeError | RangeError} for invalid options.
   * @throws {@link LintasError} the codes of {@link KeyRing.open}; from iterating `payload`:
   *   `ERR_ENVELOPE_TAMPERED`, `ERR_SIGNATURE_INVALID`, `ERR_ARMOR_MALFORMED`.
   */
  async openStream(envelope: ByteSource | string, options: KeyRingOpenOptions = {}): Promise<KeyRingOpenedEnvelopeStream> {
    this.assertOpen();
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
    const { requireKnownSender, ...rest } = options;
    if (requireKnownSender !== undefined && typeof requireKnownSender !== 'boolean') throw new TypeError('options.requireKnownSender must be a boolean');
    for (const k of ['keys', 'trustedSenders'] as const) {
      if (k in options) throw new TypeError(`options.${k} is not accepted here: the key ring supplies keys and senders`);
    }
    const index = this.index;
    const keys: RecipientKeyPair[] = index.ownKeys.map((k) => k.key);
    if (keys.length === 0) throw new LintasError('ERR_ENVELOPE_NOT_FOR_ME', 'This key ring has no identity, so no envelope can be for it; create an identity first');
    const openOptions: OpenOptions = { ...rest, keys };
    if (requireKnownSender) openOptions.trustedSenders = [...index.bySigningKey.values()].map((loc) => loc.record.cards[loc.position]!.signingPublicKey);
    const opened = await openEnvelopeStream(envelope, openOptions);
    const report = this.senderReport(index, opened.info, nowSeconds(options.now));
    return { info: { ...opened.info, ...report }, payload: opened.payload };
  }

  // ---------------------------------------------------------------- internals

  private senderReport(index: RingIndex, info: EnvelopeInfo, now: number): SenderReport {
    const opener = hex(info.openedWith.recipientId);
    const recipient = index.byRecipientId.get(opener)!;
    // A hybrid card asks senders for its X-Wing key only (SPEC 10.9); its X25519 key opening the
    // envelope means the sealer bypassed that, which must not go unnoticed.
    const downgraded =
      info.openedWith.type === 'X25519' &&
      recipient.cards.some((card) => card.encryptionKeys.some((k) => k.type === 'X-Wing') && card.encryptionKeys.some((k) => k.type === 'X25519' && hex(recipientId(k)) === opener));
    const base: SenderReport = {
      senderContact: null,
      senderIdentity: null,
      senderCard: null,
      senderVerification: info.sender === null ? 'anonymous' : 'unknown',
      senderRevoked: false,
      senderRevocation: null,
      senderExpired: false,
      senderSuperseded: false,
      recipientIdentity: index.identity(recipient),
      downgraded,
    };
    if (info.sender === null) return base;
    const loc = index.bySigningKey.get(hex(info.sender));
    if (!loc) return base;
    const card = loc.record.cards[loc.position]!;
    const revocation = index.revocationOf(card);
    return {
      ...base,
      senderContact: loc.kind === 'contact' ? index.contact(loc.record) : null,
      senderIdentity: loc.kind === 'identity' ? index.identity(loc.record) : null,
      senderCard: card,
      senderVerification: loc.kind === 'contact' ? loc.record.verification : 'verified',
      senderRevoked: revocation !== null && revocationCovers(revocation, info.createdAt),
      senderRevocation: revocation,
      senderExpired: now >= card.validUntil.getTime() / 1000,
      senderSuperseded: loc.position < loc.record.cards.length - 1,
    };
  }

  private senderKeys(from: string, now: number) {
    const record = this.identityRecord(from);
    const card = record.cards[record.cards.length - 1]!;
    const revocation = this.index.revocationOf(card);
    if (revocation && revocationCovers(revocation, new Date(now * 1000))) {
      throw new LintasError('ERR_KEYRING_IDENTITY_REVOKED', `Your identity "${from}" has revoked its current card (${revocation.reason}); rotate to a new card or create a new identity`);
    }
    const problem = validityProblem(card, now);
    if (problem) throw new LintasError('ERR_KEYRING_IDENTITY_EXPIRED', `Your identity "${from}" has a card that is ${problem}; rotate it to issue a new card`);
    return record.keys[record.keys.length - 1]!.signing;
  }

  private describe(loc: CardLocation): { identity: Identity | null; contact: Contact | null; card: KeyCard } {
    return {
      identity: loc.kind === 'identity' ? this.index.identity(loc.record) : null,
      contact: loc.kind === 'contact' ? this.index.contact(loc.record) : null,
      card: loc.record.cards[loc.position]!,
    };
  }

  /** Every card location matching a fingerprint reference. */
  private locate(fingerprint: string | Uint8Array): CardLocation[] {
    if (fingerprint instanceof Uint8Array) {
      const loc = this.index.byFingerprint.get(hex(fingerprint));
      return loc ? [loc] : [];
    }
    if (typeof fingerprint !== 'string') throw new TypeError('fingerprint must be a string or Uint8Array');
    const ref = parseFingerprint(fingerprint);
    if (ref === null) return [];
    if (ref.kind === 'hex') {
      const loc = this.index.byFingerprint.get(hex(ref.fingerprint));
      return loc ? [loc] : [];
    }
    return [...this.index.byFingerprint.values()].filter((loc) => formatFingerprint(loc.record.cards[loc.position]!) === ref.formatted);
  }

  private identityRecord(name: string): IdentityRecord {
    this.assertOpen();
    if (typeof name !== 'string') throw new TypeError('identity name must be a string');
    const nfc = name.normalize('NFC');
    const r = this.state.identities.find((i) => i.name === nfc);
    if (!r) throw unknownIdentity(name);
    return r;
  }

  private contactRecord(name: string): ContactRecord {
    this.assertOpen();
    if (typeof name !== 'string') throw new TypeError('contact name must be a string');
    const nfc = name.normalize('NFC');
    const r = this.state.contacts.find((c) => c.name === nfc);
    if (!r) throw unknownContact(name);
    return r;
  }

  private assertNameFree(s: RingState, name: string, except?: ContactRecord): void {
    const lower = name.toLowerCase();
    const taken =
      s.identities.some((i) => i.name.toLowerCase() === lower) || s.contacts.some((c) => c !== except && c.name.toLowerCase() === lower);
    if (taken) throw new LintasError('ERR_KEYRING_NAME_TAKEN', `The name "${name}" is already used in this key ring (names are compared ignoring case); choose another`);
  }

  private assertCardNew(idx: RingIndex, card: KeyCard): void {
    const loc = idx.byFingerprint.get(hex(card.fingerprint)) ?? idx.bySigningKey.get(hex(card.signingPublicKey));
    if (loc) throw new LintasError('ERR_KEYRING_DUPLICATE_CARD', `This key card (or its signing key) is already in the key ring as "${loc.record.name}"`);
  }

  private assertOpen(): void {
    if (this.closed) throw new LintasError('ERR_KEYRING_CLOSED', 'This key ring was closed; open it again');
  }

  /** Run `task` after every earlier task of this object, so changes apply one at a time. */
  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(() => {
      this.assertOpen();
      return task();
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Apply `mutate` to a copy of the contents and save it with compare-and-swap; on a lost race,
   * reload and apply it again. `mutate` returns a function that builds the result from the new
   * index, so snapshots always describe the saved state.
   */
  private commit<T>(mutate: (draft: RingState, index: RingIndex) => (index: RingIndex) => T): Promise<T> {
    return this.serial(async () => {
      for (let attempt = 0; attempt < MAX_SAVE_ATTEMPTS; attempt++) {
        const draft = cloneState(this.state);
        const result = mutate(draft, new RingIndex(draft));
        const bytes = encryptKeyRingFile(encodeState(draft), this.fileKey);
        if (await this.storage.save(bytes, this.stored)) {
          this.state = draft;
          this.index = new RingIndex(draft);
          this.stored = bytes;
          return result(this.index);
        }
        await this.reload();
      }
      throw conflict('The key ring kept changing under this change');
    });
  }

  /** Load the latest generation with the key already derived (no passphrase needed). */
  private async reload(): Promise<void> {
    const bytes = await this.storage.load();
    if (bytes === null) throw conflict('The key ring was deleted by another process');
    const parsed = parseKeyRingFile(bytes);
    if (!sameKdf(parsed.kdf, this.fileKey.kdf)) throw conflict('Another process changed the key ring passphrase or key');
    const plaintext = decryptKeyRingFile(parsed, this.fileKey);
    try {
      this.state = decodeState(plaintext);
    } finally {
      wipe(plaintext);
    }
    this.index = new RingIndex(this.state);
    this.stored = bytes;
  }
}

function checkStorage(storage: unknown): asserts storage is KeyRingStorage {
  const s = storage as KeyRingStorage;
  if (!s || typeof s.load !== 'function' || typeof s.save !== 'function' || typeof s.loadBackup !== 'function') {
    throw new TypeError('storage must implement KeyRingStorage (load, loadBackup, save)');
  }
}

function decryptWithSecret(bytes: Uint8Array, secret: KeyRingSecret): { fileKey: FileKey; state: RingState } {
  const parsed = parseKeyRingFile(bytes);
  const fileKey = deriveFileKey(secret, parsed.kdf);
  try {
    const plaintext = decryptKeyRingFile(parsed, fileKey);
    try {
      return { fileKey, state: decodeState(plaintext) };
    } finally {
      wipe(plaintext);
    }
  } catch (e) {
    wipeFileKey(fileKey);
    throw e;
  }
}

function unknownRecipient(message: string): LintasError {
  return new LintasError('ERR_KEYRING_UNKNOWN_RECIPIENT', `Unknown recipient: ${message}; import their key card or check the name`);
}

function fingerprintMismatch(name: string): LintasError {
  return new LintasError(
    'ERR_KEYRING_FINGERPRINT_MISMATCH',
    `The fingerprint you compared is not the fingerprint of the card of "${name}": someone may be impersonating them; do not trust this card`,
  );
}

function decodeCardInput(input: unknown): KeyCard {
  if (typeof input === 'string' || input instanceof Uint8Array) return decodeKeyCardSync(input);
  if (input && typeof input === 'object' && (input as KeyCard).bytes instanceof Uint8Array) return decodeKeyCardSync((input as KeyCard).bytes);
  throw new TypeError('key card must be a KeyCard, its bytes or its armor');
}

function decodeIntroductionInput(input: unknown): Introduction {
  if (typeof input === 'string' || input instanceof Uint8Array) return decodeIntroductionSync(input);
  if (input && typeof input === 'object' && (input as Introduction).bytes instanceof Uint8Array) return decodeIntroductionSync((input as Introduction).bytes);
  throw new TypeError('options.introduction must be an Introduction, its bytes or its armor');
}

interface ImportParams {
  name: string | undefined;
  labels: string[];
  groups: string[];
  attributes: Record<string, string>;
  fingerprint: string | Uint8Array | undefined;
  introduction: Introduction | null;
}

/** One card of {@link KeyRing.importKeyCard}, applied to the draft state `s`. */
function importOne(
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
