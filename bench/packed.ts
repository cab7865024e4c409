/**
 * Byte strings packed into one buffer with their lengths, so that a batch crosses between threads
 * as one transferred buffer instead of one structured-clone entry per item (bench/pair-worker.ts).
 */
import { concatBytes } from '../src/crypto/bytes.js';

/** Items laid end to end in `bytes`; `lengths[i]` is the length of item i. */
export interface Packed {
  bytes: Uint8Array;
  lengths: number[];
}

/** Copy `items` into one fresh buffer. */
export function pack(items: readonly Uint8Array[]): Packed {
  return { bytes: concatBytes(...items), lengths: items.map((item) => item.length) };
}

/** The items of `packed`, as views into its buffer. */
export function unpack(packed: Packed): Uint8Array[] {
  const items: Uint8Array[] = [];
  let at = 0;
  for (const n of packed.lengths) {
    if (n < 0 || at + n > packed.bytes.length) throw new RangeError('packed lengths run past the buffer');
    items.push(packed.bytes.subarray(at, at + n));
    at += n;
  }
  if (at !== packed.bytes.length) throw new RangeError('packed lengths do not cover the buffer');
  return items;
}
