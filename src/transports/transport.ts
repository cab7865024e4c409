/**
 * The transport contract (docs/TRANSPORTS.md). A transport moves sealed envelopes, which are
 * safe to hand to anyone, to mailboxes; it never sees keys or plaintext. Its one hard duty is
 * not to lose an envelope: delivery is at-least-once, and an envelope leaves a mailbox only when
 * the receiving app acknowledges it.
 */
import { LintasError } from '../errors/index.js';

/** An envelope as a transport carries it: whole bytes, or a stream of chunks read once. */
export type EnvelopeBody = Uint8Array | AsyncIterable<Uint8Array>;

/** One envelope handed to a receiver. */
export interface Delivery {
  /**
   * The transport's id of the stored envelope. The same stored envelope keeps the same id when it
   * is delivered again, so an app can correlate redeliveries. It is not the envelope id inside
   * the sealed envelope (only a recipient can read that).
   */
  readonly id: string;
  /** The envelope: bytes, or (for large ones) a stream that can be iterated once. */
  readonly envelope: EnvelopeBody;
  /**
   * Acknowledge the delivery after the app has processed it; the envelope is then removed from
   * the mailbox. Idempotent. If the receiver's lease had already expired the envelope may be
   * delivered once more (at-least-once); ack still resolves.
   * @throws {@link LintasError} `ERR_TRANSPORT_CLOSED` after {@link Transport.close},
   * `ERR_TRANSPORT_UNAVAILABLE` if the backing store cannot be reached.
   */
  ack(): Promise<void>;
}

/** Options for {@link Transport.receive}. */
export interface ReceiveOptions {
  /**
   * End the iteration as soon as the mailbox has no envelope available, instead of waiting for
   * new ones. Default false (follow the mailbox until closed or aborted).
   */
  untilEmpty?: boolean;
  /** Ends the iteration (without error) when aborted. */
  signal?: AbortSignal;
}

/**
 * A way to move sealed envelopes to mailboxes. The written contract is in docs/TRANSPORTS.md;
 * test/transports/conformance.ts checks it for any implementation.
 *
 * - Delivery is at-least-once: an envelope is removed only by {@link Delivery.ack}. A receiver
 *   that stops (crashes, breaks out of its loop, closes) before acking gets the envelope
 *   delivered again, to itself or another receiver, at the latest when its lease expires.
 * - While a receiver holds a delivery and is still iterating, no other receiver of the same
 *   mailbox is given it (the transport renews the lease).
 * - Envelopes sent one after another by one sender to one mailbox are delivered in that order
 *   to a single receiver, apart from redeliveries.
 * - Mailboxes are isolated: a receiver only ever sees its own mailbox's envelopes.
 */
export interface Transport {
  /**
   * Store an envelope in a mailbox. Resolves once the transport has it durably (as durable as the
   * transport documents), never earlier.
   * @param mailbox A mailbox id from {@link mailboxId}.
   * @throws {TypeError} / {RangeError} for a malformed mailbox id or envelope.
   * @throws {@link LintasError} `ERR_TRANSPORT_ENVELOPE_TOO_LARGE`, `ERR_TRANSPORT_CLOSED`,
   * `ERR_TRANSPORT_UNAVAILABLE`, and transport-specific codes (`ERR_RELAY_*`).
   */
  send(mailbox: string, envelope: EnvelopeBody): Promise<void>;
  /**
   * Receive the mailbox's envelopes as they become available. The iteration ends when the
   * transport is closed, the signal is aborted, or (with `untilEmpty`) the mailbox is empty.
   * Breaking out of the loop stops lease renewal for deliveries not yet acked.
   * @throws {@link LintasError} `ERR_TRANSPORT_CLOSED` if called after close, `ERR_TRANSPORT_UNAVAILABLE`,
   * and transport-specific codes (`ERR_RELAY_AUTH_FAILED`, ...), from the iterator.
   */
  receive(mailbox: string, options?: ReceiveOptions): AsyncIterable<Delivery>;
  /**
   * Stop: running receive loops end, leases are no longer renewed (unacked deliveries become
   * available again, at the latest when their lease expires), later calls reject with
   * `ERR_TRANSPORT_CLOSED`. Idempotent. Does not close resources the app passed in.
   */
  close(): Promise<void>;
}

/**
 * Collect an {@link EnvelopeBody} into one buffer.
 * @throws {@link LintasError} whatever reading a streamed body throws: the transport's codes
 *   (`ERR_TRANSPORT_UNAVAILABLE`, `ERR_TRANSPORT_CLOSED`, ...).
 */
export async function envelopeBytes(envelope: EnvelopeBody): Promise<Uint8Array> {
  if (envelope instanceof Uint8Array) return envelope;
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const p of envelope) {
    parts.push(p);
    n += p.length;
  }
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Throws a TypeError unless `envelope` is bytes or an async iterable of bytes. */
export function checkEnvelopeBody(envelope: unknown): asserts envelope is EnvelopeBody {
  if (envelope instanceof Uint8Array) return;
  if (envelope && typeof (envelope as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function') return;
  throw new TypeError('envelope must be a Uint8Array or an AsyncIterable<Uint8Array>');
}

/**
 * Yields the chunks of `envelope`, throwing `ERR_TRANSPORT_ENVELOPE_TOO_LARGE` as soon as more
 * than `maxBytes` have passed, so an oversize stream is refused without reading all of it.
 */
export async function* limitEnvelope(envelope: EnvelopeBody, maxBytes: number): AsyncGenerator<Uint8Array> {
  let n = 0;
  const chunks = envelope instanceof Uint8Array ? [envelope] : envelope;
  for await (const chunk of chunks) {
    if (!(chunk instanceof Uint8Array)) throw new TypeError('envelope chunks must be Uint8Array');
    n += chunk.length;
    if (n > maxBytes) throw envelopeTooLarge(maxBytes);
    yield chunk;
  }
}

/** The error for an envelope above a transport's size limit. */
export function envelopeTooLarge(maxBytes: number): LintasError {
  return new LintasError(
    'ERR_TRANSPORT_ENVELOPE_TOO_LARGE',
    `Envelope is larger than this transport accepts (${maxBytes} bytes); raise the transport's maxEnvelopeBytes, or send it over a transport that takes larger envelopes`,
  );
}

/** The error for any use of a closed transport. */
export function transportClosed(): LintasError {
  return new LintasError('ERR_TRANSPORT_CLOSED', 'The transport was closed; create a new one to send or receive');
}

/** Validates a positive integer option (milliseconds, byte counts). */
export function checkPositiveInteger(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new TypeError(`${name} must be an integer`);
  if (value <= 0) throw new RangeError(`${name} must be positive`);
  return value;
}

/** Validates {@link ReceiveOptions}. */
export function checkReceiveOptions(options: ReceiveOptions | undefined): { untilEmpty: boolean; signal: AbortSignal | null } {
  if (options === undefined) return { untilEmpty: false, signal: null };
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  if (options.untilEmpty !== undefined && typeof options.untilEmpty !== 'boolean') throw new TypeError('options.untilEmpty must be a boolean');
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw new TypeError('options.signal must be an AbortSignal');
  return { untilEmpty: options.untilEmpty ?? false, signal: options.signal ?? null };
}
