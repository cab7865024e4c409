/**
 * TLP in STIX 2.1: the fixed marking-definition objects for TLP 2.0 and TLP 1.0, and the mapping
 * between them and lintas {@link TlpLevel}s (SPEC 12.4).
 *
 * Sources:
 * - TLP 2.0 is a STIX 2.1 extension, extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d,
 *   published by OASIS in https://github.com/oasis-open/cti-stix-common-objects, folder
 *   `extension-definition-specifications/tlp-2.0/` (`marking-definition.json` pins each level to
 *   one marking-definition id and name; `examples/tlp-*.json` show the objects, created
 *   2022-10-01T00:00:00.000Z, with the property extension `tlp_2_0`).
 * - TLP 1.0 ids are fixed by the STIX 2.1 specification itself (OASIS, "STIX Version 2.1",
 *   section 7.2.1.4 "TLP Marking", definition_type "tlp", created 2017-01-20T00:00:00.000Z);
 *   real STIX content still uses them (see test/fixtures/stix/using-granular-markings.json).
 */
import { tlpFromName, tlpRank, type TlpLevel } from '../policy/markings.js';

/** The TLP 2.0 extension definition id. */
export const TLP2_EXTENSION_ID = 'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d';

/** TLP 2.0 marking-definition ids, one per level (OASIS cti-stix-common-objects, see above). */
export const TLP2_MARKING_IDS: Readonly<Record<TlpLevel, string>> = {
  CLEAR: 'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487',
  GREEN: 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb',
  AMBER: 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421',
  'AMBER+STRICT': 'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003',
  RED: 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1',
};

/** TLP 1.0 marking-definition ids from the STIX 2.1 specification (WHITE, GREEN, AMBER, RED). */
export const TLP1_MARKING_IDS: Readonly<Record<'WHITE' | 'GREEN' | 'AMBER' | 'RED', string>> = {
  WHITE: 'marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9',
  GREEN: 'marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da',
  AMBER: 'marking-definition--f88d31f6-486f-44da-b317-01333bde0b82',
  RED: 'marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed',
};

/** What a fixed TLP id stands for, and how its object must look if a bundle carries it. */
interface FixedTlp {
  level: TlpLevel;
  version: 1 | 2;
  /** TLP 1.0: `definition.tlp`; TLP 2.0: the extension's `tlp_2_0`. */
  token: string;
  /** TLP 2.0 only: the required `name`. */
  name: string | null;
}

const FIXED = new Map<string, FixedTlp>();
for (const [level, id] of Object.entries(TLP2_MARKING_IDS) as [TlpLevel, string][]) {
  FIXED.set(id, { level, version: 2, token: level.toLowerCase(), name: `TLP:${level}` });
}
for (const [name, id] of Object.entries(TLP1_MARKING_IDS)) {
  // TLP 1.0 WHITE became CLEAR in TLP 2.0; the other three keep their meaning.
  FIXED.set(id, { level: name === 'WHITE' ? 'CLEAR' : (name as TlpLevel), version: 1, token: name.toLowerCase(), name: null });
}

/** The TLP level a marking-definition id stands for (TLP 2.0 or 1.0), or null if it is not a fixed TLP id. */
export function tlpFromStixMarkingId(id: string): TlpLevel | null {
  return FIXED.get(id)?.level ?? null;
}

/** True if `id` is one of the fixed TLP 2.0 or TLP 1.0 marking-definition ids. */
export function isFixedTlpMarkingId(id: string): boolean {
  return FIXED.has(id);
}

/** A STIX 2.1 marking-definition object, as JSON. */
export type StixMarkingDefinition = Record<string, unknown> & {
  /** Always `"marking-definition"`. */
  type: 'marking-definition';
  /** `marking-definition--<uuid>`. */
  id: string;
};

/**
 * The official TLP 2.0 marking-definition object for `level`, exactly as OASIS publishes it.
 * Put it in a STIX bundle and reference its id to mark objects.
 * @throws {RangeError} if `level` is not a TLP 2.0 level.
 */
export function stixTlpMarking(level: TlpLevel): StixMarkingDefinition {
  const id = TLP2_MARKING_IDS[level];
  if (id === undefined) throw new RangeError(`"${String(level)}" is not a TLP 2.0 level`);
  return {
    type: 'marking-definition',
    spec_version: '2.1',
    id,
    created: '2022-10-01T00:00:00.000Z',
    name: `TLP:${level}`,
    extensions: {
      [TLP2_EXTENSION_ID]: { extension_type: 'property-extension', tlp_2_0: level.toLowerCase() },
    },
  };
}

/**
 * What a marking-definition object means to the handling rules (SPEC 12.4, "TLP in STIX"):
 *
 * - `tlp`: a TLP level, by a fixed id (checked against its official form) or, for any other id,
 *   by any of the forms a tool may write: TLP 1.0 (`definition: { tlp: "red" }`, whatever its
 *   `definition_type`), TLP 2.0 (the extension's `tlp_2_0`), or a `name` of the form `TLP:RED`.
 *   When a definition states several levels, the most restrictive counts.
 * - `statement`: a STIX statement marking (`definition_type: "statement"`), no handling rule.
 * - `unknown`: anything else, including a TLP form whose value is no TLP level (`tlp: "purple"`):
 *   lintas cannot tell what it restricts.
 * - `conflict`: a fixed TLP id whose object says something else: a forgery or a mistake.
 */
export type StixMarkingMeaning =
  | {
      /** A TLP marking. */
      kind: 'tlp';
      /** Its level (the most restrictive stated). */
      level: TlpLevel;
    }
  | {
      /** A statement, an unknown marking, or a fixed id misused. */
      kind: 'statement' | 'unknown' | 'conflict';
    };

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * The meaning of a marking-definition object (see {@link StixMarkingMeaning}); `unknown` for
 * anything that is not a marking-definition with an id.
 */
export function stixMarkingMeaning(def: unknown): StixMarkingMeaning {
  if (!isRecord(def) || def.type !== 'marking-definition' || typeof def.id !== 'string') return { kind: 'unknown' };
  const fixed = tlpFromStixMarking(def);
  if (fixed === 'conflict') return { kind: 'conflict' };
  if (fixed !== null) return { kind: 'tlp', level: fixed };
  const levels: TlpLevel[] = [];
  let unreadable = false;
  const claim = (value: unknown): void => {
    const level = typeof value === 'string' ? tlpFromName(value) : null;
    if (level === null) unreadable = true;
    else levels.push(level);
  };
  // TLP 1.0 form (STIX 2.1 section 7.2.1.3), on any id and whatever the definition_type says.
  if (isRecord(def.definition) && 'tlp' in def.definition) claim(def.definition.tlp);
  else if (def.definition_type === 'tlp') unreadable = true;
  // TLP 2.0 extension form, on any id.
  const extensions = isRecord(def.extensions) ? def.extensions : {};
  if (TLP2_EXTENSION_ID in extensions) {
    const ext = extensions[TLP2_EXTENSION_ID];
    if (isRecord(ext) && 'tlp_2_0' in ext) claim(ext.tlp_2_0);
    else unreadable = true;
  }
  // A name such as "TLP:RED" is how people read it, whatever the rest says.
  if (typeof def.name === 'string' && /^\s*tlp\s*:/i.test(def.name)) claim(def.name.replace(/\s+/g, ''));
  if (levels.length > 0 && !unreadable) return { kind: 'tlp', level: levels.reduce((a, b) => (tlpRank(b) > tlpRank(a) ? b : a)) };
  if (levels.length > 0 || unreadable) return { kind: 'unknown' };
  if (def.definition_type === 'statement' && isRecord(def.definition) && typeof def.definition.statement === 'string' && Object.keys(extensions).length === 0) {
    return { kind: 'statement' };
  }
  return { kind: 'unknown' };
}

/**
 * The TLP level of a marking-definition object that uses one of the fixed TLP ids, or null if
 * it does not (any other definition: {@link stixMarkingMeaning}). An object that uses a fixed id
 * but says something else is a forgery or a mistake, reported by returning `'conflict'` so
 * callers can refuse it.
 */
export function tlpFromStixMarking(def: unknown): TlpLevel | null | 'conflict' {
  if (def === null || typeof def !== 'object') return null;
  const d = def as Record<string, unknown>;
  if (d.type !== 'marking-definition' || typeof d.id !== 'string') return null;
  const fixed = FIXED.get(d.id);
  if (!fixed) return null;
  if (fixed.version === 1) {
    const definition = d.definition as Record<string, unknown> | undefined;
    const ok = d.definition_type === 'tlp' && definition !== null && typeof definition === 'object' && definition.tlp === fixed.token;
    return ok ? fixed.level : 'conflict';
  }
  const ext = (d.extensions as Record<string, Record<string, unknown> | undefined> | undefined)?.[TLP2_EXTENSION_ID];
  const ok = d.name === fixed.name && ext !== null && typeof ext === 'object' && ext.tlp_2_0 === fixed.token;
  return ok ? fixed.level : 'conflict';
}
