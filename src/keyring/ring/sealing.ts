/**
 * Sealing through the key ring (docs/KEYRING.md, "Sealing"): the sender's current card must be
 * unrevoked and valid, and each recipient card gets its preferred key (SPEC 10.9).
 */
import { LintasError } from '../../errors/index.js';
import type { RecipientPublicKey, SigningKeyPair } from '../../keys/recipient.js';
import { sealStream as sealEnvelopeStream, type SealOptions, type SealStreamOptions } from '../../envelope/seal.js';
import type { ByteSource } from '../../envelope/byte-source.js';
import { preferredEncryptionKey } from '../key-card.js';
import { checkClassicalMix } from '../../envelope/classical-mix.js';
import { revocationCovers } from '../revocation.js';
import { nowSeconds } from './arguments.js';
import { resolveRecipients, type RecipientRef } from './resolution.js';
import type { RingStore } from './ring-store.js';
import { validityProblem } from './validity.js';

/** Options of {@link KeyRing.seal}. */
export interface KeyRingSealOptions extends Omit<SealOptions, 'recipients' | 'sender' | 'anonymous'> {
  /** The name of your identity that signs. */
  from: string;
  /** Recipients (see {@link RecipientRef}). */
  to: RecipientRef[];
  /** The time to check validity and revocation at. Default: now. */
  now?: Date;
  /**
   * Seal to recipients whose cards publish only an X25519 key together with recipients whose
   * cards publish X-Wing. The file key is the same in every stanza, so that removes post-quantum
   * protection for all of them, and every opener is told (`downgraded`, SPEC 10.9). Default
   * false: refused with `ERR_SEAL_CLASSICAL_RECIPIENT`; seal the classical recipients separately.
   */
  allowClassicalRecipients?: boolean;
}

/** Options of {@link KeyRing.sealStream}. */
export interface KeyRingSealStreamOptions extends Omit<SealStreamOptions, 'recipients' | 'sender' | 'anonymous'> {
  /** The name of your identity that signs. */
  from: string;
  /** Recipients (see {@link RecipientRef}). */
  to: RecipientRef[];
  /** The time to check validity and revocation at. Default: now. */
  now?: Date;
  /**
   * Seal to recipients whose cards publish only an X25519 key together with recipients whose
   * cards publish X-Wing. The file key is the same in every stanza, so that removes post-quantum
   * protection for all of them, and every opener is told (`downgraded`, SPEC 10.9). Default
   * false: refused with `ERR_SEAL_CLASSICAL_RECIPIENT`; seal the classical recipients separately.
   */
  allowClassicalRecipients?: boolean;
}

/** What {@link KeyRing.sealingKeys} returns. */
export interface KeyRingSealingKeys {
  /** The signing key pair of the sending identity's current card. */
  sender: SigningKeyPair;
  /** Each recipient card's preferred encryption key (X-Wing when it has one), in order. */
  recipients: RecipientPublicKey[];
}

/** What {@link KeyRing.sealingKeys} needs: the sealing options that choose keys. */
export type KeyRingSealingKeysOptions = Pick<KeyRingSealOptions, 'from' | 'to' | 'now' | 'allowClassicalRecipients'>;

/** See {@link KeyRing.sealStream}. */
export function sealStream(store: RingStore, payload: ByteSource, options: KeyRingSealStreamOptions): AsyncIterable<Uint8Array> {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const { from, to, now, allowClassicalRecipients, ...rest } = options;
  for (const k of ['recipients', 'sender', 'anonymous'] as const) {
    if (k in options) throw new TypeError(`options.${k} is not accepted here: the key ring chooses keys from options.from and options.to`);
  }
  const { sender, recipients } = sealingKeys(store, { from, to, now, allowClassicalRecipients });
  return sealEnvelopeStream(payload, { ...rest, recipients, sender });
}

/**
 * See {@link KeyRing.sealingKeys}: the sender's keys and the recipients' public keys, after every
 * check the key ring makes before it seals.
 */
export function sealingKeys(store: RingStore, options: KeyRingSealingKeysOptions): KeyRingSealingKeys {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const { from, to, now, allowClassicalRecipients } = options;
  if (typeof from !== 'string') throw new TypeError('options.from must be the name of one of your identities');
  const sender = senderKeys(store, from, nowSeconds(now));
  // A hybrid (X-Wing) card gets only an X-Wing stanza: adding an X25519 stanza for the same
  // recipient would let whoever breaks X25519 (a future quantum computer) unwrap the file key
  // through it, which would throw away the post-quantum protection the card asked for.
  const resolved = resolveRecipients(store, to, now === undefined ? {} : { now });
  const recipients = resolved.map((r) => preferredEncryptionKey(r.card));
  // And one classical-only card must not silently strip that protection from the others.
  checkClassicalMix(recipients, allowClassicalRecipients, (i) => resolved[i]!.label);
  return { sender, recipients };
}

/** The signing keys of identity `from`, if its current card may sign at `now`. */
function senderKeys(store: RingStore, from: string, now: number): SigningKeyPair {
  const record = store.identityRecord(from);
  const card = record.cards[record.cards.length - 1]!;
  const revocation = store.index.revocationOf(card);
  if (revocation && revocationCovers(revocation, new Date(now * 1000))) {
    throw new LintasError('ERR_KEYRING_IDENTITY_REVOKED', `Your identity "${from}" has revoked its current card (${revocation.reason}); rotate to a new card or create a new identity`);
  }
  const problem = validityProblem(card, now);
  if (problem) throw new LintasError('ERR_KEYRING_IDENTITY_EXPIRED', `Your identity "${from}" has a card that is ${problem}; rotate it to issue a new card`);
  return record.keys[record.keys.length - 1]!.signing;
}
