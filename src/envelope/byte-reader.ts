/**
 * Reads exact byte counts from an async sequence of arbitrarily split chunks, so that the
 * whole-buffer, streamed and byte-by-byte inputs all go through one parser (SPEC 6: a reader's
 * result must not depend on how its input was split).
 */
export class ByteReader {
  private readonly it: AsyncIterator<Uint8Array>;
  private buf: Uint8Array = new Uint8Array(0);
  private off = 0;
  private ended = false;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.it = source[Symbol.asyncIterator]();
  }

  private get available(): number {
    return this.buf.length - this.off;
  }

  /** Pull until at least `n` bytes are buffered or the source ends. */
  private async fill(n: number): Promise<void> {
    while (this.available < n && !this.ended) {
      const r = await this.it.next();
      if (r.done) {
        this.ended = true;
        break;
      }
      const chunk = r.value;
      if (!(chunk instanceof Uint8Array)) throw new TypeError('envelope source must yield Uint8Array chunks');
      if (chunk.length === 0) continue;
      if (this.available === 0) {
        this.buf = chunk;
        this.off = 0;
      } else {
        const merged = new Uint8Array(this.available + chunk.length);
        merged.set(this.buf.subarray(this.off), 0);
        merged.set(chunk, this.available);
        this.buf = merged;
        this.off = 0;
      }
    }
  }

  /** Read up to `n` bytes; fewer only if the source ended. */
  async read(n: number): Promise<Uint8Array> {
    await this.fill(n);
    const take = Math.min(n, this.available);
    const out = this.buf.subarray(this.off, this.off + take);
    this.off += take;
    return out;
  }

  /** True if no byte is left. */
  async atEnd(): Promise<boolean> {
    await this.fill(1);
    return this.available === 0;
  }

  /** Stop reading the source early (releases file handles and sockets). */
  async cancel(): Promise<void> {
    if (!this.ended) {
      this.ended = true;
      await this.it.return?.();
    }
  }
}
