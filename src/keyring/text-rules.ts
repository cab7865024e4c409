/**
 * What text may appear in key cards and key ring entries. People compare these strings by eye
 * (on a screen, over the phone), so characters that render invisibly or reorder text are
 * refused: control characters, bidirectional overrides and isolates, zero-width spaces, the BOM
 * and line or paragraph separators. Text must be in Unicode NFC so one name has one encoding.
 */
import { utf8 } from '../crypto/bytes.js';
import { hasEdgeSpace, hasHiddenCharacter } from '../text/display-text.js';


/** Why `text` is not acceptable as displayed text of at most `maxBytes` UTF-8 bytes, or null. */
export function displayTextProblem(text: string, maxBytes: number): string | null {
  if (text.length === 0) return 'is empty';
  if (utf8(text).length > maxBytes) return `is longer than ${maxBytes} UTF-8 bytes`;
  if (text !== text.normalize('NFC')) return 'is not in Unicode NFC';
  if (hasEdgeSpace(text)) return 'has leading or trailing whitespace';
  if (hasHiddenCharacter(text)) return 'contains control, invisible or text-direction characters';
  return null;
}

/** Longest name or organization on a key card, in UTF-8 bytes. */
export const MAX_CARD_TEXT_BYTES = 256;
/** Longest local name, group or label in a key ring, in UTF-8 bytes. */
export const MAX_LOCAL_NAME_BYTES = 128;
/** Longest attribute value, in UTF-8 bytes. */
export const MAX_ATTRIBUTE_VALUE_BYTES = 1024;
/** Attribute keys: lower-case ASCII identifiers, so they never clash with CBOR or JS specials. */
export const ATTRIBUTE_KEY = /^[a-z][a-z0-9_.-]{0,63}$/;

/**
 * Check a public argument that must be display text; TypeError for a non-string, RangeError
 * otherwise. NFC is applied first, so callers may pass any normalization form.
 */
export function checkDisplayText(value: unknown, what: string, maxBytes: number): string {
  if (typeof value !== 'string') throw new TypeError(`${what} must be a string`);
  const text = value.normalize('NFC');
  const problem = displayTextProblem(text, maxBytes);
  if (problem) throw new RangeError(`${what} ${problem}`);
  return text;
}

/**
 * Check a local name (identity or contact). Names are recipient references, so a name must not
 * be readable as another kind of reference: not `group:...`, not a fingerprint.
 */
export function checkLocalName(value: unknown, what: string, looksLikeFingerprint: (s: string) => boolean): string {
  const name = checkDisplayText(value, what, MAX_LOCAL_NAME_BYTES);
  if (name.toLowerCase().startsWith('group:')) throw new RangeError(`${what} must not start with "group:" (that prefix names a group)`);
  if (looksLikeFingerprint(name)) throw new RangeError(`${what} must not look like a fingerprint`);
  return name;
}
