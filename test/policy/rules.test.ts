/**
 * The handling rules on their own: every rule is tried with a recipient that breaks it and one
 * that does not, and the markings normal form that the manifest signature depends on.
 */
import { describe, expect, it } from 'vitest';
import { checkMarkings, formatMarkings, tlpFromName, type HandlingMarkings } from '../../src/policy/markings.js';
import { markingsFromCbor, markingsToCbor } from '../../src/policy/markings-cbor.js';
import { checkForwardPolicy, checkSealPolicy, isReleasableTo, type ForwardPolicyInput, type PolicyRule } from '../../src/policy/rules.js';
import { enforcePolicy, PolicyViolationError } from '../../src/policy/override.js';
import type { PolicyParty, PolicyRecipient } from '../../src/policy/party.js';
import { decodeCanonical, encodeCanonical } from '../../src/cbor/index.js';

function party(name: string, organization: string, country: string, explicit = true): PolicyRecipient {
  const fingerprint = new Uint8Array(32).fill(name.charCodeAt(0));
  return { fingerprint, name, organization, country, explicit, verification: 'verified' };
}

const ayu = party('Ayu', 'BIN', 'ID'); // originator
const budi = party('Budi', 'BIN', 'ID');
const citra = party('Citra', 'POLRI', 'ID');
const mei = party('Mei Ling', 'PDRM', 'MY');
const tan = party('Tan', 'ISD', 'SG');

function seal(markings: HandlingMarkings, recipients: PolicyRecipient[], originator: PolicyParty = ayu) {
  return checkSealPolicy({ markings: checkMarkings(markings), originator, recipients });
}

function rules(vs: { rule: PolicyRule; recipient: PolicyParty | null }[]): [PolicyRule, string | null][] {
  return vs.map((v) => [v.rule, v.recipient?.name ?? null]);
}

describe('sealing rules', () => {
  it('TLP:RED goes only to recipients named individually', () => {
    expect(seal({ tlp: 'RED' }, [budi, mei])).toEqual([]);
    const groupMember = { ...mei, explicit: false };
    expect(rules(seal({ tlp: 'RED' }, [budi, groupMember]))).toEqual([['tlp-red-named-only', 'Mei Ling']]);
    // The same group member is fine below RED.
    expect(seal({ tlp: 'AMBER', amberOrganizations: ['PDRM'] }, [groupMember])).toEqual([]);
  });

  it('TLP:AMBER+STRICT stays inside the originator organization', () => {
    expect(seal({ tlp: 'AMBER+STRICT' }, [budi])).toEqual([]);
    // Same country is not enough: POLRI is another organization.
    expect(rules(seal({ tlp: 'AMBER+STRICT' }, [budi, citra, mei]))).toEqual([
      ['tlp-amber-strict-organization', 'Citra'],
      ['tlp-amber-strict-organization', 'Mei Ling'],
    ]);
  });

  it('TLP:AMBER goes to the originator organization and the organizations the sender names', () => {
    expect(seal({ tlp: 'AMBER' }, [budi])).toEqual([]);
    expect(rules(seal({ tlp: 'AMBER' }, [budi, citra]))).toEqual([['tlp-amber-organizations', 'Citra']]);
    expect(seal({ tlp: 'AMBER', amberOrganizations: ['POLRI', 'PDRM'] }, [budi, citra, mei])).toEqual([]);
    expect(rules(seal({ tlp: 'AMBER', amberOrganizations: ['POLRI'] }, [citra, tan]))).toEqual([['tlp-amber-organizations', 'Tan']]);
    // Organizations compare exactly as written on key cards: a near miss does not count.
    expect(rules(seal({ tlp: 'AMBER', amberOrganizations: ['Polri'] }, [citra]))).toEqual([['tlp-amber-organizations', 'Citra']]);
  });

  it('GREEN and CLEAR do not restrict recipients', () => {
    const everyone = [budi, citra, mei, { ...tan, explicit: false }];
    expect(seal({ tlp: 'GREEN' }, everyone)).toEqual([]);
    expect(seal({ tlp: 'CLEAR' }, everyone)).toEqual([]);
  });

  it('REL TO ID, MY refuses a recipient whose card says SG, and names it', () => {
    const markings = { tlp: 'GREEN' as const, releasableTo: { countries: ['ID', 'MY'], organizations: [] } };
    expect(seal(markings, [budi, citra, mei])).toEqual([]);
    const v = seal(markings, [budi, tan, mei]);
    expect(rules(v)).toEqual([['releasability', 'Tan']]);
    expect(v[0]!.recipient!.fingerprint).toEqual(tan.fingerprint);
    expect(v[0]!.message).toContain('REL TO ID, MY');
  });

  it('REL TO an organization releases to its members in any country', () => {
    const markings = { tlp: 'GREEN' as const, releasableTo: { countries: ['ID'], organizations: ['ISD'] } };
    expect(seal(markings, [citra, tan])).toEqual([]);
    expect(rules(seal(markings, [mei]))).toEqual([['releasability', 'Mei Ling']]);
    expect(isReleasableTo(null, tan)).toBe(true);
  });

  it('lists every violation of every recipient at once', () => {
    const markings = { tlp: 'RED' as const, releasableTo: { countries: ['ID'], organizations: [] } };
    expect(rules(seal(markings, [{ ...mei, explicit: false }, tan]))).toEqual([
      ['tlp-red-named-only', 'Mei Ling'],
      ['releasability', 'Mei Ling'],
      ['releasability', 'Tan'],
    ]);
  });
});

describe('verified facts only (SPEC 12.5)', () => {
  const claimant = { ...budi, name: 'Mallory', fingerprint: new Uint8Array(32).fill(77), verification: 'unverified' as const };
  const introduced = { ...claimant, name: 'Intro', verification: 'introduced' as const };

  it('an unverified card claiming the originator organization breaks unverified-recipient and every organization rule above GREEN', () => {
    expect(rules(seal({ tlp: 'AMBER+STRICT' }, [claimant]))).toEqual([
      ['unverified-recipient', 'Mallory'],
      ['tlp-amber-strict-organization', 'Mallory'],
    ]);
    expect(rules(seal({ tlp: 'AMBER' }, [claimant]))).toEqual([
      ['unverified-recipient', 'Mallory'],
      ['tlp-amber-organizations', 'Mallory'],
    ]);
    expect(rules(seal({ tlp: 'RED' }, [claimant]))).toEqual([['unverified-recipient', 'Mallory']]);
  });

  it('REL TO covers no unverified card, at any TLP; without REL TO, GREEN and CLEAR need nothing', () => {
    const rel = { tlp: 'GREEN' as const, releasableTo: { countries: ['ID'], organizations: ['BIN'] } };
    expect(rules(seal(rel, [claimant]))).toEqual([['releasability', 'Mallory']]);
    expect(seal({ tlp: 'GREEN' }, [claimant])).toEqual([]);
    expect(seal({ tlp: 'CLEAR' }, [claimant])).toEqual([]);
  });

  it('introduced cards count only when accepted', () => {
    expect(rules(seal({ tlp: 'AMBER+STRICT' }, [introduced]))).toEqual([
      ['unverified-recipient', 'Intro'],
      ['tlp-amber-strict-organization', 'Intro'],
    ]);
    expect(checkSealPolicy({ markings: checkMarkings({ tlp: 'AMBER+STRICT' }), originator: ayu, recipients: [introduced], acceptIntroduced: true })).toEqual([]);
  });

  it('forwarding counts verified cards only as well', () => {
    const v = checkForwardPolicy({ markings: checkMarkings({ tlp: 'AMBER' }), originator: ayu, forwarder: budi, recipients: [claimant], items: [], expired: false });
    expect(rules(v)).toEqual([
      ['unverified-recipient', 'Mallory'],
      ['tlp-amber-forward-organization', 'Mallory'],
    ]);
    expect(v.every((x) => x.overridable)).toBe(true);
  });
});

describe('forwarding rules', () => {
  const items: ForwardPolicyInput['items'] = [{ name: 'report.txt', releasableTo: null }];
  const forward = (markings: HandlingMarkings, forwarder: PolicyParty, recipients: PolicyRecipient[], more: { expired?: boolean; items?: typeof items } = {}) =>
    checkForwardPolicy({ markings: checkMarkings(markings), originator: ayu, forwarder, recipients, items: more.items ?? items, expired: more.expired ?? false });

  it('TLP:RED is never forwarded, and no override lifts that', () => {
    const v = forward({ tlp: 'RED' }, budi, [{ ...ayu }]);
    expect(rules(v)).toEqual([['tlp-red-no-forward', null]]);
    expect(v[0]!.overridable).toBe(false);
    const e = (() => {
      try {
        enforcePolicy(v, { reason: 'director asked', authorisedBy: 'Director' });
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(PolicyViolationError);
    expect((e as PolicyViolationError).code).toBe('ERR_POLICY_VIOLATION');
  });

  it('TLP:AMBER+STRICT may not leave the originator organization', () => {
    expect(forward({ tlp: 'AMBER+STRICT' }, budi, [ayu])).toEqual([]);
    expect(rules(forward({ tlp: 'AMBER+STRICT' }, budi, [citra]))).toEqual([['tlp-amber-strict-organization', 'Citra']]);
  });

  it('TLP:AMBER is forwarded only inside the forwarder organization', () => {
    const amber = { tlp: 'AMBER' as const, amberOrganizations: ['PDRM'] };
    // Mei (PDRM) received it; she may share inside PDRM only.
    const colleague = party('Mohd', 'PDRM', 'MY');
    expect(forward(amber, mei, [colleague])).toEqual([]);
    expect(rules(forward(amber, mei, [tan, budi]))).toEqual([
      ['tlp-amber-forward-organization', 'Tan'],
      ['tlp-amber-forward-organization', 'Budi'],
    ]);
  });

  it('REL TO is checked again for new recipients, for the bundle and each item', () => {
    const rel = { tlp: 'GREEN' as const, releasableTo: { countries: ['ID', 'MY'], organizations: [] } };
    expect(rules(forward(rel, mei, [tan]))).toEqual([['releasability', 'Tan']]);
    const narrowItems = [{ name: 'my-only.txt', releasableTo: { countries: ['MY'], organizations: [] } }];
    expect(rules(forward({ tlp: 'GREEN' }, mei, [citra], { items: narrowItems }))).toEqual([['item-releasability', 'Citra']]);
  });

  it('an expired bundle is not forwarded', () => {
    expect(rules(forward({ tlp: 'GREEN' }, budi, [citra], { expired: true }))).toEqual([['expired', null]]);
  });

  it('GREEN and CLEAR go anywhere', () => {
    expect(forward({ tlp: 'GREEN' }, budi, [tan, mei])).toEqual([]);
    expect(forward({ tlp: 'CLEAR' }, tan, [mei])).toEqual([]);
  });
});

describe('enforcePolicy', () => {
  const violations = seal({ tlp: 'RED' }, [{ ...mei, explicit: false }]);

  it('throws a PolicyViolationError that lists the violations', () => {
    let caught: unknown;
    try {
      enforcePolicy(violations, undefined);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(PolicyViolationError);
    const e = caught as PolicyViolationError;
    expect(e.code).toBe('ERR_POLICY_VIOLATION');
    expect(e.violations.map((v) => [v.rule, v.recipient?.name])).toEqual([['tlp-red-named-only', 'Mei Ling']]);
  });

  it('an override with reason and authoriser lifts overridable violations and says which', () => {
    const applied = enforcePolicy(violations, { reason: ' liaison officer on the operation ', authorisedBy: 'Deputy Director Ops' });
    expect(applied).toEqual({
      reason: 'liaison officer on the operation',
      authorisedBy: 'Deputy Director Ops',
      lifted: [{ rule: 'tlp-red-named-only', recipient: mei.fingerprint, item: null }],
    });
    expect(enforcePolicy([], { reason: 'x', authorisedBy: 'y' })).toBeNull();
  });

  it('refuses an override without a reason or authoriser', () => {
    expect(() => enforcePolicy(violations, { reason: '  ', authorisedBy: 'Director' })).toThrow(RangeError);
    expect(() => enforcePolicy(violations, { reason: 'ok', authorisedBy: '' })).toThrow(RangeError);
    expect(() => enforcePolicy(violations, { reason: 1, authorisedBy: 'x' } as never)).toThrow(TypeError);
  });
});

describe('markings', () => {
  it('normalise to one form: sorted, deduplicated, upper-case countries, TLP 1.0 WHITE as CLEAR', () => {
    expect(checkMarkings({ tlp: 'TLP:white' as 'CLEAR' }).tlp).toBe('CLEAR');
    expect(tlpFromName('amber+strict')).toBe('AMBER+STRICT');
    expect(tlpFromName('purple')).toBeNull();
    const m = checkMarkings({ tlp: 'AMBER', releasableTo: { countries: ['my', 'ID', 'MY'], organizations: ['INTERPOL'] }, caveats: ['ORCON', 'NOFORN', 'ORCON'] });
    expect(m.releasableTo).toEqual({ countries: ['ID', 'MY'], organizations: ['INTERPOL'] });
    expect(m.caveats).toEqual(['NOFORN', 'ORCON']);
    // Sorted by UTF-8 bytes, not UTF-16 units (which would put the emoji first).
    expect(checkMarkings({ tlp: 'GREEN', caveats: ['\u{1F600}', '\uFF21'] }).caveats).toEqual(['\uFF21', '\u{1F600}']);
    expect(formatMarkings({ tlp: 'AMBER', classification: 'RAHASIA', releasableTo: { countries: ['ID', 'MY'], organizations: [] } })).toBe('TLP:AMBER RAHASIA REL TO ID, MY');
  });

  it('refuse malformed markings at the edge', () => {
    expect(() => checkMarkings({ tlp: 'RED', releasableTo: { countries: ['IDN'], organizations: [] } })).toThrow(RangeError);
    expect(() => checkMarkings({ tlp: 'RED', releasableTo: { countries: [], organizations: [] } })).toThrow(RangeError);
    expect(() => checkMarkings({ tlp: 'GREEN', amberOrganizations: ['PDRM'] })).toThrow(RangeError);
    expect(() => checkMarkings({ tlp: 'GREEN', caveats: ['bad\u202ecaveat'] })).toThrow(RangeError);
    expect(() => checkMarkings({ tlp: 3 } as never)).toThrow(TypeError);
  });

  it('have one CBOR encoding, and a reader refuses any other', () => {
    const m = checkMarkings({ tlp: 'AMBER', classification: 'TERBATAS', releasableTo: { countries: ['MY', 'ID'], organizations: [] }, amberOrganizations: ['PDRM'] });
    const bytes = encodeCanonical(markingsToCbor(m));
    expect(markingsFromCbor(decodeCanonical(bytes))).toEqual(m);
    const unsorted = { tlp: 'AMBER', rel: { countries: ['MY', 'ID'], orgs: [] } };
    expect(() => markingsFromCbor(unsorted)).toThrow(/normal form/);
    expect(() => markingsFromCbor({ tlp: 'WHITE' })).toThrow();
    expect(() => markingsFromCbor({ tlp: 'GREEN', caveats: [] })).toThrow(/normal form/);
    expect(() => markingsFromCbor({ tlp: 'GREEN', extra: 1 })).toThrow(/unknown key/);
  });
});
