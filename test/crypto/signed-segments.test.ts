/**
 * Signed segments (`signed-segments.ts`, the streaming open's checkpoint checks): SHA-256 of
 * consecutive segments, each checked against an Ed25519 signature over prefix || SHA-256(segment),
 * on the hash worker (streams of 1 MiB and more, or unknown size) or on the calling thread. Both
 * must give ed25519Verify's verdict for every segment, in order, whatever the worker says: in
 * particular OpenSSL, which the worker uses, accepts signatures that SPEC 1.3's rules 2 to 4
 * refuse, so those rules must still decide.
 */
import { createHash } from 'node:crypto';
import * as workerThreads from 'node:worker_threads';
import { beforeAll, describe, expect, it } from 'vitest';
import { cryptoReady } from '../../src/crypto/sodium.js';
import { concatBytes } from '../../src/crypto/bytes.js';
import { ed25519KeyPairFromSeed, ed25519Sign, ed25519Verify } from '../../src/crypto/ed25519.js';
import { parallelHashThread } from '../../src/crypto/node-parallel-hash.js';
import { createSignedSegments } from '../../src/crypto/signed-segments.js';

const MiB = 1 << 20;
const sha = (data: Uint8Array) => new Uint8Array(createHash('sha256').update(data).digest());

function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed * 7 + (i >>> 9)) & 0xff;
  return out;
}

beforeAll(async () => {
  await cryptoReady();
});

const signer = () => ed25519KeyPairFromSeed(new Uint8Array(32).fill(9));

describe.each([
  ['on the hash worker', 8 * MiB],
  ['on the calling thread', 1000],
])('signed segments %s', (_where, expectedBytes) => {
  it('gives each segment its own verdict, in order, and no verdict before its segment ends', () => {
    const key = signer();
    const segments = [bytes(3 * MiB + 5, 1), bytes(0, 2), bytes(70_000, 3), bytes(MiB, 4)];
    const s = createSignedSegments(key.publicKey, expectedBytes);
    const expected: boolean[] = [];
    try {
      segments.forEach((data, i) => {
        for (let off = 0; off < data.length; off += 65_536) s.update(data.subarray(off, off + 65_536));
        const prefix = new Uint8Array([i, 1, 2, 3]);
        const signature = ed25519Sign(key.secretKey, concatBytes(prefix, sha(data)));
        // Segment 2's signature is over the wrong prefix: only that one fails.
        const good = i !== 2;
        s.end(good ? prefix : new Uint8Array([i, 1, 2, 4]), signature);
        expected.push(good);
      });
      expect(expected.map(() => s.verdict(true))).toEqual(expected);
    } finally {
      s.release();
    }
  });

  it('refuses what OpenSSL alone would accept: a small-order key with an identity R and S = 0 (SPEC 1.3 rules 3-4)', () => {
    // A = R = the identity and S = 0 satisfy the cofactorless equation for every message.
    const identity = new Uint8Array(32);
    identity[0] = 1;
    const forged = concatBytes(identity, new Uint8Array(32));
    const data = bytes(2 * MiB, 5);
    const prefix = new Uint8Array([7]);
    expect(ed25519Verify(identity, concatBytes(prefix, sha(data)), forged)).toBe(false);
    const s = createSignedSegments(identity, expectedBytes);
    try {
      s.update(data);
      s.end(prefix, forged);
      expect(s.verdict(true)).toBe(false);
    } finally {
      s.release();
    }
  });

  it('a stream abandoned with verdicts out leaves the worker usable for the next one', () => {
    const key = signer();
    const abandoned = createSignedSegments(key.publicKey, expectedBytes);
    abandoned.update(bytes(2 * MiB, 6));
    abandoned.end(new Uint8Array(1), new Uint8Array(64));
    abandoned.update(bytes(MiB, 7)); // and bytes after the mark
    abandoned.release();
    const data = bytes(MiB + 3, 8);
    const next = createSignedSegments(key.publicKey, expectedBytes);
    try {
      next.update(data);
      next.end(new Uint8Array(0), ed25519Sign(key.secretKey, sha(data)));
      expect(next.verdict(true)).toBe(true);
    } finally {
      next.release();
    }
  });
});

describe('the hash worker as a signed-segment checker', () => {
  const thread = parallelHashThread(workerThreads);

  it('confirms a good signature, leaves a bad one unconfirmed with the right digest, and is busy for a second user', () => {
    const key = signer();
    const s = thread.segments()!;
    expect(s).not.toBeNull();
    try {
      expect(thread.segments()).toBeNull();
      expect(thread.sha256(8 * MiB)).toBeNull();
      const a = bytes(5 * MiB, 9);
      const b = bytes(12_345, 10);
      s.update(a);
      s.end(key.publicKey, new Uint8Array([1]), ed25519Sign(key.secretKey, concatBytes(new Uint8Array([1]), sha(a))));
      s.update(b);
      s.end(key.publicKey, new Uint8Array([2]), new Uint8Array(64).fill(3));
      const first = s.verdict(true)!;
      const second = s.verdict(true)!;
      expect([first.confirmed, second.confirmed]).toEqual([true, false]);
      expect([first.digest, second.digest]).toEqual([sha(a), sha(b)]);
    } finally {
      s.release();
    }
    // In step after a clean finish: a plain hash works at once.
    const h = thread.sha256(MiB)!;
    h.update(bytes(MiB, 11));
    expect(h.digest()).toEqual(sha(bytes(MiB, 11)));
  });

  it('keeps more ended segments than it has slots without losing one', () => {
    const key = signer();
    const s = thread.segments()!;
    const data = Array.from({ length: 9 }, (_, i) => bytes(300_000 + i, 20 + i));
    const bad = 3; // one bad signature among them keeps its place
    let seen = 0;
    try {
      for (const [i, d] of data.entries()) {
        s.update(d);
        const signature = i === bad ? new Uint8Array(64) : ed25519Sign(key.secretKey, concatBytes(new Uint8Array([i]), sha(d)));
        s.end(key.publicKey, new Uint8Array([i]), signature);
        // Verdicts taken only after the sixth and the ninth segment: six wait at once (four slots).
        if (i === 5 || i === 8) {
          for (let k = 0; k < (i === 5 ? 6 : 3); k++, seen++) {
            const v = s.verdict(true)!;
            expect([v.confirmed, v.digest]).toEqual([seen !== bad, sha(data[seen]!)]);
          }
        }
      }
      expect(seen).toBe(9);
    } finally {
      s.release();
    }
  });
});
