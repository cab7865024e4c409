/**
 * The recipient types of format v1. A fixed table, not a registry: adding a type is adding a
 * scheme file and a SPEC section, never a runtime switch.
 */
import type { StanzaScheme } from './stanza-scheme.js';
import { x25519Scheme } from './stanza-x25519.js';
import { xwingScheme } from './stanza-xwing.js';

const SCHEMES: ReadonlyMap<string, StanzaScheme> = new Map([
  [x25519Scheme.type, x25519Scheme],
  [xwingScheme.type, xwingScheme],
]);

/** The scheme for a stanza type, or undefined for a type this version does not know. */
export function schemeFor(type: string): StanzaScheme | undefined {
  return SCHEMES.get(type);
}
