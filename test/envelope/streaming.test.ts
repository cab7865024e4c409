/**
 * Streaming: a 1 GiB payload through sealStream -> openStream in bounded memory, Web
 * ReadableStream input, back-pressure (neither side reads ahead of its consumer), releasing the
 * source on early exit, declared-size checks, and the signature check at the end of a stream.
 */
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { armor, generateIdentityKeys, inspect, open, openStream, recipientId, seal, sealStream, type IdentityKeys } from '../../src/index.js';
import { HOLD_AHEAD_BYTES } from '../../src/envelope/plaintext-reader.js';
import { collect, expectCode, forgeEnvelope, patternBytes, readMeta, sealWithSecrets, splitEnvelope } from './envelope-kit.js';

let alice: IdentityKeys;
let bob: IdentityKeys;

beforeAll(async () => {
  alice = await generateIdentityKeys();
  bob = await generateIdentityKeys();
});

const MiB = 1024 * 1024;

/** A payload source generated from a counter, never held in memory, hashed as it is produced. */
function counterSource(total: number, pieceBytes: number): { source: AsyncGenerator<Uint8Array>; digest: () => string } {
  const hash = createHash('sha256');
  const source = (async function* () {
    let produced = 0;
    while (produced < total) {
      const n = Math.min(pieceBytes, total - produced);
      const piece = new Uint8Array(n);
      const words = new Uint32Array(piece.buffer, 0, n >>> 2);
      const first = produced >>> 2;
      for (let j = 0; j < words.length; j++) words[j] = Math.imul(first + j, 2654435761) ^ (first + j);
      hash.update(piece);
      produced += n;
      yield piece;
    }
  })();
  return { source, digest: () => hash.digest('hex') };
}

/** An async iterable over `chunks` that counts how many bytes were pulled and whether it was released. */
function countingSource(chunks: Uint8Array[]) {
  const state = { pulled: 0, released: false };
  const source = (async function* () {
    try {
      for (const c of chunks) {
        state.pulled += c.length;
        yield c;
      }
    } finally {
      state.released = true;
    }
  })();
  return { source, state };
}

/** A pull-based Web ReadableStream over `chunks` that counts pulls and records cancellation. */
function countingReadable(chunks: Uint8Array[]) {
  const state = { pulled: 0, cancelled: false };
  let i = 0;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (i === chunks.length) return controller.close();
        state.pulled += chunks[i]!.length;
        controller.enqueue(chunks[i++]!);
      },
      cancel() {
        state.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, state };
}

function pieces(bytes: Uint8Array, n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += n) out.push(bytes.subarray(i, i + n));
  return out;
}

describe('1 GiB stream', () => {
  it('seals and opens 1 GiB without holding it in memory: same SHA-256, bounded memory growth', async () => {
    const total = 1024 * MiB;
    const { source, digest } = counterSource(total, 98_308);
    const sealed = sealStream(source, { recipients: [bob.x25519], sender: alice.signing, size: total });
    const opened = await openStream(sealed, { keys: [bob.x25519], trustedSenders: [alice.signing.publicKey] });
    expect(opened.info.payloadLength).toBe(total);

    const before = process.memoryUsage();
    let maxRss = before.rss;
    let maxArrayBuffers = before.arrayBuffers;
    const received = createHash('sha256');
    let receivedBytes = 0;
    let pieceCount = 0;
    for await (const piece of opened.payload) {
      received.update(piece);
      receivedBytes += piece.length;
      if (++pieceCount % 256 === 0) {
        const m = process.memoryUsage();
        maxRss = Math.max(maxRss, m.rss);
        maxArrayBuffers = Math.max(maxArrayBuffers, m.arrayBuffers);
      }
    }
    expect(receivedBytes).toBe(total);
    expect(received.digest('hex')).toBe(digest());
    // Loose bounds: a leak or a buffered payload would grow by about 1 GiB.
    expect(maxRss - before.rss).toBeLessThan(256 * MiB);
    expect(maxArrayBuffers - before.arrayBuffers).toBeLessThan(256 * MiB);
  }, 600_000);
});

describe('Web ReadableStream input', () => {
  it('seals a ReadableStream payload and opens a ReadableStream envelope', async () => {
    const payload = patternBytes(50_000);
    const { stream } = countingReadable(pieces(payload, 3001));
    const env = await collect(sealStream(stream, { recipients: [bob.xwing], sender: alice.signing, chunkSize: 4096 }));
    const { stream: envStream } = countingReadable(pieces(env, 999));
    const opened = await openStream(envStream, { keys: [bob.xwing] });
    expect(await collect(opened.payload)).toEqual(payload);
    const { stream: envStream2 } = countingReadable(pieces(env, 65_536));
    expect((await open(envStream2, { keys: [bob.xwing] })).payload).toEqual(payload);
  });
});

describe('back-pressure', () => {
  it('sealStream reads its source only as far as its consumer has pulled (slow consumer)', async () => {
    const chunkSize = 4096;
    const { source, state } = countingSource(pieces(patternBytes(MiB), 1000));
    const it = sealStream(source, { recipients: [bob.x25519], sender: alice.signing, chunkSize })[Symbol.asyncIterator]();
    const header = await it.next();
    expect(header.done).toBe(false);
    expect(state.pulled).toBe(0); // the header goes out before any payload is read
    for (let k = 1; k <= 20; k++) {
      const r = await it.next();
      expect(r.value).toHaveLength(chunkSize + 16);
      // One chunk is held back until more data arrives (it might be the last), plus one piece.
      expect(state.pulled).toBeLessThanOrEqual((k + 1) * chunkSize + 1000);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(state.pulled).toBeLessThan(MiB / 10);
    await it.return?.();
    expect(state.released).toBe(true);
  });

  it('sealStream cancels a ReadableStream source when its consumer stops early', async () => {
    const { stream, state } = countingReadable(pieces(patternBytes(MiB), 1000));
    const it = sealStream(stream, { recipients: [bob.x25519], sender: alice.signing, chunkSize: 4096 })[Symbol.asyncIterator]();
    for (let k = 0; k < 5; k++) await it.next();
    expect(state.pulled).toBeLessThanOrEqual(6 * 4096 + 1000);
    await it.return?.();
    expect(state.cancelled).toBe(true);
  });

  it('openStream reads the envelope only as far as its consumer has pulled, and releases it on early exit', async () => {
    // Three 4 MiB windows (SPEC 5.5): each is read whole, its checkpoint verified, then released.
    const env = await seal(patternBytes(12 * MiB), { recipients: [bob.x25519], sender: alice.signing, chunkSize: 4096 });
    const { source, state } = countingSource(pieces(env, 1000));
    const opened = await openStream(source, { keys: [bob.x25519] });
    const headerSection = splitEnvelope(env).payloadOffset;
    // Header reading may look ahead by at most the 64 KiB sniffing buffer.
    expect(state.pulled).toBeLessThanOrEqual(headerSection + 64 * 1024 + 1000);
    const it = opened.payload[Symbol.asyncIterator]();
    let consumed = 0;
    // One window ahead of the consumer at most (the window being verified, in ciphertext), and
    // what is decrypted of the next while the hash thread checks its checkpoint.
    const window = (4 * MiB + HOLD_AHEAD_BYTES) / 4096;
    for (let k = 0; k < 50; k++) {
      const r = await it.next();
      consumed += r.value!.length;
      expect(state.pulled).toBeLessThanOrEqual(headerSection + consumed + window * (4096 + 16) + 3 * (4096 + 16) + 2 * 64 * 1024);
    }
    expect(state.pulled).toBeLessThan(env.length / 2);
    await it.return?.();
    expect(state.released).toBe(true);
  });

  it('openStream releases the envelope source when the header is refused', async () => {
    const env = await seal(patternBytes(MiB), { recipients: [bob.x25519], sender: alice.signing, chunkSize: 4096 });
    const mangled = env.slice();
    mangled[3]! ^= 1; // magic
    for (const [bytes, code] of [
      [mangled, 'ERR_ENVELOPE_MALFORMED'],
      [env, 'ERR_ENVELOPE_NOT_FOR_ME'],
      [new TextEncoder().encode(armor(env)), 'ERR_ENVELOPE_NOT_FOR_ME'],
    ] as const) {
      const { source, state } = countingSource(pieces(bytes, 1000));
      await expectCode(openStream(source, { keys: [alice.x25519] }), code);
      expect(state.released).toBe(true);
      expect(state.pulled).toBeLessThan(bytes.length / 4);
      const { stream, state: rs } = countingReadable(pieces(bytes, 1000));
      await expectCode(openStream(stream, { keys: [alice.x25519] }), code);
      expect(rs.cancelled).toBe(true);
    }
  });
});

describe('declared size', () => {
  it('refuses a payload longer or shorter than the declared size with ERR_SEAL_SIZE_MISMATCH', async () => {
    const options = { recipients: [bob.x25519], sender: alice.signing, chunkSize: 4096 };
    const data = patternBytes(10_000);
    for (const size of [0, 9_999, 10_001, 20_000]) {
      await expectCode(collect(sealStream(pieces(data, 3000), { ...options, size })), 'ERR_SEAL_SIZE_MISMATCH');
    }
    const env = await collect(sealStream(pieces(data, 3000), { ...options, size: 10_000 }));
    expect((await open(env, { keys: [bob.x25519] })).payloadLength).toBe(10_000);
  });

  it('padding a stream needs its size (TypeError without it) and pads like seal()', async () => {
    const options = { recipients: [bob.x25519], sender: alice.signing, padding: true };
    await expect(collect(sealStream([new Uint8Array(10)], options))).rejects.toBeInstanceOf(TypeError);
    const data = patternBytes(1000);
    const streamed = await collect(sealStream(pieces(data, 333), { ...options, size: 1000 }));
    expect((await inspect(streamed)).plaintextStreamBytes).toBe(1024 + 64);
    expect(streamed.length).toBe((await seal(data, options)).length);
    const o = await open(streamed, { keys: [bob.x25519] });
    expect(o.payload).toEqual(data);
    expect(o.payloadLength).toBe(1000);
  });
});

describe('verification at the end of a stream', () => {
  it('releases nothing and throws ERR_SIGNATURE_INVALID when the (only) checkpoint is bad', async () => {
    // An insider (a recipient, who knows the file key) rebuilds the envelope with a wrong signature.
    const payload = patternBytes(5 * 4096);
    const { envelope, fileKey, salt, keys } = await sealWithSecrets(payload, { recipients: [bob.x25519], sender: alice.signing, chunkSize: 4096 });
    const parts = splitEnvelope(envelope);
    const meta = readMeta(keys, parts.header);
    expect(meta.to).toEqual([recipientId(bob.x25519)]);
    const badSignature = new Uint8Array(64).fill(7);
    const forged = forgeEnvelope({ fileKey, salt, stanzas: parts.header.stanzas, meta, plaintext: new Uint8Array([...payload, ...badSignature]) }).envelope;
    const opened = await openStream(forged, { keys: [bob.x25519] });
    expect(opened.info.authenticated).toBe(true); // claimed; each window is verified before it is released
    const seen: Uint8Array[] = [];
    await expectCode(
      (async () => {
        for await (const p of opened.payload) seen.push(p);
      })(),
      'ERR_SIGNATURE_INVALID',
    );
    // SPEC 6.6: the window's payload comes out only after its checkpoint verified.
    expect(seen).toEqual([]);
  });
});
