/**
 * Bundles with the lintas key ring: recipients by contact name, group, fingerprint or key card;
 * the sealing identity from the ring; opening and forwarding with every key the ring holds
 * (current and rotated out). The key ring's own checks (unknown, revoked, expired cards) run
 * first; the handling policy then sees each card's organization and country.
 */
import { LintasError } from '../errors/index.js';
import { wipe } from '../crypto/bytes.js';
import type { ByteSource } from '../envelope/byte-source.js';
import type { KeyRing, KeyRingOpenOptions, RecipientRef, ResolveOptions } from '../keyring/key-ring.js';
import { preferredEncryptionKey } from '../keyring/key-card.js';
import { revocationCovers } from '../keyring/revocation.js';
import { policyPartyFromCard, policyRecipientFromResolved } from '../policy/keyring-adapter.js';
import type { BundleIdentity, BundleRecipient } from './identity.js';
import { bundleFromEnvelope, checkBundleOpenOptions, type OpenBundleOptions, type OpenedBundle } from './open.js';
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
export type KeyRingOpenBundleOptions = Omit<KeyRingOpenOptions, 'allowAnonymous'> & Pick<OpenBundleOptions, 'strictExpiry' | 'audit'>;

/**
 * Open a bundle with every key in the ring (current and rotated out); see {@link openBundle}. The
 * ring's sender report (is the sealer a verified contact?) is available by opening the envelope
 * with {@link KeyRing.openStream}.
 * @throws {TypeError | RangeError} for invalid options.
 * @throws {@link LintasError} the codes of {@link openBundle}; `ERR_UNKNOWN_SENDER` with
 *   `requireKnownSender`.
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
 * for await (const item of opened.items()) {
 *   const { summary } = await item.stix();
 *   console.log(item.name, summary.objectCount); // indicators.json 0
 * }
 * bin.close();
 * polri.close();
 * ```
 */
export async function openBundleWithKeyRing(ring: KeyRing, envelope: ByteSource | string, options: KeyRingOpenBundleOptions = {}): Promise<OpenedBundle> {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const checked = checkBundleOpenOptions(options);
  const { strictExpiry: _s, audit: _a, ...ringOptions } = options;
  return bundleFromEnvelope(await ring.openStream(envelope, ringOptions), checked);
}

/** Options for {@link forwardBundleWithKeyRing}. */
export interface KeyRingForwardBundleOptions extends Pick<ForwardBundleOptions, 'override' | 'audit' | 'now' | 'padding' | 'hideRecipients' | 'chunkSize'> {
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
 * for (const a of [bin, hq, ops]) a.ring.close();
 * ```
 * @throws {TypeError | RangeError} for invalid options.
 * @throws {@link LintasError} the codes of {@link forwardBundleStream}, of
 *   {@link bundleIdentityFromKeyRing} (the forwarder) and of {@link bundleRecipientsFromKeyRing}
 *   (the new recipients); `ERR_UNKNOWN_SENDER` with `requireKnownSender`; `ERR_KEYRING_CLOSED`.
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
    const bundle = await bundleFromEnvelope(await ring.openStream(received, ringOptions), checkBundleOpenOptions({ now: options.now, audit: options.audit }));
    forwarded = await forwardOpened(bundle, checked);
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
