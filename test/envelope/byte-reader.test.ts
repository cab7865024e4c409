import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ByteReader } from '../../src/envelope/byte-reader.js';

async function* pieces(data: Uint8Array, cuts: number[]): AsyncGenerator<Uint8Array> {
  let off = 0;
  for (const c of cuts) {
    const end = Math.min(data.length, off + c);
    yield data.subarray(off, end); // empty pieces included: the reader must skip them
    off = end;
  }
  if (off < data.length) yield data.subarray(off);
}

describe('ByteReader', () => {
  it('returns exactly the requested bytes, in order, however the input is split', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 3000 }),
        fc.array(fc.integer({ min: 0, max: 700 }), { maxLength: 60 }),
        fc.array(fc.integer({ min: 0, max: 900 }), { minLength: 1, maxLength: 40 }),
        async (data, cuts, reads) => {
          const reader = new ByteReader(pieces(data, cuts));
          let off = 0;
          for (let i = 0; off < data.length || i < reads.length; i++) {
            const n = reads[i % reads.length]! || 1;
            const got = await reader.read(n);
            const want = data.subarray(off, Math.min(data.length, off + n));
            expect(got).toEqual(want);
            off += want.length;
            if (want.length === 0) break;
          }
          expect(await reader.atEnd()).toBe(true);
          expect(await reader.read(5)).toEqual(new Uint8Array(0));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads a long run of 1-byte pieces in one read (the case that used to copy quadratically)', async () => {
    const data = Uint8Array.from({ length: 256 * 1024 }, (_, i) => (i * 7) & 255);
    const reader = new ByteReader(pieces(data, new Array(data.length).fill(1)));
    expect(await reader.read(11)).toEqual(data.subarray(0, 11));
    expect(await reader.read(data.length)).toEqual(data.subarray(11));
    expect(await reader.atEnd()).toBe(true);
  });
});
