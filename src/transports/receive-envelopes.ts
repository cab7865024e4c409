/**
 * The end-to-end receive loop above any transport: open each delivery, refuse replays, hand the
 * envelope to the app, and only then remember its id and acknowledge it. The order is what makes
 * the guarantees: a crash before the handler finished means redelivery (nothing lost); a crash
 * after `remember` but before the ack means a redelivery that is recognised and dropped.
 */
import { LintasError } from '../errors/index.js';
import { open, type OpenedEnvelope } from '../envelope/index.js';
import type { RecipientKeyPair } from '../keys/index.js';
import { checkPositiveInteger, checkReceiveOptions, envelopeBytes, type EnvelopeBody, type Transport } from './transport.js';
import { isReservingReplayGuard, type ReplayGuard, type ReservingReplayGuard } from './replay-guard.js';
import { handleReserved } from './replay-reservation.js';
import { toHex } from '../envelope/hex.js';
import { concatBytes, utf8 } from '../crypto/bytes.js';
import { sha256 } from '../crypto/hash.js';
import { ENVELOPE_ID_BYTES } from '../envelope/constants.js';

/**
 * What the receive loop reads from an opened envelope (an {@link OpenedEnvelope} has all of it;
 * a custom `open` returns at least the id).
 */
export interface ReplayFields {
  /** The envelope id, for replay protection. */
  envelopeId: Uint8Array;
  /** The signed creation time: envelopes older than the replay window are refused. Without it, the id is kept forever. */
  createdAt?: Date;
  /** The signed expiry, if any: the id is forgotten after it (the envelope is refused as expired from then on). */
  expiresAt?: Date | null;
}

/**
 * Default replay window, in seconds (30 days): an envelope created longer ago is refused with
 * `ERR_REPLAY_TOO_OLD`, so its id only has to be kept that long (SPEC 10.7).
 */
export const DEFAULT_REPLAY_WINDOW_SECONDS = 30 * 86_400;

/**
 * Default {@link ReceiveEnvelopesOptions.replayHoldMs} (30 s): how long a reservation of a
 * receiver that died mid-handler holds back the other copies of its envelope.
 */
export const DEFAULT_REPLAY_HOLD_MS = 30_000;

/**
 * What the handler gets besides the opened envelope. `E` is what
 * {@link ReceiveEnvelopesOptions.read} made of the envelope: its bytes unless the app reads
 * envelopes itself.
 */
export interface DeliveryContext<E = Uint8Array> {
  /** The transport's delivery id. */
  deliveryId: string;
  /** The envelope bytes as received, e.g. for {@link createReceipt} or an archive. */
  envelope: E;
}

/** A delivery that was refused and acknowledged (so it is not redelivered forever). */
export interface RejectedDelivery<E = Uint8Array> {
  /** The transport's delivery id. */
  deliveryId: string;
  /** The envelope bytes as received (or what `read` made of them), e.g. to quarantine them. */
  envelope: E;
  /** Why: `ERR_REPLAY_DETECTED`, `ERR_REPLAY_TOO_OLD`, `ERR_ENVELOPE_EXPIRED`, or the open error (`ERR_ENVELOPE_TAMPERED`, `ERR_UNKNOWN_SENDER`, ...). */
  error: LintasError;
}

/** Options for {@link receiveEnvelopes}. */
export interface ReceiveEnvelopesOptions<T extends ReplayFields, E = Uint8Array> {
  /** Your decryption keys, for the built-in `open`. Ignored if `open` is given. */
  keys?: RecipientKeyPair[];
  /** Passed to `open`: only accept these Ed25519 sender keys. */
  trustedSenders?: Uint8Array[];
  /** Passed to `open`: accept anonymous envelopes. */
  allowAnonymous?: boolean;
  /** Passed to `open`. */
  maxClockSkewSeconds?: number;
  /**
   * Open an envelope yourself instead, e.g. with a key ring that also reports the sender's
   * verification state. It must throw a {@link LintasError} for an envelope it refuses.
   */
  open?: (envelope: E) => Promise<T>;
  /**
   * Take in a delivery's envelope before it is opened. By default it is read whole into memory
   * ({@link envelopeBytes}). An app receiving envelopes larger than it wants in memory passes
   * its own, e.g. one that streams the envelope to a file and returns the path; `open`,
   * {@link DeliveryContext.envelope} and {@link RejectedDelivery.envelope} then get what it
   * returned, and `open` is required. What it throws is thrown as it is, without acknowledging.
   */
  read?: (envelope: EnvelopeBody, deliveryId: string) => Promise<E>;
  /**
   * Remembers processed envelope ids (required: replay protection is not optional). A guard
   * that several processes share should be a {@link ReservingReplayGuard} (`FileReplayGuard`,
   * `RedisReplayGuard`, `NatsKvReplayGuard`), so two copies of one envelope handled at the same moment in two
   * processes run the handler once.
   */
  replayGuard: ReplayGuard;
  /**
   * With a {@link ReservingReplayGuard}: how long the reservation of an envelope being handled
   * outlives a receiver that stops renewing it (killed mid-handler), in ms. It is renewed every
   * third of this while the handler runs; another receiver holding a copy waits for it, then
   * handles the copy. Default {@link DEFAULT_REPLAY_HOLD_MS} (30 s).
   */
  replayHoldMs?: number;
  /**
   * How old an envelope may be, in seconds since its signed creation time, before it is refused
   * with `ERR_REPLAY_TOO_OLD`; the replay guard forgets an id once its envelope is that old (or
   * expired). Default {@link DEFAULT_REPLAY_WINDOW_SECONDS} (30 days). Longer windows let
   * envelopes sit longer in a drop folder, at the cost of a bigger replay log.
   */
  replayWindowSeconds?: number;
  /**
   * Process one envelope. Resolve when done: the envelope is then remembered and acknowledged.
   * If it throws, receiveEnvelopes stops and rejects with that error, without acknowledging, so
   * the envelope is delivered again later.
   */
  handler: (opened: T, context: DeliveryContext<E>) => Promise<void> | void;
  /**
   * Told about every refused delivery (replays, and envelopes that fail to open) before it is
   * acknowledged, e.g. to log or quarantine it. If it throws, receiveEnvelopes stops without
   * acknowledging.
   */
  onRejected?: (rejection: RejectedDelivery<E>) => Promise<void> | void;
  /** Stop when the mailbox has nothing more available. Default false (keep following). */
  untilEmpty?: boolean;
  /** Stop when aborted. */
  signal?: AbortSignal;
}

/** Counts of one {@link receiveEnvelopes} run. */
export interface ReceiveEnvelopesResult {
  /** Envelopes the handler processed. */
  processed: number;
  /** Deliveries refused (replays, envelopes that failed to open) and acknowledged. */
  rejected: number;
}

/**
 * Receive, open, de-duplicate and process a mailbox's envelopes until the transport closes, the
 * signal aborts, or (with `untilEmpty`) the mailbox is empty.
 *
 * Each delivery is read whole and opened; an envelope whose id, from the same sender, the replay
 * guard knows is reported to `onRejected` with `ERR_REPLAY_DETECTED` and acknowledged without
 * calling the handler; so is an envelope that fails to open (it never will), and one created
 * more than `replayWindowSeconds` ago (`ERR_REPLAY_TOO_OLD`: its id may already be forgotten). Otherwise the
 * handler runs, the id is remembered, and the delivery acknowledged, in that order. The guard is
 * given a 16-byte hash of the sender key (if any) and the envelope id, so one sender cannot
 * claim another sender's ids. With a {@link ReservingReplayGuard} the id is reserved before the
 * handler runs: a copy whose id another process has reserved waits (its delivery kept) until
 * that process remembers the id (the copy is then refused as `ERR_REPLAY_DETECTED`) or its
 * reservation ends without it (the handler threw, or the process died and `replayHoldMs`
 * passed: the copy is handled here). Aborting the signal during that wait ends the loop
 * without acknowledging the copy.
 * @param transport - Any {@link Transport}: memory, drop folder, relay, Redis.
 * @param mailbox - Your mailbox id ({@link mailboxId} of your signing key).
 * @param options - Keys (or your own `open`), the replay guard, and the handler.
 * @throws {TypeError | RangeError} for invalid options.
 * @throws {@link LintasError} transport errors: `ERR_TRANSPORT_CLOSED`, `ERR_TRANSPORT_UNAVAILABLE`,
 *   and the transport's own codes (`ERR_RELAY_AUTH_FAILED`, ...). Envelopes that fail to open
 *   (`ERR_ENVELOPE_*`, `ERR_UNKNOWN_SENDER`, ...), replays (`ERR_REPLAY_DETECTED`) and envelopes
 *   older than the window (`ERR_REPLAY_TOO_OLD`) are not thrown but passed to `onRejected`.
 *   Whatever `read`, the handler, `onRejected` or the replay guard throw is thrown as it is (e.g.
 *   `ERR_REPLAY_LOG_WRITE_FAILED` from a `FileReplayGuard` on a full disk).
 * @example
 * ```ts
 * import { generateIdentityKeys, mailboxId, MemoryReplayGuard, MemoryTransport, receiveEnvelopes, seal } from 'lintas';
 *
 * const sender = await generateIdentityKeys();
 * const me = await generateIdentityKeys();
 * const transport = new MemoryTransport();
 * const inbox = mailboxId(me.signing.publicKey);
 * const envelope = await seal(new TextEncoder().encode('tasking #1'), { recipients: [me.xwing], sender: sender.signing });
 * await transport.send(inbox, envelope);
 * await transport.send(inbox, envelope); // the same envelope again: a replay
 *
 * const result = await receiveEnvelopes(transport, inbox, {
 *   keys: [me.xwing],
 *   trustedSenders: [sender.signing.publicKey],
 *   replayGuard: new MemoryReplayGuard(), // in Node, FileReplayGuard survives restarts
 *   untilEmpty: true,
 *   handler: (opened) => console.log(new TextDecoder().decode(opened.payload)),
 *   onRejected: ({ error }) => console.log('dropped', error.code), // ERR_REPLAY_DETECTED
 * });
 * console.log(result); // { processed: 1, rejected: 1 }
 * await transport.close();
 * ```
 */
export async function receiveEnvelopes<T extends ReplayFields = OpenedEnvelope, E = Uint8Array>(
  transport: Transport,
  mailbox: string,
  options: ReceiveEnvelopesOptions<T, E>,
): Promise<ReceiveEnvelopesResult> {
  if (!transport || typeof transport.receive !== 'function') throw new TypeError('transport must be a Transport');
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const guard = options.replayGuard;
  if (!guard || typeof guard.has !== 'function' || typeof guard.remember !== 'function') throw new TypeError('options.replayGuard must be a ReplayGuard');
  if (typeof options.handler !== 'function') throw new TypeError('options.handler must be a function');
  if (options.onRejected !== undefined && typeof options.onRejected !== 'function') throw new TypeError('options.onRejected must be a function');
  const receiveOptions = checkReceiveOptions({ untilEmpty: options.untilEmpty, signal: options.signal });
  const windowSeconds = checkPositiveInteger(options.replayWindowSeconds, 'options.replayWindowSeconds', DEFAULT_REPLAY_WINDOW_SECONDS);
  const holdMs = checkPositiveInteger(options.replayHoldMs, 'options.replayHoldMs', DEFAULT_REPLAY_HOLD_MS);
  if (holdMs > 86_400_000) throw new RangeError('options.replayHoldMs must be at most one day');
  const reserving = isReservingReplayGuard(guard);
  const openEnvelope = opener(options);
  if (options.read !== undefined && typeof options.read !== 'function') throw new TypeError('options.read must be a function');
  // Without `read`, E is Uint8Array (the default type argument).
  const read = options.read ?? ((body: EnvelopeBody) => envelopeBytes(body) as Promise<unknown> as Promise<E>);
  const result: ReceiveEnvelopesResult = { processed: 0, rejected: 0 };

  for await (const delivery of transport.receive(mailbox, { untilEmpty: receiveOptions.untilEmpty, ...(receiveOptions.signal ? { signal: receiveOptions.signal } : {}) })) {
    const envelope = await read(delivery.envelope, delivery.id);
    const context: DeliveryContext<E> = { deliveryId: delivery.id, envelope };
    let opened: T;
    try {
      opened = await openEnvelope(envelope);
    } catch (e) {
      if (!(e instanceof LintasError)) throw e;
      await options.onRejected?.({ ...context, error: e });
      await delivery.ack();
      result.rejected++;
      continue;
    }
    let keepUntil: Date | undefined;
    try {
      keepUntil = replayWindowEnd(opened, windowSeconds);
    } catch (e) {
      if (!(e instanceof LintasError)) throw e;
      await options.onRejected?.({ ...context, error: e });
      await delivery.ack();
      result.rejected++;
      continue;
    }
    const replayKey = replayKeyOf(opened);
    const release = await claimReplayKey(guard, replayKey);
    let known: boolean;
    try {
      if (reserving) {
        // Processes sharing the guard: only the holder of the reservation runs the handler.
        const outcome = await handleReserved(guard, replayKey, keepUntil, holdMs, receiveOptions.signal, async () => {
          await options.handler(opened, context);
        });
        if (outcome === 'stopped') break; // aborted while another receiver held it: not acked, redelivered
        known = outcome === 'seen';
      } else {
        known = await guard.has(replayKey);
        if (!known) {
          await options.handler(opened, context);
          await guard.remember(replayKey, keepUntil);
        }
      }
    } finally {
      release();
    }
    if (known) {
      const error = new LintasError('ERR_REPLAY_DETECTED', 'This envelope was already processed; the copy was dropped (a replay, or a redelivery after a crash)');
      await options.onRejected?.({ ...context, error });
      await delivery.ack();
      result.rejected++;
      continue;
    }
    await delivery.ack();
    result.processed++;
  }
  return result;
}

/**
 * Envelopes being handled right now by the receive loops of this process, per replay guard. Two
 * copies of one envelope (a sender retried a send whose answer was lost) can reach two loops
 * sharing a guard at once; if the second checked the guard while the first copy's handler was
 * still running, before its id was remembered, it would be processed twice. The second copy
 * waits here for the first to finish, then checks the guard. This is all a guard used by one
 * process needs (`MemoryReplayGuard`). Loops in several processes sharing a guard need the
 * guard's own reservation ({@link ReservingReplayGuard}: a shared `FileReplayGuard`, Redis,
 * NATS KV) or transaction (an app's database).
 */
const handling = new WeakMap<ReplayGuard, Map<string, Promise<void>>>();

/** Wait until no other loop of this process handles `key` with `guard`, then hold it until the returned release is called. */
async function claimReplayKey(guard: ReplayGuard, key: Uint8Array): Promise<() => void> {
  const busy = handling.get(guard) ?? new Map<string, Promise<void>>();
  handling.set(guard, busy);
  const k = toHex(key);
  // The check after each wait and the claim below run without an await in between: atomic.
  for (let other = busy.get(k); other !== undefined; other = busy.get(k)) await other;
  let release!: () => void;
  busy.set(k, new Promise<void>((r) => (release = r)));
  return () => {
    busy.delete(k);
    release();
  };
}

/**
 * Until when the replay guard must remember an envelope's id: the end of its replay window
 * (created + window) or its expiry, whichever is first; from then on the envelope is refused
 * here (too old) or by `open` (expired), so a forgotten id cannot be replayed (SPEC 10.7).
 * Undefined (keep forever) when the opener reports no creation time.
 * @throws {@link LintasError} `ERR_REPLAY_TOO_OLD` or `ERR_ENVELOPE_EXPIRED` if that time has passed.
 */
function replayWindowEnd(opened: ReplayFields, windowSeconds: number): Date | undefined {
  const created = opened.createdAt instanceof Date ? opened.createdAt.getTime() : NaN;
  const expires = opened.expiresAt instanceof Date ? opened.expiresAt.getTime() : NaN;
  const now = Date.now();
  // Checked here too because a custom opener may not check expiry.
  if (expires < now) throw new LintasError('ERR_ENVELOPE_EXPIRED', `Envelope expired at ${new Date(expires).toISOString()}`);
  if (Number.isNaN(created)) return undefined;
  const windowEnd = created + windowSeconds * 1000;
  if (windowEnd < now) {
    throw new LintasError(
      'ERR_REPLAY_TOO_OLD',
      `Envelope created at ${new Date(created).toISOString()}, more than ${windowSeconds} s ago (the replay window): its id may be forgotten, so it is refused; ask the sender for a fresh copy`,
    );
  }
  return new Date(Number.isNaN(expires) ? windowEnd : Math.min(windowEnd, expires));
}

/**
 * What the replay guard remembers for an opened envelope: its id bound to its sender key (SPEC
 * 10.7: "a cache of envelope ids (with the sender key)"). Each sealer picks its own ids, so a
 * cache of bare ids would let one sender (a co-recipient who read a genuine envelope's id)
 * get that envelope dropped as a replay by sending an envelope of its own with the same id first.
 * 16 bytes, like an envelope id, so any {@link ReplayGuard} stores it unchanged.
 */
function replayKeyOf(opened: { envelopeId: Uint8Array; sender?: unknown }): Uint8Array {
  const sender = opened.sender instanceof Uint8Array ? concatBytes(new Uint8Array([1]), opened.sender) : new Uint8Array([0]);
  return sha256(concatBytes(utf8('lintas/v1 replay key'), new Uint8Array([0]), sender, opened.envelopeId)).subarray(0, ENVELOPE_ID_BYTES);
}

function opener<T extends ReplayFields, E>(options: ReceiveEnvelopesOptions<T, E>): (envelope: E) => Promise<T> {
  if (options.open !== undefined) {
    if (typeof options.open !== 'function') throw new TypeError('options.open must be a function');
    return options.open;
  }
  if (options.read !== undefined) throw new TypeError('options.open is required with options.read: the built-in open takes envelope bytes');
  if (!Array.isArray(options.keys)) throw new TypeError('options.keys (your decryption keys) or options.open is required');
  const openOptions = {
    keys: options.keys,
    ...(options.trustedSenders !== undefined ? { trustedSenders: options.trustedSenders } : {}),
    ...(options.allowAnonymous !== undefined ? { allowAnonymous: options.allowAnonymous } : {}),
    ...(options.maxClockSkewSeconds !== undefined ? { maxClockSkewSeconds: options.maxClockSkewSeconds } : {}),
  };
  // Without a custom opener, T is OpenedEnvelope and E is Uint8Array (the default type arguments).
  return (envelope) => open(envelope as unknown as Uint8Array, openOptions) as Promise<unknown> as Promise<T>;
}
