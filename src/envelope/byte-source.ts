/**
 * The input shapes the public API accepts for payloads and envelopes, normalised to one
 * async iterable of byte chunks.
 */

/** Anything lintas can read bytes from. */
export type ByteSource = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>;

/** Normalise a {@link ByteSource}; `label` names the argument in TypeErrors. */
export function toAsyncIterable(source: ByteSource | string, label: string): AsyncIterable<Uint8Array> {
  if (typeof source === 'string') source = new TextEncoder().encode(source);
  if (source instanceof Uint8Array) {
    const bytes = source;
    return (async function* () {
      yield bytes;
    })();
  }
  if (typeof ReadableStream !== 'undefined' && source instanceof ReadableStream) {
    return (async function* () {
      const reader = source.getReader();
      let finished = false;
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) {
            finished = true;
            return;
          }
          yield value;
        }
      } finally {
        // Like the stream's own async iterator: a reader that stops early cancels the stream, so
        // the underlying file or connection is released. A failed stream has nothing to cancel.
        if (!finished) await reader.cancel().catch(() => undefined);
        reader.releaseLock();
      }
    })();
  }
  if (source && typeof (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function') {
    return source as AsyncIterable<Uint8Array>;
  }
  if (source && typeof (source as Iterable<Uint8Array>)[Symbol.iterator] === 'function') {
    const it = source as Iterable<Uint8Array>;
    return (async function* () {
      yield* it;
    })();
  }
  throw new TypeError(`${label} must be a Uint8Array, an (async) iterable of Uint8Array or a ReadableStream`);
}

/** Collect an async iterable of chunks into one buffer. */
export async function collectBytes(source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const p of source) {
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
