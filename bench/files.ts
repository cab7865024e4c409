/** File helpers shared by the contenders. */
import { createWriteStream, type WriteStream } from 'node:fs';

/** Files are written with 1 MiB of buffering, as one would for large transfers (the default is 16 KiB). */
export function fileSink(path: string): WriteStream {
  return createWriteStream(path, { highWaterMark: 1 << 20 });
}

/** A pull-based Web ReadableStream over an async iterable: no read-ahead, like lintas's toReadableStream. */
export function pullStream(source: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const it = source[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const r = await it.next();
        if (r.done) controller.close();
        else controller.enqueue(r.value);
      },
    },
    { highWaterMark: 0 },
  );
}
