/**
 * The results of a pool's open job as they cross back from a worker (src/pool/pool-worker.ts) to
 * the calling thread (src/pool/worker-pool.ts).
 *
 * Why not the `OpenedEnvelope` objects themselves: structured clone writes every key of every
 * nested object and gives each small array of a result (sender, envelope id, recipient ids) an
 * ArrayBuffer of its own, about 15-20 us per result for both threads together, taken from cores
 * the workers fill (docs/PERFORMANCE.md, "When the worker pool pays"). Instead a result crosses
 * as a tuple (no keys), its small arrays as views of one buffer per job (one transfer) and its
 * payload in its own transferred buffer, and the calling thread rebuilds exactly what `open`
 * returned: the same fields in the same order, each array copied into a buffer of its own as
 * `open`'s are, the dates from their times. None of the small arrays is secret; the payload is
 * never copied into the shared buffer.
 */
import type { OpenedEnvelope } from '../envelope/open.js';
import { transferable, type WireOpened } from './protocol.js';

/** In a worker: a job's results (null for a failed item) as tuples, and the buffers to transfer. */
export function packOpened(results: (OpenedEnvelope | null)[]): { tuples: (WireOpened | null)[]; transfer: ArrayBuffer[] } {
  let smallBytes = 0;
  for (const r of results) {
    if (!r) continue;
    smallBytes += (r.sender?.length ?? 0) + r.envelopeId.length + r.openedWith.recipientId.length;
    for (const id of r.recipients) smallBytes += id.length;
  }
  const small = new Uint8Array(smallBytes);
  const transfer: ArrayBuffer[] = [small.buffer];
  let offset = 0;
  const place = (bytes: Uint8Array): Uint8Array => {
    small.set(bytes, offset);
    offset += bytes.length;
    return small.subarray(offset - bytes.length, offset);
  };
  const tuples = results.map((r): WireOpened | null => {
    if (!r) return null;
    const payload = transferable(r.payload);
    transfer.push(payload.buffer as ArrayBuffer);
    return [
      r.authenticated,
      r.sender === null ? null : place(r.sender),
      place(r.envelopeId),
      r.createdAt.getTime(),
      r.expiresAt === null ? null : r.expiresAt.getTime(),
      r.recipients.map(place),
      r.openedWith.type,
      place(r.openedWith.recipientId),
      r.stanzaTypes,
      r.contentType,
      r.payloadLength,
      payload,
    ];
  });
  return { tuples, transfer };
}

/** On the calling thread: the `OpenedEnvelope` a tuple stands for, every array owning its buffer. */
export function unpackOpened(t: WireOpened): OpenedEnvelope {
  return {
    authenticated: t[0],
    sender: t[1] === null ? null : t[1].slice(),
    envelopeId: t[2].slice(),
    createdAt: new Date(t[3]),
    expiresAt: t[4] === null ? null : new Date(t[4]),
    recipients: t[5].map((id) => id.slice()),
    openedWith: { type: t[6], recipientId: t[7].slice() },
    stanzaTypes: t[8],
    contentType: t[9],
    payloadLength: t[10],
    payload: t[11],
  };
}
