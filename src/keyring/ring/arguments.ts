/**
 * Checks of the key ring's public arguments at the edge (TypeError for a wrong type, RangeError
 * for a value out of range), and the copies taken of what the caller keeps holding.
 */
import { checkIdentityKeyPairs, type IdentityKeys } from '../../keys/identity-keys.js';
import { decodeKeyCardSync, type KeyCard } from '../key-card.js';
import { decodeIntroductionSync, type Introduction } from '../introduction.js';
import { decodeRevocationSync, type Revocation } from '../revocation.js';
import { ATTRIBUTE_KEY, checkDisplayText, MAX_ATTRIBUTE_VALUE_BYTES, MAX_LOCAL_NAME_BYTES } from '../text-rules.js';

const MAX_LIST = 256;

/** Dates in key ring options: valid Date or TypeError. */
export function checkDate(d: unknown, what: string): Date {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new TypeError(`${what} must be a valid Date`);
  return d;
}

/** `options.now` (or the clock) in whole seconds. */
export function nowSeconds(now?: Date): number {
  return Math.floor((now === undefined ? Date.now() : checkDate(now, 'options.now').getTime()) / 1000);
}

/** Labels and groups: display text, at most 256, duplicates dropped. */
export function textList(values: unknown, what: string): string[] {
  if (!Array.isArray(values)) throw new TypeError(`${what} must be an array of strings`);
  if (values.length > MAX_LIST) throw new RangeError(`${what} has more than ${MAX_LIST} entries`);
  const out: string[] = [];
  values.forEach((v, i) => {
    const t = checkDisplayText(v, `${what}[${i}]`, MAX_LOCAL_NAME_BYTES);
    if (!out.includes(t)) out.push(t);
  });
  return out;
}

/** Local attributes: lower-case keys, display-text values, at most 256. */
export function attributeMap(values: unknown, what: string): Record<string, string> {
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

/** A copy the key ring owns: the caller may wipe its own. */
export function copyKeys(k: IdentityKeys): IdentityKeys {
  return {
    signing: { publicKey: k.signing.publicKey.slice(), secretKey: k.signing.secretKey.slice() },
    x25519: { type: 'X25519', publicKey: k.x25519.publicKey.slice(), secretKey: k.x25519.secretKey.slice() },
    xwing: { type: 'X-Wing', publicKey: k.xwing.publicKey.slice(), secretKey: k.xwing.secretKey.slice() },
  };
}

export function checkIdentityKeys(k: unknown, what: string): IdentityKeys {
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

/** A key card given as a KeyCard, its bytes or its armor, decoded (and so verified) again. */
export function decodeCardInput(input: unknown): KeyCard {
  if (typeof input === 'string' || input instanceof Uint8Array) return decodeKeyCardSync(input);
  if (input && typeof input === 'object' && (input as KeyCard).bytes instanceof Uint8Array) return decodeKeyCardSync((input as KeyCard).bytes);
  throw new TypeError('key card must be a KeyCard, its bytes or its armor');
}

export function decodeIntroductionInput(input: unknown): Introduction {
  if (typeof input === 'string' || input instanceof Uint8Array) return decodeIntroductionSync(input);
  if (input && typeof input === 'object' && (input as Introduction).bytes instanceof Uint8Array) return decodeIntroductionSync((input as Introduction).bytes);
  throw new TypeError('options.introduction must be an Introduction, its bytes or its armor');
}

export function decodeRevocationInput(input: unknown): Revocation {
  if (typeof input === 'string' || input instanceof Uint8Array) return decodeRevocationSync(input);
  if (input && typeof input === 'object' && (input as Revocation).bytes instanceof Uint8Array) return decodeRevocationSync((input as Revocation).bytes);
  throw new TypeError('input must be a Revocation, its bytes or its armor');
}
