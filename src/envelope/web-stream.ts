/**
 * The streaming API works on async iterables of bytes, which Node streams already are (a
 * Readable is one, and `stream.pipeline` takes one as its source). Browsers' fetch bodies,
 * Response and the File System Access API want a Web ReadableStream instead: this is the one
 * adapter that needs, so no core code is duplicated per stream flavour.
 */

/**
 * A Web `ReadableStream` over `source`, typically the output of `sealStream` or
 * `armorStream`, or the `payload` of `openStream`.
 *
 * Pull-based with no read-ahead: a chunk is produced only when the stream's reader asks for
 * one, so a slow consumer slows the source down (back-pressure) and memory stays at about one
 * chunk. Cancelling the stream stops the iterable, which releases the source it reads from.
 * An error thrown by the iterable (a `LintasError` such as `ERR_SIGNATURE_INVALID` at the end of
 * an opened payload) errors the stream.
 * @throws {TypeError} if `source` is not an async iterable.
 */
export function toReadableStream(source: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  if (source === null || typeof source !== 'object' || typeof source[Symbol.asyncIterator] !== 'function') {
    throw new TypeError('source must be an async iterable of Uint8Array');
  }
  let iterator: AsyncIterator<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        iterator ??= source[Symbol.asyncIterator]();
        const next = await iterator.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
      async cancel() {
        await iterator?.return?.();
      },
    },
    { highWaterMark: 0 },
  );
}
