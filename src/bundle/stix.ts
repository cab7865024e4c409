/**
 * STIX 2.1 bundles as bundle items (`application/stix+json;version=2.1`): a shape check, not a
 * full STIX validator (SPEC 12.3). It checks what lintas relies on and what breaks sharing when
 * wrong: the bundle and object ids, `created_by_ref`, and that every marking reference (object
 * level and granular) resolves to a marking-definition in the bundle or to a fixed TLP id, so
 * the handling rules can read the content's TLP. The item bytes themselves are never rewritten:
 * granular markings and everything else arrive exactly as the originator sealed them.
 */
import { LintasError } from '../errors/index.js';
import { tlpRank, type TlpLevel } from '../policy/markings.js';
import { isFixedTlpMarkingId, stixMarkingMeaning, stixTlpMarking, tlpFromStixMarkingId, TLP2_MARKING_IDS, type StixMarkingMeaning } from './tlp-stix.js';

/** A parsed STIX bundle (JSON object). */
export type StixBundle = Record<string, unknown> & {
  /** Always `"bundle"`. */
  type: 'bundle';
  /** `bundle--<uuid>`. */
  id: string;
  /** The STIX objects. */
  objects?: Record<string, unknown>[];
};

/** What the shape check learned about a STIX bundle. */
export interface StixBundleSummary {
  /** The bundle id, `bundle--<uuid>`. */
  id: string;
  /** Number of objects. */
  objectCount: number;
  /** Object types present, sorted. */
  types: string[];
  /** Every marking-definition id referenced (object level or granular), sorted. */
  markingRefs: string[];
  /**
   * The most restrictive TLP level in the content, or null if none: every marking referenced
   * (object level or granular) and every marking-definition the bundle defines, read in each
   * form of SPEC 12.4 (fixed TLP 1.0 and 2.0 ids, and custom definitions in TLP 1.0, TLP 2.0 or
   * `TLP:<LEVEL>` name form).
   */
  tlp: TlpLevel | null;
  /**
   * Marking-definitions (referenced or defined) that are neither TLP nor a statement, sorted:
   * lintas cannot tell what they restrict. Content sealed below TLP:AMBER with any of these is
   * refused unless overridden (SPEC 12.5, `stix-unknown-marking`).
   */
  unknownMarkings: string[];
}

// RFC 4122 UUID as the STIX 2.1 JSON schemas define identifiers (version 1-5, variant 10xx).
const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}';
const IDENTIFIER = new RegExp(`^([a-z0-9][a-z0-9-]*[a-z0-9])--${UUID}$`);
// STIX 2.1 section 3.1: 3 to 250 characters of a-z, 0-9 and hyphen, no hyphen first or last.
const TYPE_NAME = /^[a-z0-9][a-z0-9-]{1,248}[a-z0-9]$/;

function invalid(message: string): LintasError {
  return new LintasError('ERR_BUNDLE_STIX_INVALID', `STIX bundle is invalid: ${message}; fix the STIX content before sharing it`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The type part of a STIX identifier, or null if `id` is not one. */
function identifierType(id: unknown): string | null {
  if (typeof id !== 'string') return null;
  const m = IDENTIFIER.exec(id);
  return m ? m[1]! : null;
}

/**
 * Check a parsed STIX 2.1 bundle's shape and references.
 * @throws {@link LintasError} `ERR_BUNDLE_STIX_INVALID` naming the first problem (object index and id).
 */
export function validateStixBundle(value: unknown): StixBundleSummary {
  if (!isObject(value)) throw invalid('the top level is not a JSON object');
  if (value.type !== 'bundle') throw invalid('"type" is not "bundle"');
  if (identifierType(value.id) !== 'bundle') throw invalid('"id" is not bundle--<uuid>');
  const objects = value.objects ?? [];
  if (!Array.isArray(objects)) throw invalid('"objects" is not an array');

  const definitions = new Map<string, StixMarkingMeaning>();
  objects.forEach((o, i) => {
    if (isObject(o) && o.type === 'marking-definition' && typeof o.id === 'string') {
      const meaning = stixMarkingMeaning(o);
      if (meaning.kind === 'conflict') throw invalid(`objects[${i}] uses the fixed TLP id ${o.id} but does not define that TLP level`);
      // Two objects with one id could each say something else: the strictest reading must win.
      if (definitions.has(o.id)) throw invalid(`objects[${i}] defines marking-definition ${o.id} a second time`);
      definitions.set(o.id, meaning);
    }
  });

  const types = new Set<string>();
  const refs = new Set<string>();
  const resolve = (ref: unknown, where: string): void => {
    if (identifierType(ref) !== 'marking-definition') throw invalid(`${where} is not a marking-definition id`);
    const id = ref as string;
    if (!definitions.has(id) && !isFixedTlpMarkingId(id)) {
      throw invalid(`${where} "${id}" refers to a marking-definition that is neither in the bundle nor a TLP marking`);
    }
    refs.add(id);
  };
  objects.forEach((o, i) => {
    if (!isObject(o)) throw invalid(`objects[${i}] is not a JSON object`);
    if (typeof o.type !== 'string' || !TYPE_NAME.test(o.type) || o.type.includes('--')) throw invalid(`objects[${i}] has no valid "type"`);
    const at = `objects[${i}] (${typeof o.id === 'string' ? o.id : o.type})`;
    if (identifierType(o.id) !== o.type) throw invalid(`${at} "id" is not ${o.type}--<uuid>`);
    if (o.spec_version !== undefined && o.spec_version !== '2.1') throw invalid(`${at} has spec_version ${JSON.stringify(o.spec_version)}, not "2.1"`);
    if (o.created_by_ref !== undefined && identifierType(o.created_by_ref) !== 'identity') throw invalid(`${at} created_by_ref is not an identity--<uuid> id`);
    if (o.object_marking_refs !== undefined) {
      if (!Array.isArray(o.object_marking_refs) || o.object_marking_refs.length === 0) throw invalid(`${at} object_marking_refs is not a non-empty array`);
      o.object_marking_refs.forEach((r, j) => resolve(r, `${at} object_marking_refs[${j}]`));
    }
    if (o.granular_markings !== undefined) {
      if (!Array.isArray(o.granular_markings) || o.granular_markings.length === 0) throw invalid(`${at} granular_markings is not a non-empty array`);
      o.granular_markings.forEach((g, j) => {
        const gat = `${at} granular_markings[${j}]`;
        if (!isObject(g)) throw invalid(`${gat} is not an object`);
        if (!Array.isArray(g.selectors) || g.selectors.length === 0 || g.selectors.some((s) => typeof s !== 'string' || s.length === 0)) {
          throw invalid(`${gat} has no selectors`);
        }
        // STIX 2.1 section 7.2.3: a granular marking carries either marking_ref or lang.
        if ((g.marking_ref === undefined) === (g.lang === undefined)) throw invalid(`${gat} must have exactly one of marking_ref and lang`);
        if (g.marking_ref !== undefined) resolve(g.marking_ref, `${gat} marking_ref`);
        else if (typeof g.lang !== 'string') throw invalid(`${gat} lang is not a string`);
      });
    }
    types.add(o.type);
  });

  // Every marking resolved before the content's TLP is decided (SPEC 12.4): what is referenced,
  // and what is defined even if nothing references it (a tool may apply it by default).
  let tlp: TlpLevel | null = null;
  const unknown = new Set<string>();
  for (const id of new Set([...refs, ...definitions.keys()])) {
    const meaning: StixMarkingMeaning = definitions.get(id) ?? { kind: 'tlp', level: tlpFromStixMarkingId(id)! };
    if (meaning.kind === 'unknown') unknown.add(id);
    if (meaning.kind === 'tlp' && (tlp === null || tlpRank(meaning.level) > tlpRank(tlp))) tlp = meaning.level;
  }
  return { id: value.id as string, objectCount: objects.length, types: [...types].sort(), markingRefs: [...refs].sort(), tlp, unknownMarkings: [...unknown].sort() };
}

/**
 * Parse STIX JSON (text or UTF-8 bytes) and check it with {@link validateStixBundle}.
 * @throws {@link LintasError} `ERR_BUNDLE_STIX_INVALID` for invalid UTF-8, JSON or shape.
 */
export function parseStixBundle(input: Uint8Array | string): {
  /** The parsed JSON. */
  bundle: StixBundle;
  /** What the shape check learned. */
  summary: StixBundleSummary;
} {
  let text: string;
  if (typeof input === 'string') text = input;
  else {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(input);
    } catch {
      throw invalid('it is not valid UTF-8');
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid('it is not valid JSON');
  }
  const summary = validateStixBundle(value);
  return { bundle: value as StixBundle, summary };
}

/**
 * A copy of `bundle` marked with the TLP 2.0 `level`: the official marking-definition object is
 * added if missing and its id appended to every other object's `object_marking_refs`. Existing
 * markings, granular markings included, are kept as they are.
 * @throws {@link LintasError} `ERR_BUNDLE_STIX_INVALID` if `bundle` fails the shape check;
 *   `ERR_BUNDLE_MARKING_CONFLICT` if its content already carries a more restrictive TLP.
 */
export function withTlpMarking(bundle: StixBundle, level: TlpLevel): StixBundle {
  const summary = validateStixBundle(bundle);
  const id = TLP2_MARKING_IDS[level];
  if (id === undefined) throw new RangeError(`"${String(level)}" is not a TLP 2.0 level`);
  if (summary.tlp !== null && tlpRank(summary.tlp) > tlpRank(level)) {
    throw new LintasError('ERR_BUNDLE_MARKING_CONFLICT', `The STIX content is already marked TLP:${summary.tlp}, more restrictive than TLP:${level}`);
  }
  const copy = structuredClone(bundle) as StixBundle;
  const objects = (copy.objects ?? []) as Record<string, unknown>[];
  for (const o of objects) {
    if (o.type === 'marking-definition') continue;
    const refs = Array.isArray(o.object_marking_refs) ? (o.object_marking_refs as unknown[]) : [];
    if (!refs.includes(id)) o.object_marking_refs = [...refs, id];
  }
  if (!objects.some((o) => o.id === id)) objects.push(stixTlpMarking(level));
  copy.objects = objects;
  return copy;
}
