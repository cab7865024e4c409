/**
 * The Node fast path (node:crypto ChaCha20-Poly1305 and SHA-256) must be invisible: the same
 * envelope bytes as the portable path (libsodium + @noble/hashes) for the same inputs and
 * randomness, envelopes from either open under the other, and a forged chunk is refused by both.
 */
import { createHash } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { cryptoReady } from '../../src/crypto/sodium.js';
import { bulkBackendName, fastHashPath, forceBulkBackendForTests, installFastBackend } from '../../src/crypto/bulk-backend.js';
import { loadNodeBulkBackend } from '../../src/crypto/node-bulk.js';
import { chachaDecrypt, chachaEncrypt } from '../../src/crypto/aead.js';
import { createSha256, hmacSha256, sha256 } from '../../src/crypto/hash.js';
import type { RandomSource } from '../../src/crypto/random.js';
import { sealCore, type SealStreamOptions } from '../../src/envelope/seal.js';
import { open } from '../../src/envelope/open.js';
import { identityKeysFromSeed, type IdentityKeys } from '../../src/keys/index.js';

/** A deterministic random source: SHA-256(seed || counter) blocks. */
function seededRandom(seed: string): RandomSource {
  let counter = 0;
  return (n) => {
    const out = new Uint8Array(n);
    for (let off = 0; off < n; off += 32) {
      const block = createHash('sha256').update(`${seed}/${counter++}`).digest();
      out.set(block.subarray(0, Math.min(32, n - off)), off);
    }
    return out;
  };
}

function seededBytes(seed: string, n: number): Uint8Array {
  return seededRandom(seed)(n);
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const p of source) {
    parts.push(p.slice());
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

/** Seal with fixed randomness and clock, the payload split into `pieceSize` pieces. */
async function sealFixed(payload: Uint8Array, options: SealStreamOptions, seed: string, pieceSize = 1 << 20): Promise<Uint8Array> {
  const source = (async function* () {
    for (let off = 0; off < payload.length; off += pieceSize) yield payload.slice(off, off + pieceSize);
  })();
  return collect(sealCore(source, { size: payload.length, ...options }, { random: seededRandom(seed), now: () => 1_750_000_000_000 }));
}

let alice: IdentityKeys;
let bob: IdentityKeys;
let carol: IdentityKeys;

beforeAll(async () => {
  await cryptoReady();
  alice = await identityKeysFromSeed(seededBytes('alice', 32));
  bob = await identityKeysFromSeed(seededBytes('bob', 32));
  carol = await identityKeysFromSeed(seededBytes('carol', 32));
});

afterEach(() => forceBulkBackendForTests(null));

describe('Node fast path for the bulk primitives', () => {
  it('is in use on Node', () => {
    expect(bulkBackendName()).toBe('node');
  });

  it('loads by dynamic import where process.getBuiltinModule is missing (Node < 20.16), and not at all outside Node', async () => {
    const getBuiltinModule = process.getBuiltinModule;
    try {
      (process as { getBuiltinModule?: unknown }).getBuiltinModule = undefined;
      expect((await loadNodeBulkBackend())?.name).toBe('node');
    } finally {
      process.getBuiltinModule = getBuiltinModule;
    }
    // A browser: no process at all, or one without versions.node (a bundler's shim).
    for (const shim of [undefined, { versions: {}, env: {} }]) {
      vi.stubGlobal('process', shim);
      const loading = loadNodeBulkBackend(); // looks at the runtime before its first await
      vi.unstubAllGlobals();
      expect(await loading).toBeNull();
    }
  });

  it('is not used when node:crypto cannot do ChaCha20-Poly1305 (FIPS builds) or gets a known answer wrong', async () => {
    const nodeCrypto = process.getBuiltinModule('node:crypto');
    const fakes = [
      { ...nodeCrypto, createCipheriv: () => { throw new Error('Unknown cipher'); } },
      { ...nodeCrypto, createHash: (alg: string) => nodeCrypto.createHash(alg === 'sha256' ? 'sha512-256' : alg) },
      { ...nodeCrypto, hash: (alg: string, data: Uint8Array) => nodeCrypto.hash(alg === 'sha256' ? 'sha512-256' : alg, data, 'buffer') },
    ];
    for (const fake of fakes) {
      const spy = vi.spyOn(process, 'getBuiltinModule').mockReturnValue(fake as never);
      try {
        expect(await loadNodeBulkBackend()).toBeNull();
      } finally {
        spy.mockRestore();
      }
    }
  });

  it('gives the same ChaCha20-Poly1305, SHA-256 and HMAC-SHA-256 bytes as libsodium and noble on random inputs', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        // Both sides of the 4 KiB line where the fast path takes over.
        fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ minLength: 3000, maxLength: 9000 })),
        fc.option(fc.uint8Array({ maxLength: 40 }), { nil: undefined }),
        (key, nonce, data, aad) => {
          forceBulkBackendForTests('portable');
          const portable = { ct: chachaEncrypt(key, nonce, data, aad), hash: sha256(data), mac: hmacSha256(nonce, data) };
          const portableInc = createSha256();
          portableInc.update(data);
          portableInc.update(key);
          forceBulkBackendForTests('fast');
          const fastInc = createSha256();
          fastInc.update(data);
          fastInc.update(key);
          expect(chachaEncrypt(key, nonce, data, aad)).toEqual(portable.ct);
          expect(sha256(data)).toEqual(portable.hash);
          expect(hmacSha256(nonce, data)).toEqual(portable.mac);
          expect(fastInc.digest()).toEqual(portableInc.digest());
          // Each side opens what the other sealed.
          expect(chachaDecrypt(key, nonce, portable.ct, aad)).toEqual(data);
          const fastCt = chachaEncrypt(key, nonce, data, aad);
          forceBulkBackendForTests('portable');
          expect(chachaDecrypt(key, nonce, fastCt, aad)).toEqual(data);
        },
      ),
      { numRuns: 150, endOnFailure: true },
    );
  });

  it('refuses a ChaCha20-Poly1305 ciphertext with any flipped bit, a wrong nonce or a wrong key, like libsodium', () => {
    forceBulkBackendForTests('fast');
    const key = seededBytes('k', 32);
    const nonce = seededBytes('n', 12);
    const data = seededBytes('d', 5000);
    const ct = chachaEncrypt(key, nonce, data);
    for (const index of [0, 2500, ct.length - 17, ct.length - 16, ct.length - 1]) {
      const forged = ct.slice();
      forged[index]! ^= 0x01;
      expect(chachaDecrypt(key, nonce, forged)).toBeNull();
    }
    const otherNonce = nonce.slice();
    otherNonce[11]! ^= 1;
    expect(chachaDecrypt(key, otherNonce, ct)).toBeNull();
    expect(chachaDecrypt(seededBytes('k2', 32), nonce, ct)).toBeNull();
    expect(chachaDecrypt(key, nonce, ct.subarray(0, 15))).toBeNull();
    expect(chachaDecrypt(key, nonce, ct.subarray(0, ct.length - 1))).toBeNull();
  });

  it('hashes on a worker thread to the same SHA-256, however the data is cut, across reuse, abandonment and concurrency', async () => {
    const backend = (await loadNodeBulkBackend())!;
    const data = seededBytes('parallel', 9 * 1024 * 1024 + 333); // more than twice the 4 MiB ring
    const expected = createHash('sha256').update(data).digest();
    const hashInPieces = (cuts: number[]) => {
      const h = backend.createParallelSha256!()!;
      let off = 0;
      for (let i = 0; off < data.length; i++) {
        const n = cuts[i % cuts.length]!;
        h.update(data.subarray(off, off + n));
        off += n;
      }
      return h.digest();
    };
    expect(hashInPieces([data.length])).toEqual(new Uint8Array(expected));
    expect(hashInPieces([1, 65_536, 3_000_001, 7])).toEqual(new Uint8Array(expected));
    // Abandoned half-way with data still in the ring: the next hash must not see any of it.
    const abandoned = backend.createParallelSha256!()!;
    abandoned.update(data.subarray(0, 3 << 20));
    abandoned.release();
    abandoned.release();
    expect(() => abandoned.update(data)).toThrow();
    const fresh = backend.createParallelSha256!()!;
    fresh.update(new TextEncoder().encode('abc'));
    expect(Buffer.from(fresh.digest()).toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    // One worker serves one hash at a time; a second caller is told to hash in its own thread.
    const first = backend.createParallelSha256!()!;
    expect(backend.createParallelSha256!()).toBeNull();
    first.update(data);
    expect(first.digest()).toEqual(new Uint8Array(expected));
    expect(() => first.digest()).toThrow();
    expect(backend.createParallelSha256!()).not.toBeNull();
  });

  it('chooses where an incremental SHA-256 runs at its first use, so a hash made before the fast backend is installed does not stay on the portable path', () => {
    const real = fastHashPath()!;
    let madeOnFastPath = 0;
    installFastBackend({
      ...real,
      createSha256: () => {
        madeOnFastPath++;
        return real.createSha256();
      },
    });
    try {
      const data = seededBytes('first use', 100_000);
      forceBulkBackendForTests('portable'); // as before cryptoReady() has installed node:crypto
      const early = createSha256(0); // e.g. a field initialised as a CLI command starts
      forceBulkBackendForTests(null);
      early.update(data.subarray(0, 777));
      early.update(data.subarray(777));
      expect(early.digest()).toEqual(new Uint8Array(createHash('sha256').update(data).digest()));
      expect(madeOnFastPath).toBe(1);
      // Released before any use: nothing is started, and a later use never takes the worker thread.
      const unused = createSha256();
      unused.release();
      expect(madeOnFastPath).toBe(1);
    } finally {
      installFastBackend(real);
    }
  });

  it('seals and opens a large signed payload of unknown size with the hash on the worker, identically to the portable path', async () => {
    const payload = seededBytes('large unknown size', 5 * 1024 * 1024 + 17);
    const options: SealStreamOptions = { recipients: [bob.x25519], sender: alice.signing };
    const sealUnknownSize = (random: RandomSource) =>
      collect(
        sealCore(
          (async function* () {
            for (let off = 0; off < payload.length; off += 1 << 20) yield payload.subarray(off, off + (1 << 20));
          })(),
          options,
          { random, now: () => 1_750_000_000_000 },
        ),
      );
    forceBulkBackendForTests('portable');
    const portable = await sealUnknownSize(seededRandom('unknown'));
    forceBulkBackendForTests(null);
    const parallel = await sealUnknownSize(seededRandom('unknown'));
    expect(Buffer.from(parallel).equals(Buffer.from(portable))).toBe(true);
    const opened = await open(parallel, { keys: [bob.x25519], now: new Date(1_750_000_000_000) });
    expect(Buffer.from(opened.payload).equals(Buffer.from(payload))).toBe(true);
    expect(opened.authenticated).toBe(true);
  });

  const cases: { name: string; size: number; options: () => SealStreamOptions }[] = [
    { name: 'empty payload, X25519', size: 0, options: () => ({ recipients: [bob.x25519], sender: alice.signing }) },
    { name: '1 KiB, X25519 and X-Wing', size: 1024, options: () => ({ recipients: [bob.x25519, carol.xwing], sender: alice.signing }) },
    {
      name: 'exactly one 4 KiB chunk, anonymous',
      size: 4096,
      options: () => ({ recipients: [bob.x25519], anonymous: true, chunkSize: 4096 }),
    },
    {
      name: '300 KiB in 64 KiB chunks, hidden recipients, padding, expiry, content type',
      size: 300 * 1024 + 7,
      options: () => ({
        recipients: [bob.xwing, carol.x25519, alice.x25519],
        sender: alice.signing,
        hideRecipients: true,
        padding: true,
        expiresAt: new Date(1_760_000_000_000),
        contentType: 'application/vnd.lintas.bundle',
      }),
    },
    { name: '2 MiB in 1 MiB chunks', size: 2 << 20, options: () => ({ recipients: [carol.x25519], sender: bob.signing, chunkSize: 1 << 20 }) },
  ];

  for (const c of cases) {
    it(`seals identical envelopes under both backends on fixed inputs: ${c.name}`, async () => {
      const payload = seededBytes(`payload ${c.name}`, c.size);
      forceBulkBackendForTests('portable');
      const portable = await sealFixed(payload, c.options(), c.name);
      forceBulkBackendForTests('fast');
      const fast = await sealFixed(payload, c.options(), c.name, 10_007);
      forceBulkBackendForTests(null);
      const byDefault = await sealFixed(payload, c.options(), c.name, 65_536);
      expect(Buffer.from(fast).equals(Buffer.from(portable))).toBe(true);
      expect(Buffer.from(byDefault).equals(Buffer.from(portable))).toBe(true);
    });
  }

  it('seals identical envelopes under both backends on random inputs, and each opens the other', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 40_000 }),
        fc.constantFrom(4096, 8192, 65536),
        fc.boolean(),
        fc.string({ minLength: 1, maxLength: 12 }),
        async (size, chunkSize, anonymous, seed) => {
          const payload = seededBytes(`payload ${seed}`, size);
          const options: SealStreamOptions = anonymous
            ? { recipients: [bob.x25519], anonymous: true, chunkSize }
            : { recipients: [bob.x25519, carol.xwing], sender: alice.signing, chunkSize };
          forceBulkBackendForTests('portable');
          const portable = await sealFixed(payload, options, seed);
          forceBulkBackendForTests('fast');
          const fast = await sealFixed(payload, options, seed, 3001);
          expect(Buffer.from(fast).equals(Buffer.from(portable))).toBe(true);
          const openOptions = { keys: [carol.xwing], allowAnonymous: true, now: new Date(1_750_000_000_000) };
          if (!anonymous) expect((await open(portable, openOptions)).payload).toEqual(payload);
          forceBulkBackendForTests('portable');
          expect((await open(fast, { ...openOptions, keys: [bob.x25519] })).payload).toEqual(payload);
        },
      ),
      { numRuns: 25, endOnFailure: true },
    );
  });
});
