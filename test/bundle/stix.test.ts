/**
 * STIX 2.1 items: the shape check on the OASIS reference content, its failures, and the TLP
 * mapping in both directions with granular markings left intact.
 */
import { describe, expect, it } from 'vitest';
import { parseStixBundle, validateStixBundle, withTlpMarking, type StixBundle } from '../../src/bundle/stix.js';
import { stixTlpMarking, tlpFromStixMarking, tlpFromStixMarkingId, TLP1_MARKING_IDS, TLP2_MARKING_IDS } from '../../src/bundle/tlp-stix.js';
import { TLP_LEVELS } from '../../src/policy/markings.js';
import { LintasError } from '../../src/errors/index.js';
import { stixFixture } from './bundle-kit.js';

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof LintasError) return e.code;
    throw e;
  }
  return 'SUCCESS';
}

const parsed = (name: Parameters<typeof stixFixture>[0]) => JSON.parse(stixFixture(name)) as StixBundle;

describe('the OASIS reference content passes the shape check', () => {
  it('reads what each fixture contains and the TLP it carries', () => {
    const poison = parseStixBundle(stixFixture('poisonivy')).summary;
    expect(poison).toMatchObject({ id: 'bundle--ac946f1d-6a0e-4a9d-bc83-3f1f3bfda6ba', objectCount: 155, tlp: null, markingRefs: [] });
    expect(poison.types).toContain('attack-pattern');
    const apt1 = parseStixBundle(stixFixture('apt1')).summary;
    expect(apt1).toMatchObject({ objectCount: 76, tlp: null });
    expect(apt1.types).toContain('intrusion-set');
    // Object-level and granular references to TLP 1.0 ids that are not defined in the bundle.
    const granular = parseStixBundle(stixFixture('using-granular-markings')).summary;
    expect(granular.tlp).toBe('RED');
    expect(granular.markingRefs).toEqual([TLP1_MARKING_IDS.GREEN, TLP1_MARKING_IDS.RED, TLP1_MARKING_IDS.AMBER].sort());
    // A TLP marking-definition and a statement marking defined in the bundle.
    const defs = parseStixBundle(stixFixture('using-marking-definitions')).summary;
    expect(defs.tlp).toBe('AMBER');
    expect(defs.markingRefs).toHaveLength(2);
  });
});

describe('the shape check refuses', () => {
  const base = () => parsed('using-granular-markings');
  const cases: [string, (b: StixBundle) => unknown][] = [
    ['a bundle id of another type', (b) => (b.id = 'report--f0af3c36-a642-4cb0-8526-b4ca899cc1db')],
    ['a bundle id without a UUID', (b) => (b.id = 'bundle--1234')],
    ['a top level that is not a bundle', (b) => ((b as Record<string, unknown>).type = 'report')],
    ['objects that is not an array', (b) => ((b as Record<string, unknown>).objects = {})],
    ['an object id that does not match its type', (b) => (b.objects![1]!.id = 'malware--1ed8caa7-a708-4706-b651-f1186ede6ca1')],
    ['an object id with a non-RFC-4122 UUID', (b) => (b.objects![1]!.id = 'indicator--1ed8caa7-a708-0706-b651-f1186ede6ca1')],
    ['an upper-case type', (b) => (b.objects![0]!.type = 'Identity')],
    ['a STIX 2.0 object', (b) => (b.objects![0]!.spec_version = '2.0')],
    ['a created_by_ref that is not an identity', (b) => (b.objects![1]!.created_by_ref = 'indicator--1ed8caa7-a708-4706-b651-f1186ede6ca1')],
    ['a dangling object marking', (b) => (b.objects![2]!.object_marking_refs = ['marking-definition--11111111-1111-4111-8111-111111111111'])],
    ['an empty object_marking_refs', (b) => (b.objects![2]!.object_marking_refs = [])],
    ['a dangling granular marking', (b) => ((b.objects![1]!.granular_markings as { marking_ref: string }[])[0]!.marking_ref = 'marking-definition--11111111-1111-4111-8111-111111111111')],
    ['a granular marking without selectors', (b) => ((b.objects![1]!.granular_markings as { selectors: string[] }[])[0]!.selectors = [])],
    ['a granular marking with both marking_ref and lang', (b) => ((b.objects![1]!.granular_markings as { lang?: string }[])[0]!.lang = 'en')],
    ['a marking reference that is not a marking-definition', (b) => (b.objects![3]!.object_marking_refs = ['identity--b38dfe21-7477-40d1-aa90-5c8671ce51ca'])],
    [
      'a marking-definition that takes a TLP:RED id but says CLEAR',
      (b) =>
        b.objects!.push({ ...stixTlpMarking('CLEAR'), id: TLP2_MARKING_IDS.RED } as Record<string, unknown>),
    ],
    [
      'a TLP 1.0 id redefined as another colour',
      (b) => b.objects!.push({ type: 'marking-definition', spec_version: '2.1', id: TLP1_MARKING_IDS.RED, created: '2017-01-20T00:00:00.000Z', definition_type: 'tlp', definition: { tlp: 'white' } }),
    ],
  ];
  for (const [what, mutate] of cases) {
    it(what, () => {
      const b = base();
      mutate(b);
      expect(code(() => validateStixBundle(b))).toBe('ERR_BUNDLE_STIX_INVALID');
    });
  }

  it('text that is not JSON or not UTF-8', () => {
    expect(code(() => parseStixBundle('{"type": "bundle"'))).toBe('ERR_BUNDLE_STIX_INVALID');
    expect(code(() => parseStixBundle(new Uint8Array([0x7b, 0xff, 0x7d])))).toBe('ERR_BUNDLE_STIX_INVALID');
    expect(code(() => parseStixBundle('[]'))).toBe('ERR_BUNDLE_STIX_INVALID');
  });
});

describe('TLP <-> STIX marking-definitions', () => {
  it('produces the OASIS TLP 2.0 objects and reads them back', () => {
    // As published in oasis-open/cti-stix-common-objects, extension-definition-specifications/tlp-2.0/examples/tlp-amber+strict.json.
    expect(stixTlpMarking('AMBER+STRICT')).toEqual({
      type: 'marking-definition',
      spec_version: '2.1',
      id: 'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003',
      created: '2022-10-01T00:00:00.000Z',
      name: 'TLP:AMBER+STRICT',
      extensions: { 'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d': { extension_type: 'property-extension', tlp_2_0: 'amber+strict' } },
    });
    for (const level of TLP_LEVELS) {
      expect(tlpFromStixMarking(stixTlpMarking(level))).toBe(level);
      expect(tlpFromStixMarkingId(TLP2_MARKING_IDS[level])).toBe(level);
    }
    expect(tlpFromStixMarkingId(TLP1_MARKING_IDS.WHITE)).toBe('CLEAR');
    expect(tlpFromStixMarkingId('marking-definition--d81f86b9-975b-4c0b-875e-810c5ad45a4f')).toBeNull();
    const amber1 = parsed('using-marking-definitions').objects!.find((o) => o.id === TLP1_MARKING_IDS.AMBER);
    expect(tlpFromStixMarking(amber1)).toBe('AMBER');
  });

  it('marks a STIX bundle with a TLP level and leaves granular markings intact', () => {
    const original = parsed('using-granular-markings');
    const marked = withTlpMarking(original, 'RED');
    expect(validateStixBundle(marked).tlp).toBe('RED');
    const indicator = marked.objects!.find((o) => o.type === 'indicator')!;
    expect(indicator.granular_markings).toEqual(original.objects!.find((o) => o.type === 'indicator')!.granular_markings);
    expect(indicator.object_marking_refs).toEqual([TLP2_MARKING_IDS.RED]);
    expect(marked.objects!.filter((o) => o.id === TLP2_MARKING_IDS.RED)).toHaveLength(1);
    expect(original.objects!.some((o) => o.id === TLP2_MARKING_IDS.RED)).toBe(false); // the input is not changed
    // Marking it less restrictively than its content already is, is refused.
    expect(code(() => withTlpMarking(original, 'GREEN'))).toBe('ERR_BUNDLE_MARKING_CONFLICT');
  });

  it('marks every object of a large report', () => {
    const marked = withTlpMarking(parsed('poisonivy'), 'GREEN');
    const summary = validateStixBundle(marked);
    expect(summary.tlp).toBe('GREEN');
    expect(summary.objectCount).toBe(156);
    expect(marked.objects!.filter((o) => o.type !== 'marking-definition').every((o) => (o.object_marking_refs as string[]).includes(TLP2_MARKING_IDS.GREEN))).toBe(true);
  });
});
