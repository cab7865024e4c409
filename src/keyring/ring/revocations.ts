/**
 * Revocation statements in the key ring (docs/KEYRING.md, "Revocation"): importing them, and
 * the trust a key compromise withdraws.
 */
import { LintasError } from '../../errors/index.js';
import { cryptoReady } from '../../crypto/sodium.js';
import { bytesEqual } from '../key-card.js';
import { revocationApplies, type Revocation } from '../revocation.js';
import { hex } from '../ring-index.js';
import { decodeRevocationInput } from './arguments.js';
import { settleCompromises } from './compromise.js';
import type { RingStore } from './ring-store.js';

/** See {@link KeyRing.importRevocation}. */
export async function importRevocation(store: RingStore, input: Revocation | Uint8Array | string): Promise<Revocation> {
  store.assertOpen();
  await cryptoReady();
  const revocation = decodeRevocationInput(input);
  return store.commit((s, idx) => {
    const loc = idx.byFingerprint.get(hex(revocation.fingerprint));
    if (loc) {
      const card = loc.record.cards[loc.position]!;
      if (!revocationApplies(revocation, card)) {
        throw new LintasError('ERR_REVOCATION_SIGNATURE_INVALID', 'Revocation statement is not signed by the key of the card it names; ignore it');
      }
    }
    if (!s.revocations.some((r) => bytesEqual(r.bytes, revocation.bytes))) s.revocations.push(revocation);
    settleCompromises(s);
    return () => revocation;
  });
}
