/**
 * Revocation statements (docs/KEYRING.md, "Revocation"): a signed declaration by a card's own
 * signing key that the card must no longer be used, from a given time, for a given reason.
 * It can be generated in advance and kept offline, so an agency that loses its keys can still
 * revoke them.
 *
 *     body = { "card": bstr(32) fingerprint, "sign": bstr(32) the card's signing key,
 *              "reason": tstr, "issued": uint, "effective": uint, ? "comment": tstr }
 *     sig  = Ed25519(card signing key, "lintas/v1 key card revocation" || 0x00 || body)
 */
import type { CborMap } from '../cbor/index.js';
import { cryptoReady } from '../crypto/sodium.js';
import { ED25519_PUBLIC_KEY_BYTES } from '../crypto/ed25519.js';
import type { SigningKeyPair } from '../keys/recipient.js';
import { bytesField, dateFromSeconds, exactMap, secondsFromDate, textField, uintField } from './cbor-fields.js';
import { FINGERPRINT_BYTES } from './fingerprint.js';
import { bytesEqual, type KeyCard } from './key-card.js';
import { armorStatement, parseStatement, signStatement, statementFail, verifyStatement, type StatementKind } from './signed-statement.js';
import { checkDisplayText, displayTextProblem } from './text-rules.js';

/**
 * Why a card was revoked. `key-compromise` means the private key may be in someone else's hands:
 * the key ring then distrusts everything signed with it, whatever time it claims, because a
 * thief can backdate an envelope.
 */
export type RevocationReason = 'key-compromise' | 'superseded' | 'retired' | 'unspecified';

/** Every revocation reason. */
export const REVOCATION_REASONS: readonly RevocationReason[] = ['key-compromise', 'superseded', 'retired', 'unspecified'];

/** A decoded revocation statement whose signature verified against the key it names. */
export interface Revocation {
  /** Fingerprint of the revoked card. */
  readonly fingerprint: Uint8Array;
  /** Signing key of the revoked card (it signed this statement). */
  readonly signingPublicKey: Uint8Array;
  /**
   * Why: 'key-compromise' flags every envelope signed with the key, voids the successor cards and
   * introductions it signed from the compromise time on (`effectiveAt` if it lies before
   * `issuedAt`, else from the start), and makes contacts re-verify out of band; the others only
   * retire the key.
   */
  readonly reason: RevocationReason;
  /** When the statement was made. */
  readonly issuedAt: Date;
  /**
   * From when the key counts as revoked (may be before `issuedAt`, e.g. the suspected time of a
   * compromise: only a time before `issuedAt` states one).
   */
  readonly effectiveAt: Date;
  /** A short explanation for partners (may be empty). */
  readonly comment: string;
  /** The encoded statement, to pass on to partners. */
  readonly bytes: Uint8Array;
}

/** Options of {@link createRevocation}. */
export interface RevocationOptions {
  /** Why the card is revoked (see {@link RevocationReason}). */
  reason: RevocationReason;
  /**
   * Default: `issuedAt`. For a statement generated in advance, choose the start of the card's
   * validity. For a key compromise, a time before `issuedAt` states when the key may have been
   * taken (what the key signed before then still counts); the default states no time, so
   * everything the key signed is void.
   */
  effectiveAt?: Date;
  /** Default: now. */
  issuedAt?: Date;
  /** A short explanation for partners (no secrets: the statement is public). */
  comment?: string;
}

const REVOCATION_ARMOR_LABEL = 'REVOCATION';
const MAX_COMMENT_BYTES = 1024;

const KIND: StatementKind = {
  context: 'lintas/v1 key card revocation',
  armorLabel: REVOCATION_ARMOR_LABEL,
  noun: 'Revocation statement',
  malformedCode: 'ERR_REVOCATION_MALFORMED',
  signatureCode: 'ERR_REVOCATION_SIGNATURE_INVALID',
  maxBytes: 2048,
};
const fail = statementFail(KIND);

/**
 * Sign a revocation statement for `card` with its signing key. Creating a statement does not
 * revoke anything by itself: import it into a key ring (yours and your partners') to take effect.
 * @throws {TypeError | RangeError} for invalid options or a key that is not the card's.
 */
export async function createRevocation(card: KeyCard, signing: SigningKeyPair, options: RevocationOptions): Promise<Revocation> {
  if (!card || !(card.fingerprint instanceof Uint8Array)) throw new TypeError('card must be a KeyCard');
  if (!signing || !(signing.secretKey instanceof Uint8Array) || !(signing.publicKey instanceof Uint8Array)) throw new TypeError('signing must be a SigningKeyPair');
  if (!bytesEqual(signing.publicKey, card.signingPublicKey)) throw new RangeError('signing is not the signing key of this card');
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  if (!REVOCATION_REASONS.includes(options.reason)) throw new RangeError(`options.reason must be one of ${REVOCATION_REASONS.join(', ')}`);
  const issuedAt = options.issuedAt ?? new Date();
  const effectiveAt = options.effectiveAt ?? issuedAt;
  for (const [k, d] of [['issuedAt', issuedAt], ['effectiveAt', effectiveAt]] as const) {
    if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new TypeError(`options.${k} must be a valid Date`);
    if (d.getTime() < 0) throw new RangeError(`options.${k} must not be before 1970`);
  }
  const body: CborMap = {
    card: card.fingerprint,
    sign: card.signingPublicKey,
    reason: options.reason,
    issued: secondsFromDate(issuedAt),
    effective: secondsFromDate(effectiveAt),
  };
  if (options.comment !== undefined && options.comment !== '') body.comment = checkDisplayText(options.comment, 'options.comment', MAX_COMMENT_BYTES);
  await cryptoReady();
  return decodeRevocationSync(signStatement(KIND, body, signing.secretKey));
}

/**
 * Decode a revocation statement (bytes or armor) and verify its signature against the signing
 * key it names. Whether that key is the revoked card's is checked by the key ring on import.
 * @throws {@link LintasError} `ERR_ARMOR_MALFORMED`, `ERR_REVOCATION_MALFORMED`, `ERR_REVOCATION_SIGNATURE_INVALID`.
 */
export async function decodeRevocation(input: Uint8Array | string): Promise<Revocation> {
  await cryptoReady();
  return decodeRevocationSync(input);
}

/** {@link decodeRevocation} after `cryptoReady()` resolved. */
export function decodeRevocationSync(input: Uint8Array | string): Revocation {
  const parsed = parseStatement(KIND, input);
  const body = exactMap(parsed.body, 'body', ['card', 'sign', 'reason', 'issued', 'effective'], ['comment'], fail);
  const fingerprint = bytesField(body, 'card', 'body', fail, FINGERPRINT_BYTES);
  const signingPublicKey = bytesField(body, 'sign', 'body', fail, ED25519_PUBLIC_KEY_BYTES);
  const reason = textField(body, 'reason', 'body', fail);
  if (!(REVOCATION_REASONS as readonly string[]).includes(reason)) throw fail(`body.reason "${reason}" is unknown`);
  const issued = uintField(body, 'issued', 'body', fail);
  const effective = uintField(body, 'effective', 'body', fail);
  let comment = '';
  if ('comment' in body) {
    comment = textField(body, 'comment', 'body', fail);
    const problem = displayTextProblem(comment, MAX_COMMENT_BYTES);
    if (problem) throw fail(`body.comment ${problem}`);
  }
  verifyStatement(KIND, parsed, signingPublicKey);
  return Object.freeze({
    fingerprint,
    signingPublicKey,
    reason: reason as RevocationReason,
    issuedAt: dateFromSeconds(issued),
    effectiveAt: dateFromSeconds(effective),
    comment,
    bytes: parsed.bytes,
  });
}

/**
 * A revocation statement as ASCII armor (`-----BEGIN LINTAS REVOCATION-----`).
 * @throws {TypeError} if `revocation` is not a Revocation.
 */
export function armorRevocation(revocation: Revocation): string {
  if (!revocation || !(revocation.bytes instanceof Uint8Array)) throw new TypeError('revocation must be a Revocation');
  return armorStatement(KIND, revocation.bytes);
}

/** True if `revocation` is a statement about `card` made with `card`'s own signing key. */
export function revocationApplies(revocation: Revocation, card: KeyCard): boolean {
  return bytesEqual(revocation.fingerprint, card.fingerprint) && bytesEqual(revocation.signingPublicKey, card.signingPublicKey);
}

/**
 * Whether something signed at `signedAt` under a revoked card is affected: always for a key
 * compromise (the time inside an envelope is the signer's claim), else from `effectiveAt` on.
 */
export function revocationCovers(revocation: Revocation, signedAt: Date): boolean {
  return revocation.reason === 'key-compromise' || signedAt.getTime() >= revocation.effectiveAt.getTime();
}

/**
 * When a key-compromise revocation says the key may have been in other hands from: its
 * `effectiveAt` if that lies before `issuedAt` (the owner stated a time in the past), else null,
 * which means no time was stated and the key counts as compromised from the start. A revocation
 * created without `effectiveAt` (effective = issued) therefore states no time (docs/KEYRING.md,
 * "Revocation").
 */
export function compromisedSince(revocation: Revocation): Date | null {
  if (revocation.reason !== 'key-compromise') return null;
  return revocation.effectiveAt.getTime() < revocation.issuedAt.getTime() ? revocation.effectiveAt : null;
}

/**
 * Whether a statement signed with a revoked key (a successor card, an introduction) at the time
 * it claims, `signedAt`, no longer counts. Only a key compromise voids statements: every one
 * when no compromise time is stated, else every one claiming that time or later, or claiming a
 * time before the signing card was valid (`signerValidFrom`; a thief backdating past the card).
 * A thief who backdates into the window between the card's start and the stated time is not
 * caught: state the earliest time you cannot rule out (docs/THREAT-MODEL.md).
 */
export function voidsStatement(revocation: Revocation, signerValidFrom: Date | null, signedAt: Date): boolean {
  if (revocation.reason !== 'key-compromise') return false;
  const since = compromisedSince(revocation);
  if (since === null) return true;
  if (signerValidFrom !== null && signedAt.getTime() < signerValidFrom.getTime()) return true;
  return signedAt.getTime() >= since.getTime();
}

/** The revocation that matters most among several for one card: a compromise, else the earliest. */
export function strictestRevocation(revocations: readonly Revocation[]): Revocation | null {
  let best: Revocation | null = null;
  for (const r of revocations) {
    if (best === null) best = r;
    else if ((r.reason === 'key-compromise') !== (best.reason === 'key-compromise')) best = r.reason === 'key-compromise' ? r : best;
    else if (r.effectiveAt.getTime() < best.effectiveAt.getTime()) best = r;
  }
  return best;
}
