/**
 * What the key ring knows about a bundle's originator, and whether the manifest's claim about
 * it holds (SPEC 12.3, 12.11; docs/KEYRING.md, "Bundles"). The manifest's `originator` (name,
 * organization, country, card fingerprint) is written by whoever signed it: the signature proves
 * the key, not the words. The key ring holds the card that publishes that key; the claim is
 * confirmed only if it is that card's fingerprint and attributes.
 */
import { LintasError } from '../errors/index.js';
import type { KeyRing } from '../keyring/key-ring.js';
import { bytesEqual, type KeyCard } from '../keyring/key-card.js';
import { revocationCovers, type Revocation } from '../keyring/revocation.js';
import type { Contact, Identity } from '../keyring/ring-index.js';
import type { Verification } from '../keyring/ring-state.js';
import type { BundleParty } from './manifest.js';

/** A part of the manifest's originator claim that the key ring's card contradicts. */
export type OriginatorClaimField = 'fingerprint' | 'name' | 'organization' | 'country';

/**
 * What the key ring knows about a bundle's originator: the party that signed the manifest
 * (SPEC 12.1), found by its signing key. The same checks as the key ring's sender report makes
 * for the envelope's sealer; for a bundle that was not forwarded both describe the same key.
 */
export interface OriginatorReport {
  /**
   * How the key ring knows the originator's card: `verified`, `introduced` or `unverified` for a
   * contact (`verified` for one of your own identities), `unknown` if its signing key is not in
   * this key ring: the manifest signature is then valid, but only for a key nobody vouched for.
   */
  originatorVerification: Verification | 'unknown';
  /** The contact whose card signed the manifest, or null (unknown, or one of your identities). */
  originatorContact: Contact | null;
  /** Your own identity, if you originated the bundle. */
  originatorIdentity: Identity | null;
  /**
   * The exact card whose signing key signed the manifest, or null if unknown. The name,
   * organization and country in `originator` are the originator's own words; this is the card
   * your key ring holds for that key.
   */
  originatorCard: KeyCard | null;
  /**
   * True only if the signing key is in the key ring and the manifest's originator claim (card
   * fingerprint, name, organization, country) is exactly that card's. Only a confirmed
   * originator is recorded in the audit trail (SPEC 12.8); how far the card itself is trusted is
   * `originatorVerification`.
   */
  originatorConfirmed: boolean;
  /**
   * The parts of the manifest's originator claim that differ from the key ring's card, e.g.
   * `['organization']` for a partner whose manifest names another agency than its card. Empty
   * when the claim matches or the key is unknown. Non-empty only with `allowOriginatorMismatch`;
   * otherwise such a bundle is refused.
   */
  originatorMismatch: OriginatorClaimField[];
  /**
   * The originator's card is revoked for this bundle: a key compromise, or a manifest created at
   * or after the revocation time (the manifest's `created`, the originator's claim).
   */
  originatorRevoked: boolean;
  /** The strictest revocation known for the originator's card, or null. */
  originatorRevocation: Revocation | null;
  /** The originator's card's validity has ended (at the `now` of the open options). */
  originatorExpired: boolean;
  /** The originator's card has been replaced by a newer card of the same party. */
  originatorSuperseded: boolean;
}

/**
 * The card the claim must match: the card with the claimed fingerprint if it publishes the
 * signing key (several cards of one chain can share a key, e.g. a validity extension), else the
 * newest card that publishes the key.
 */
function claimedCard(ring: KeyRing, originator: BundleParty): ReturnType<KeyRing['lookupSigningKey']> {
  const byFingerprint = ring.findByFingerprint(originator.fingerprint);
  if (byFingerprint !== null && bytesEqual(byFingerprint.card.signingPublicKey, originator.signingKey)) return byFingerprint;
  return ring.lookupSigningKey(originator.signingKey);
}

/** The fields of the claim that differ from `card`. */
function mismatchOf(originator: BundleParty, card: KeyCard): OriginatorClaimField[] {
  const out: OriginatorClaimField[] = [];
  if (!bytesEqual(card.fingerprint, originator.fingerprint)) out.push('fingerprint');
  if (card.name !== originator.name) out.push('name');
  if (card.organization !== originator.organization) out.push('organization');
  if (card.country !== originator.country) out.push('country');
  return out;
}

/**
 * The key ring's view of the manifest signer, with the rules the key ring applies to a sealer.
 * @param allowMismatch - Report a claim that contradicts the key ring's card instead of refusing.
 * @throws {@link LintasError} `ERR_BUNDLE_ORIGINATOR_CLAIM_MISMATCH` when the claim contradicts
 *   the card and `allowMismatch` is false; `ERR_KEYRING_CLOSED`.
 */
export function originatorReport(ring: KeyRing, originator: BundleParty, created: Date, now: Date, allowMismatch: boolean): OriginatorReport {
  const found = claimedCard(ring, originator);
  if (found === null) {
    return {
      originatorVerification: 'unknown',
      originatorContact: null,
      originatorIdentity: null,
      originatorCard: null,
      originatorConfirmed: false,
      originatorMismatch: [],
      originatorRevoked: false,
      originatorRevocation: null,
      originatorExpired: false,
      originatorSuperseded: false,
    };
  }
  const { identity, contact, card } = found;
  const mismatch = mismatchOf(originator, card);
  if (mismatch.length > 0 && !allowMismatch) {
    throw new LintasError(
      'ERR_BUNDLE_ORIGINATOR_CLAIM_MISMATCH',
      `The bundle's manifest claims an originator (${mismatch.join(', ')}) that differs from the key card your key ring holds for its signing key ` +
        `("${card.name}", ${card.organization}, ${card.country}): the signer misdescribes itself. Do not trust the bundle's origin; ` +
        'ask the holder of that card, or open with allowOriginatorMismatch to inspect it',
    );
  }
  const current = (contact ?? identity)!.card;
  const revocation = ring.revocationOf(card);
  return {
    originatorVerification: contact ? contact.verification : 'verified',
    originatorContact: contact,
    originatorIdentity: identity,
    originatorCard: card,
    originatorConfirmed: mismatch.length === 0,
    originatorMismatch: mismatch,
    originatorRevoked: revocation !== null && revocationCovers(revocation, created),
    originatorRevocation: revocation,
    // Whole seconds, as the key ring's sender report compares them.
    originatorExpired: Math.floor(now.getTime() / 1000) >= card.validUntil.getTime() / 1000,
    originatorSuperseded: !bytesEqual(card.fingerprint, current.fingerprint),
  };
}
