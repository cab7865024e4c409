/**
 * The items of a pool's `seal` (src/pool/worker-pool.ts) on the calling thread: their checks, and
 * what of them crosses into a worker.
 *
 * Checks: every
 * item is held to `seal`'s own checks (`checkOptions` of src/envelope/seal.ts) before any item is
 * sealed, so a bad item fails the call with the TypeError, RangeError or LintasError that `seal`
 * throws, on this thread.
 *
 * Why items are compared with the one checked before them: a batch usually repeats one set of
 * options (the same recipient key objects, flags, expiry) for every payload, and `checkOptions`
 * costs about as much as the public-key work of a tenth of an envelope (it hashes each recipient
 * key into its recipient id), on the thread that competes with the workers for cores
 * (docs/PERFORMANCE.md, "When the worker pool pays"). An item whose every option is the same as
 * the previous item's (the same key objects with the same `type` and `publicKey`, read again
 * from this item; equal flags, content type, chunk size; the same Date at the same time) would
 * get the same verdict, so it is not run again; anything that differs is checked in full. The
 * worker's own `seal` checks every item again in any case.
 *
 * Crossing: the same comparison lets a run of items with the same options share one options
 * object in the job (sent once), and only the fields `seal` reads cross, never the rest of the
 * caller's objects (a recipient key pair's secret key stays here).
 */
import { checkOptions, type SealOptions } from '../envelope/seal.js';
import type { RecipientPublicKey, SigningKeyPair } from '../keys/recipient.js';
import { packBytes, type WireSealOptions } from './protocol.js';

/** An item of the pool's `seal`: a payload and `seal`'s options without the sender. */
export type SealItem = Omit<SealOptions, 'sender' | 'anonymous'> & { payload: Uint8Array };

/** A stand-in sender of the right shape, for checking an item's options before a worker signs with the real one. */
const SENDER_SHAPE: SigningKeyPair = { publicKey: new Uint8Array(32), secretKey: new Uint8Array(64) };

/** The options of the last fully checked item, as read from it. */
interface Checked {
  keys: unknown[];
  types: unknown[];
  publicKeys: unknown[];
  hideRecipients: unknown;
  padding: unknown;
  expiresAt: unknown;
  expiresAtMs: number | undefined;
  contentType: unknown;
  chunkSize: unknown;
}

/**
 * Check every item as `seal` would with the pool's signer, throwing for the first bad one.
 * @param items - The caller's items (an array: the pool checked that).
 * @param anonymous - The pool seals without a sender (else it signs with its sender).
 * @param nowSeconds - The call's time, against which `expiresAt` must lie in the future.
 */
export function checkSealItems(items: SealItem[], anonymous: boolean, nowSeconds: number): void {
  const signer = anonymous ? { anonymous: true } : { sender: SENDER_SHAPE };
  let last: Checked | null = null;
  for (const [i, item] of items.entries()) {
    if (item === null || typeof item !== 'object') throw new TypeError(`items[${i}] must be an object`);
    if (!(item.payload instanceof Uint8Array)) throw new TypeError(`items[${i}].payload must be a Uint8Array`);
    for (const k of ['sender', 'anonymous'] as const) {
      if (k in item) throw new TypeError(`items[${i}].${k} is not accepted: the pool's sender signs every envelope`);
    }
    if (last && sameOptions(item, last)) continue;
    checkOptions({ ...item, ...signer, size: item.payload.length }, nowSeconds);
    last = readOptions(item);
  }
}

/** The options of an item that passed `checkOptions` (so its recipients are an array of objects). */
function readOptions(item: SealItem): Checked {
  const keys = [...item.recipients];
  const expiresAt = item.expiresAt;
  return {
    keys,
    types: keys.map((k) => k.type),
    publicKeys: keys.map((k) => k.publicKey),
    hideRecipients: item.hideRecipients,
    padding: item.padding,
    expiresAt,
    expiresAtMs: expiresAt?.getTime(),
    contentType: item.contentType,
    chunkSize: item.chunkSize,
  };
}

/** True if `item`'s options, read now, are those `last` was checked with. */
function sameOptions(item: SealItem, last: Checked): boolean {
  const recipients = item.recipients;
  if (!Array.isArray(recipients) || recipients.length !== last.keys.length) return false;
  for (let j = 0; j < recipients.length; j++) {
    const key: unknown = recipients[j];
    // Identity, then an object's fields (a hole or a non-object is left to the full check).
    if (key !== last.keys[j] || key === null || typeof key !== 'object') return false;
    const { type, publicKey } = key as SealItem['recipients'][number];
    if (type !== last.types[j] || publicKey !== last.publicKeys[j]) return false;
  }
  const expiresAt = item.expiresAt;
  return (
    item.hideRecipients === last.hideRecipients &&
    item.padding === last.padding &&
    item.contentType === last.contentType &&
    item.chunkSize === last.chunkSize &&
    expiresAt === last.expiresAt &&
    (expiresAt === undefined || expiresAt.getTime() === last.expiresAtMs)
  );
}

/**
 * A seal job's payloads (the job's copies, see `packBytes`) and options, read from the caller's
 * items now (they were checked when the call was made). A recipient key object used by several
 * items crosses once, its public key copied into a 32-byte buffer of its own: a view into a larger
 * buffer (a Node.js Buffer from the shared pool) would otherwise take that whole buffer along.
 * @throws {TypeError} if the caller has changed an item into something that cannot be read.
 */
export function wireSealJob(items: SealItem[]): { payloads: Uint8Array[]; options: WireSealOptions[]; transfer: ArrayBuffer[] } {
  const { copies, transfer } = packBytes(items.map((it) => it.payload));
  const keys = new Map<RecipientPublicKey, RecipientPublicKey>();
  const options: WireSealOptions[] = [];
  let last: Checked | null = null;
  let wire: WireSealOptions | null = null;
  for (const item of items) {
    if (!last || !wire || !sameOptions(item, last)) {
      last = readOptions(item);
      wire = wireOptions(item, keys);
    }
    options.push(wire);
  }
  return { payloads: copies, options, transfer };
}

/** The fields of `seal`'s options that cross into a worker. */
function wireOptions(item: SealItem, keys: Map<RecipientPublicKey, RecipientPublicKey>): WireSealOptions {
  const recipients = item.recipients.map((r) => {
    let wire = keys.get(r);
    if (!wire) {
      wire = { type: r.type, publicKey: r.publicKey.slice() };
      keys.set(r, wire);
    }
    return wire;
  });
  const wire: WireSealOptions = { recipients };
  if (item.hideRecipients !== undefined) wire.hideRecipients = item.hideRecipients;
  if (item.padding !== undefined) wire.padding = item.padding;
  if (item.expiresAt !== undefined) wire.expiresAt = item.expiresAt;
  if (item.contentType !== undefined) wire.contentType = item.contentType;
  if (item.chunkSize !== undefined) wire.chunkSize = item.chunkSize;
  return wire;
}
