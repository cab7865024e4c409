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
  it('reads buffered bytes without waiting, in step with awaited reads, and never past what arrived', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 3000 }),
        fc.array(fc.integer({ min: 0, max: 700 }), { maxLength: 60 }),
        fc.array(fc.integer({ min: 1, max: 900 }), { minLength: 1, maxLength: 40 }),
        async (data, cuts, reads) => {
          const reader = new ByteReader(pieces(data, cuts));
          let off = 0;
          for (let i = 0; off < data.length; i++) {
            const n = reads[i % reads.length]!;
            const sync = reader.readBuffered(n);
            if (sync === null) {
              // Nothing was consumed: the awaited read still returns the same bytes.
              const got = await reader.read(n);
              expect(got).toEqual(data.subarray(off, Math.min(data.length, off + n)));
              off += got.length;
              continue;
            }
            expect(sync.length).toBe(n); // exactly n, or null: never a short read
            expect(sync).toEqual(data.subarray(off, off + n));
            off += n;
            expect(off).toBeLessThanOrEqual(data.length);
          }
          expect(reader.hasBuffered()).toBe(false);
          expect(reader.readBuffered(1)).toBeNull();
          expect(await reader.atEnd()).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('says whether bytes are buffered, and readBuffered takes them only when enough are', async () => {
    const reader = new ByteReader(pieces(Uint8Array.from([1, 2, 3, 4, 5]), [3, 2]));
    expect(reader.hasBuffered()).toBe(false);
    expect(reader.readBuffered(1)).toBeNull(); // nothing pulled yet
    expect(await reader.read(1)).toEqual(Uint8Array.from([1]));
    expect(reader.hasBuffered()).toBe(true); // 2 and 3 of the first piece
    expect(reader.readBuffered(3)).toBeNull(); // only two are buffered: none taken
    expect(reader.readBuffered(2)).toEqual(Uint8Array.from([2, 3]));
    expect(reader.hasBuffered()).toBe(false);
    expect(await reader.read(5)).toEqual(Uint8Array.from([4, 5]));
    expect(await reader.atEnd()).toBe(true);
  });

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
