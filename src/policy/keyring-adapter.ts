/**
 * The key ring as the source of policy attributes: a key card's organization and country, and
 * whether the sender named the recipient individually. Type-only imports: the policy rules stay
 * independent of key ring code, this file only says how the two shapes line up.
 */
import type { KeyCard } from '../keyring/key-card.js';
import type { ResolvedRecipient } from '../keyring/key-ring.js';
import type { PolicyParty, PolicyRecipient } from './party.js';

/** The policy attributes of a key card. */
export function policyPartyFromCard(card: KeyCard): PolicyParty {
  return { fingerprint: card.fingerprint, name: card.name, organization: card.organization, country: card.country };
}

/**
 * The policy attributes of a recipient resolved by `KeyRing.resolveRecipients`: the current
 * card's attributes, `explicit` as the key ring reports it (false when the recipient was
 * reached only through a group), and how the key ring knows the card (`verification`), so the
 * rules count the attributes of verified cards only (SPEC 12.5).
 */
export function policyRecipientFromResolved(r: ResolvedRecipient): PolicyRecipient {
  return { ...policyPartyFromCard(r.card), explicit: r.explicit, verification: r.verification };
}
