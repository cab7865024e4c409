/**
 * Opening a bundle (SPEC 12.2; forward chain and sender 12.6): open the envelope, read and verify only the head (manifest,
 * originator signature, forward chain, sender), then hand out the items one at a time as the
 * payload streams in. A 2 GiB attachment is never read to show the title and summary, and is
 * never held in memory to be read.
 */
import { LintasError } from '../errors/index.js';
import { concatBytes, constantTimeEqual } from '../crypto/bytes.js';
import { createSha256 } from '../crypto/hash.js';
import { openStream, type EnvelopeInfo, type OpenOptions, type OpenedEnvelopeStream } from '../envelope/open.js';
import type { ByteSource } from '../envelope/byte-source.js';
import type { AuditLog } from '../audit/log.js';
import { publicMarkings } from '../policy/markings.js';
import { BUNDLE_CONTENT_TYPE, BUNDLE_LIMITS } from './constants.js';
import { decodeHead, verifyHead, type BundleHead, type ForwardRecord } from './head.js';
import type { BundleManifest, BundleParty, ManifestItem } from './manifest.js';
import { PayloadCursor } from './payload-cursor.js';
import { parseStixBundle, type StixBundle, type StixBundleSummary } from './stix.js';
import { isStixMediaType } from './builder.js';
import { checkReceivedForwards } from './received-forwards.js';
import type { PolicyParty } from '../policy/party.js';
import { checkAudit } from './seal.js';

/**
 * Options for {@link openBundle}: those of `open` (except `allowAnonymous`: a bundle always
 * names and verifies its originator), plus bundle ones.
 */
export interface OpenBundleOptions extends Omit<OpenOptions, 'allowAnonymous'> {
  /** Refuse an expired bundle (`ERR_BUNDLE_EXPIRED`) instead of reporting `expired: true`. */
  strictExpiry?: boolean;
  /** Record an `opened` entry here once the head is verified. */
  audit?: AuditLog;
}

/** One item, readable once, in payload order. */
export interface BundleItem extends ManifestItem {
  /** Position in the manifest. */
  index: number;
  /**
   * The item's bytes as they arrive. Its size and SHA-256 are checked against the signed
   * manifest at the end: iteration then throws `ERR_BUNDLE_ITEM_MISMATCH`, so do not act on
   * the data before iteration completes without error. Can be iterated once.
   * @throws {@link LintasError} from the iteration: `ERR_BUNDLE_ITEM_MISMATCH`, and the envelope's
   *   `ERR_ENVELOPE_TAMPERED` if the payload was cut or changed.
   */
  stream(): AsyncIterable<Uint8Array>;
  /**
   * The whole item, verified.
   * @throws {@link LintasError} `ERR_BUNDLE_ITEM_MISMATCH` (not the bytes the originator signed),
   *   and the envelope's `ERR_ENVELOPE_TAMPERED` if the payload was cut or changed.
   */
  bytes(): Promise<Uint8Array>;
  /**
   * The whole item as UTF-8 text, verified.
   * @throws {TypeError} if the item is not valid UTF-8.
   * @throws {@link LintasError} the codes of {@link BundleItem.bytes}.
   */
  text(): Promise<string>;
  /**
   * The whole item parsed and checked as a STIX 2.1 bundle.
   * @throws {@link LintasError} `ERR_BUNDLE_STIX_INVALID`, `ERR_BUNDLE_LIMIT_EXCEEDED` (larger than
   *   {@link BUNDLE_LIMITS}.maxStixBytes), and the codes of {@link BundleItem.bytes}.
   */
  stix(): Promise<{
    /** The parsed JSON. */
    bundle: StixBundle;
    /** What the shape check learned (ids, types, marking references, TLP). */
    summary: StixBundleSummary;
  }>;
}

/** An opened bundle: verified head now, items on demand. */
export interface OpenedBundle {
  /** The verified manifest: title, summary, markings, items, expiry. */
  manifest: BundleManifest;
  /** SHA-256 of the manifest bytes: the same in every copy of this delivery, forwarded or not. */
  manifestDigest: Uint8Array;
  /** The envelope it came in. */
  envelope: EnvelopeInfo;
  /** The originator (who signed the manifest). */
  originator: BundleParty;
  /** True if the bundle reached you through one or more forwards. */
  forwarded: boolean;
  /** The forward hops, oldest first. */
  forwards: ForwardRecord[];
  /** Who sealed this envelope: the last forwarder, or the originator. */
  sender: BundleParty;
  /** True if the bundle's expiry has passed. */
  expired: boolean;
  /**
   * The items, in order. Moving on to the next item skips (and still verifies) what was not
   * read of the previous one. After the last item the envelope is read to its end, which checks
   * the envelope signature; iteration throws if anything fails. Can be iterated once.
   * @throws {@link LintasError} from the iteration: `ERR_BUNDLE_ITEM_MISMATCH`,
   *   `ERR_BUNDLE_MALFORMED` (bytes after the last item), `ERR_ENVELOPE_TAMPERED`,
   *   `ERR_SIGNATURE_INVALID`.
   */
  items(): AsyncIterable<BundleItem>;
  /**
   * Read every item into memory, verified.
   * @throws {@link LintasError} the codes of {@link OpenedBundle.items}.
   */
  readAll(): Promise<
    {
      /** Item name. */
      name: string;
      /** Media type. */
      mediaType: string;
      /** The verified bytes. */
      bytes: Uint8Array;
    }[]
  >;
  /** Stop reading and release the envelope source. */
  close(): Promise<void>;
}

function itemMismatch(item: ManifestItem, what: string): LintasError {
  return new LintasError('ERR_BUNDLE_ITEM_MISMATCH', `Item "${item.name}" does not match the signed manifest (${what}): it was altered; discard it`);
}

/** Internal: the raw head and the cursor, for forwarding. */
export interface BundleInternals {
  head: BundleHead;
  cursor: PayloadCursor;
}
const internals = new WeakMap<OpenedBundle, BundleInternals>();

/** The raw head of an opened bundle (for `forwardBundle`; not public API). */
export function internalsOf(b: OpenedBundle): BundleInternals {
  const i = internals.get(b);
  if (!i) throw new TypeError('expected a bundle returned by openBundle');
  return i;
}

/**
 * Open a bundle envelope (bytes, a stream or armored text) and verify its head (SPEC 12.2):
 * manifest, originator signature, forward chain and sender. Items are read afterwards, one at a
 * time, each checked against the signed manifest. With a key ring, use
 * {@link openBundleWithKeyRing}.
 * @throws {TypeError | RangeError} for invalid options (including `allowAnonymous`: bundles
 *   always name their originator).
 * @throws {@link LintasError} any envelope code of {@link open}; `ERR_BUNDLE_NOT_A_BUNDLE` if the
 *   envelope carries something else; `ERR_ENVELOPE_ANONYMOUS`; `ERR_BUNDLE_MALFORMED`,
 *   `ERR_BUNDLE_UNSUPPORTED_VERSION`, `ERR_BUNDLE_LIMIT_EXCEEDED`, `ERR_BUNDLE_SIGNATURE_INVALID`,
 *   `ERR_BUNDLE_FORWARD_INVALID`, `ERR_BUNDLE_ORIGINATOR_MISMATCH`; `ERR_BUNDLE_EXPIRED` with
 *   `strictExpiry`; `ERR_AUDIT_BROKEN` if the audit log cannot record. While reading items:
 *   `ERR_BUNDLE_ITEM_MISMATCH`, `ERR_BUNDLE_MALFORMED`, `ERR_ENVELOPE_TAMPERED`,
 *   `ERR_SIGNATURE_INVALID`.
 * @example
 * ```ts
 * import { BundleBuilder, generateIdentityKeys, openBundle, sealBundle } from 'lintas';
 *
 * // Without a key ring, the policy attributes come from your own directory.
 * const bin = await generateIdentityKeys();
 * const polri = await generateIdentityKeys();
 * const card = (name: string, organization: string, n: number) => ({ fingerprint: new Uint8Array(32).fill(n), name, organization, country: 'ID' });
 * const sealed = await sealBundle(new BundleBuilder({ title: 'Daily summary', markings: { tlp: 'GREEN' } }).addText('summary.txt', 'Nothing to report.'), {
 *   sender: { signing: bin.signing, card: card('BIN desk', 'BIN', 1) },
 *   recipients: [{ encryptionKey: polri.xwing, attributes: { ...card('POLRI desk', 'POLRI', 2), explicit: true, verification: 'verified' } }],
 * });
 *
 * const bundle = await openBundle(sealed.deliveries[0]!.envelope, { keys: [polri.xwing], trustedSenders: [bin.signing.publicKey] });
 * console.log(bundle.manifest.title, bundle.manifest.markings.tlp, bundle.originator.name); // Daily summary GREEN BIN desk
 * for await (const item of bundle.items()) {
 *   console.log(item.name, await item.text()); // verified against the signed manifest
 * }
 * ```
 */
export async function openBundle(envelope: ByteSource | string, options: OpenBundleOptions): Promise<OpenedBundle> {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const bundleOptions = checkBundleOpenOptions(options);
  // allowAnonymous is not passed on (nor typed): anonymous envelopes never carry bundles.
  if ('allowAnonymous' in options) throw new TypeError('options.allowAnonymous does not apply: bundles always name their originator');
  const { strictExpiry: _s, audit: _a, ...envelopeOptions } = options;
  return bundleFromEnvelope(await openStream(envelope, envelopeOptions), bundleOptions);
}

/** The bundle-level options of {@link openBundle}, checked. */
export interface BundleOpenOptions {
  now: Date | undefined;
  strictExpiry: boolean;
  audit: AuditLog | null;
  /** The reader's own key card attributes, when known (a key ring's identity), for SPEC 12.6. */
  reader: PolicyParty | null;
}

/**
 * Check the bundle-level options of {@link openBundle}.
 * @throws {TypeError} for malformed options.
 */
export function checkBundleOpenOptions(options: Pick<OpenBundleOptions, 'now' | 'strictExpiry' | 'audit'>): BundleOpenOptions {
  if (options.strictExpiry !== undefined && typeof options.strictExpiry !== 'boolean') throw new TypeError('options.strictExpiry must be a boolean');
  if (options.now !== undefined && (!(options.now instanceof Date) || Number.isNaN(options.now.getTime()))) throw new TypeError('options.now must be a valid Date');
  return { now: options.now, strictExpiry: options.strictExpiry ?? false, audit: checkAudit(options.audit), reader: null };
}

/**
 * Read and verify a bundle head from an envelope opened by any means (`openStream`, or a key
 * ring's `openStream`), then hand out its items. Takes ownership of `opened.payload`.
 * @throws see {@link openBundle}; `ERR_ENVELOPE_ANONYMOUS` for an envelope without a sender.
 */
export async function bundleFromEnvelope(opened: OpenedEnvelopeStream, options: BundleOpenOptions): Promise<OpenedBundle> {
  const { strictExpiry, audit } = options;
  const cursor = new PayloadCursor(opened.payload);
  try {
    const info = opened.info;
    if (info.contentType !== BUNDLE_CONTENT_TYPE) {
      throw new LintasError('ERR_BUNDLE_NOT_A_BUNDLE', `The envelope carries "${info.contentType ?? 'no content type'}", not a lintas bundle; open it with open()`);
    }
    if (info.sender === null) throw new LintasError('ERR_ENVELOPE_ANONYMOUS', 'An anonymous envelope cannot carry a bundle: bundles name and verify their originator');
    const prefix = await cursor.read(4);
    if (prefix.length < 4) throw new LintasError('ERR_BUNDLE_MALFORMED', 'Bundle is malformed: the payload ends before the head length');
    const headLength = new DataView(prefix.buffer, prefix.byteOffset, 4).getUint32(0, false);
    if (headLength > BUNDLE_LIMITS.maxHeadBytes) {
      throw new LintasError('ERR_BUNDLE_LIMIT_EXCEEDED', `Bundle head is ${headLength} bytes, more than ${BUNDLE_LIMITS.maxHeadBytes}`);
    }
    const headBytes = await cursor.read(headLength);
    if (headBytes.length < headLength) throw new LintasError('ERR_BUNDLE_MALFORMED', 'Bundle is malformed: the payload ends inside the head');
    const head = decodeHead(headBytes);
    const verified = verifyHead(head, info.sender);
    const { manifest } = verified;
    // A validly signed record of a forbidden forward is refused, not shown (SPEC 12.6).
    checkReceivedForwards(manifest, verified.forwards, options.reader);
    const expected = manifest.items.reduce((n, it) => n + it.size, 4 + headLength);
    if (info.payloadLength !== null && info.payloadLength !== expected) {
      throw new LintasError('ERR_BUNDLE_MALFORMED', `Bundle is malformed: the payload is ${info.payloadLength} bytes but the manifest accounts for ${expected}`);
    }
    const now = options.now?.getTime() ?? Date.now();
    const expired = manifest.expires !== null && now > manifest.expires.getTime();
    if (expired && strictExpiry) {
      throw new LintasError('ERR_BUNDLE_EXPIRED', `Bundle expired at ${manifest.expires!.toISOString()}; its originator no longer releases it`);
    }
    const bundle = makeBundle(manifest, verified.manifestDigest, info, verified.forwards, verified.expectedSender, expired, cursor);
    internals.set(bundle, { head, cursor });
    // Without a key ring nothing confirms the manifest's originator fingerprint (SPEC 12.8).
    if (audit) await recordOpened(audit, bundle, null);
    return bundle;
  } catch (e) {
    await cursor.cancel();
    throw e;
  }
}

/**
 * Record the `opened` entry of a bundle whose head verified (SPEC 12.8). `originator` is the
 * originator's key card fingerprint only when a key ring confirmed it; the manifest's own claim
 * is never recorded as fact, so without confirmation the entry has no originator.
 * @throws {@link LintasError} `ERR_AUDIT_BROKEN` if the log cannot record.
 */
export async function recordOpened(audit: AuditLog, bundle: OpenedBundle, originator: Uint8Array | null): Promise<void> {
  await audit.record({
    event: 'opened',
    bundleId: bundle.manifest.id,
    manifestDigest: bundle.manifestDigest,
    envelopeId: bundle.envelope.envelopeId,
    ...(originator ? { originator } : {}),
    from: bundle.sender.fingerprint,
    markings: publicMarkings(bundle.manifest.markings),
  });
}

function makeBundle(
  manifest: BundleManifest,
  manifestDigest: Uint8Array,
  envelope: EnvelopeInfo,
  forwards: ForwardRecord[],
  sender: BundleParty,
  expired: boolean,
  cursor: PayloadCursor,
): OpenedBundle {
  let started = false;
  const items = (): AsyncIterable<BundleItem> => {
    if (started) throw new TypeError('items() can be iterated only once');
    started = true;
    return iterateItems(manifest, cursor);
  };
  return {
    manifest,
    manifestDigest,
    envelope,
    originator: manifest.originator,
    forwarded: forwards.length > 0,
    forwards,
    sender,
    expired,
    items,
    async readAll() {
      const out: { name: string; mediaType: string; bytes: Uint8Array }[] = [];
      for await (const item of items()) out.push({ name: item.name, mediaType: item.mediaType, bytes: await item.bytes() });
      return out;
    },
    close: () => cursor.cancel(),
  };
}

async function* iterateItems(manifest: BundleManifest, cursor: PayloadCursor): AsyncGenerator<BundleItem> {
  let completed = false;
  try {
    for (const [index, entry] of manifest.items.entries()) {
      const reader = new ItemReader(entry, cursor);
      yield itemView(entry, index, reader);
      await reader.drain();
    }
    if (!(await cursor.finish())) throw new LintasError('ERR_BUNDLE_MALFORMED', 'Bundle is malformed: bytes follow the last item');
    completed = true;
  } finally {
    if (!completed) await cursor.cancel();
  }
}

/** Streams one item from the cursor, verifying it against the manifest. */
class ItemReader {
  private readonly hash = createSha256();
  private seen = 0;
  private streamed = false;
  private verified = false;
  private failure: LintasError | null = null;

  constructor(
    private readonly entry: ManifestItem,
    private readonly cursor: PayloadCursor,
  ) {}

  stream(): AsyncGenerator<Uint8Array> {
    if (this.streamed) throw new TypeError(`item "${this.entry.name}" can be read only once`);
    this.streamed = true;
    return this.pull();
  }

  /** Skip (and still verify) whatever the consumer did not read. */
  async drain(): Promise<void> {
    if (this.verified) return;
    for await (const _ of this.pull()) {
      // hashing only
    }
  }

  private async *pull(): AsyncGenerator<Uint8Array> {
    for await (const piece of this.cursor.take(this.entry.size - this.seen)) {
      this.hash.update(piece);
      this.seen += piece.length;
      yield piece;
    }
    // Decided once: the digest can be taken only once, and a failed item stays failed.
    if (this.failure === null) {
      if (this.seen !== this.entry.size) this.failure = itemMismatch(this.entry, 'the payload ends inside it');
      else if (!constantTimeEqual(this.hash.digest(), this.entry.sha256)) this.failure = itemMismatch(this.entry, 'SHA-256 differs');
    }
    if (this.failure !== null) throw this.failure;
    this.verified = true;
  }
}

function itemView(entry: ManifestItem, index: number, reader: ItemReader): BundleItem {
  const bytes = async (): Promise<Uint8Array> => {
    // Not sized from entry.size: that is the originator's claim, and a hostile one could claim
    // terabytes in an envelope that declares no length. Only bytes that arrived are held, and
    // joined once the stream has checked them against the manifest.
    const pieces: Uint8Array[] = [];
    for await (const piece of reader.stream()) pieces.push(piece);
    return concatBytes(...pieces);
  };
  return {
    ...entry,
    index,
    stream: () => reader.stream(),
    bytes,
    async text() {
      try {
        return new TextDecoder('utf-8', { fatal: true }).decode(await bytes());
      } catch (e) {
        if (e instanceof LintasError) throw e;
        throw new TypeError(`item "${entry.name}" is not UTF-8 text`);
      }
    },
    async stix() {
      if (!isStixMediaType(entry.mediaType)) throw new TypeError(`item "${entry.name}" is ${entry.mediaType}, not STIX 2.1`);
      if (entry.size > BUNDLE_LIMITS.maxStixBytes) throw new LintasError('ERR_BUNDLE_LIMIT_EXCEEDED', `STIX item "${entry.name}" is larger than ${BUNDLE_LIMITS.maxStixBytes} bytes`);
      return parseStixBundle(await bytes());
    },
  };
}
