/**
 * The handling rules (SPEC section 12.5), as pure functions from markings and party attributes
 * to a list of violations. They never throw for a violation: the caller collects every
 * violation first so the error can name each recipient and each rule at once, and then decides
 * with {@link enforcePolicy} whether an override applies.
 *
 * Reading of TLP 2.0 (https://www.first.org/tlp/) for sealing and forwarding:
 * - RED: "for the eyes and ears of individual recipients only, no further". Sealed only to
 *   recipients the sender named individually (not through a group), never forwarded.
 * - AMBER+STRICT: "restricts sharing to the organization only". Sealed and forwarded only to
 *   members of the originator's organization.
 * - AMBER: "limited disclosure ... within their organization and its clients". Sealed to the
 *   originator's organization and the organizations the sender names as involved
 *   (`amberOrganizations`); a recipient forwards only within the recipient's own organization
 *   (clients cannot be checked from key cards, so sharing with them needs an override).
 * - GREEN and CLEAR: no rule on who receives it (community / public).
 * "REL TO" is checked on top of TLP at sealing and at every forward.
 *
 * Verified facts only (SPEC 12.5): a recipient's organization and country count only when its
 * card is verified (or introduced, when the caller accepts introductions). A card that merely
 * claims the originator's organization is covered by no organization rule and no "REL TO", and
 * any material above TLP:GREEN to such a recipient breaks `unverified-recipient`. All of these
 * can be lifted only by an explicit override, which is recorded.
 */
import type { NormalizedMarkings, Releasability } from './markings.js';
import type { PolicyParty, PolicyRecipient } from './party.js';
import { tlpRank } from './markings.js';

/** Stable names of the rules; a violation names one. */
export type PolicyRule =
  | 'unverified-recipient'
  | 'tlp-red-named-only'
  | 'tlp-red-no-forward'
  | 'tlp-amber-strict-organization'
  | 'tlp-amber-organizations'
  | 'tlp-amber-forward-organization'
  | 'releasability'
  | 'item-releasability'
  | 'nothing-released'
  | 'stix-unknown-marking'
  | 'expired';

/** One broken rule, for one recipient (or for the whole bundle when `recipient` is null). */
export interface PolicyViolation {
  /** Which rule is broken. */
  rule: PolicyRule;
  /** The recipient that breaks the rule; null when the rule concerns the bundle itself. */
  recipient: PolicyParty | null;
  /** The item concerned (per-item releasability), else null. */
  item: string | null;
  /** False for rules no override can lift (forwarding TLP:RED). */
  overridable: boolean;
  /** What is wrong, naming the recipient and rule, for people. */
  message: string;
}

/** True if `party` is covered by the "REL TO" list (or there is no list). */
export function isReleasableTo(releasableTo: Releasability | null, party: Pick<PolicyParty, 'country' | 'organization'>): boolean {
  if (releasableTo === null) return true;
  return releasableTo.countries.includes(party.country) || releasableTo.organizations.includes(party.organization);
}

function who(p: PolicyParty): string {
  return `${p.name} (${p.organization}, ${p.country})`;
}

function party(r: PolicyParty): PolicyParty {
  return { fingerprint: r.fingerprint, name: r.name, organization: r.organization, country: r.country };
}

function violation(rule: PolicyRule, recipient: PolicyParty | null, message: string, item: string | null = null, overridable = true): PolicyViolation {
  return { rule, recipient: recipient === null ? null : party(recipient), item, overridable, message };
}

function releasabilityText(rel: Releasability): string {
  return [...rel.countries, ...rel.organizations].join(', ');
}

/** True if the rules may count `r`'s organization and country (SPEC 12.5). */
function attested(r: PolicyRecipient, acceptIntroduced: boolean): boolean {
  return r.verification === 'verified' || (acceptIntroduced && r.verification === 'introduced');
}

/** Why an unattested recipient's claims do not count, appended to its violations. */
function unattestedNote(r: PolicyRecipient): string {
  return r.verification === 'introduced'
    ? ' (its card is only introduced, and introductions were not accepted: its organization and country do not count)'
    : ' (its card is unverified: what it says about its organization and country does not count; verify its fingerprint out of band)';
}

/**
 * The recipient as the rules see it: its own attributes when attested, otherwise an
 * organization and country that match nothing, so no organization rule or "REL TO" covers it.
 */
function counted(r: PolicyRecipient, acceptIntroduced: boolean): { organization: string | null; country: string | null; note: string } {
  if (attested(r, acceptIntroduced)) return { organization: r.organization, country: r.country, note: '' };
  return { organization: null, country: null, note: unattestedNote(r) };
}

function covered(rel: Releasability | null, c: { organization: string | null; country: string | null }): boolean {
  if (rel === null) return true;
  return (c.country !== null && rel.countries.includes(c.country)) || (c.organization !== null && rel.organizations.includes(c.organization));
}

/**
 * True if `recipient` is covered by the "REL TO" list counting only attested attributes (SPEC
 * 12.5): an unverified card is covered by no list (and by the absence of one).
 */
export function isReleasableToRecipient(releasableTo: Releasability | null, recipient: PolicyRecipient, acceptIntroduced = false): boolean {
  return covered(releasableTo, counted(recipient, acceptIntroduced));
}

/** Above TLP:GREEN, an unattested recipient is a violation of its own (SPEC 12.5). */
function unverifiedViolation(markings: NormalizedMarkings, r: PolicyRecipient, acceptIntroduced: boolean): PolicyViolation | null {
  if (tlpRank(markings.tlp) <= tlpRank('GREEN') || attested(r, acceptIntroduced)) return null;
  return violation('unverified-recipient', r, `${who(r)} may not receive TLP:${markings.tlp}${unattestedNote(r)}`);
}

/** What {@link checkSealPolicy} decides on. */
export interface SealPolicyInput {
  /** The bundle's markings, normalised. */
  markings: NormalizedMarkings;
  /** The sealing identity. */
  originator: PolicyParty;
  /** Every recipient, with how it was named and how its attributes were established. */
  recipients: PolicyRecipient[];
  /** Count the attributes of `introduced` recipients like verified ones. Default false. */
  acceptIntroduced?: boolean;
}

/** Every violation of the sealing rules, in recipient order; empty if sealing is allowed. */
export function checkSealPolicy(input: SealPolicyInput): PolicyViolation[] {
  const { markings, originator } = input;
  const acceptIntroduced = input.acceptIntroduced ?? false;
  const out: PolicyViolation[] = [];
  for (const r of input.recipients) {
    const c = counted(r, acceptIntroduced);
    const unverified = unverifiedViolation(markings, r, acceptIntroduced);
    if (unverified) out.push(unverified);
    if (markings.tlp === 'RED' && !r.explicit) {
      out.push(violation('tlp-red-named-only', r, `${who(r)} was not named individually (reached through a group); TLP:RED goes only to recipients named one by one`));
    }
    if (markings.tlp === 'AMBER+STRICT' && c.organization !== originator.organization) {
      out.push(violation('tlp-amber-strict-organization', r, `${who(r)} is outside the originator's organization ${originator.organization}; TLP:AMBER+STRICT stays inside it${c.note}`));
    }
    if (markings.tlp === 'AMBER' && c.organization !== originator.organization && (c.organization === null || !markings.amberOrganizations.includes(c.organization))) {
      out.push(
        violation(
          'tlp-amber-organizations',
          r,
          `${who(r)} belongs to an organization not named as involved; TLP:AMBER goes to ${[originator.organization, ...markings.amberOrganizations].join(', ')} (add it to amberOrganizations if intended)${c.note}`,
        ),
      );
    }
    if (!covered(markings.releasableTo, c)) {
      out.push(violation('releasability', r, `${who(r)} is not covered by REL TO ${releasabilityText(markings.releasableTo!)}${c.note}`));
    }
  }
  return out;
}

/** What {@link checkForwardPolicy} decides on. */
export interface ForwardPolicyInput {
  /** The markings in the originator's manifest. */
  markings: NormalizedMarkings;
  /** The originator's organization and country, from the signed manifest. */
  originator: Pick<PolicyParty, 'organization' | 'country'>;
  /** Who forwards it now. */
  forwarder: PolicyParty;
  /** The new recipients. */
  recipients: PolicyRecipient[];
  /** The items forwarded, with their own "REL TO" list if they have one. */
  items: {
    /** Item name. */
    name: string;
    /** The item's own "REL TO", or null. */
    releasableTo: Releasability | null;
  }[];
  /** True if the bundle is past its expiry. */
  expired: boolean;
  /** Count the attributes of `introduced` recipients like verified ones. Default false. */
  acceptIntroduced?: boolean;
}

/** Every violation of the forwarding rules; empty if forwarding is allowed. */
export function checkForwardPolicy(input: ForwardPolicyInput): PolicyViolation[] {
  const { markings, originator, forwarder } = input;
  const out: PolicyViolation[] = [];
  if (markings.tlp === 'RED') {
    out.push(violation('tlp-red-no-forward', null, 'TLP:RED may not be forwarded to anyone: ask the originator to share it', null, false));
  }
  if (input.expired) out.push(violation('expired', null, 'The bundle has expired; its originator no longer releases it'));
  const acceptIntroduced = input.acceptIntroduced ?? false;
  for (const r of input.recipients) {
    const c = counted(r, acceptIntroduced);
    const unverified = unverifiedViolation(markings, r, acceptIntroduced);
    if (unverified) out.push(unverified);
    if (markings.tlp === 'AMBER+STRICT' && c.organization !== originator.organization) {
      out.push(violation('tlp-amber-strict-organization', r, `${who(r)} is outside the originator's organization ${originator.organization}; TLP:AMBER+STRICT stays inside it${c.note}`));
    }
    if (markings.tlp === 'AMBER' && c.organization !== forwarder.organization) {
      out.push(violation('tlp-amber-forward-organization', r, `${who(r)} is outside your organization ${forwarder.organization}; a received TLP:AMBER bundle is shared only inside it${c.note}`));
    }
    if (!covered(markings.releasableTo, c)) {
      out.push(violation('releasability', r, `${who(r)} is not covered by REL TO ${releasabilityText(markings.releasableTo!)}${c.note}`));
    }
    for (const item of input.items) {
      if (!covered(item.releasableTo, c)) {
        out.push(violation('item-releasability', r, `${who(r)} is not covered by REL TO ${releasabilityText(item.releasableTo!)} of item "${item.name}"${c.note}`, item.name));
      }
    }
  }
  return out;
}
