/**
 * Forwarding a received bundle (SPEC 12.6): re-seal it to new recipients so that the
 * originator's signature still verifies and the forward is visible. The originator-signed
 * manifest and the item bytes travel unchanged; the forwarder appends a signed forward record
 * (who, when, to whom, from which envelope, any override) and seals a new envelope with its
 * own key. Readers check that the envelope was sealed by the last forwarder, so a forwarded
 * bundle can never pass as newly originated, and that every record chains to the manifest.
 */
import { concatBytes } from '../crypto/bytes.js';
import { createSha256, sha256 } from '../crypto/hash.js';
import { collectBytes, type ByteSource } from '../envelope/byte-source.js';
import { sealStream } from '../envelope/seal.js';
import { checkClassicalMix } from '../envelope/classical-mix.js';
import type { AuditLog } from '../audit/log.js';
import { publicMarkings } from '../policy/markings.js';
import { checkForwardPolicy } from '../policy/rules.js';
import { checkOverride, enforcePolicy, type AppliedOverride, type PolicyOverride } from '../policy/override.js';
import { BUNDLE_CONTENT_TYPE } from './constants.js';
import { encodeForwardRecord, encodeHead, headPrefix, signForwardRecord, type ForwardRecord } from './head.js';
import { checkIdentity, checkRecipients, type BundleIdentity, type BundleRecipient } from './identity.js';
import type { BundleManifest } from './manifest.js';
import { internalsOf, openBundle, type OpenBundleOptions, type OpenedBundle } from './open.js';
import { checkAcceptIntroduced, checkAudit } from './seal.js';

/** Options for {@link forwardBundle}: how to open the received envelope, and whom to forward to. */
export interface ForwardBundleOptions extends Omit<OpenBundleOptions, 'strictExpiry'> {
  /** Who forwards: must be a recipient of the received envelope (its keys are in `keys`). */
  forwarder: BundleIdentity;
  /** The new recipients, with the key card attributes the policy checks. */
  recipients: BundleRecipient[];
  /** Forward despite overridable rule violations; recorded in the forward record and audit trail. */
  override?: PolicyOverride;
  /**
   * Count the organization and country of `introduced` recipients like verified ones (SPEC
   * 12.5, 12.6). Default false.
   */
  acceptIntroduced?: boolean;
  /** Record `opened`, `override` and `forwarded` entries here. */
  audit?: AuditLog;
  /** Envelope option, as for `seal`. */
  padding?: boolean;
  /** Envelope option, as for `seal`. */
  hideRecipients?: boolean;
  /** Envelope option, as for `seal`. */
  chunkSize?: number;
  /** Seal X25519-only recipients beside X-Wing ones, as for `sealBundle` (SPEC 10.9). Default false. */
  allowClassicalRecipients?: boolean;
}

/** Result of {@link forwardBundleStream}. */
export interface ForwardedBundleStream {
  /** The forwarded manifest, unchanged (still signed by the originator). */
  manifest: BundleManifest;
  /** The forward record added by this forward. */
  record: ForwardRecord;
  /** The override applied to this forward, or null if no rule needed one. */
  override: AppliedOverride | null;
  /** The new envelope, produced as it is read (items are verified as they pass through). */
  envelope: AsyncIterable<Uint8Array>;
}

/** Result of {@link forwardBundle}. */
export interface ForwardedBundle extends Omit<ForwardedBundleStream, 'envelope'> {
  /** The new envelope. */
  envelope: Uint8Array;
}

/**
 * Forward a received bundle envelope, streaming. The handling rules are checked before
 * anything is returned: TLP:RED is never forwarded (no override lifts that), TLP:AMBER+STRICT
 * only inside the originator's organization, TLP:AMBER only inside the forwarder's, "REL TO"
 * (bundle and items) for every new recipient, and an expired bundle not at all.
 * @throws {TypeError | RangeError} for malformed options, or a forwarder who is the originator
 *   (seal a new bundle instead).
 * @throws {@link LintasError} any code of {@link openBundle}; `ERR_POLICY_VIOLATION` (a
 *   {@link PolicyViolationError} naming each recipient and rule); `ERR_SEAL_CLASSICAL_RECIPIENT`
 *   for X25519 recipients beside X-Wing ones without `allowClassicalRecipients`. While reading the envelope:
 *   `ERR_BUNDLE_ITEM_MISMATCH` and the envelope's own codes if the received bundle is damaged.
 */
export async function forwardBundleStream(received: ByteSource | string, options: ForwardBundleOptions): Promise<ForwardedBundleStream> {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const checked = checkForwardOptions(options);
  const { forwarder: _f, recipients: _r, override: _o, acceptIntroduced: _i, padding: _p, hideRecipients: _h, chunkSize: _c, allowClassicalRecipients: _k, ...openOptions } = options;
  return forwardOpened(await openBundle(received, openOptions), checked, null);
}

/** The forwarding options of {@link forwardBundleStream}, checked. */
export interface CheckedForwardOptions {
  forwarder: ReturnType<typeof checkIdentity>;
  recipients: BundleRecipient[];
  override: PolicyOverride | undefined;
  acceptIntroduced: boolean;
  audit: AuditLog | null;
  now: Date | undefined;
  envelope: Pick<ForwardBundleOptions, 'padding' | 'hideRecipients' | 'chunkSize'>;
}

/**
 * Check the forwarding part of {@link ForwardBundleOptions}.
 * @throws {TypeError | RangeError} for malformed options.
 * @throws {@link LintasError} `ERR_SEAL_CLASSICAL_RECIPIENT` for X25519 recipients beside X-Wing
 *   ones without `allowClassicalRecipients` (SPEC 10.9).
 */
export function checkForwardOptions(options: Pick<ForwardBundleOptions, 'forwarder' | 'recipients' | 'override' | 'acceptIntroduced' | 'audit' | 'now' | 'padding' | 'hideRecipients' | 'chunkSize' | 'allowClassicalRecipients'>): CheckedForwardOptions {
  const envelope: CheckedForwardOptions['envelope'] = {};
  if (options.padding !== undefined) envelope.padding = options.padding;
  if (options.hideRecipients !== undefined) envelope.hideRecipients = options.hideRecipients;
  if (options.chunkSize !== undefined) envelope.chunkSize = options.chunkSize;
  if (options.now !== undefined && (!(options.now instanceof Date) || Number.isNaN(options.now.getTime()))) throw new TypeError('options.now must be a valid Date');
  const recipients = checkRecipients(options.recipients, 'options.recipients');
  // Refused before the received bundle is opened (SPEC 10.9).
  checkClassicalMix(recipients.map((r) => r.encryptionKey), options.allowClassicalRecipients, (i) => recipients[i]!.attributes.name);
  return {
    forwarder: checkIdentity(options.forwarder, 'options.forwarder'),
    recipients,
    override: options.override === undefined ? undefined : checkOverride(options.override, 'options.override'),
    acceptIntroduced: checkAcceptIntroduced(options.acceptIntroduced),
    audit: checkAudit(options.audit),
    now: options.now,
    envelope,
  };
}

/**
 * Forward a bundle that was just opened (no item read yet), by any means of opening. Closes it
 * if forwarding is refused.
 * @param confirmedOriginator - The originator's card fingerprint if a key ring confirmed the
 *   manifest's claim, else null: audit entries then name no originator (SPEC 12.8).
 * @throws see {@link forwardBundleStream}.
 */
export async function forwardOpened(bundle: OpenedBundle, options: CheckedForwardOptions, confirmedOriginator: Uint8Array | null): Promise<ForwardedBundleStream> {
  const { forwarder, recipients, override, audit } = options;
  try {
    const { manifest } = bundle;
    if (sameKey(forwarder.party.signingKey, manifest.originator.signingKey)) {
      throw new RangeError('you originated this bundle: seal it again with sealBundle instead of forwarding it');
    }
    const violations = checkForwardPolicy({
      markings: manifest.markings,
      originator: manifest.originator,
      forwarder: forwarder.party,
      recipients: recipients.map((r) => r.attributes),
      items: manifest.items,
      expired: bundle.expired,
      acceptIntroduced: options.acceptIntroduced,
    });
    const applied = enforcePolicy(violations, override);
    const now = Math.floor((options.now?.getTime() ?? Date.now()) / 1000);
    const { head } = internalsOf(bundle);
    const last = head.forwards[head.forwards.length - 1];
    const record: ForwardRecord = {
      manifestDigest: bundle.manifestDigest,
      prev: last ? sha256(last.record) : new Uint8Array(32),
      receivedIn: bundle.envelope.envelopeId,
      forwarder: forwarder.party,
      at: new Date(now * 1000),
      to: recipients.map((r) => r.attributes.fingerprint),
      override: applied,
    };
    const recordBytes = encodeForwardRecord(record);
    const newHead = encodeHead({
      manifest: head.manifest,
      signature: head.signature,
      forwards: [...head.forwards, { record: recordBytes, signature: signForwardRecord(recordBytes, forwarder.signing.secretKey) }],
    });
    const headBytes = concatBytes(headPrefix(newHead.length), newHead);
    const size = manifest.items.reduce((n, it) => n + it.size, headBytes.length);
    const common = {
      bundleId: manifest.id,
      manifestDigest: bundle.manifestDigest,
      ...(confirmedOriginator ? { originator: confirmedOriginator } : {}),
      from: forwarder.party.fingerprint,
      to: record.to,
      markings: publicMarkings(manifest.markings),
    };
    if (audit && applied) await audit.record({ event: 'override', ...common, override: applied });
    let envelope = sealStream(forwardedPayload(headBytes, bundle), {
      recipients: recipients.map((r) => r.encryptionKey),
      sender: forwarder.signing,
      contentType: BUNDLE_CONTENT_TYPE,
      size,
      ...options.envelope,
    });
    if (audit) envelope = recordWhenDone(envelope, audit, common);
    return { manifest, record: { ...record, to: record.to.map((t) => t.slice()) }, override: applied, envelope };
  } catch (e) {
    await bundle.close();
    throw e;
  }
}

/**
 * Forward a received bundle into an envelope held in memory. See {@link forwardBundleStream}.
 * @throws {TypeError | RangeError} as {@link forwardBundleStream}.
 * @throws {@link LintasError} the codes of {@link forwardBundleStream}, including those it
 *   throws while the envelope is read (`ERR_BUNDLE_ITEM_MISMATCH`, `ERR_ENVELOPE_TAMPERED`,
 *   `ERR_SIGNATURE_INVALID`).
 */
export async function forwardBundle(received: ByteSource | string, options: ForwardBundleOptions): Promise<ForwardedBundle> {
  const f = await forwardBundleStream(received, options);
  return { ...f, envelope: await collectBytes(f.envelope) };
}

/** New head, then the received items, each verified against the manifest as it passes. */
async function* forwardedPayload(headBytes: Uint8Array, bundle: OpenedBundle): AsyncGenerator<Uint8Array> {
  yield headBytes;
  for await (const item of bundle.items()) yield* item.stream();
}

async function* recordWhenDone(
  envelope: AsyncIterable<Uint8Array>,
  audit: AuditLog,
  common: Omit<Parameters<AuditLog['record']>[0], 'event'>,
): AsyncGenerator<Uint8Array> {
  const hash = createSha256();
  for await (const chunk of envelope) {
    hash.update(chunk);
    yield chunk;
  }
  await audit.record({ event: 'forwarded', ...common, envelopeDigest: hash.digest() });
}

function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
