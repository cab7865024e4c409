export { TLP_LEVELS, tlpRank, tlpFromName, checkMarkings, checkReleasability, formatMarkings, MAX_MARKING_TEXT_BYTES, MAX_MARKING_LIST } from './markings.js';
export type { TlpLevel, HandlingMarkings, Releasability, NormalizedMarkings } from './markings.js';
export { checkParty, checkRecipient, PARTY_FINGERPRINT_BYTES, PARTY_VERIFICATIONS } from './party.js';
export type { PolicyParty, PolicyRecipient, PartyVerification } from './party.js';
export { checkSealPolicy, checkForwardPolicy, isReleasableTo, isReleasableToRecipient } from './rules.js';
export type { PolicyRule, PolicyViolation, SealPolicyInput, ForwardPolicyInput } from './rules.js';
export { PolicyViolationError, enforcePolicy, checkOverride, MAX_OVERRIDE_REASON_BYTES } from './override.js';
export type { PolicyOverride, AppliedOverride, PolicyViolationAdvice } from './override.js';
export { policyPartyFromCard, policyRecipientFromResolved } from './keyring-adapter.js';
