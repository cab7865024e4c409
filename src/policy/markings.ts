/**
 * Handling markings: the rules that travel with a bundle (SPEC section 12.4). TLP 2.0 level,
 * an optional national classification, "REL TO" releasability and free handling caveats.
 *
 * Markings are checked and normalised once, at the public edge ({@link checkMarkings}), so the
 * policy rules and the manifest encoder can rely on the normal form: text in NFC without
 * surrounding whitespace, country codes upper case, every list sorted and without duplicates.
 * One set of markings has one encoding, which matters because the manifest is signed.
 */
import { hasEdgeSpace, hasHiddenCharacter } from '../text/display-text.js';

/**
 * Traffic Light Protocol 2.0 levels (FIRST, https://www.first.org/tlp/), from least to most
 * restrictive. TLP 1.0's WHITE is CLEAR in 2.0; {@link tlpFromName} accepts it.
 */
export type TlpLevel = 'CLEAR' | 'GREEN' | 'AMBER' | 'AMBER+STRICT' | 'RED';

/** Every TLP 2.0 level, least restrictive first. */
export const TLP_LEVELS: readonly TlpLevel[] = ['CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED'];

/** Position of `level` in {@link TLP_LEVELS}: a higher rank is more restrictive. */
export function tlpRank(level: TlpLevel): number {
  return TLP_LEVELS.indexOf(level);
}

/**
 * The TLP level for a written label: "AMBER+STRICT", "TLP:amber", "tlp:white" (TLP 1.0, read as
 * CLEAR). Null for anything else.
 */
export function tlpFromName(name: string): TlpLevel | null {
  if (typeof name !== 'string') return null;
  const bare = name.trim().toUpperCase().replace(/^TLP:/, '');
  if (bare === 'WHITE') return 'CLEAR';
  return (TLP_LEVELS as readonly string[]).includes(bare) ? (bare as TlpLevel) : null;
}

/**
 * "REL TO": who the information may be released to. A party is covered when its country is in
 * `countries` **or** its organization is in `organizations` (as in "REL TO ID, MY, INTERPOL":
 * naming a country releases to its agencies, naming an organization to its members wherever
 * they sit). Countries are ISO 3166-1 alpha-2 codes, as on key cards; organizations are
 * compared exactly as written on key cards.
 */
export interface Releasability {
  /** ISO 3166-1 alpha-2 codes; a party in one of these countries is covered. */
  countries: string[];
  /** Organizations as written on key cards; a member of one of these is covered wherever it sits. */
  organizations: string[];
}

/** Handling markings of a bundle. */
export interface HandlingMarkings {
  /** TLP 2.0 level (TLP 1.0 `WHITE` is accepted and read as `CLEAR`). */
  tlp: TlpLevel;
  /** National classification level as the originator writes it, e.g. "TERBATAS", "RESTRICTED". */
  classification?: string;
  /** "REL TO" list. Absent: no releasability restriction beyond TLP. */
  releasableTo?: Releasability;
  /**
   * TLP:AMBER only: the organizations involved besides the originator's own, as the sender
   * names them. An AMBER bundle may be sealed only to members of the originator's organization
   * and of these (SPEC 12.5).
   */
  amberOrganizations?: string[];
  /** Free handling caveats, e.g. "NOFORN", "ORCON", "NO PRINT". */
  caveats?: string[];
}

/** Markings after {@link checkMarkings}: every list present (maybe empty), normalised. */
export interface NormalizedMarkings {
  /** TLP 2.0 level. */
  tlp: TlpLevel;
  /** National classification, or null. */
  classification: string | null;
  /** "REL TO" list, or null for no restriction beyond TLP. */
  releasableTo: Releasability | null;
  /** TLP:AMBER organizations besides the originator's (sorted; empty if none). */
  amberOrganizations: string[];
  /** Handling caveats (sorted; empty if none). */
  caveats: string[];
}

/** Longest classification, caveat or organization, in UTF-8 bytes. */
export const MAX_MARKING_TEXT_BYTES = 256;
/** Most entries in any marking list. */
export const MAX_MARKING_LIST = 256;

const COUNTRY = /^[A-Z]{2}$/;

/**
 * Why `text` is unacceptable as marking text, or null. Markings are read by people and compared
 * by machines, so invisible and direction-changing characters are refused like on key cards.
 */
export function markingTextProblem(text: string): string | null {
  if (text.length === 0) return 'is empty';
  if (new TextEncoder().encode(text).length > MAX_MARKING_TEXT_BYTES) return `is longer than ${MAX_MARKING_TEXT_BYTES} UTF-8 bytes`;
  if (hasEdgeSpace(text)) return 'has leading or trailing whitespace';
  if (hasHiddenCharacter(text)) return 'contains control, invisible or text-direction characters';
  return null;
}

function checkText(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new TypeError(`${what} must be a string`);
  const text = value.normalize('NFC');
  const problem = markingTextProblem(text);
  if (problem) throw new RangeError(`${what} ${problem}`);
  return text;
}

function checkList(value: unknown, what: string, each: (v: unknown, w: string) => string): string[] {
  if (!Array.isArray(value)) throw new TypeError(`${what} must be an array of strings`);
  if (value.length > MAX_MARKING_LIST) throw new RangeError(`${what} has more than ${MAX_MARKING_LIST} entries`);
  const out = new Set<string>();
  value.forEach((v, i) => out.add(each(v, `${what}[${i}]`)));
  return sortedStrings(out);
}

/** Bytewise order of the UTF-8 encodings: locale-independent, the same in every language. */
function sortedStrings(values: Iterable<string>): string[] {
  const enc = new TextEncoder();
  return [...values]
    .map((s) => ({ s, b: enc.encode(s) }))
    .sort((x, y) => {
      const n = Math.min(x.b.length, y.b.length);
      for (let i = 0; i < n; i++) if (x.b[i] !== y.b[i]) return x.b[i]! - y.b[i]!;
      return x.b.length - y.b.length;
    })
    .map((x) => x.s);
}

function checkCountry(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new TypeError(`${what} must be a string`);
  const code = value.trim().toUpperCase();
  if (!COUNTRY.test(code)) throw new RangeError(`${what} "${value}" is not an ISO 3166-1 alpha-2 country code (e.g. ID, MY, SG)`);
  return code;
}

/**
 * Check markings given by an app and bring them to normal form (SPEC 12.4): NFC text, upper-case
 * countries, sorted lists without duplicates. {@link BundleBuilder} does this itself; call it to
 * validate a form before building a bundle.
 * @param markings - The markings as the user gave them.
 * @param what - How error messages name the argument.
 * @throws {TypeError} for a wrong type.
 * @throws {RangeError} for an unknown TLP level, a bad country code, unacceptable text, an empty
 *   "REL TO" list, or AMBER organizations on a bundle that is not TLP:AMBER.
 * @example
 * ```ts
 * import { checkMarkings, formatMarkings } from 'lintas';
 *
 * const m = checkMarkings({ tlp: 'AMBER', classification: 'RAHASIA', releasableTo: { countries: ['my', 'ID'], organizations: [] } });
 * console.log(m.tlp, m.releasableTo?.countries); // AMBER ["ID","MY"]
 * console.log(formatMarkings(m)); // TLP:AMBER RAHASIA REL TO ID, MY
 * try {
 *   checkMarkings({ tlp: 'GREEN', amberOrganizations: ['PDRM'] });
 * } catch (e) {
 *   console.assert(e instanceof RangeError); // AMBER organizations only with TLP:AMBER
 * }
 * ```
 */
export function checkMarkings(markings: HandlingMarkings, what = 'markings'): NormalizedMarkings {
  if (markings === null || typeof markings !== 'object') throw new TypeError(`${what} must be an object`);
  if (typeof markings.tlp !== 'string') throw new TypeError(`${what}.tlp must be a string`);
  const tlp = tlpFromName(markings.tlp);
  if (tlp === null) throw new RangeError(`${what}.tlp "${markings.tlp}" is not a TLP 2.0 level (CLEAR, GREEN, AMBER, AMBER+STRICT, RED)`);
  const classification = markings.classification === undefined ? null : checkText(markings.classification, `${what}.classification`);
  const releasableTo = markings.releasableTo === undefined ? null : checkReleasability(markings.releasableTo, `${what}.releasableTo`);
  const amberOrganizations =
    markings.amberOrganizations === undefined ? [] : checkList(markings.amberOrganizations, `${what}.amberOrganizations`, checkText);
  if (amberOrganizations.length > 0 && tlp !== 'AMBER') {
    throw new RangeError(`${what}.amberOrganizations applies only to TLP:AMBER, not TLP:${tlp}`);
  }
  const caveats = markings.caveats === undefined ? [] : checkList(markings.caveats, `${what}.caveats`, checkText);
  return { tlp, classification, releasableTo, amberOrganizations, caveats };
}

/**
 * Check and normalise a "REL TO" list (also used for per-item releasability).
 * @throws {TypeError | RangeError} as {@link checkMarkings}.
 */
export function checkReleasability(value: Releasability, what: string): Releasability {
  if (value === null || typeof value !== 'object') throw new TypeError(`${what} must be { countries, organizations }`);
  const countries = checkList(value.countries ?? [], `${what}.countries`, checkCountry);
  const organizations = checkList(value.organizations ?? [], `${what}.organizations`, checkText);
  // An empty list would release to nobody: almost certainly a mistake, and it would make every
  // seal fail with a confusing policy error instead of pointing at the marking.
  if (countries.length === 0 && organizations.length === 0) throw new RangeError(`${what} must name at least one country or organization`);
  return { countries, organizations };
}

/** Turn normalised markings back into the public shape (for readers of a manifest). */
export function publicMarkings(m: NormalizedMarkings): HandlingMarkings {
  const out: HandlingMarkings = { tlp: m.tlp };
  if (m.classification !== null) out.classification = m.classification;
  if (m.releasableTo !== null) out.releasableTo = { countries: [...m.releasableTo.countries], organizations: [...m.releasableTo.organizations] };
  if (m.amberOrganizations.length > 0) out.amberOrganizations = [...m.amberOrganizations];
  if (m.caveats.length > 0) out.caveats = [...m.caveats];
  return out;
}

/**
 * A one-line human rendering, e.g. "TLP:AMBER RESTRICTED REL TO ID, MY". Takes markings as
 * written by an app or as read back from an opened bundle's manifest (normal form).
 */
export function formatMarkings(m: HandlingMarkings | NormalizedMarkings): string {
  const parts = [`TLP:${m.tlp}`];
  if (m.classification) parts.push(m.classification);
  if (m.releasableTo) parts.push(`REL TO ${[...m.releasableTo.countries, ...m.releasableTo.organizations].join(', ')}`);
  for (const c of m.caveats ?? []) parts.push(c);
  return parts.join(' ');
}
