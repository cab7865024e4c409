/**
 * What a key compromise does to your contacts (docs/KEYRING.md, "Revocation"). A key-compromise
 * revocation of key K voids every statement K signed from the stated compromise time on (all of
 * them when none is stated): successor cards and introductions. The key ring brings its
 * contents to the state these rules define after every import and on every load, so the result
 * does not depend on the order in which cards and revocations arrived:
 *
 * 1. a contact's chain drops back to the last card before the first voided succession, unless
 *    you compared the fingerprint of that successor (or a later card) out of band;
 * 2. a contact with a compromised card in its chain is 'unverified' unless its current card is
 *    the one you confirmed and is not itself compromised (its groups are then held back, see
 *    `RingIndex.suspended`);
 * 3. a contact introduced through a voided introduction is 'unverified'.
 */
import { bytesEqual, type KeyCard } from '../key-card.js';
import { voidsStatement, type Revocation } from '../revocation.js';
import { hex, RingIndex } from '../ring-index.js';
import type { ContactRecord, RingState } from '../ring-state.js';

/**
 * The key-compromise revocation of `signer`'s key that voids the succession to `successor`
 * (signed with that key at the successor's `validFrom`), or null.
 */
export function voidedSuccession(idx: RingIndex, signer: KeyCard, successor: KeyCard): Revocation | null {
  return idx.revocationsOfKey(signer.signingPublicKey).find((r) => voidsStatement(r, signer.validFrom, successor.validFrom)) ?? null;
}

/** Apply the rules above to the draft state `s`, in place. */
export function settleCompromises(s: RingState): void {
  const before = new RingIndex(s);
  for (const c of s.contacts) {
    for (let i = 1; i < c.cards.length; i++) {
      if (voidedSuccession(before, c.cards[i - 1]!, c.cards[i]!) && !confirmedFrom(c, i)) {
        c.cards.splice(i);
        break;
      }
    }
  }
  const idx = new RingIndex(s);
  for (const c of s.contacts) {
    const current = c.cards[c.cards.length - 1]!;
    const compromised = (card: KeyCard) => idx.revocationOf(card)?.reason === 'key-compromise';
    const confirmedCurrent = c.confirmed !== null && bytesEqual(c.confirmed, current.fingerprint) && !compromised(current);
    if (c.cards.some(compromised) && !confirmedCurrent) unverify(c);
    if (c.introduction !== null) {
      const intro = c.introduction;
      const introducer = idx.byFingerprint.get(hex(intro.introducerFingerprint));
      const validFrom = introducer ? introducer.record.cards[introducer.position]!.validFrom : null;
      if (idx.revocationsOfKey(intro.introducerSigningKey).some((r) => voidsStatement(r, validFrom, intro.issuedAt))) unverify(c);
    }
  }
}

/** True if you confirmed the card at `position` or a later one of the chain out of band. */
function confirmedFrom(c: ContactRecord, position: number): boolean {
  return c.confirmed !== null && c.cards.slice(position).some((card) => bytesEqual(card.fingerprint, c.confirmed!));
}

function unverify(c: ContactRecord): void {
  c.verification = 'unverified';
  c.introduction = null;
}
