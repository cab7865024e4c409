/**
 * A reader's check of the forward chain against the forwarding rules (SPEC 12.6). A forward
 * record is signed by its forwarder, so a valid record of a forbidden forward is that
 * forwarder's signed confession, not a licence: the reader refuses it like the forwarder's own
 * library should have. Checked here:
 *
 * - `tlp-red-no-forward`: a TLP:RED bundle with any forward record. No override lifts it.
 * - `tlp-amber-strict-organization`: a TLP:AMBER+STRICT bundle that reached someone outside the
 *   originator's organization: a forwarder (by the organization its own record states) or the
 *   reader itself (by its own key card, when the caller knows it). Lifted only by an override
 *   that names that party, recorded by whoever sent it there (the manifest for the first
 *   forwarder, the forward record before it otherwise).
 */
import { constantTimeEqual } from '../crypto/bytes.js';
import { PolicyViolationError } from '../policy/override.js';
import type { PolicyParty } from '../policy/party.js';
import type { PolicyRule, PolicyViolation } from '../policy/rules.js';
import type { AppliedOverride } from '../policy/override.js';
import type { ForwardRecord } from './head.js';
import type { BundleManifest } from './manifest.js';

function lifted(override: AppliedOverride | null, rule: PolicyRule, party: PolicyParty): boolean {
  return override !== null && override.lifted.some((l) => l.rule === rule && l.recipient !== null && constantTimeEqual(l.recipient, party.fingerprint));
}

function party(p: PolicyParty): PolicyParty {
  return { fingerprint: p.fingerprint, name: p.name, organization: p.organization, country: p.country };
}

/**
 * Every forwarding rule the received chain breaks; empty if none.
 * @param reader - The reader's own key card attributes, or null if unknown (then only the
 *   forwarders are checked).
 */
export function receivedForwardViolations(manifest: BundleManifest, forwards: ForwardRecord[], reader: PolicyParty | null): PolicyViolation[] {
  if (forwards.length === 0) return [];
  const out: PolicyViolation[] = [];
  if (manifest.markings.tlp === 'RED') {
    const by = forwards.map((f) => f.forwarder.name).join(', then ');
    out.push({
      rule: 'tlp-red-no-forward',
      recipient: null,
      item: null,
      overridable: false,
      message: `This TLP:RED bundle was forwarded (by ${by}); TLP:RED is never forwarded. Tell the originator ${manifest.originator.name} and do not use it`,
    });
  }
  if (manifest.markings.tlp === 'AMBER+STRICT') {
    const org = manifest.originator.organization;
    // Receiver i was sent the bundle by hop i - 1 (hop -1: the originator's own seal).
    const receivers: { who: PolicyParty; sentUnder: AppliedOverride | null }[] = forwards.map((f, i) => ({
      who: f.forwarder,
      sentUnder: i === 0 ? manifest.override : forwards[i - 1]!.override,
    }));
    if (reader !== null) receivers.push({ who: reader, sentUnder: forwards[forwards.length - 1]!.override });
    for (const r of receivers) {
      if (r.who.organization !== org && !lifted(r.sentUnder, 'tlp-amber-strict-organization', r.who)) {
        out.push({
          rule: 'tlp-amber-strict-organization',
          recipient: party(r.who),
          item: null,
          overridable: false,
          message: `This TLP:AMBER+STRICT bundle reached ${r.who.name} (${r.who.organization}) outside the originator's organization ${org} through a forward, with no override naming it`,
        });
      }
    }
  }
  return out;
}

/**
 * Refuse a received bundle whose forward chain breaks the forwarding rules (SPEC 12.6).
 * @throws {@link PolicyViolationError} `ERR_POLICY_VIOLATION`, listing every broken rule.
 */
export function checkReceivedForwards(manifest: BundleManifest, forwards: ForwardRecord[], reader: PolicyParty | null): void {
  const violations = receivedForwardViolations(manifest, forwards, reader);
  if (violations.length > 0) throw new PolicyViolationError(violations, 'received');
}
