/**
 * Bundles with the lintas key ring: recipients by contact name, group, fingerprint or key card;
 * the sealing identity from the ring; opening and forwarding with every key the ring holds
 * (current and rotated out). The key ring's own checks (unknown, revoked, expired cards) run
 * first; the handling policy then sees each card's organization and country.
 */
import { LintasError } from '../errors/index.js';
import { wipe } from '../crypto/bytes.js';
import type { ByteSource } from '../envelope/byte-source.js';
import type { KeyRing, KeyRingOpenOptions, RecipientRef, ResolveOptions, SenderReport } from '../keyring/key-ring.js';
import { preferredEncryptionKey } from '../keyring/key-card.js';
import { revocationCovers } from '../keyring/revocation.js';
import { policyPartyFromCard, policyRecipientFromResolved } from '../policy/keyring-adapter.js';
import type { BundleIdentity, BundleRecipient } from './identity.js';
import { bundleFromEnvelope, checkBundleOpenOptions, recordOpened, type OpenBundleOptions, type OpenedBundle } from './open.js';
import { originatorReport, type OriginatorReport } from './originator-report.js';
import { checkForwardOptions, forwardOpened, type ForwardBundleOptions, type ForwardedBundleStream } from './forward.js';

/**
 * Resolve recipients in a key ring for {@link sealBundle}: the X-Wing key of each card when it
 * has one (else X25519), and the card's attributes with `explicit` false for recipients reached
 * only through a group.
 * @throws {@link LintasError} the key ring's `ERR_KEYRING_UNKNOWN_RECIPIENT`, `ERR_KEYRING_RECIPIENT_REVOKED`,
 *   `ERR_KEYRING_RECIPIENT_EXPIRED`.
 */
export function bundleRecipientsFromKeyRing(ring: KeyRing, refs: RecipientRef[], options?: ResolveOptions): BundleRecipient[] {
  return ring.resolveRecipients(refs, options ?? {}).map((r) => ({ encryptionKey: preferredEncryptionKey(r.card), attributes: policyRecipientFromResolved(r) }));
}

/**
 * One of your key ring identities as the sealing or forwarding identity. The returned signing
 * key is a copy: wipe it (`wipe(identity.signing.secretKey)`) when done.
 * @throws {@link LintasError} `ERR_KEYRING_UNKNOWN_IDENTITY`, `ERR_KEYRING_IDENTITY_REVOKED`, `ERR_KEYRING_IDENTITY_EXPIRED`.
 */
export function bundleIdentityFromKeyRing(ring: KeyRing, name: string, options: { now?: Date } = {}): BundleIdentity {
  const identity = ring.identity(name);
  const now = options.now ?? new Date();
  if (identity.revocation && revocationCovers(identity.revocation, now)) {
    throw new LintasError('ERR_KEYRING_IDENTITY_REVOKED', `Your identity "${name}" has revoked its current card; rotate to a new card first`);
  }
  const card = identity.card;
  if (now.getTime() >= card.validUntil.getTime() || now.getTime() < card.validFrom.getTime()) {
    throw new LintasError('ERR_KEYRING_IDENTITY_EXPIRED', `Your identity "${name}" has a card valid only from ${card.validFrom.toISOString()} to ${card.validUntil.toISOString()}; rotate it`);
  }
  const keys = ring.identityKeys(name);
  // Only the signing key is needed; the copies of the encryption secrets go now.
  wipe(keys.x25519.secretKey, keys.xwing.secretKey);
  return { signing: keys.signing, card: policyPartyFromCard(card) };
}

/** Options for {@link openBundleWithKeyRing}. */
export type KeyRingOpenBundleOptions = Omit<KeyRingOpenOptions, 'allowAnonymous'> &
  Pick<OpenBundleOptions, 'strictExpiry' | 'audit'> & {
    /**
     * Open a bundle whose manifest describes its originator differently from the key card your
     * key ring holds for the signing key (another fingerprint, name, organization or country),
     * and report the difference in `originatorMismatch` instead of refusing with
     * `ERR_BUNDLE_ORIGINATOR_CLAIM_MISMATCH`. For inspecting such a bundle, never for acting on it.
     */
    allowOriginatorMismatch?: boolean;
  };

/**
 * A bundle opened through the key ring: the {@link OpenedBundle}, plus what the key ring knows
 * about the two parties that signed it, under the same names as {@link KeyRing.open}.
 *
 * - The `sender*` fields, `downgraded` and `recipientIdentity` ({@link SenderReport}) are about the
 *   envelope: `sender*` describe {@link OpenedBundle.sender}, the key that sealed it (the last
 *   forwarder, or the originator when `forwarded` is false). As with {@link KeyRing.openStream},
 *   the envelope signature that binds that key is checked when `items()` (or `readAll()`)
 *   finishes: act on them only after that ends without error.
 * - The `originator*` fields ({@link OriginatorReport}) describe {@link OpenedBundle.originator},
 *   whose manifest signature is verified before {@link openBundleWithKeyRing} returns.
 *
 * Each is a report, not a refusal (only `requireKnownSender` refuses, and only an unknown
 * sender): a revoked, expired, unknown or downgrading party is for the application to act on.
 * The one exception is a manifest whose originator claim contradicts the key ring's card for
 * the signing key: refused unless `allowOriginatorMismatch` (see {@link OriginatorReport}).
 */
export interface KeyRingOpenedBundle extends OpenedBundle, SenderReport, OriginatorReport {}

/**
 * Open a bundle with every key in the ring (current and rotated out); see {@link openBundle}.
 * The result also reports what the key ring knows about the envelope's sealer (`sender*`,
 * `downgraded`, `recipientIdentity`, as {@link KeyRing.open} does) and about the bundle's
 * originator (`originator*`): see {@link KeyRingOpenedBundle} for which is which, and when each
 * may be trusted.
 * @throws {TypeError | RangeError} for invalid options.
 * @throws {@link LintasError} the codes of {@link openBundle}; `ERR_UNKNOWN_SENDER` with
 *   `requireKnownSender`; `ERR_BUNDLE_ORIGINATOR_CLAIM_MISMATCH` if the manifest's originator
 *   (fingerprint, name, organization, country) is not the key ring's card for its signing key,
 *   unless `allowOriginatorMismatch`; `ERR_KEYRING_CLOSED`.
 * @example
 * ```ts
 * import { bundleIdentityFromKeyRing, bundleRecipientsFromKeyRing, BundleBuilder, KeyRing, MemoryKeyRingStorage, openBundleWithKeyRing, sealBundle } from 'lintas';
 *
 * const bin = await KeyRing.create(new MemoryKeyRingStorage(), { passphrase: 'bin passphrase' });
 * const polri = await KeyRing.create(new MemoryKeyRingStorage(), { passphrase: 'polri passphrase' });
 * const binCard = (await bin.createIdentity({ name: 'BIN', organization: 'BIN', country: 'ID' })).card;
 * const polriCard = (await polri.createIdentity({ name: 'POLRI', organization: 'POLRI', country: 'ID' })).card;
 * await bin.importKeyCard(polriCard.bytes, { name: 'POLRI', fingerprint: polriCard.fingerprint });
 * await polri.importKeyCard(binCard.bytes, { name: 'BIN', fingerprint: binCard.fingerprint });
 *
 * const stix = JSON.stringify({ type: 'bundle', id: 'bundle--6f8f3ab5-6f5c-4c71-9a4c-0f2a3c1d5e7b', objects: [] });
 * const bundle = new BundleBuilder({ title: 'Indicators', markings: { tlp: 'GREEN' } }).addStix('indicators.json', stix);
 * const sealed = await sealBundle(bundle, { sender: bundleIdentityFromKeyRing(bin, 'BIN'), recipients: bundleRecipientsFromKeyRing(bin, ['POLRI']) });
 *
 * const opened = await openBundleWithKeyRing(polri, sealed.deliveries[0]!.envelope, { requireKnownSender: true });
 * // Reports, not refusals: the application decides what a revoked or downgrading sealer means.
 * console.log(opened.senderContact?.name, opened.senderVerification, opened.originatorVerification); // BIN verified verified
 * const suspect = opened.senderRevoked || opened.senderExpired || opened.downgraded || opened.originatorRevoked;
 * for await (const item of opened.items()) {
 *   const { summary } = await item.stix();
 *   console.log(item.name, summary.objectCount); // indicators.json 0
 * }
 * // items() ended without error: the envelope signature, and so the sender report, is verified.
 * console.assert(!suspect);
 * bin.close();
 * polri.close();
 * ```
 */
export async function openBundleWithKeyRing(ring: KeyRing, envelope: ByteSource | string, options: KeyRingOpenBundleOptions = {}): Promise<KeyRingOpenedBundle> {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const checked = checkBundleOpenOptions(options);
  const { strictExpiry: _s, audit: _a, allowOriginatorMismatch, ...ringOptions } = options;
  if (allowOriginatorMismatch !== undefined && typeof allowOriginatorMismatch !== 'boolean') throw new TypeError('options.allowOriginatorMismatch must be a boolean');
  const opened = await ring.openStream(envelope, ringOptions);
  const sender = senderReportOf(opened.info);
  // The opened entry is recorded below, once the originator claim has been checked (SPEC 12.8).
  const bundle = await bundleFromEnvelope(opened, { ...checked, audit: null, reader: policyPartyFromCard(sender.recipientIdentity.card) });
  try {
    const originator = originatorReport(ring, bundle.originator, bundle.manifest.created, checked.now ?? new Date(), allowOriginatorMismatch ?? false);
    if (checked.audit) await recordOpened(checked.audit, bundle, originator.originatorConfirmed ? originator.originatorCard!.fingerprint : null);
    // Added to the bundle object itself, not a copy: its internals (for forwarding) are keyed by it.
    return Object.assign(bundle, sender, originator);
  } catch (e) {
    // A contradicted originator claim, an audit log that cannot record, or a ring closed meanwhile.
    await bundle.close();
    throw e;
  }
}

/** Only the report's fields: the envelope info stays in `envelope`. */
function senderReportOf(r: SenderReport): SenderReport {
  return {
    senderContact: r.senderContact,
    senderIdentity: r.senderIdentity,
    senderCard: r.senderCard,
    senderVerification: r.senderVerification,
    senderRevoked: r.senderRevoked,
    senderRevocation: r.senderRevocation,
    senderExpired: r.senderExpired,
    senderSuperseded: r.senderSuperseded,
    recipientIdentity: r.recipientIdentity,
    downgraded: r.downgraded,
  };
}

/** Options for {@link forwardBundleWithKeyRing}. */
export interface KeyRingForwardBundleOptions extends Pick<ForwardBundleOptions, 'override' | 'acceptIntroduced' | 'audit' | 'now' | 'padding' | 'hideRecipients' | 'chunkSize' | 'allowClassicalRecipients'> {
  /** Your identity that forwards. */
  from: string;
  /** The new recipients, by key ring reference. */
  to: RecipientRef[];
  /** Refuse a received envelope whose sealer is not in the ring. */
  requireKnownSender?: boolean;
}

/**
 * Forward a received bundle with the key ring: opens it with the ring's keys, forwards as
 * `from` to `to`. See {@link forwardBundleStream} for the rules (SPEC 12.6): the originator's
 * signature is kept, and every later reader sees the bundle as forwarded, by whom and to whom.
 * @example
 * ```ts
 * import { bundleIdentityFromKeyRing, bundleRecipientsFromKeyRing, BundleBuilder, forwardBundleWithKeyRing, KeyRing, MemoryKeyRingStorage, openBundleWithKeyRing, sealBundle } from 'lintas';
 *
 * async function agency(name: string, organization: string) {
 *   const ring = await KeyRing.create(new MemoryKeyRingStorage(), { passphrase: `${name} passphrase` });
 *   const { card } = await ring.createIdentity({ name, organization, country: 'ID' });
 *   return { ring, card };
 * }
 * const bin = await agency('BIN', 'BIN');
 * const hq = await agency('POLRI-HQ', 'POLRI');
 * const ops = await agency('POLRI-ops', 'POLRI');
 * const meet = async (a: typeof bin, b: typeof bin) => {
 *   await a.ring.importKeyCard(b.card.bytes, { name: b.card.name, fingerprint: b.card.fingerprint });
 *   await b.ring.importKeyCard(a.card.bytes, { name: a.card.name, fingerprint: a.card.fingerprint });
 * };
 * await meet(bin, hq);
 * await meet(hq, ops);
 * await ops.ring.importKeyCard(bin.card.bytes, { name: 'BIN', fingerprint: bin.card.fingerprint });
 *
 * // BIN seals to POLRI headquarters; TLP:AMBER may be shared inside POLRI.
 * const bundle = new BundleBuilder({ title: 'Watch list', markings: { tlp: 'AMBER', amberOrganizations: ['POLRI'] } }).addText('list.txt', 'three names');
 * const sealed = await sealBundle(bundle, { sender: bundleIdentityFromKeyRing(bin.ring, 'BIN'), recipients: bundleRecipientsFromKeyRing(bin.ring, ['POLRI-HQ']) });
 *
 * // Headquarters forwards it to its operations desk.
 * const forwarded = await forwardBundleWithKeyRing(hq.ring, sealed.deliveries[0]!.envelope, { from: 'POLRI-HQ', to: ['POLRI-ops'] });
 *
 * // The forwarded envelope streams straight into the operations desk's reader (or to a transport).
 * const opened = await openBundleWithKeyRing(ops.ring, forwarded.envelope);
 * console.log(opened.forwarded, opened.originator.name, opened.sender.name); // true "BIN" "POLRI-HQ"
 * // The key ring's report on each: `sender*` for headquarters (who sealed this envelope), `originator*` for BIN.
 * console.log(opened.senderContact?.name, opened.originatorContact?.name); // "POLRI-HQ" "BIN"
 * for (const a of [bin, hq, ops]) a.ring.close();
 * ```
 * @throws {TypeError | RangeError} for invalid options.
 * @throws {@link LintasError} the codes of {@link forwardBundleStream}, of
 *   {@link bundleIdentityFromKeyRing} (the forwarder) and of {@link bundleRecipientsFromKeyRing}
 *   (the new recipients); `ERR_BUNDLE_ORIGINATOR_CLAIM_MISMATCH` (see
 *   {@link openBundleWithKeyRing}); `ERR_UNKNOWN_SENDER` with `requireKnownSender`; `ERR_KEYRING_CLOSED`.
 */
export async function forwardBundleWithKeyRing(ring: KeyRing, received: ByteSource | string, options: KeyRingForwardBundleOptions): Promise<ForwardedBundleStream> {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const { from, to, requireKnownSender, ...rest } = options;
  const forwarder = bundleIdentityFromKeyRing(ring, from, options.now ? { now: options.now } : {});
  const recipients = bundleRecipientsFromKeyRing(ring, to, options.now ? { now: options.now } : {});
  const checked = checkForwardOptions({ ...rest, forwarder, recipients });
  const ringOptions: KeyRingOpenOptions = {};
  if (requireKnownSender !== undefined) ringOptions.requireKnownSender = requireKnownSender;
  if (options.now !== undefined) ringOptions.now = options.now;
  let forwarded: ForwardedBundleStream;
  try {
    const opened = await ring.openStream(received, ringOptions);
    const reader = policyPartyFromCard(opened.info.recipientIdentity.card);
    const bundle = await bundleFromEnvelope(opened, { ...checkBundleOpenOptions({ now: options.now, audit: undefined }), reader });
    let confirmed: Uint8Array | null;
    try {
      // A manifest that misdescribes its originator is not passed on (SPEC 12.6).
      const originator = originatorReport(ring, bundle.originator, bundle.manifest.created, options.now ?? new Date(), false);
      confirmed = originator.originatorConfirmed ? originator.originatorCard!.fingerprint : null;
      if (checked.audit) await recordOpened(checked.audit, bundle, confirmed);
    } catch (e) {
      await bundle.close();
      throw e;
    }
    forwarded = await forwardOpened(bundle, checked, confirmed);
  } catch (e) {
    wipe(forwarder.signing.secretKey);
    throw e;
  }
  return { ...forwarded, envelope: wipeWhenDone(forwarded.envelope, forwarder.signing.secretKey) };
}

/** The forwarder's key copy signs the envelope at its very end; wipe it once that is done. */
async function* wipeWhenDone(envelope: AsyncIterable<Uint8Array>, secret: Uint8Array): AsyncGenerator<Uint8Array> {
  try {
    yield* envelope;
  } finally {
    wipe(secret);
  }
}
