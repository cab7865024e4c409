/**
 * Reads a decrypted payload stream in pieces of known length, holding at most one incoming
 * chunk, so a reader can take the head and then stream each item without buffering it.
 */
export class PayloadCursor {
  private readonly it: AsyncIterator<Uint8Array>;
  private buf: Uint8Array = new Uint8Array(0);
  private done = false;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.it = source[Symbol.asyncIterator]();
  }

  private async fill(): Promise<boolean> {
    while (this.buf.length === 0 && !this.done) {
      const r = await this.it.next();
      if (r.done) this.done = true;
      else this.buf = r.value;
    }
    return this.buf.length > 0;
  }

  /** Exactly `n` bytes, or fewer if the stream ends first. */
  async read(n: number): Promise<Uint8Array> {
    const out = new Uint8Array(n);
    let got = 0;
    for await (const piece of this.take(n)) {
      out.set(piece, got);
      got += piece.length;
    }
    return got === n ? out : out.subarray(0, got);
  }

  /** Up to `n` bytes as they arrive (fewer only if the stream ends). */
  async *take(n: number): AsyncGenerator<Uint8Array> {
    let left = n;
    while (left > 0 && (await this.fill())) {
      const k = Math.min(left, this.buf.length);
      const piece = this.buf.subarray(0, k);
      // Advance before yielding: a consumer that stops here must not see these bytes again.
      this.buf = this.buf.subarray(k);
      left -= k;
      yield piece;
    }
  }

  /** Pull the stream to its end (which runs its final checks); true if no bytes were left. */
  async finish(): Promise<boolean> {
    const empty = !(await this.fill());
    if (!empty) await this.cancel();
    return empty;
  }

  /** Stop reading and release the source. */
  async cancel(): Promise<void> {
    if (this.done) return;
    this.done = true;
    this.buf = new Uint8Array(0);
    await this.it.return?.();
  }
}
