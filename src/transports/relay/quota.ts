/**
 * Storage quotas of the relay (docs/TRANSPORTS.md 3.3, "Limits"): a global byte budget for
 * everything stored and one per sender (its signing key when it opened a sender session, else its
 * client address), so no one can fill the relay's disk by sending into made-up mailboxes. Bytes
 * are charged as they arrive, so concurrent uploads cannot overshoot together, and released when
 * an upload fails or a stored envelope is acknowledged or expires.
 */

/** Which budget an upload ran out of. */
export type QuotaExceeded = 'storage' | 'sender';

/** Byte accounting for the relay's storage. */
export class StorageQuota {
  private total = 0;
  private readonly bySender = new Map<string, number>();

  /**
   * @param maxBytes everything stored and in flight together
   * @param maxSenderBytes what one sender may have stored and in flight
   */
  constructor(
    private readonly maxBytes: number,
    private readonly maxSenderBytes: number,
  ) {}

  /**
   * Charge `n` bytes to `sender` (null: envelopes found on disk at start-up, whose sender is not
   * recorded, count against the global budget only). Charges nothing and names the budget if
   * either would be exceeded.
   */
  charge(sender: string | null, n: number): QuotaExceeded | null {
    if (this.total + n > this.maxBytes) return 'storage';
    const own = sender === null ? 0 : (this.bySender.get(sender) ?? 0);
    if (sender !== null && own + n > this.maxSenderBytes) return 'sender';
    this.total += n;
    if (sender !== null) this.bySender.set(sender, own + n);
    return null;
  }

  /**
   * Count `n` bytes already stored, whatever the budgets say (the folder scan at start-up: a relay
   * restarted with a smaller budget refuses new uploads until enough is collected).
   */
  add(sender: string | null, n: number): void {
    this.total += n;
    if (sender !== null) this.bySender.set(sender, (this.bySender.get(sender) ?? 0) + n);
  }

  /** Give back bytes charged to `sender` (an upload that failed, an envelope removed). */
  release(sender: string | null, n: number): void {
    this.total = Math.max(0, this.total - n);
    if (sender === null) return;
    const left = (this.bySender.get(sender) ?? 0) - n;
    if (left > 0) this.bySender.set(sender, left);
    else this.bySender.delete(sender);
  }
}

/**
 * Pass `chunks` through while charging each chunk to `sender` and counting it in `meter.bytes`;
 * on running out, throw `onExceeded(which)`. The caller releases `meter.bytes` if the upload is
 * not stored in the end, whatever the reason.
 */
export async function* charged(
  chunks: AsyncIterable<Uint8Array>,
  quota: StorageQuota,
  sender: string,
  meter: { bytes: number },
  onExceeded: (which: QuotaExceeded) => Error,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of chunks) {
    const refused = quota.charge(sender, chunk.length);
    if (refused !== null) throw onExceeded(refused);
    meter.bytes += chunk.length;
    yield chunk;
  }
}
