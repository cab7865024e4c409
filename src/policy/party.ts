/**
 * The attributes the handling policy decides on. Deliberately tiny and independent of the key
 * ring: any directory (the lintas key ring, an agency LDAP, a test) can supply them, and the
 * rules can be reviewed without reading key ring code. `recipientFromResolved` in
 * `keyring-adapter.ts` builds one from a key ring contact.
 */

/** Someone who seals, forwards or receives a bundle, as their key card describes them. */
export interface PolicyParty {
  /** Key card fingerprint (32 bytes): how audit entries and violations name the party. */
  fingerprint: Uint8Array;
  /** Name on the key card, for messages and audit. */
  name: string;
  /** Organization as written on the key card; compared exactly (after NFC). */
  organization: string;
  /** ISO 3166-1 alpha-2 country code from the key card. */
  country: string;
}

/**
 * How the attributes of a recipient were established (SPEC 12.5): `verified` (its key card's
 * fingerprint was compared out of band, or it is one of your own identities), `introduced`
 * (vouched for by a contact you verified) or `unverified` (the card only says so about itself).
 * Names the key ring's `Verification` states, without importing key ring code.
 */
export type PartyVerification = 'verified' | 'introduced' | 'unverified';

/** Every {@link PartyVerification}. */
export const PARTY_VERIFICATIONS: readonly PartyVerification[] = ['verified', 'introduced', 'unverified'];

/** A recipient of a bundle. */
export interface PolicyRecipient extends PolicyParty {
  /**
   * True if the sender named this recipient individually (by name, fingerprint or key card);
   * false if the recipient came in through a group or distribution list. TLP:RED needs true.
   */
  explicit: boolean;
  /**
   * How its attributes were established. The rules count the organization and country of a
   * `verified` recipient (and of an `introduced` one when the caller accepts introductions); an
   * `unverified` card's claims count for nothing (SPEC 12.5). Whoever supplies attributes from
   * its own directory states here whether it checked them.
   */
  verification: PartyVerification;
}

/** Size of a key card fingerprint. */
export const PARTY_FINGERPRINT_BYTES = 32;

const COUNTRY = /^[A-Z]{2}$/;

/**
 * Check a party at the public edge and return a normalised copy (NFC organization and name,
 * upper-case country).
 * @throws {TypeError | RangeError} for missing or malformed attributes.
 */
export function checkParty(p: PolicyParty, what: string): PolicyParty {
  if (p === null || typeof p !== 'object') throw new TypeError(`${what} must be an object`);
  if (!(p.fingerprint instanceof Uint8Array)) throw new TypeError(`${what}.fingerprint must be a Uint8Array`);
  if (p.fingerprint.length !== PARTY_FINGERPRINT_BYTES) throw new RangeError(`${what}.fingerprint must be ${PARTY_FINGERPRINT_BYTES} bytes`);
  for (const k of ['name', 'organization', 'country'] as const) {
    if (typeof p[k] !== 'string') throw new TypeError(`${what}.${k} must be a string`);
  }
  const name = p.name.normalize('NFC').trim();
  const organization = p.organization.normalize('NFC').trim();
  if (name.length === 0) throw new RangeError(`${what}.name must not be empty`);
  if (organization.length === 0) throw new RangeError(`${what}.organization must not be empty`);
  const country = p.country.trim().toUpperCase();
  if (!COUNTRY.test(country)) throw new RangeError(`${what}.country "${p.country}" is not an ISO 3166-1 alpha-2 code`);
  return { fingerprint: p.fingerprint.slice(), name, organization, country };
}

/**
 * Check a recipient like {@link checkParty}, plus `explicit` and `verification`.
 * @throws {TypeError | RangeError} for missing or malformed attributes.
 */
export function checkRecipient(r: PolicyRecipient, what: string): PolicyRecipient {
  const party = checkParty(r, what);
  if (typeof r.explicit !== 'boolean') throw new TypeError(`${what}.explicit must be a boolean`);
  if (typeof r.verification !== 'string') throw new TypeError(`${what}.verification must be 'verified', 'introduced' or 'unverified'`);
  if (!PARTY_VERIFICATIONS.includes(r.verification)) throw new RangeError(`${what}.verification "${r.verification}" is not 'verified', 'introduced' or 'unverified'`);
  return { ...party, explicit: r.explicit, verification: r.verification };
}
