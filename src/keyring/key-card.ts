/**
 * Key cards (docs/KEYRING.md, "Key card format"): the public, self-signed identity document of
 * one agency identity, which partners import into their key rings.
 *
 * Encoding (canonical CBOR, version 1):
 *
 *     card = { "v": 1, "body": bstr, "self": bstr(64), ? "succ": bstr(64) }
 *     body = { "name": tstr, "org": tstr, "country": tstr, "sign": bstr(32),
 *              "enc": [ ["X25519", bstr(32)], ? ["X-Wing", bstr(1216)] ],
 *              "from": uint, "until": uint, ? "prev": { "fp": bstr(32), "sign": bstr(32) } }
 *
 * `self` is the Ed25519 signature by `body.sign` over "lintas/v1 key card" || 0x00 || body.
 * `succ` (present exactly when `prev` is) is the signature by the predecessor's signing key
 * `prev.sign` over "lintas/v1 key card succession" || 0x00 || body: a rotation is authorised by
 * the key it replaces. The fingerprint is SHA-256("lintas/v1 key card fingerprint" || 0x00 ||
 * body): it names exactly the signed content, so no two different cards share one, and the
 * signatures (which cover the body) cannot change it.
 */
import { LintasError } from '../errors/index.js';
import { encodeCanonical, type CborMap, type CborValue } from '../cbor/index.js';
import { concatBytes, utf8 } from '../crypto/bytes.js';
import { sha256 } from '../crypto/hash.js';
import { ed25519Sign, ed25519Verify, ED25519_PUBLIC_KEY_BYTES, ED25519_SIGNATURE_BYTES } from '../crypto/ed25519.js';
import { cryptoReady } from '../crypto/sodium.js';
import { isValidX25519PublicKey, X25519_KEY_BYTES } from '../crypto/x25519.js';
import { isValidXWingPublicKey, XWING_PUBLIC_KEY_BYTES } from '../crypto/xwing.js';
import { checkEncryptionKeyPair, checkSigningKeyPair, type IdentityKeys } from '../keys/identity-keys.js';
import type { RecipientKeyPair, RecipientPublicKey, RecipientType, SigningKeyPair } from '../keys/recipient.js';
import { armorBlock, dearmorBlock } from '../armor/ascii-armor.js';
import {
  arrayField,
  bytesField,
  dateFromSeconds,
  decodeStrict,
  exactMap,
  secondsFromDate,
  textField,
  uintField,
  type Fail,
} from './cbor-fields.js';
import { isAssignedCountryCode, isCountryCodeShape } from './country-codes.js';
import { FINGERPRINT_BYTES } from './fingerprint.js';
import { checkDisplayText, displayTextProblem, MAX_CARD_TEXT_BYTES } from './text-rules.js';

/** The key card format version this library writes and reads. */
export const KEY_CARD_VERSION = 1;
/** Largest encoded key card accepted, in bytes (a card with both key types is about 1.5 KiB). */
export const MAX_KEY_CARD_BYTES = 8192;
/** Armor label: `-----BEGIN LINTAS KEY CARD-----`. */
const KEY_CARD_ARMOR_LABEL = 'KEY CARD';

const SELF_CONTEXT = utf8('lintas/v1 key card');
const SUCCESSION_CONTEXT = utf8('lintas/v1 key card succession');
const FINGERPRINT_CONTEXT = utf8('lintas/v1 key card fingerprint');
const ZERO = new Uint8Array([0]);

/** The card a key card succeeds (rotation), as named inside the successor. */
export interface KeyCardPredecessor {
  /** Fingerprint of the previous card. */
  fingerprint: Uint8Array;
  /** Signing key of the previous card; it signed this card's `succ` signature. */
  signingPublicKey: Uint8Array;
}

/**
 * A decoded key card whose self-signature (and succession signature, if any) verified.
 * Obtain one from {@link createKeyCard} or {@link decodeKeyCard}; never build one by hand (the
 * key ring re-verifies `bytes` of any card it is given).
 */
export interface KeyCard {
  /** Key card format version (1). */
  readonly version: 1;
  /** SHA-256 over a context string and the signed body: the card's stable identity. */
  readonly fingerprint: Uint8Array;
  /** The name of the person, desk or service the card is for. */
  readonly name: string;
  /** The agency or unit; handling policy matches it exactly. */
  readonly organization: string;
  /** ISO 3166-1 alpha-2, upper case. */
  readonly country: string;
  /** Ed25519 public key that signs envelopes and statements for this identity. */
  readonly signingPublicKey: Uint8Array;
  /** Encryption keys: always one X25519 key, then optionally one X-Wing key. */
  readonly encryptionKeys: readonly RecipientPublicKey[];
  /** Start of validity. */
  readonly validFrom: Date;
  /** End of validity: sealing to the card, and accepting its signatures as current, stop then. */
  readonly validUntil: Date;
  /** The card this one replaces (rotation), or null for the first card of an identity. */
  readonly previous: KeyCardPredecessor | null;
  /** The canonical encoding (what {@link encodeKeyCard} returns). */
  readonly bytes: Uint8Array;
}

/** Parameters of {@link createKeyCard}. */
export interface KeyCardParams {
  /** The identity's keys; the card is self-signed with `keys.signing`. */
  keys: IdentityKeys;
  /** Name on the card. */
  name: string;
  /** Organization on the card. */
  organization: string;
  /** ISO 3166-1 alpha-2 code (case-insensitive here; stored upper case). */
  country: string;
  /** Default: now. Stored in whole seconds. */
  validFrom?: Date;
  /** Must be after `validFrom`. */
  validUntil: Date;
  /** Publish the X-Wing (post-quantum hybrid) key. Default true. */
  includeXWing?: boolean;
  /** For a rotation: the card being replaced and its signing key pair, which signs the succession. */
  predecessor?: {
    /** The card being replaced. */
    card: KeyCard;
    /** Its signing key pair. */
    signing: SigningKeyPair;
  };
}

function malformed(message: string): LintasError {
  return new LintasError('ERR_KEYCARD_MALFORMED', `Key card is malformed: ${message}; ask its owner to export it again`);
}
const fail: Fail = malformed;

/**
 * Create and self-sign a key card.
 * @throws {TypeError | RangeError} for invalid parameters (text rules, unassigned country code,
 *   validity order, a predecessor signing key that does not belong to the predecessor card, a
 *   key of the wrong length).
 * @throws {@link LintasError} `ERR_CRYPTO_INVALID_KEY` if a public key in `params.keys` (or in
 *   `params.predecessor.signing`) is not the public key of its secret key;
 *   `ERR_KEYCARD_MALFORMED` if an encryption key is one a card must not publish (a low-order or
 *   non-canonical X25519 key, an X-Wing key that cannot be encapsulated to).
 */
export async function createKeyCard(params: KeyCardParams): Promise<KeyCard> {
  if (params === null || typeof params !== 'object') throw new TypeError('params must be an object');
  const { keys } = params;
  const isPair = (p: SigningKeyPair | undefined) => !!p && p.publicKey instanceof Uint8Array && p.secretKey instanceof Uint8Array;
  if (!keys || !isPair(keys.signing) || !isPair(keys.x25519)) {
    throw new TypeError('params.keys must be IdentityKeys');
  }
  const name = checkDisplayText(params.name, 'params.name', MAX_CARD_TEXT_BYTES);
  const organization = checkDisplayText(params.organization, 'params.organization', MAX_CARD_TEXT_BYTES);
  if (typeof params.country !== 'string') throw new TypeError('params.country must be a string');
  const country = params.country.toUpperCase();
  if (!isCountryCodeShape(country) || !isAssignedCountryCode(country)) {
    throw new RangeError(`params.country "${params.country}" is not an assigned ISO 3166-1 alpha-2 code (e.g. ID, MY, SG, GB)`);
  }
  const validFrom = params.validFrom ?? new Date();
  for (const [k, d] of [['validFrom', validFrom], ['validUntil', params.validUntil]] as const) {
    if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new TypeError(`params.${k} must be a valid Date`);
    if (d.getTime() < 0) throw new RangeError(`params.${k} must not be before 1970`);
  }
  const from = secondsFromDate(validFrom);
  const until = secondsFromDate(params.validUntil);
  if (until <= from) throw new RangeError('params.validUntil must be after params.validFrom');
  const includeXWing = params.includeXWing ?? true;
  if (typeof includeXWing !== 'boolean') throw new TypeError('params.includeXWing must be a boolean');
  if (includeXWing && !isPair(keys.xwing)) throw new TypeError('params.keys.xwing is missing');
  await cryptoReady();
  checkSigningKeyPair(keys.signing, 'params.keys.signing');
  const published: [RecipientType, RecipientKeyPair, string][] = [['X25519', keys.x25519, 'params.keys.x25519']];
  if (includeXWing) published.push(['X-Wing', keys.xwing, 'params.keys.xwing']);
  for (const [type, pair, what] of published) {
    // A key no card may publish is refused as decodeKeyCard would refuse it, whatever secret
    // comes with it; then the secret must be the published key's own, or partners would seal to
    // a key this identity cannot open with (THREAT-MODEL.md section 6).
    const problem = pair.publicKey.length === PUBLIC_KEY_BYTES[type] ? encryptionKeyProblem(type, pair.publicKey) : null;
    if (problem !== null) throw new LintasError('ERR_KEYCARD_MALFORMED', `${what}.publicKey ${problem}: a key card must not publish it`);
    checkEncryptionKeyPair(pair, type, what);
  }
  const enc: CborValue[] = published.map(([type, pair]) => [type, pair.publicKey]);
  const body: CborMap = { name, org: organization, country, sign: keys.signing.publicKey, enc, from, until };
  const pred = params.predecessor;
  if (pred !== undefined) {
    if (!pred || !pred.card || !pred.signing || !(pred.signing.secretKey instanceof Uint8Array)) {
      throw new TypeError('params.predecessor must be { card: KeyCard, signing: SigningKeyPair }');
    }
    if (!bytesEqual(pred.signing.publicKey, pred.card.signingPublicKey)) {
      throw new RangeError('params.predecessor.signing is not the signing key of params.predecessor.card');
    }
    checkSigningKeyPair(pred.signing, 'params.predecessor.signing');
    body.prev = { fp: pred.card.fingerprint, sign: pred.card.signingPublicKey };
  }
  const bodyBytes = encodeCanonical(body);
  const card: CborMap = { v: KEY_CARD_VERSION, body: bodyBytes, self: ed25519Sign(keys.signing.secretKey, concatBytes(SELF_CONTEXT, ZERO, bodyBytes)) };
  if (pred !== undefined) card.succ = ed25519Sign(pred.signing.secretKey, concatBytes(SUCCESSION_CONTEXT, ZERO, bodyBytes));
  return decodeKeyCardSync(encodeCanonical(card));
}

/**
 * The canonical bytes of a key card (a copy).
 * @throws {TypeError} if `card` is not a KeyCard.
 */
export function encodeKeyCard(card: KeyCard): Uint8Array {
  if (!card || !(card.bytes instanceof Uint8Array)) throw new TypeError('card must be a KeyCard');
  return card.bytes.slice();
}

/**
 * A key card as ASCII armor (`-----BEGIN LINTAS KEY CARD-----`), for email, chat and paper.
 * @throws {TypeError} if `card` is not a KeyCard.
 */
export function armorKeyCard(card: KeyCard): string {
  return armorBlock(KEY_CARD_ARMOR_LABEL, encodeKeyCard(card));
}

/**
 * Decode and verify a key card from its bytes or its armored text. Strict: canonical CBOR, exact
 * fields, valid self-signature, and a valid succession signature when it names a predecessor.
 * Verifying the succession here only proves the card is internally consistent; whether the
 * predecessor is one you trust is the key ring's decision.
 * @throws {@link LintasError} `ERR_ARMOR_MALFORMED`, `ERR_KEYCARD_MALFORMED`,
 *   `ERR_KEYCARD_UNSUPPORTED_VERSION`, `ERR_KEYCARD_SIGNATURE_INVALID`,
 *   `ERR_KEYCARD_SUCCESSION_INVALID`.
 */
export async function decodeKeyCard(input: Uint8Array | string): Promise<KeyCard> {
  await cryptoReady();
  return decodeKeyCardSync(input);
}

/** {@link decodeKeyCard} after `cryptoReady()` resolved (for code already inside the library). */
export function decodeKeyCardSync(input: Uint8Array | string): KeyCard {
  let bytes: Uint8Array;
  if (typeof input === 'string') bytes = dearmorBlock(KEY_CARD_ARMOR_LABEL, input);
  else if (input instanceof Uint8Array) bytes = input;
  else throw new TypeError('key card must be a Uint8Array or an armored string');
  if (bytes.length > MAX_KEY_CARD_BYTES) throw malformed(`it is larger than ${MAX_KEY_CARD_BYTES} bytes`);
  const outer = decodeStrict(bytes, fail, 2);
  const version = outer !== null && typeof outer === 'object' && !Array.isArray(outer) && !(outer instanceof Uint8Array) ? (outer as CborMap).v : undefined;
  if (typeof version !== 'number') throw malformed('it has no version');
  if (version !== KEY_CARD_VERSION) {
    throw new LintasError('ERR_KEYCARD_UNSUPPORTED_VERSION', `Key card version ${version} is not supported by this version of lintas (it reads version ${KEY_CARD_VERSION}); upgrade lintas`);
  }
  const card = exactMap(outer, 'card', ['v', 'body', 'self'], ['succ'], fail);
  const bodyBytes = bytesField(card, 'body', 'card', fail);
  const self = bytesField(card, 'self', 'card', fail, ED25519_SIGNATURE_BYTES);
  const succ = 'succ' in card ? bytesField(card, 'succ', 'card', fail, ED25519_SIGNATURE_BYTES) : null;
  const body = exactMap(decodeStrict(bodyBytes, fail, 3), 'body', ['name', 'org', 'country', 'sign', 'enc', 'from', 'until'], ['prev'], fail);

  const name = cardText(body, 'name');
  const organization = cardText(body, 'org');
  const country = textField(body, 'country', 'body', fail);
  if (!isCountryCodeShape(country)) throw malformed('body.country is not two upper-case letters');
  const signingPublicKey = bytesField(body, 'sign', 'body', fail, ED25519_PUBLIC_KEY_BYTES);
  const encryptionKeys = decodeEncryptionKeys(arrayField(body, 'enc', 'body', fail, 2));
  const from = uintField(body, 'from', 'body', fail);
  const until = uintField(body, 'until', 'body', fail);
  if (until <= from) throw malformed('body.until is not after body.from');
  let previous: KeyCardPredecessor | null = null;
  if ('prev' in body) {
    const prev = exactMap(body.prev!, 'body.prev', ['fp', 'sign'], [], fail);
    previous = {
      fingerprint: bytesField(prev, 'fp', 'body.prev', fail, FINGERPRINT_BYTES),
      signingPublicKey: bytesField(prev, 'sign', 'body.prev', fail, ED25519_PUBLIC_KEY_BYTES),
    };
  }
  if (succ !== null && previous === null) throw malformed('it has a succession signature but names no predecessor');

  if (!ed25519Verify(signingPublicKey, concatBytes(SELF_CONTEXT, ZERO, bodyBytes), self)) {
    throw new LintasError('ERR_KEYCARD_SIGNATURE_INVALID', 'Key card self-signature does not verify: the card was altered or forged; do not import it');
  }
  if (previous !== null) {
    if (succ === null) {
      throw new LintasError('ERR_KEYCARD_SUCCESSION_INVALID', 'Key card names a predecessor but carries no succession signature from it; do not import it');
    }
    if (!ed25519Verify(previous.signingPublicKey, concatBytes(SUCCESSION_CONTEXT, ZERO, bodyBytes), succ)) {
      throw new LintasError('ERR_KEYCARD_SUCCESSION_INVALID', 'Key card succession signature does not verify against the predecessor key it names; do not import it');
    }
  }
  return Object.freeze({
    version: KEY_CARD_VERSION,
    fingerprint: sha256(concatBytes(FINGERPRINT_CONTEXT, ZERO, bodyBytes)),
    name,
    organization,
    country,
    signingPublicKey,
    encryptionKeys: Object.freeze(encryptionKeys),
    validFrom: dateFromSeconds(from),
    validUntil: dateFromSeconds(until),
    previous: previous === null ? null : Object.freeze(previous),
    bytes: bytes.slice(),
  });
}

function cardText(body: CborMap, key: 'name' | 'org'): string {
  const text = textField(body, key, 'body', fail);
  const problem = displayTextProblem(text, MAX_CARD_TEXT_BYTES);
  if (problem) throw malformed(`body.${key} ${problem}`);
  return text;
}

/** Public key length per type (SPEC section 4). */
const PUBLIC_KEY_BYTES: Record<RecipientType, number> = { 'X25519': X25519_KEY_BYTES, 'X-Wing': XWING_PUBLIC_KEY_BYTES };

function decodeEncryptionKeys(entries: CborValue[]): RecipientPublicKey[] {
  const expected = [
    { type: 'X25519', length: X25519_KEY_BYTES },
    { type: 'X-Wing', length: XWING_PUBLIC_KEY_BYTES },
  ] as const;
  if (entries.length === 0) throw malformed('body.enc is empty');
  return entries.map((entry, i) => {
    const want = expected[i]!;
    if (!Array.isArray(entry) || entry.length !== 2) throw malformed(`body.enc[${i}] is not a [type, key] pair`);
    const [type, key] = entry;
    // Fixed order (X25519 first) keeps one encoding per key set and makes X25519 always present.
    if (type !== want.type) throw malformed(`body.enc[${i}] must be ${want.type}`);
    if (!(key instanceof Uint8Array) || key.length !== want.length) throw malformed(`body.enc[${i}] is not a ${want.length}-byte ${want.type} key`);
    const problem = encryptionKeyProblem(want.type, key);
    if (problem !== null) throw malformed(`body.enc[${i}] ${problem}`);
    return Object.freeze({ type: want.type, publicKey: key });
  });
}

/**
 * Why a card must not publish this encryption key, or null (docs/KEYRING.md, "Key cards"): only
 * keys that key generation can produce and that sealing accepts (SPEC 4.1 step 1, 4.2 step 1),
 * so a bad key is refused when the card is imported, not when someone first seals to it.
 */
function encryptionKeyProblem(type: RecipientType, key: Uint8Array): string | null {
  if (type === 'X25519') return isValidX25519PublicKey(key) ? null : 'is not a valid X25519 public key (a point of small order, or not canonically encoded)';
  return isValidXWingPublicKey(key) ? null : 'is not a valid X-Wing public key (its ML-KEM part is not reduced, or its X25519 part is of small order or not canonically encoded)';
}

/** Byte equality for public values (keys, fingerprints); not for secrets. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The X-Wing key of a card if it has one, else its X25519 key. */
export function preferredEncryptionKey(card: KeyCard): RecipientPublicKey {
  return card.encryptionKeys.find((k) => k.type === 'X-Wing') ?? card.encryptionKeys[0]!;
}
