export { KeyRing, DEFAULT_VALIDITY_DAYS, CARD_CLOCK_SKEW_SECONDS } from './key-ring.js';
export type {
  RecipientRef,
  SenderVerification,
  ResolvedRecipient,
  CreateIdentityOptions,
  RotateIdentityOptions,
  ImportKeyCardOptions,
  ImportKeyCardResult,
  AttributeChange,
  UpdateContactOptions,
  ResolveOptions,
  KeyRingSealOptions,
  KeyRingSealingKeysOptions,
  KeyRingSealingKeys,
  KeyRingSealStreamOptions,
  KeyRingOpenOptions,
  SenderReport,
  KeyRingOpenedEnvelope,
  KeyRingOpenedEnvelopeStream,
  StorageProtection,
  OpenKeyRingOptions,
} from './key-ring.js';
export type { Identity, Contact } from './ring-index.js';
export type { Verification } from './ring-state.js';
export { MemoryKeyRingStorage } from './storage.js';
export type { KeyRingStorage } from './storage.js';
export { KEYRING_KDF_DEFAULTS, KEYRING_KDF_MINIMUM, KEYRING_KDF_MAXIMUM } from './encrypted-file.js';
export type { KeyRingSecret } from './encrypted-file.js';
export type { Argon2idParams } from '../crypto/argon2.js';
export {
  createKeyCard,
  encodeKeyCard,
  decodeKeyCard,
  armorKeyCard,
  KEY_CARD_VERSION,
  MAX_KEY_CARD_BYTES,
} from './key-card.js';
export type { KeyCard, KeyCardParams, KeyCardPredecessor } from './key-card.js';
export { formatFingerprint, fingerprintHex, parseFingerprint, safetyNumber, FINGERPRINT_BYTES } from './fingerprint.js';
export type { FingerprintRef } from './fingerprint.js';
export { createRevocation, decodeRevocation, armorRevocation, REVOCATION_REASONS } from './revocation.js';
export type { Revocation, RevocationReason, RevocationOptions } from './revocation.js';
export { createIntroduction, decodeIntroduction, armorIntroduction } from './introduction.js';
export type { Introduction } from './introduction.js';
