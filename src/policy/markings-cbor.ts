/**
 * The CBOR form of handling markings (SPEC 12.4), shared by the bundle manifest and the audit
 * trail so both record markings identically:
 *
 *   { "tlp": tstr, ? "class": tstr, ? "rel": { "countries": [* tstr], "orgs": [* tstr] },
 *     ? "amber": [+ tstr], ? "caveats": [+ tstr] }
 *
 * Optional keys are absent (never empty or null) when they do not apply, and every list is in
 * the normal form of {@link checkMarkings}, so the encoding of given markings is unique.
 */
import { encodeCanonical, type CborMap, type CborValue } from '../cbor/index.js';
import { checkMarkings, type HandlingMarkings, type NormalizedMarkings, type Releasability } from './markings.js';

/** Markings as a CBOR map (input must already be normalised). */
export function markingsToCbor(m: NormalizedMarkings): CborMap {
  const out: CborMap = { tlp: m.tlp };
  if (m.classification !== null) out.class = m.classification;
  if (m.releasableTo !== null) out.rel = releasabilityToCbor(m.releasableTo);
  if (m.amberOrganizations.length > 0) out.amber = [...m.amberOrganizations];
  if (m.caveats.length > 0) out.caveats = [...m.caveats];
  return out;
}

/** A "REL TO" list as a CBOR map. */
export function releasabilityToCbor(r: Releasability): CborMap {
  return { countries: [...r.countries], orgs: [...r.organizations] };
}

function isMap(v: CborValue | undefined): v is CborMap {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function stringList(v: CborValue | undefined, what: string): string[] {
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw new Error(`${what} is not a list of text strings`);
  return v as string[];
}

function onlyKeys(m: CborMap, allowed: string[], what: string): void {
  for (const k of Object.keys(m)) if (!allowed.includes(k)) throw new Error(`${what} has unknown key "${k}"`);
}

/**
 * Read a "REL TO" map and require its normal form.
 * @throws {Error} (plain; callers wrap it in their own error code) if it is not.
 */
export function releasabilityFromCbor(v: CborValue | undefined, what: string): Releasability {
  if (!isMap(v)) throw new Error(`${what} is not a map`);
  onlyKeys(v, ['countries', 'orgs'], what);
  return { countries: stringList(v.countries, `${what}.countries`), organizations: stringList(v.orgs, `${what}.orgs`) };
}

/**
 * Read markings and require the normal form: what {@link checkMarkings} accepts and would
 * encode to the same bytes.
 * @throws {Error} (plain; callers wrap it in their own error code) if they are not.
 */
export function markingsFromCbor(v: CborValue | undefined, what = 'markings'): NormalizedMarkings {
  if (!isMap(v)) throw new Error(`${what} is not a map`);
  onlyKeys(v, ['tlp', 'class', 'rel', 'amber', 'caveats'], what);
  if (typeof v.tlp !== 'string') throw new Error(`${what}.tlp is not a text string`);
  const m: HandlingMarkings = { tlp: v.tlp as HandlingMarkings['tlp'] };
  if (v.class !== undefined) {
    if (typeof v.class !== 'string') throw new Error(`${what}.class is not a text string`);
    m.classification = v.class;
  }
  if (v.rel !== undefined) m.releasableTo = releasabilityFromCbor(v.rel, `${what}.rel`);
  if (v.amber !== undefined) m.amberOrganizations = stringList(v.amber, `${what}.amber`);
  if (v.caveats !== undefined) m.caveats = stringList(v.caveats, `${what}.caveats`);
  let normal: NormalizedMarkings;
  try {
    normal = checkMarkings(m, what);
  } catch (e) {
    throw new Error((e as Error).message);
  }
  if (!sameBytes(encodeCanonical(markingsToCbor(normal)), encodeCanonical(v))) {
    throw new Error(`${what} is not in normal form (unsorted, duplicate, empty or non-normalised entries)`);
  }
  return normal;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
