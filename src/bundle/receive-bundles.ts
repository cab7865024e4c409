/**
 * The receive loop for bundles: {@link receiveEnvelopes} with the key ring, where an application
 * sees a bundle only after every item and the envelope signature verified and the trust rules
 * passed. Verification happens while the delivery is being opened, so any envelope that fails
 * (tampered, not for you, a replay, refused by a rule) is quarantined with its reason and
 * acknowledged: one poison envelope never blocks a mailbox. Only the application's own handler
 * failing leaves a delivery unacknowledged, to be delivered again.
 */
import type { KeyRing } from '../keyring/key-ring.js';
import { receiveEnvelopes, type DeliveryContext, type ReceiveEnvelopesResult, type RejectedDelivery, type ReplayFields } from '../transports/receive-envelopes.js';
import type { ReplayGuard } from '../transports/replay-guard.js';
import type { Quarantine } from '../transports/quarantine.js';
import type { EnvelopeBody, Transport } from '../transports/transport.js';
import { openBundleWithKeyRing, type KeyRingOpenBundleOptions, type KeyRingOpenedBundle } from './keyring-adapter.js';
import { refuseTrustWarnings, trustWarnings, type TrustWarning } from './trust-warnings.js';

/** An item read into memory by the default `keep` of {@link receiveBundles}: verified. */
export interface VerifiedItem {
  /** Item name. */
  name: string;
  /** Media type. */
  mediaType: string;
  /** The verified bytes. */
  bytes: Uint8Array;
}

/** A bundle handed to the handler of {@link receiveBundles}: everything in it verified. */
export interface ReceivedBundle<K> {
  /** The opened bundle and the key ring's report (its items were already read: use `items`). */
  bundle: KeyRingOpenedBundle;
  /** What `keep` made of the items (by default, the items in memory). */
  items: K;
  /** The key ring's warnings ({@link trustWarnings}); always empty when `strict` is on. */
  warnings: TrustWarning[];
}

/**
 * An envelope as the `read` option of {@link receiveBundles} took it in: its bytes, or something
 * that streams them again from the start, e.g. a file it was spooled to.
 */
export type ReceivedEnvelope =
  | Uint8Array
  | {
      /** The envelope's bytes from the start, read once per call (the bundle is opened from them). */
      chunks(): AsyncIterable<Uint8Array>;
    };

/** Options for {@link receiveBundles}. `E` is what `read` makes of each envelope (its bytes by default). */
export interface ReceiveBundlesOptions<K, E extends ReceivedEnvelope = Uint8Array> {
  /** Your key ring: its keys open the envelopes, its contacts describe the parties. */
  ring: KeyRing;
  /** Remembers processed envelopes (required: replay protection is not optional). */
  replayGuard: ReplayGuard;
  /** As for `receiveEnvelopes`: how old (seconds since its signed creation) an envelope may be; default 30 days. */
  replayWindowSeconds?: number;
  /** How bundles are opened: `requireKnownSender`, `strictExpiry`, `now`, `maxClockSkewSeconds`. */
  open?: KeyRingOpenBundleOptions;
  /**
   * Refuse (quarantine) a bundle for which the key ring raised any warning: revoked, expired or
   * superseded card, downgraded envelope, originator mismatch ({@link trustWarnings}). Default true.
   */
  strict?: boolean;
  /**
   * Your own rule, run on each verified bundle before `keep`'s result reaches the handler: throw
   * a `LintasError` (e.g. `ERR_POLICY_VIOLATION`) to refuse it; it is then quarantined.
   */
  accept?: (bundle: KeyRingOpenedBundle) => Promise<void> | void;
  /**
   * Read the items while the envelope is verified, e.g. into a hidden temporary folder; default:
   * into memory ({@link VerifiedItem}). It must read `bundle.items()` to its end (that is what
   * checks the envelope signature) and let its errors through; it must remove what it wrote
   * when it throws. Its result reaches the handler only if everything verified.
   */
  keep?: (bundle: KeyRingOpenedBundle) => Promise<K>;
  /** Remove what `keep` wrote, for a bundle refused after `keep` finished (rules, replay). */
  discard?: (kept: K) => Promise<void> | void;
  /**
   * Take in a delivery's envelope before it is opened, as `receiveEnvelopes`' `read` does. By
   * default it is read whole into memory. An app receiving envelopes larger than it wants in
   * memory streams it to a file instead and returns an object whose `chunks()` reads it back:
   * the bundle is then opened from those chunks, and the handler, `quarantine` and `onRejected`
   * get that object. What it throws is thrown as it is, without acknowledging.
   */
  read?: (envelope: EnvelopeBody, deliveryId: string) => Promise<E>;
  /**
   * Process one verified bundle. Resolve when done: it is then remembered and acknowledged. If it
   * throws, receiveBundles stops and rejects with that error without acknowledging, so the
   * envelope is delivered again later.
   */
  handler: (received: ReceivedBundle<K>, context: DeliveryContext<E>) => Promise<void> | void;
  /** Where refused deliveries are kept, with their reason, before they are acknowledged. */
  quarantine?: Quarantine<E>;
  /** Told about every refused delivery, after it was quarantined and before it is acknowledged. */
  onRejected?: (rejection: RejectedDelivery<E>) => Promise<void> | void;
  /** Stop when the mailbox has nothing more available. Default false (keep following). */
  untilEmpty?: boolean;
  /** Stop when aborted. */
  signal?: AbortSignal;
}

/** What the inner receive loop carries: the replay key's parts and the verified bundle. */
interface Opened<K> extends ReplayFields {
  envelopeId: Uint8Array;
  /** The sealer's signing key: the replay guard binds envelope ids to it (SPEC 10.7). */
  sender: Uint8Array | null;
  received: ReceivedBundle<K>;
}

/**
 * Receive, verify and process the bundles in a mailbox until the transport closes, the signal
 * aborts, or (with `untilEmpty`) the mailbox is empty.
 *
 * For each delivery, in this order: open it with the key ring; read every item (`keep`), which
 * verifies the items and the envelope signature; apply `strict` and `accept`; refuse a replay
 * (the same envelope id from the same sealer, SPEC 10.7); then call the handler, remember the
 * envelope and acknowledge it. A delivery refused at any step is put in the `quarantine` with
 * its error, reported to `onRejected` and acknowledged: tampered (`ERR_ENVELOPE_TAMPERED`,
 * `ERR_SIGNATURE_INVALID`, `ERR_BUNDLE_ITEM_MISMATCH`, ...), not for you
 * (`ERR_ENVELOPE_NOT_FOR_ME`), replayed or too old to tell (`ERR_REPLAY_DETECTED`, `ERR_REPLAY_TOO_OLD`), untrusted
 * (`ERR_BUNDLE_UNTRUSTED`), refused by `accept` or by the open options (`ERR_UNKNOWN_SENDER`, ...).
 * @throws {TypeError | RangeError} for invalid options.
 * @throws `LintasError`: the transport's errors (`ERR_TRANSPORT_CLOSED`, ...). Whatever the
 *   handler, `keep` (other than a LintasError), the quarantine, `onRejected` or the replay guard
 *   throw is thrown as it is, and that delivery is not acknowledged.
 * @example
 * ```ts
 * import { BundleBuilder, bundleIdentityFromKeyRing, bundleRecipientsFromKeyRing, KeyRing, mailboxId, MemoryKeyRingStorage, MemoryQuarantine, MemoryReplayGuard, MemoryTransport, receiveBundles, sealBundle } from 'lintas';
 *
 * const bin = await KeyRing.create(new MemoryKeyRingStorage(), { passphrase: 'bin passphrase' });
 * const polri = await KeyRing.create(new MemoryKeyRingStorage(), { passphrase: 'polri passphrase' });
 * const binCard = (await bin.createIdentity({ name: 'BIN', organization: 'BIN', country: 'ID' })).card;
 * const polriCard = (await polri.createIdentity({ name: 'POLRI', organization: 'POLRI', country: 'ID' })).card;
 * await bin.importKeyCard(polriCard.bytes, { name: 'POLRI', fingerprint: polriCard.fingerprint });
 * await polri.importKeyCard(binCard.bytes, { name: 'BIN', fingerprint: binCard.fingerprint });
 *
 * const transport = new MemoryTransport();
 * const inbox = mailboxId(polriCard.signingPublicKey);
 * const bundle = new BundleBuilder({ title: 'Courier', markings: { tlp: 'GREEN' } }).addText('note.txt', 'arrives 07:40');
 * const sealed = await sealBundle(bundle, { sender: bundleIdentityFromKeyRing(bin, 'BIN'), recipients: bundleRecipientsFromKeyRing(bin, ['POLRI']) });
 * const envelope = sealed.deliveries[0]!.envelope;
 * await transport.send(inbox, envelope.slice(0, envelope.length - 1)); // damaged on the way
 * await transport.send(inbox, envelope);
 *
 * const quarantine = new MemoryQuarantine();
 * const result = await receiveBundles(transport, inbox, {
 *   ring: polri,
 *   replayGuard: new MemoryReplayGuard(), // in Node, FileReplayGuard survives restarts
 *   quarantine,
 *   untilEmpty: true,
 *   handler: ({ bundle, items }) => console.log(bundle.manifest.title, new TextDecoder().decode(items[0]!.bytes)), // Courier arrives 07:40
 * });
 * console.log(result, quarantine.entries.map((r) => r.error.code)); // { processed: 1, rejected: 1 } [ 'ERR_ENVELOPE_TAMPERED' ]
 * await transport.close();
 * bin.close();
 * polri.close();
 * ```
 */
export async function receiveBundles<K = VerifiedItem[], E extends ReceivedEnvelope = Uint8Array>(
  transport: Transport,
  mailbox: string,
  options: ReceiveBundlesOptions<K, E>,
): Promise<ReceiveEnvelopesResult> {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  if (!options.ring || typeof options.ring.openStream !== 'function') throw new TypeError('options.ring must be a KeyRing');
  if (typeof options.handler !== 'function') throw new TypeError('options.handler must be a function');
  for (const name of ['accept', 'keep', 'discard', 'onRejected', 'read'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') throw new TypeError(`options.${name} must be a function`);
  }
  if (options.quarantine !== undefined && (options.quarantine === null || typeof options.quarantine.put !== 'function')) throw new TypeError('options.quarantine must be a Quarantine');
  if (options.strict !== undefined && typeof options.strict !== 'boolean') throw new TypeError('options.strict must be a boolean');
  const { ring, quarantine, handler, accept, discard, onRejected } = options;
  const keep = options.keep ?? ((bundle: KeyRingOpenedBundle) => bundle.readAll() as Promise<unknown> as Promise<K>);
  const strict = options.strict ?? true;
  // Kept items by the envelope (bytes, or what `read` returned) receiveEnvelopes hands to open()
  // and then to the handler or onRejected (a replay is recognised only after open), so they can
  // be discarded when refused.
  const pending = new Map<E, K>();
  const drop = async (envelope: E): Promise<void> => {
    if (!pending.has(envelope)) return;
    const kept = pending.get(envelope) as K;
    pending.delete(envelope);
    await discard?.(kept);
  };

  try {
    return await receiveEnvelopes<Opened<K>, E>(transport, mailbox, {
      replayGuard: options.replayGuard,
      ...(options.replayWindowSeconds !== undefined ? { replayWindowSeconds: options.replayWindowSeconds } : {}),
      ...(options.untilEmpty !== undefined ? { untilEmpty: options.untilEmpty } : {}),
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
      ...(options.read !== undefined ? { read: options.read } : {}),
      open: async (envelope) => {
        const bundle = await openBundleWithKeyRing(ring, envelope instanceof Uint8Array ? envelope : envelope.chunks(), options.open ?? {});
        let kept: K;
        try {
          kept = await keep(bundle);
        } finally {
          await bundle.close();
        }
        // Everything verified: the sender flags are settled now (SPEC 12.2), so judge them.
        pending.set(envelope, kept);
        if (strict) refuseTrustWarnings(bundle);
        await accept?.(bundle);
        return {
          envelopeId: bundle.envelope.envelopeId,
          sender: bundle.envelope.sender,
          // The signed times bound how long the replay guard keeps the id (SPEC 10.7).
          createdAt: bundle.envelope.createdAt,
          expiresAt: bundle.envelope.expiresAt,
          received: { bundle, items: kept, warnings: trustWarnings(bundle) },
        };
      },
      onRejected: async (rejection) => {
        await drop(rejection.envelope);
        await quarantine?.put(rejection);
        await onRejected?.(rejection);
      },
      handler: async (opened, context) => {
        await handler(opened.received, context);
        // The handler owns the items now.
        pending.delete(context.envelope);
      },
    });
  } finally {
    // The handler failed (the delivery comes again): what was kept for it goes.
    for (const envelope of [...pending.keys()]) await drop(envelope);
  }
}
