/**
 * Reads exact byte counts from an async sequence of arbitrarily split chunks, so that the
 * whole-buffer, streamed and byte-by-byte inputs all go through one parser (SPEC 6: a reader's
 * result must not depend on how its input was split).
 */
export class ByteReader {
  private readonly it: AsyncIterator<Uint8Array>;
  /**
   * Unread chunks as they arrived, joined only when a read spans several. Merging each arriving
   * chunk into one buffer instead would copy quadratically: a 2 MiB header sent in 1-byte pieces
   * would take minutes to read.
   */
  private chunks: Uint8Array[] = [];
  /** Bytes of `chunks[0]` already read. */
  private off = 0;
  private available = 0;
  private ended = false;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.it = source[Symbol.asyncIterator]();
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
      this.chunks.push(chunk);
      this.available += chunk.length;
    }
  }

  /** Read up to `n` bytes; fewer only if the source ended. */
  async read(n: number): Promise<Uint8Array> {
    await this.fill(n);
    return this.take(n);
  }

  /**
   * Exactly `n` bytes if they are buffered already, else null (and nothing is read): the
   * payload reader's per-chunk path, which so costs no promise while a large input piece lasts.
   */
  readBuffered(n: number): Uint8Array | null {
    return this.available >= n ? this.take(n) : null;
  }

  /** True if at least one byte is buffered (so {@link atEnd} would be false without waiting). */
  hasBuffered(): boolean {
    return this.available > 0;
  }

  /** Up to `n` of the buffered bytes. */
  private take(n: number): Uint8Array {
    const take = Math.min(n, this.available);
    this.available -= take;
    const first = this.chunks[0];
    if (first && first.length - this.off >= take) {
      // The common case (large chunks): no copy.
      const out = first.subarray(this.off, this.off + take);
      this.off += take;
      if (this.off === first.length) {
        this.chunks.shift();
        this.off = 0;
      }
      return out;
    }
    const out = new Uint8Array(take);
    let filled = 0;
    let used = 0;
    while (filled < take) {
      const c = this.chunks[used]!;
      const k = Math.min(c.length - this.off, take - filled);
      out.set(c.subarray(this.off, this.off + k), filled);
      filled += k;
      this.off += k;
      if (this.off === c.length) {
        used++;
        this.off = 0;
      }
    }
    // One splice per read, not a shift per chunk, so many tiny chunks stay linear.
    this.chunks.splice(0, used);
    return out;
  }

  /** The next `n` bytes (fewer only if the source ended), left unread. */
  async peek(n: number): Promise<Uint8Array> {
    await this.fill(n);
    const out = new Uint8Array(Math.min(n, this.available));
    let filled = 0;
    for (let i = 0, off = this.off; filled < out.length; i++, off = 0) {
      const c = this.chunks[i]!;
      const k = Math.min(c.length - off, out.length - filled);
      out.set(c.subarray(off, off + k), filled);
      filled += k;
    }
    return out;
  }

  /**
   * Everything not read yet, chunk by chunk as it arrived (no re-cutting, no copies), for
   * handing the rest of the input to another layer such as the armor decoder. Ending the
   * iteration early cancels the source.
   */
  async *remaining(): AsyncGenerator<Uint8Array> {
    try {
      while (this.chunks.length > 0) {
        const c = this.chunks.shift()!.subarray(this.off);
        this.off = 0;
        this.available -= c.length;
        yield c;
      }
      while (!this.ended) {
        const r = await this.it.next();
        if (r.done) {
          this.ended = true;
          return;
        }
        if (!(r.value instanceof Uint8Array)) throw new TypeError('envelope source must yield Uint8Array chunks');
        yield r.value;
      }
    } finally {
      await this.cancel();
    }
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
