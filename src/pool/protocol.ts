/**
 * The messages between a worker pool and its workers, and how errors and bytes cross the thread
 * boundary. Structured clone keeps neither an error's class nor a `LintasError`'s `code`, so
 * errors travel as {@link WireError} and are rebuilt on the calling thread with its own classes
 * (an app's `instanceof LintasError` and `err.code` work as with the single-thread API).
 *
 * Bytes that matter (payloads, plaintexts, envelopes) move as transferred ArrayBuffers: the
 * sender copies them once into a buffer of their own and hands that buffer over, so no second
 * copy of a plaintext is left behind in a serialized message. Into a worker, the small inputs of
 * a job share one such buffer ({@link packBytes}): one allocation and one transfer per job
 * instead of one per item, on the calling thread that competes with the workers for cores.
 */
import { LintasError, type LintasErrorCode } from '../errors/index.js';
import type { OpenedEnvelope } from '../envelope/open.js';
import type { RecipientPublicKey } from '../keys/recipient.js';
import type { SharedKeys } from './shared-keys.js';

/** What a worker is started with (its `workerData`). */
export interface WorkerStart {
  /** The module the worker runs (src/pool/pool-worker.ts, or its build in dist/). */
  entry: string;
  /** The pool's keys, shared with the calling thread. */
  keys: SharedKeys;
  /** Seal without a sender (SPEC 5.3 "sender" absent), as the pool was created. */
  anonymous: boolean;
}

/** The per-envelope options of `seal` (sender excluded) for one or more payloads of a job. */
export interface WireSealOptions {
  recipients: RecipientPublicKey[];
  hideRecipients?: boolean;
  padding?: boolean;
  expiresAt?: Date;
  contentType?: string;
  chunkSize?: number;
}

/** The policy of `open` for a batch, decided by the calling thread (SPEC 6.5). */
export interface WireOpenPolicy {
  allowAnonymous?: boolean;
  trustedSenders?: Uint8Array[];
  now: Date;
  maxClockSkewSeconds?: number;
  maxTrialDecryptions?: number;
}

/**
 * Calling thread to worker. A seal job's `options[i]` are those of `payloads[i]`; payloads with
 * the same options share one object, which structured clone sends once (a batch usually seals
 * many payloads to the same recipients): per-item objects are most of a message's cost.
 */
export type Job =
  | { id: number; kind: 'seal'; payloads: Uint8Array[]; options: WireSealOptions[] }
  | { id: number; kind: 'open'; envelopes: (Uint8Array | string)[]; policy: WireOpenPolicy };

/** An error as it crosses the boundary. Stacks stay behind: they name worker internals only. */
export interface WireError {
  name: 'LintasError' | 'TypeError' | 'RangeError' | 'Error';
  code?: LintasErrorCode;
  message: string;
}

/**
 * The outcomes of a job's items, in order: `values[i]`, or null and the item's error among
 * `errors` (no wrapper object per item: one fewer object to clone for each).
 */
export interface WireResults<T> {
  values: (T | null)[];
  errors: [index: number, error: WireError][];
}

/** One opened envelope on the wire, field for field in the order of `OpenedEnvelope` (src/pool/opened-results.ts). */
export type WireOpened = [
  authenticated: boolean,
  sender: Uint8Array | null,
  envelopeId: Uint8Array,
  createdAtMs: number,
  expiresAtMs: number | null,
  recipients: Uint8Array[],
  openedWithType: OpenedEnvelope['openedWith']['type'],
  openedWithRecipientId: Uint8Array,
  stanzaTypes: string[],
  contentType: string | null,
  payloadLength: number | null,
  payload: Uint8Array,
];

/** Worker to calling thread. */
export type Reply =
  | { kind: 'ready' }
  | { id: number; kind: 'sealed'; results: WireResults<Uint8Array> }
  | { id: number; kind: 'opened'; results: WireResults<WireOpened> };

/** Flatten an error thrown in a worker. */
export function toWireError(e: unknown): WireError {
  if (e instanceof LintasError) return { name: 'LintasError', code: e.code, message: e.message };
  if (e instanceof TypeError) return { name: 'TypeError', message: e.message };
  if (e instanceof RangeError) return { name: 'RangeError', message: e.message };
  return { name: 'Error', message: e instanceof Error ? e.message : String(e) };
}

/** Rebuild an error on the calling thread, with the calling thread's classes. */
export function fromWireError(w: WireError): Error {
  switch (w.name) {
    case 'LintasError':
      return new LintasError(w.code!, w.message);
    case 'TypeError':
      return new TypeError(w.message);
    case 'RangeError':
      return new RangeError(w.message);
    default:
      return new Error(w.message);
  }
}

/**
 * `bytes` as an array that owns its whole, transferable buffer: itself if it already does, else
 * a copy. Only for arrays the pool made itself: the caller's arrays are copied (`slice()`)
 * before they are transferred, so nothing of theirs is ever detached.
 */
export function transferable(bytes: Uint8Array): Uint8Array {
  const whole = bytes.buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  return whole ? bytes : bytes.slice();
}

/**
 * Inputs up to this size are packed into their job's shared buffer; larger ones get a buffer of
 * their own, so a job of big payloads never needs one huge allocation.
 */
export const PACKED_INPUT_BYTES = 64 * 1024;

/**
 * Copies of `inputs` for a job, in order (strings, i.e. armored envelopes, as they are), and the
 * buffers to transfer. Arrays up to {@link PACKED_INPUT_BYTES} become views of one new buffer
 * holding them all; larger ones are copied alone. The caller's arrays are only read.
 */
export function packBytes<T extends Uint8Array | string>(inputs: readonly T[]): { copies: T[]; transfer: ArrayBuffer[] } {
  let packedBytes = 0;
  for (const b of inputs) if (typeof b !== 'string' && b.length <= PACKED_INPUT_BYTES) packedBytes += b.length;
  const packed = packedBytes > 0 ? new Uint8Array(packedBytes) : null;
  const transfer: ArrayBuffer[] = packed ? [packed.buffer] : [];
  let offset = 0;
  const copies = inputs.map((b): T => {
    if (typeof b === 'string') return b;
    if (b.length > PACKED_INPUT_BYTES) {
      const alone = b.slice();
      transfer.push(alone.buffer);
      return alone as T;
    }
    if (b.length === 0) return new Uint8Array(0) as T;
    packed!.set(b, offset);
    offset += b.length;
    return packed!.subarray(offset - b.length, offset) as T;
  });
  return { copies, transfer };
}
