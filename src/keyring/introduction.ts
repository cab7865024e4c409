/**
 * Introductions (docs/KEYRING.md, "Verification"): a statement signed by one identity that it
 * vouches for another key card. A key ring marks a card "introduced" when the introduction is
 * signed by the current card of a contact it has verified itself; introductions do not chain
 * (an introduced contact cannot introduce others), so trust never travels further than one hop.
 *
 *     body = { "card": bstr(32) introduced card's fingerprint,
 *              "by": bstr(32) introducer card's fingerprint, "sign": bstr(32) its signing key,
 *              "issued": uint }
 *     sig  = Ed25519(introducer signing key, "lintas/v1 key card introduction" || 0x00 || body)
 */
import { cryptoReady } from '../crypto/sodium.js';
import { ED25519_PUBLIC_KEY_BYTES } from '../crypto/ed25519.js';
import type { SigningKeyPair } from '../keys/recipient.js';
import { bytesField, dateFromSeconds, exactMap, secondsFromDate, uintField } from './cbor-fields.js';
import { FINGERPRINT_BYTES } from './fingerprint.js';
import { bytesEqual, type KeyCard } from './key-card.js';
import { armorStatement, parseStatement, signStatement, statementFail, verifyStatement, type StatementKind } from './signed-statement.js';

/** A decoded introduction whose signature verified against the key it names. */
export interface Introduction {
  /** Fingerprint of the card being introduced. */
  readonly fingerprint: Uint8Array;
  /** Fingerprint of the introducer's card. */
  readonly introducerFingerprint: Uint8Array;
  /** Signing key of the introducer's card (it signed this statement). */
  readonly introducerSigningKey: Uint8Array;
  /** When the introducer signed it. */
  readonly issuedAt: Date;
  /** The encoded statement, to pass on to the partner. */
  readonly bytes: Uint8Array;
}

const INTRODUCTION_ARMOR_LABEL = 'INTRODUCTION';

const KIND: StatementKind = {
  context: 'lintas/v1 key card introduction',
  armorLabel: INTRODUCTION_ARMOR_LABEL,
  noun: 'Introduction',
  malformedCode: 'ERR_INTRODUCTION_MALFORMED',
  signatureCode: 'ERR_INTRODUCTION_INVALID',
  maxBytes: 1024,
};
const fail = statementFail(KIND);

/**
 * Sign an introduction of `card` by the identity whose card is `introducer`.
 * @throws {TypeError | RangeError} if `signing` is not the introducer card's key.
 */
export async function createIntroduction(card: KeyCard, introducer: KeyCard, signing: SigningKeyPair, issuedAt: Date = new Date()): Promise<Introduction> {
  if (!card || !(card.fingerprint instanceof Uint8Array)) throw new TypeError('card must be a KeyCard');
  if (!introducer || !(introducer.fingerprint instanceof Uint8Array)) throw new TypeError('introducer must be a KeyCard');
  if (!signing || !(signing.secretKey instanceof Uint8Array)) throw new TypeError('signing must be a SigningKeyPair');
  if (!bytesEqual(signing.publicKey, introducer.signingPublicKey)) throw new RangeError('signing is not the signing key of the introducer card');
  if (!(issuedAt instanceof Date) || Number.isNaN(issuedAt.getTime())) throw new TypeError('issuedAt must be a valid Date');
  await cryptoReady();
  const bytes = signStatement(
    KIND,
    { card: card.fingerprint, by: introducer.fingerprint, sign: introducer.signingPublicKey, issued: secondsFromDate(issuedAt) },
    signing.secretKey,
  );
  return decodeIntroductionSync(bytes);
}

/**
 * Decode an introduction (bytes or armor) and verify its signature against the key it names.
 * @throws {@link LintasError} `ERR_ARMOR_MALFORMED`, `ERR_INTRODUCTION_MALFORMED`, `ERR_INTRODUCTION_INVALID`.
 */
export async function decodeIntroduction(input: Uint8Array | string): Promise<Introduction> {
  await cryptoReady();
  return decodeIntroductionSync(input);
}

/** {@link decodeIntroduction} after `cryptoReady()` resolved. */
export function decodeIntroductionSync(input: Uint8Array | string): Introduction {
  const parsed = parseStatement(KIND, input);
  const body = exactMap(parsed.body, 'body', ['card', 'by', 'sign', 'issued'], [], fail);
  const fingerprint = bytesField(body, 'card', 'body', fail, FINGERPRINT_BYTES);
  const introducerFingerprint = bytesField(body, 'by', 'body', fail, FINGERPRINT_BYTES);
  const introducerSigningKey = bytesField(body, 'sign', 'body', fail, ED25519_PUBLIC_KEY_BYTES);
  const issued = uintField(body, 'issued', 'body', fail);
  verifyStatement(KIND, parsed, introducerSigningKey);
  return Object.freeze({ fingerprint, introducerFingerprint, introducerSigningKey, issuedAt: dateFromSeconds(issued), bytes: parsed.bytes });
}

/**
 * An introduction as ASCII armor (`-----BEGIN LINTAS INTRODUCTION-----`).
 * @throws {TypeError} if `introduction` is not an Introduction.
 */
export function armorIntroduction(introduction: Introduction): string {
  if (!introduction || !(introduction.bytes instanceof Uint8Array)) throw new TypeError('introduction must be an Introduction');
  return armorStatement(KIND, introduction.bytes);
}
