/**
 * Adversarial index (docs/THREAT-MODEL.md): STIX content marked TLP:RED through a
 * marking-definition other than the fixed OASIS TLP ids slips into a TLP:CLEAR bundle (issue 12,
 * item 7). Tools write TLP in several forms: the fixed TLP 1.0 and 2.0 ids, but also custom
 * marking-definitions whose `definition` is `{ "tlp": "red" }`, definitions that use the TLP 2.0
 * extension with their own id, or just a `TLP:RED` name. Before this fix only the fixed ids were
 * read. Now every marking (object level and granular, referenced or only defined) is resolved
 * before the content's TLP is compared with the bundle's (SPEC 12.3, 12.4), and markings lintas
 * cannot read at all make sealing below TLP:AMBER need a recorded override (SPEC 12.5). The
 * content is the real Poison Ivy report from test/fixtures/stix.
 */
import { describe, expect, it } from 'vitest';
import { BundleBuilder, PolicyViolationError, openBundle, parseStixBundle, sealBundle, withTlpMarking, type StixBundle } from '../../src/index.js';
import { TLP2_EXTENSION_ID, TLP2_MARKING_IDS } from '../../src/bundle/tlp-stix.js';
import { cast, rejection, stixFixture } from '../bundle/bundle-kit.js';

const CUSTOM = 'marking-definition--3f5e2a1c-8b7d-4c6e-9a0f-1d2c3b4a5e6f';
const CREATED = '2024-03-01T00:00:00.000Z';

/** The Poison Ivy report with `definition` added and referenced by its first object. */
function poisonIvyWith(definition: Record<string, unknown>, how: 'object' | 'granular' | 'defined-only' = 'object'): StixBundle {
  const bundle = JSON.parse(stixFixture('poisonivy')) as StixBundle;
  const objects = bundle.objects!;
  const first = objects[0]!;
  if (how === 'object') first.object_marking_refs = [definition.id];
  if (how === 'granular') first.granular_markings = [{ marking_ref: definition.id, selectors: ['description'] }];
  objects.push({ type: 'marking-definition', spec_version: '2.1', id: CUSTOM, created: CREATED, ...definition });
  return bundle;
}

const redForms: [string, Record<string, unknown>][] = [
  ['custom id, TLP 1.0 form (definition tlp: red)', { id: CUSTOM, definition_type: 'tlp', definition: { tlp: 'red' } }],
  ['custom id, definition tlp: red under another definition_type', { id: CUSTOM, definition_type: 'agency-handling', definition: { tlp: 'RED' } }],
  ['custom id, TLP 2.0 extension form', { id: CUSTOM, name: 'Red', extensions: { [TLP2_EXTENSION_ID]: { extension_type: 'property-extension', tlp_2_0: 'red' } } }],
  ['custom id, name TLP:RED only', { id: CUSTOM, name: 'TLP:RED', definition_type: 'statement', definition: { statement: 'Do not share' } }],
];

describe('attack: STIX marked RED through a marking-definition other than the fixed TLP ids', () => {
  for (const [label, definition] of redForms) {
    for (const how of ['object', 'granular', 'defined-only'] as const) {
      it(`${label}, ${how === 'defined-only' ? 'defined but not referenced' : `${how} marking`}: refused in a TLP:CLEAR bundle`, () => {
        const stix = poisonIvyWith(definition, how);
        expect(parseStixBundle(JSON.stringify(stix)).summary.tlp).toBe('RED');
        const e = (() => {
          try {
            new BundleBuilder({ title: 'Poison Ivy', markings: { tlp: 'CLEAR' } }).addStix('poisonivy.json', stix);
          } catch (err) {
            return err as { code?: string };
          }
          return null;
        })();
        expect(e?.code).toBe('ERR_BUNDLE_MARKING_CONFLICT');
        expect(() => withTlpMarking(stix, 'CLEAR')).toThrow(expect.objectContaining({ code: 'ERR_BUNDLE_MARKING_CONFLICT' }));
        // Sealed at TLP:RED it is accepted: the bundle is as strict as its content.
        expect(() => new BundleBuilder({ title: 'Poison Ivy', markings: { tlp: 'RED' } }).addStix('poisonivy.json', stix)).not.toThrow();
      });
    }
  }

  it('the fixed TLP 2.0 AMBER+STRICT id and a custom TLP 2.0 AMBER+STRICT both lift the content above AMBER', () => {
    const fixed = poisonIvyWith({ id: CUSTOM, definition_type: 'statement', definition: { statement: 'Copyright' } });
    fixed.objects![1]!.object_marking_refs = [TLP2_MARKING_IDS['AMBER+STRICT']];
    expect(parseStixBundle(JSON.stringify(fixed)).summary.tlp).toBe('AMBER+STRICT');
    const custom = poisonIvyWith({ id: CUSTOM, extensions: { [TLP2_EXTENSION_ID]: { extension_type: 'property-extension', tlp_2_0: 'amber+strict' } } });
    expect(parseStixBundle(JSON.stringify(custom)).summary.tlp).toBe('AMBER+STRICT');
    expect(() => new BundleBuilder({ title: 'x', markings: { tlp: 'AMBER' } }).addStix('x.json', custom)).toThrow(expect.objectContaining({ code: 'ERR_BUNDLE_MARKING_CONFLICT' }));
  });

  it('a second object reusing a marking-definition id to say something milder is refused', () => {
    const stix = poisonIvyWith({ id: CUSTOM, definition_type: 'tlp', definition: { tlp: 'red' } });
    stix.objects!.push({ type: 'marking-definition', spec_version: '2.1', id: CUSTOM, created: CREATED, definition_type: 'tlp', definition: { tlp: 'clear' } });
    expect(() => parseStixBundle(JSON.stringify(stix))).toThrow(expect.objectContaining({ code: 'ERR_BUNDLE_STIX_INVALID' }));
  });
});

describe('attack: markings lintas cannot read, in content sealed below TLP:AMBER', () => {
  const unknownForms: [string, Record<string, unknown>][] = [
    ['an agency-specific definition', { id: CUSTOM, definition_type: 'bin-handling', definition: { level: 'RAHASIA' } }],
    ['a TLP form whose value is no TLP level', { id: CUSTOM, definition_type: 'tlp', definition: { tlp: 'purple' } }],
    ['a marking by an unknown extension', { id: CUSTOM, extensions: { 'extension-definition--a932fcc6-e032-476c-826f-cb970a5a1ade': { extension_type: 'property-extension', pap: 'red' } } }],
  ];
  for (const [label, definition] of unknownForms) {
    it(`${label}: TLP:GREEN refused with stix-unknown-marking unless overridden; the override is recorded`, async () => {
      const c = await cast();
      const stix = poisonIvyWith(definition);
      expect(parseStixBundle(JSON.stringify(stix)).summary.unknownMarkings).toEqual([CUSTOM]);
      const bundle = () => new BundleBuilder({ title: 'Poison Ivy', markings: { tlp: 'GREEN' } }).addStix('poisonivy.json', stix);
      const e = await rejection(sealBundle(bundle(), { sender: c.ayu.identity, recipients: [c.mei.named] }));
      expect(e.code).toBe('ERR_POLICY_VIOLATION');
      expect((e as PolicyViolationError).violations.map((v) => [v.rule, v.item])).toEqual([['stix-unknown-marking', 'poisonivy.json']]);
      const override = { reason: 'BIN handling marking reviewed: releasable', authorisedBy: 'Desk head' };
      const sealed = await sealBundle(bundle(), { sender: c.ayu.identity, recipients: [c.mei.named], override });
      const opened = await openBundle(sealed.deliveries[0]!.envelope, { keys: c.mei.openKeys });
      expect(opened.manifest.override!.lifted).toEqual([{ rule: 'stix-unknown-marking', recipient: null, item: 'poisonivy.json' }]);
      await opened.close();
      // At TLP:AMBER and above the bundle is already restricted: no override needed.
      await expect(
        sealBundle(new BundleBuilder({ title: 'Poison Ivy', markings: { tlp: 'AMBER', amberOrganizations: ['PDRM'] } }).addStix('poisonivy.json', stix), { sender: c.ayu.identity, recipients: [c.mei.named] }),
      ).resolves.toBeTruthy();
    });
  }

  it('the real OASIS fixtures (statement and TLP 1.0 markings) have no unknown markings', async () => {
    for (const name of ['using-marking-definitions', 'using-granular-markings', 'poisonivy', 'apt1'] as const) {
      expect(parseStixBundle(stixFixture(name)).summary.unknownMarkings, name).toEqual([]);
    }
    // using-marking-definitions is TLP 1.0 AMBER plus a copyright statement: AMBER seals without an override.
    const c = await cast();
    const amber = new BundleBuilder({ title: 'x', markings: { tlp: 'AMBER', amberOrganizations: ['PDRM'] } }).addStix('m.json', stixFixture('using-marking-definitions'));
    expect((await sealBundle(amber, { sender: c.ayu.identity, recipients: [c.mei.named] })).override).toBeNull();
  });
});
