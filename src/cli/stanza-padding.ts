/**
 * How many of an envelope's recipient stanzas may be padding, for `lintas inspect`. With padding
 * (SPEC 5.6) each stanza type is filled up with dummy stanzas to 4, 8, 16, ... and a dummy cannot
 * be told from a real stanza without the keys, so from outside only a range can be given: N
 * stanzas of a type, N a padded count, means between N/2 + 1 (1 for 4) and N real recipients.
 * A count that is not a padded count means that type was not padded.
 */
import { paddedStanzaCount } from '../envelope/padding.js';

/** The padding statement for one stanza type. */
export interface StanzaPadding {
  type: string;
  stanzas: number;
  /** Fewest and most real recipients these stanzas can stand for. */
  recipients: { min: number; max: number };
  /** Most stanzas of this type that can be dummies (0: not padded). */
  paddingMax: number;
  /** One line for people. */
  text: string;
}

/** Per stanza type, in order of first appearance: how many stanzas are (at most) padding. */
export function describePadding(types: string[]): StanzaPadding[] {
  const counts = new Map<string, number>();
  for (const t of types) counts.set(t, (counts.get(t) ?? 0) + 1);
  return [...counts].map(([type, stanzas]) => {
    const padded = paddedStanzaCount(stanzas) === stanzas;
    const min = !padded ? stanzas : stanzas === paddedStanzaCount(1) ? 1 : stanzas / 2 + 1;
    const paddingMax = stanzas - min;
    const text = padded
      ? `${type}: ${stanzas} stanzas, of which 0 to ${paddingMax} may be padding (${min} to ${stanzas} real recipients; dummies look like real stanzas, SPEC 5.6)`
      : `${type}: ${stanzas} stanza${stanzas === 1 ? '' : 's'}, none of them padding (${stanzas} real recipient${stanzas === 1 ? '' : 's'})`;
    return { type, stanzas, recipients: { min, max: stanzas }, paddingMax, text };
  });
}
