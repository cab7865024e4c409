export { recipientId, RECIPIENT_TYPES } from './recipient.js';
export type { RecipientType, RecipientPublicKey, RecipientKeyPair, SigningKeyPair } from './recipient.js';
export { identityKeysFromSeed, generateIdentityKeys, publicIdentityKeys, wipeIdentityKeys } from './identity-keys.js';
export type { IdentityKeys, PublicIdentityKeys } from './identity-keys.js';
