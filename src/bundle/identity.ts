/**
 * Who seals and who receives, as the bundle functions take them: keys for the envelope plus the
 * key card attributes the handling policy decides on.
 */
import type { RecipientPublicKey, SigningKeyPair } from '../keys/recipient.js';
import { checkParty, checkRecipient, type PolicyParty, type PolicyRecipient } from '../policy/party.js';
import type { BundleParty } from './manifest.js';

/** The identity that seals (originator) or forwards a bundle. */
export interface BundleIdentity {
  /** Signs the manifest or forward record, and the envelope. */
  signing: SigningKeyPair;
  /** The identity's own key card attributes (fingerprint, name, organization, country). */
  card: PolicyParty;
}

/** One recipient: the key to seal to and the attributes the policy checks. */
export interface BundleRecipient {
  /** Encryption key from the recipient's key card (X-Wing or X25519). */
  encryptionKey: RecipientPublicKey;
  /** Key card attributes for the handling policy (fingerprint, name, organization, country, explicit). */
  attributes: PolicyRecipient;
}

/**
 * Check an identity at the public edge.
 * @throws {TypeError | RangeError} for a malformed key pair or attributes.
 */
export function checkIdentity(id: BundleIdentity, what: string): { signing: SigningKeyPair; party: BundleParty } {
  if (id === null || typeof id !== 'object') throw new TypeError(`${what} must be { signing, card }`);
  const s = id.signing;
  if (!s || !(s.publicKey instanceof Uint8Array) || !(s.secretKey instanceof Uint8Array)) throw new TypeError(`${what}.signing must be a SigningKeyPair`);
  if (s.publicKey.length !== 32 || s.secretKey.length !== 64) throw new RangeError(`${what}.signing must be an Ed25519 key pair`);
  const card = checkParty(id.card, `${what}.card`);
  return { signing: s, party: { signingKey: s.publicKey.slice(), ...card } };
}

/**
 * Check recipients at the public edge: attributes well-formed, no fingerprint twice.
 * @throws {TypeError | RangeError} for malformed or duplicate recipients.
 */
export function checkRecipients(list: BundleRecipient[], what: string): BundleRecipient[] {
  if (!Array.isArray(list)) throw new TypeError(`${what} must be an array`);
  if (list.length === 0) throw new RangeError(`${what} must name at least one recipient`);
  const seen = new Set<string>();
  return list.map((r, i) => {
    if (r === null || typeof r !== 'object' || !r.encryptionKey || !(r.encryptionKey.publicKey instanceof Uint8Array)) {
      throw new TypeError(`${what}[${i}] must be { encryptionKey, attributes }`);
    }
    const attributes = checkRecipient(r.attributes, `${what}[${i}].attributes`);
    const key = Array.from(attributes.fingerprint, (b) => b.toString(16).padStart(2, '0')).join('');
    if (seen.has(key)) throw new RangeError(`${what}[${i}] repeats the recipient ${attributes.name}`);
    seen.add(key);
    return { encryptionKey: r.encryptionKey, attributes };
  });
}
