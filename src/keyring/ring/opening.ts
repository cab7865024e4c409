/**
 * Opening through the key ring (docs/KEYRING.md, "Opening"): any of your keys, current or
 * rotated out, and a report of what the ring knows about the sender.
 */
import { LintasError } from '../../errors/index.js';
import { recipientId, type RecipientKeyPair } from '../../keys/recipient.js';
import { openStream as openEnvelopeStream, type EnvelopeInfo, type OpenedEnvelope, type OpenOptions } from '../../envelope/open.js';
import type { ByteSource } from '../../envelope/byte-source.js';
import type { KeyCard } from '../key-card.js';
import { revocationCovers, type Revocation } from '../revocation.js';
import { hex, type Contact, type Identity, type RingIndex } from '../ring-index.js';
import type { Verification } from '../ring-state.js';
import { nowSeconds } from './arguments.js';
import type { RingStore } from './ring-store.js';

/** How the sender of an opened envelope is known to this key ring. */
export type SenderVerification = Verification | 'unknown' | 'anonymous';

/** Options of {@link KeyRing.open} and {@link KeyRing.openStream}. */
export interface KeyRingOpenOptions extends Omit<OpenOptions, 'keys' | 'trustedSenders'> {
  /** Refuse envelopes whose (non-anonymous) sender is not in this key ring, with ERR_UNKNOWN_SENDER. Default false. */
  requireKnownSender?: boolean;
}

/** What the key ring knows about the sender of an opened envelope. */
export interface SenderReport {
  /** The contact whose card signed it, or null (anonymous, unknown, or one of your identities). */
  senderContact: Contact | null;
  /** Your own identity, if you sent it to yourself. */
  senderIdentity: Identity | null;
  /** The exact card whose signing key signed it. */
  senderCard: KeyCard | null;
  /** 'unknown': signed, but by a key not in this key ring; 'anonymous': no sender at all. */
  senderVerification: SenderVerification;
  /** The signing card is revoked for this envelope: a key compromise, or signed at or after the revocation time. */
  senderRevoked: boolean;
  /** The revocation that applies to the signing card, if `senderRevoked`. */
  senderRevocation: Revocation | null;
  /** The signing card's validity has ended (checked at the `now` of the open options). */
  senderExpired: boolean;
  /** The signing card has been replaced by a newer card of the same sender. */
  senderSuperseded: boolean;
  /** Which of your identities the envelope was opened for. */
  recipientIdentity: Identity;
  /**
   * The envelope is only as strong as X25519 against someone who records it now and has a
   * quantum computer later (SPEC 10.9). Either it was opened with the X25519 key of one of your
   * identities whose card also publishes an X-Wing key (the sealer used the classic key instead
   * of the post-quantum one), or it carries an X25519 stanza beside X-Wing ones: a classical
   * recipient shares the one file key, so breaking its stanza opens the envelope for every
   * recipient. The key ring seals neither way unless the sealer passed
   * `allowClassicalRecipients`; ask the sender to seal to X-Wing keys only.
   */
  downgraded: boolean;
}

/** An envelope opened through the key ring. */
export interface KeyRingOpenedEnvelope extends OpenedEnvelope, SenderReport {}

/** A streamed open through the key ring; see `openStream` for when the payload may be trusted. */
export interface KeyRingOpenedEnvelopeStream {
  /**
   * What the envelope says about itself, and what the key ring knows about its sender (claimed until
   * the payload has been read without error).
   */
  info: EnvelopeInfo & SenderReport;
  /**
   * The payload, decrypted as it is read; iteration throws `ERR_ENVELOPE_TAMPERED` or
   * `ERR_SIGNATURE_INVALID` at the end if it is not authentic. Can be iterated once.
   */
  payload: AsyncIterable<Uint8Array>;
}

/** See {@link KeyRing.openStream}. */
export async function openStream(store: RingStore, envelope: ByteSource | string, options: KeyRingOpenOptions): Promise<KeyRingOpenedEnvelopeStream> {
  store.assertOpen();
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const { requireKnownSender, ...rest } = options;
  if (requireKnownSender !== undefined && typeof requireKnownSender !== 'boolean') throw new TypeError('options.requireKnownSender must be a boolean');
  for (const k of ['keys', 'trustedSenders'] as const) {
    if (k in options) throw new TypeError(`options.${k} is not accepted here: the key ring supplies keys and senders`);
  }
  const openOptions: OpenOptions = { ...rest, ...openingOptions(store, requireKnownSender === true) };
  const opened = await openEnvelopeStream(envelope, openOptions);
  const report = senderReport(store.index, opened.info, nowSeconds(options.now));
  return { info: { ...opened.info, ...report }, payload: opened.payload };
}

/**
 * See {@link KeyRing.openingOptions}: every decryption key of the ring (current and rotated out),
 * and with `requireKnownSender` every signing key it knows as the trusted senders (SPEC 6.5).
 */
export function openingOptions(store: RingStore, requireKnownSender: boolean): Pick<OpenOptions, 'keys' | 'trustedSenders'> {
  store.assertOpen();
  const index = store.index;
  const keys: RecipientKeyPair[] = index.ownKeys.map((k) => k.key);
  if (keys.length === 0) throw new LintasError('ERR_ENVELOPE_NOT_FOR_ME', 'This key ring has no identity, so no envelope can be for it; create an identity first');
  if (!requireKnownSender) return { keys };
  return { keys, trustedSenders: [...index.bySigningKey.values()].map((loc) => loc.record.cards[loc.position]!.signingPublicKey) };
}

/** See {@link KeyRing.senderReport}: what the ring knows of an envelope opened elsewhere. */
export function reportOnSender(store: RingStore, info: EnvelopeInfo, now: Date | undefined): SenderReport {
  store.assertOpen();
  if (info === null || typeof info !== 'object' || !info.openedWith || !(info.openedWith.recipientId instanceof Uint8Array)) {
    throw new TypeError('info must be what open() returned (an EnvelopeInfo)');
  }
  if (!store.index.byRecipientId.has(hex(info.openedWith.recipientId))) {
    throw new LintasError('ERR_KEYRING_UNKNOWN_IDENTITY', 'The envelope was opened with a key that belongs to none of the identities of this key ring');
  }
  return senderReport(store.index, info, nowSeconds(now));
}

function senderReport(index: RingIndex, info: EnvelopeInfo, now: number): SenderReport {
  const opener = hex(info.openedWith.recipientId);
  const recipient = index.byRecipientId.get(opener)!;
  // A hybrid card asks senders for its X-Wing key only (SPEC 10.9); its X25519 key opening the
  // envelope means the sealer bypassed that, which must not go unnoticed. And the envelope is
  // only as strong as its weakest stanza: an X25519 stanza beside X-Wing ones (another,
  // classical recipient) exposes the one file key to whoever breaks X25519, so every opener is told.
  const openedClassicallyDespiteHybrid =
    info.openedWith.type === 'X25519' &&
    recipient.cards.some((card) => card.encryptionKeys.some((k) => k.type === 'X-Wing') && card.encryptionKeys.some((k) => k.type === 'X25519' && hex(recipientId(k)) === opener));
  const mixedStanzas = info.stanzaTypes.includes('X25519') && info.stanzaTypes.includes('X-Wing');
  const downgraded = openedClassicallyDespiteHybrid || mixedStanzas;
  const base: SenderReport = {
    senderContact: null,
    senderIdentity: null,
    senderCard: null,
    senderVerification: info.sender === null ? 'anonymous' : 'unknown',
    senderRevoked: false,
    senderRevocation: null,
    senderExpired: false,
    senderSuperseded: false,
    recipientIdentity: index.identity(recipient),
    downgraded,
  };
  if (info.sender === null) return base;
  const loc = index.bySigningKey.get(hex(info.sender));
  if (!loc) return base;
  const card = loc.record.cards[loc.position]!;
  const revocation = index.revocationOf(card);
  return {
    ...base,
    senderContact: loc.kind === 'contact' ? index.contact(loc.record) : null,
    senderIdentity: loc.kind === 'identity' ? index.identity(loc.record) : null,
    senderCard: card,
    senderVerification: loc.kind === 'contact' ? loc.record.verification : 'verified',
    senderRevoked: revocation !== null && revocationCovers(revocation, info.createdAt),
    senderRevocation: revocation,
    senderExpired: now >= card.validUntil.getTime() / 1000,
    senderSuperseded: loc.position < loc.record.cards.length - 1,
  };
}
