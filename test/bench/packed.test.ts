/**
 * How the bench's app-side pool hands batches between threads (bench/packed.ts): items packed
 * into one buffer come back unchanged, and lengths that do not describe the buffer are refused.
 */
import { describe, expect, it } from 'vitest';
import { pack, unpack } from '../../bench/packed.js';

describe('pack / unpack', () => {
  it('round-trips items of any length, the empty one included, in order', () => {
    const items = [new Uint8Array([1, 2, 3]), new Uint8Array(0), new Uint8Array(1024).fill(7), new Uint8Array([9])];
    const packed = pack(items);
    expect(packed.bytes.length).toBe(3 + 0 + 1024 + 1);
    expect(packed.lengths).toEqual([3, 0, 1024, 1]);
    expect(unpack(packed)).toEqual(items);
  });

  it('copies: changing an item after packing does not change the packed bytes', () => {
    const item = new Uint8Array([1, 2]);
    const packed = pack([item]);
    item[0] = 9;
    expect(unpack(packed)[0]).toEqual(new Uint8Array([1, 2]));
  });

  it('refuses lengths that run past the buffer or leave bytes over', () => {
    const bytes = new Uint8Array(4);
    expect(() => unpack({ bytes, lengths: [3, 2] })).toThrow(RangeError);
    expect(() => unpack({ bytes, lengths: [3] })).toThrow(RangeError);
    expect(() => unpack({ bytes, lengths: [-1, 5] })).toThrow(RangeError);
  });
});
