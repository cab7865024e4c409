/**
 * Strict field access for the key ring's CBOR structures (key cards, statements, the stored
 * key ring). Every structure has an exact set of keys; anything missing, extra or of the wrong
 * type is refused through the caller's `fail`, which builds that layer's typed error.
 */
import { CborDecodeError, decodeCanonical, type CborMap, type CborValue } from '../cbor/index.js';
import type { LintasError } from '../errors/index.js';

/** Builds the caller's typed error for a malformed structure. */
export type Fail = (message: string) => LintasError;

/** Decode canonical CBOR, turning a CborDecodeError into the caller's error. */
export function decodeStrict(bytes: Uint8Array, fail: Fail, maxDepth: number): CborValue {
  try {
    return decodeCanonical(bytes, { maxDepth });
  } catch (e) {
    if (e instanceof CborDecodeError) throw fail(e.message);
    throw e;
  }
}

/** `value` as a map with exactly the `required` keys plus any of the `optional` ones. */
export function exactMap(value: CborValue, what: string, required: readonly string[], optional: readonly string[], fail: Fail): CborMap {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) throw fail(`${what} is not a map`);
  const map = value as CborMap;
  for (const k of required) if (!(k in map)) throw fail(`${what} has no "${k}"`);
  for (const k of Object.keys(map)) if (!required.includes(k) && !optional.includes(k)) throw fail(`${what} has an unknown field "${k}"`);
  return map;
}

export function bytesField(map: CborMap, key: string, what: string, fail: Fail, length?: number): Uint8Array {
  const v = map[key];
  if (!(v instanceof Uint8Array)) throw fail(`${what}.${key} is not a byte string`);
  if (length !== undefined && v.length !== length) throw fail(`${what}.${key} is not ${length} bytes`);
  return v;
}

export function textField(map: CborMap, key: string, what: string, fail: Fail): string {
  const v = map[key];
  if (typeof v !== 'string') throw fail(`${what}.${key} is not a text string`);
  return v;
}

export function uintField(map: CborMap, key: string, what: string, fail: Fail): number {
  const v = map[key];
  if (typeof v !== 'number') throw fail(`${what}.${key} is not an unsigned integer`);
  return v;
}

export function arrayField(map: CborMap, key: string, what: string, fail: Fail, maxItems: number): CborValue[] {
  const v = map[key];
  if (!Array.isArray(v)) throw fail(`${what}.${key} is not an array`);
  if (v.length > maxItems) throw fail(`${what}.${key} has more than ${maxItems} entries`);
  return v;
}

/** Seconds since the epoch as a Date. */
export function dateFromSeconds(seconds: number): Date {
  return new Date(seconds * 1000);
}

/** A Date as whole seconds since the epoch (rounded down). */
export function secondsFromDate(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}
