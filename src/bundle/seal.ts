/**
 * Sealing a bundle (SPEC 12.2, 12.5, 12.7): check the handling policy against every recipient,
 * split the recipients into release groups (selective release), and seal one envelope per group
 * whose originator-signed manifest lists, and whose payload carries, only the items released to
 * that group.
 */
import { constantTimeEqual } from '../crypto/bytes.js';
import { createSha256, sha256 } from '../crypto/hash.js';
import { systemRandom, type RandomSource } from '../crypto/random.js';
import { cryptoReady } from '../crypto/sodium.js';
import { LintasError } from '../errors/index.js';
import { sealStream } from '../envelope/seal.js';
import { checkClassicalMix } from '../envelope/classical-mix.js';
import { collectBytes } from '../envelope/byte-source.js';
import type { AuditLog } from '../audit/log.js';
import { checkSealPolicy, isReleasableToRecipient, type PolicyViolation } from '../policy/rules.js';
import { checkOverride, enforcePolicy, type AppliedOverride, type PolicyOverride } from '../policy/override.js';
import type { PolicyRecipient } from '../policy/party.js';
import { publicMarkings, tlpRank } from '../policy/markings.js';
import { BUNDLE_CONTENT_TYPE, BUNDLE_ID_BYTES } from './constants.js';
import { bundleDraftOf, type BundleBuilder, type BundleDraft, type DraftItem } from './builder.js';
import { encodeManifest, signManifest, type BundleManifest, type BundleParty } from './manifest.js';
import { encodeHead, headPrefix } from './head.js';
import { checkIdentity, checkRecipients, type BundleIdentity, type BundleRecipient } from './identity.js';

/** Options for {@link sealBundle} and {@link sealBundleStream}. */
export interface SealBundleOptions {
  /** The originator: signs the manifest and the envelopes. */
  sender: BundleIdentity;
  /** Who receives it: encryption key and key card attributes of each. */
  recipients: BundleRecipient[];
  /**
   * Seal despite handling-rule violations. Recorded in the manifest of every affected delivery
   * (visible to its recipients) and in the audit trail. Ignored when nothing is violated.
   */
  override?: PolicyOverride;
  /**
   * Count the organization and country of recipients whose card is only `introduced` (vouched
   * for by a contact you verified) like verified ones (SPEC 12.5). Default false: only verified
   * cards' attributes count.
   */
  acceptIntroduced?: boolean;
  /** Record `override` and `sealed` entries here. */
  audit?: AuditLog;
  /** Envelope option, as for `seal`. */
  padding?: boolean;
  /** Envelope option, as for `seal`. */
  hideRecipients?: boolean;
  /** Envelope option, as for `seal`. */
  chunkSize?: number;
  /**
   * Seal X25519-only recipients in the same envelope as X-Wing ones. The file key is the same
   * in every stanza, so that removes post-quantum protection for all of them (SPEC 10.9).
   * Default false: refused with `ERR_SEAL_CLASSICAL_RECIPIENT`; seal the classical recipients a
   * bundle of their own instead.
   */
  allowClassicalRecipients?: boolean;
}

/** One envelope of a sealed bundle: for one release group. */
export interface BundleDelivery<E> {
  /** Who can open this envelope. */
  recipients: PolicyRecipient[];
  /** Names of the items it carries (released to these recipients). */
  items: string[];
  /** SHA-256 of the originator-signed manifest in this envelope. */
  manifestDigest: Uint8Array;
  /** The envelope for these recipients. */
  envelope: E;
}

/** Result of {@link sealBundle}. */
export interface SealedBundle {
  /** The bundle id (16 bytes), the same in every delivery. */
  bundleId: Uint8Array;
  /** The override that was applied, or null if no rule needed one. */
  override: AppliedOverride | null;
  /** One envelope per release group; a single one unless items have their own "REL TO". */
  deliveries: BundleDelivery<Uint8Array>[];
}

/** Result of {@link sealBundleStream}: each envelope is produced as it is read. */
export interface SealedBundleStream {
  /** The bundle id (16 bytes), the same in every delivery. */
  bundleId: Uint8Array;
  /** The override that was applied, or null if no rule needed one. */
  override: AppliedOverride | null;
  /** One envelope per release group, each sealed as it is read. */
  deliveries: BundleDelivery<AsyncIterable<Uint8Array>>[];
}

/** A release group, ready to become an envelope. */
export interface PreparedDelivery {
  recipients: BundleRecipient[];
  manifest: BundleManifest;
  manifestBytes: Uint8Array;
  manifestDigest: Uint8Array;
  /** u32be length || head. */
  headBytes: Uint8Array;
  items: DraftItem[];
  /** Exact payload length. */
  payloadLength: number;
}

/** Everything decided before any envelope byte is produced. */
export interface PreparedSeal {
  bundleId: Uint8Array;
  originator: BundleParty;
  override: AppliedOverride | null;
  violations: PolicyViolation[];
  deliveries: PreparedDelivery[];
}

/** Clock and randomness; the vector generator injects fixed ones. */
export interface BundleSealContext {
  random: RandomSource;
  now: () => number;
}

/**
 * Decide and sign (SPEC 12.5, 12.7): policy, release groups, one signed manifest per group.
 * @throws {TypeError | RangeError} for malformed options or an expiry not in the future.
 * @throws {@link LintasError} `ERR_SEAL_CLASSICAL_RECIPIENT` (SPEC 10.9).
 * @throws {PolicyViolationError} `ERR_POLICY_VIOLATION`.
 */
export function prepareSeal(draft: BundleDraft, options: SealBundleOptions, ctx: BundleSealContext): PreparedSeal {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const sender = checkIdentity(options.sender, 'options.sender');
  const recipients = checkRecipients(options.recipients, 'options.recipients');
  const override = options.override === undefined ? undefined : checkOverride(options.override, 'options.override');
  const acceptIntroduced = checkAcceptIntroduced(options.acceptIntroduced);
  // Before the policy: a refused mix must not leave an override entry in the audit log.
  checkClassicalMix(recipients.map((r) => r.encryptionKey), options.allowClassicalRecipients, (i) => recipients[i]!.attributes.name);
  const nowSeconds = Math.floor(ctx.now() / 1000);
  if (draft.expires !== null && draft.expires.getTime() / 1000 <= nowSeconds) throw new RangeError('the bundle expiresAt must be in the future');

  // Selective release: which items each recipient may receive.
  const released = recipients.map((r) => draft.items.filter((it) => isReleasableToRecipient(it.releasableTo, r.attributes, acceptIntroduced)));
  const violations = checkSealPolicy({ markings: draft.markings, originator: sender.party, recipients: recipients.map((r) => r.attributes), acceptIntroduced });
  recipients.forEach((r, i) => {
    if (draft.items.length > 0 && released[i]!.length === 0) {
      const a = r.attributes;
      violations.push({
        rule: 'nothing-released',
        recipient: { fingerprint: a.fingerprint, name: a.name, organization: a.organization, country: a.country },
        item: null,
        overridable: true,
        message: `${a.name} (${a.organization}, ${a.country}) is covered by no item's REL TO and would receive an empty bundle`,
      });
    }
  });
  // SPEC 12.5: below TLP:AMBER, STIX content may carry only markings lintas can read.
  if (tlpRank(draft.markings.tlp) < tlpRank('AMBER')) {
    for (const it of draft.items) {
      if (it.unknownMarkings.length === 0) continue;
      violations.push({
        rule: 'stix-unknown-marking',
        recipient: null,
        item: it.name,
        overridable: true,
        message: `STIX item "${it.name}" carries markings lintas cannot read (${it.unknownMarkings.join(', ')}) in a TLP:${draft.markings.tlp} bundle; raise the bundle's TLP or remove them`,
      });
    }
  }
  const applied = enforcePolicy(violations, override);

  const groups = new Map<string, { recipients: BundleRecipient[]; items: DraftItem[] }>();
  recipients.forEach((r, i) => {
    const items = released[i]!;
    const key = items.map((it) => draft.items.indexOf(it)).join(',');
    const g = groups.get(key);
    if (g) g.recipients.push(r);
    else groups.set(key, { recipients: [r], items });
  });

  const bundleId = ctx.random(BUNDLE_ID_BYTES);
  const created = new Date(nowSeconds * 1000);
  const deliveries = [...groups.values()].map((g): PreparedDelivery => {
    const manifest: BundleManifest = {
      id: bundleId,
      created,
      expires: draft.expires,
      originator: sender.party,
      title: draft.title,
      summary: draft.summary,
      markings: draft.markings,
      items: g.items.map(({ name, mediaType, size, sha256: digest, releasableTo }) => ({ name, mediaType, size, sha256: digest, releasableTo })),
      override: overrideFor(applied, g.recipients),
    };
    const manifestBytes = encodeManifest(manifest);
    const head = encodeHead({ manifest: manifestBytes, signature: signManifest(manifestBytes, sender.signing.secretKey), forwards: [] });
    const headBytes = new Uint8Array(4 + head.length);
    headBytes.set(headPrefix(head.length));
    headBytes.set(head, 4);
    const payloadLength = g.items.reduce((n, it) => n + it.size, headBytes.length);
    return { recipients: g.recipients, manifest, manifestBytes, manifestDigest: sha256(manifestBytes), headBytes, items: g.items, payloadLength };
  });
  return { bundleId, originator: sender.party, override: applied, violations, deliveries };
}

/** The part of an override that concerns a group: bundle-wide rules and its own recipients. */
function overrideFor(applied: AppliedOverride | null, recipients: BundleRecipient[]): AppliedOverride | null {
  if (applied === null) return null;
  const lifted = applied.lifted.filter((l) => l.recipient === null || recipients.some((r) => constantTimeEqual(r.attributes.fingerprint, l.recipient!)));
  return lifted.length === 0 ? null : { reason: applied.reason, authorisedBy: applied.authorisedBy, lifted };
}

/**
 * The payload of one delivery: head, then each item's bytes, each checked against the size and
 * SHA-256 in the manifest as it streams (a file that changed since it was described is refused).
 * @throws {@link LintasError} `ERR_BUNDLE_ITEM_MISMATCH` while iterating.
 */
export async function* deliveryPayload(d: PreparedDelivery): AsyncGenerator<Uint8Array> {
  yield d.headBytes;
  for (const item of d.items) yield* checkedItem(item);
}

async function* checkedItem(item: DraftItem): AsyncGenerator<Uint8Array> {
  const hash = createSha256();
  let seen = 0;
  for await (const chunk of item.open()) {
    if (!(chunk instanceof Uint8Array)) throw new TypeError(`item "${item.name}" source yielded something other than a Uint8Array`);
    seen += chunk.length;
    if (seen > item.size) break;
    hash.update(chunk);
    yield chunk;
  }
  if (seen !== item.size || !constantTimeEqual(hash.digest(), item.sha256)) {
    throw new LintasError('ERR_BUNDLE_ITEM_MISMATCH', `Item "${item.name}" changed after it was added to the bundle (its size or SHA-256 differs); add it again`);
  }
}

/**
 * Seal a bundle, producing each envelope as a stream (large items are read only while the
 * envelope is read, once per delivery). The policy is checked before anything is returned.
 * @throws {TypeError | RangeError} for malformed options, or a bundle expiry not in the future.
 * @throws {@link PolicyViolationError} `ERR_POLICY_VIOLATION` naming each recipient and rule.
 * @throws {@link LintasError} `ERR_SEAL_CLASSICAL_RECIPIENT` for X25519 recipients beside X-Wing
 *   ones without `allowClassicalRecipients`; `ERR_AUDIT_BROKEN` if the audit log cannot record
 *   an override. While reading an envelope: `ERR_BUNDLE_ITEM_MISMATCH` if an item source changed,
 *   `ERR_SEAL_INVALID_RECIPIENT` for an unusable encryption key, `ERR_AUDIT_BROKEN`.
 */
export async function sealBundleStream(bundle: BundleBuilder, options: SealBundleOptions): Promise<SealedBundleStream> {
  const draft = bundleDraftOf(bundle);
  await cryptoReady();
  const prepared = prepareSeal(draft, options, { random: systemRandom, now: () => Date.now() });
  const audit = checkAudit(options.audit);
  if (audit && prepared.override) {
    await audit.record({
      event: 'override',
      bundleId: prepared.bundleId,
      originator: prepared.originator.fingerprint,
      from: prepared.originator.fingerprint,
      to: options.recipients.map((r) => r.attributes.fingerprint),
      markings: publicMarkings(draft.markings),
      override: prepared.override,
    });
  }
  const deliveries = prepared.deliveries.map((d) => {
    const envelope = sealStream(deliveryPayload(d), {
      recipients: d.recipients.map((r) => r.encryptionKey),
      sender: options.sender.signing,
      contentType: BUNDLE_CONTENT_TYPE,
      size: d.payloadLength,
      ...(options.padding !== undefined ? { padding: options.padding } : {}),
      ...(options.hideRecipients !== undefined ? { hideRecipients: options.hideRecipients } : {}),
      ...(options.chunkSize !== undefined ? { chunkSize: options.chunkSize } : {}),
    });
    return {
      recipients: d.recipients.map((r) => r.attributes),
      items: d.items.map((it) => it.name),
      manifestDigest: d.manifestDigest,
      envelope: audit ? recordWhenDone(envelope, audit, prepared, d) : envelope,
    };
  });
  return { bundleId: prepared.bundleId, override: prepared.override, deliveries };
}

/**
 * Seal a bundle into envelopes held in memory, after checking the handling policy against every
 * recipient (SPEC 12.5): one envelope per release group (SPEC 12.7). See
 * {@link sealBundleStream} for large items.
 * @param bundle - The bundle: title, markings and items.
 * @param options - Originator, recipients (with the key card attributes the policy checks),
 *   an optional override and audit log.
 * @throws {TypeError | RangeError} for malformed options, or a bundle expiry not in the future.
 * @throws {@link PolicyViolationError} (a {@link LintasError}) `ERR_POLICY_VIOLATION`, naming
 *   each recipient and rule, before anything is sealed.
 * @throws {@link LintasError} `ERR_BUNDLE_ITEM_MISMATCH` if an item source changed since it was
 *   added; `ERR_SEAL_INVALID_RECIPIENT` for an unusable encryption key; `ERR_SEAL_CLASSICAL_RECIPIENT`
 *   for X25519 recipients beside X-Wing ones without `allowClassicalRecipients`; `ERR_AUDIT_BROKEN`
 *   if the audit log cannot record.
 * @example
 * ```ts
 * import { bundleIdentityFromKeyRing, bundleRecipientsFromKeyRing, BundleBuilder, KeyRing, MemoryKeyRingStorage, sealBundle } from 'lintas';
 *
 * const bin = await KeyRing.create(new MemoryKeyRingStorage(), { passphrase: 'bin passphrase' });
 * await bin.createIdentity({ name: 'BIN', organization: 'BIN', country: 'ID' });
 * const partner = await KeyRing.create(new MemoryKeyRingStorage(), { passphrase: 'pdrm passphrase' });
 * const pdrm = await partner.createIdentity({ name: 'PDRM', organization: 'PDRM', country: 'MY' });
 * await bin.importKeyCard(pdrm.card.bytes, { name: 'PDRM', fingerprint: pdrm.card.fingerprint });
 *
 * const bundle = new BundleBuilder({
 *   title: 'C2 infrastructure update',
 *   markings: { tlp: 'AMBER', amberOrganizations: ['PDRM'], releasableTo: { countries: ['ID', 'MY'], organizations: [] } },
 * }).addText('report.txt', 'New C2 hosts observed in the last 48 hours.');
 *
 * const sealed = await sealBundle(bundle, {
 *   sender: bundleIdentityFromKeyRing(bin, 'BIN'),
 *   recipients: bundleRecipientsFromKeyRing(bin, ['PDRM']),
 * });
 * console.log(sealed.deliveries.length, sealed.deliveries[0]!.items); // 1 ["report.txt"]
 * bin.close();
 * partner.close();
 * ```
 */
export async function sealBundle(bundle: BundleBuilder, options: SealBundleOptions): Promise<SealedBundle> {
  const sealed = await sealBundleStream(bundle, options);
  const deliveries: BundleDelivery<Uint8Array>[] = [];
  for (const d of sealed.deliveries) deliveries.push({ ...d, envelope: await collectBytes(d.envelope) });
  return { ...sealed, deliveries };
}

/**
 * Validate the optional `acceptIntroduced` option.
 * @throws {TypeError} if it is not a boolean.
 */
export function checkAcceptIntroduced(value: boolean | undefined): boolean {
  if (value !== undefined && typeof value !== 'boolean') throw new TypeError('options.acceptIntroduced must be a boolean');
  return value ?? false;
}

/** Validate an optional audit log option. */
export function checkAudit(audit: AuditLog | undefined): AuditLog | null {
  if (audit === undefined) return null;
  if (audit === null || typeof audit !== 'object' || typeof (audit as AuditLog).record !== 'function') throw new TypeError('options.audit must be an AuditLog');
  return audit;
}

/** Pass envelope bytes through, hashing them; record `sealed` once the envelope is complete. */
async function* recordWhenDone(envelope: AsyncIterable<Uint8Array>, audit: AuditLog, p: PreparedSeal, d: PreparedDelivery): AsyncGenerator<Uint8Array> {
  const hash = createSha256();
  for await (const chunk of envelope) {
    hash.update(chunk);
    yield chunk;
  }
  await audit.record({
    event: 'sealed',
    bundleId: p.bundleId,
    manifestDigest: d.manifestDigest,
    envelopeDigest: hash.digest(),
    originator: p.originator.fingerprint,
    from: p.originator.fingerprint,
    to: d.recipients.map((r) => r.attributes.fingerprint),
    markings: publicMarkings(d.manifest.markings),
  });
}
