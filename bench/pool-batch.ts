/**
 * One call of the pool row of issue 17, as every pool measurement of the bench makes it
 * (bench/run.ts, bench/worker-pool.ts --versus, bench/pool-child.ts): {@link POOL_BATCH} 1 KiB
 * pairs as chains of `seal` of {@link POOL_CHAIN} items then `open` of their envelopes, all
 * chains at once, every opened payload checked.
 */

/** Pairs per call: enough to keep two workers busy. */
export const POOL_BATCH = 128;
/** Items per `seal` call of a chain: the pool's job size. */
export const POOL_CHAIN = 32;

/** The shape of `lintas/node`'s `createWorkerPool` as far as the bench uses it (found by feature in older trees). */
export interface PoolLike {
  seal(items: { payload: Uint8Array; recipients: unknown[] }[]): Promise<Uint8Array[]>;
  open(envelopes: Uint8Array[], options: object): Promise<({ ok: true; opened: { payload: Uint8Array } } | { ok: false; error: Error })[]>;
  close(): Promise<void>;
}

/** One call of the row: seal and open `POOL_BATCH` copies of `payload` to `recipient`, trusting `senderPublicKey`. */
export function poolBatch(pool: PoolLike, payload: Uint8Array, recipient: unknown, senderPublicKey: Uint8Array): () => Promise<void> {
  const chain = Array.from({ length: POOL_CHAIN }, () => ({ payload, recipients: [recipient] }));
  const openOptions = { trustedSenders: [senderPublicKey] };
  const sealThenOpen = async (): Promise<void> => {
    for (const r of await pool.open(await pool.seal(chain), openOptions)) {
      if (!r.ok || r.opened.payload.length !== payload.length || r.opened.payload[7] !== payload[7]) throw new Error('the pool lost a pair');
    }
  };
  return async () => void (await Promise.all(Array.from({ length: POOL_BATCH / POOL_CHAIN }, sealThenOpen)));
}
