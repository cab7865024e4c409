/**
 * The extension point for recipient types (SPEC section 4). A scheme wraps a file key for one
 * public key, and tries to unwrap a stanza with one secret key.
 *
 * Contract: `unwrap` returns null for "not mine" (wrong type, wrong key, or a stanza that does
 * not decrypt: in hidden-recipients mode that is indistinguishable from "not mine") and throws
 * only for "mine but broken" (a stanza of its type whose arguments have the wrong shape).
 */
import type { RandomSource } from '../crypto/random.js';
import type { RecipientKeyPair, RecipientPublicKey, RecipientType } from '../keys/recipient.js';

/** What a scheme produces for one recipient; the caller adds the recipient id. */
export interface WrappedKey {
  args: Uint8Array[];
  body: Uint8Array;
}

/** A recipient type's wrap and unwrap. */
export interface StanzaScheme {
  readonly type: RecipientType;
  /** Sizes of the args and body, used to build indistinguishable dummy stanzas. */
  readonly argLengths: readonly number[];
  readonly bodyLength: number;
  /**
   * A throwaway public key of this type made from `random`, its secret discarded. Padding wraps a
   * random file key to it, so a dummy stanza is a real stanza nobody can open (SPEC 5.6).
   */
  dummyRecipient(random: RandomSource): RecipientPublicKey;
  wrap(fileKey: Uint8Array, recipient: RecipientPublicKey, random: RandomSource): WrappedKey;
  unwrap(args: Uint8Array[], body: Uint8Array, key: RecipientKeyPair): Uint8Array | null;
}
