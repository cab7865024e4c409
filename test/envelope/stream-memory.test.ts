/**
 * Streaming in bounded memory with back-pressure (issue 7). Memory is not measured here (that is
 * bench/'s job, with RSS); what is asserted is the structure that bounds it: sealing and opening
 * pull their source only as fast as their consumer reads, the bytes held between source and
 * consumer never exceed a few chunks whatever the payload size, large input pieces are not
 * copied, Node and Web streams work at both ends with cancellation reaching the source, and the
 * output does not depend on how the input is cut.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cryptoReady } from '../../src/crypto/sodium.js';
import type { RandomSource } from '../../src/crypto/random.js';
import { ByteReader } from '../../src/envelope/byte-reader.js';
import { sealCore, type SealStreamOptions } from '../../src/envelope/seal.js';
import { HOLD_AHEAD_BYTES } from '../../src/envelope/plaintext-reader.js';
import { generateIdentityKeys, open, openStream, sealStream, toReadableStream, type IdentityKeys } from '../../src/index.js';
import { concatBytes } from '../../src/crypto/bytes.js';
import {
  collect,
  expectCode,
  forgeEnvelope,
  patternBytes,
  readMeta,
  sealWithSecrets,
  signEnvelope,
  splitEnvelope,
} from './envelope-kit.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const CHUNK = 64 * KiB;
/** SPEC 5.5: the plaintext stream's windows, each closed by a checkpoint. */
const WINDOW = 4 * MiB;

let alice: IdentityKeys;
let bob: IdentityKeys;
let dir: string;

beforeAll(async () => {
  await cryptoReady();
  alice = await generateIdentityKeys();
  bob = await generateIdentityKeys();
  dir = mkdtempSync(join(tmpdir(), 'lintas-stream-'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A source of `count` pieces of `size` bytes that records how far it has been pulled. */
function countingSource(count: number, size: number) {
  const piece = patternBytes(size);
  const state = { pulled: 0, bytes: 0, released: false };
  async function* generate(): AsyncGenerator<Uint8Array> {
    try {
      for (let i = 0; i < count; i++) {
        state.pulled++;
        state.bytes += size;
        yield piece;
      }
    } finally {
      state.released = true;
    }
  }
  return { state, source: generate() };
}

/** Byte equality; vitest's toEqual walks large arrays element by element and takes seconds. */
function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  expect(Buffer.from(actual.buffer, actual.byteOffset, actual.length).equals(Buffer.from(expected.buffer, expected.byteOffset, expected.length))).toBe(true);
}

function seededRandom(seed: string): RandomSource {
  let counter = 0;
  return (n) => {
    const out = new Uint8Array(n);
    for (let off = 0; off < n; off += 32) out.set(createHash('sha256').update(`${seed}/${counter++}`).digest().subarray(0, Math.min(32, n - off)), off);
    return out;
  };
}

describe('streaming in bounded memory', () => {
  it('seal pulls its source only as fast as the envelope is read, and releases it when reading stops', async () => {
    const { state, source } = countingSource(100_000, CHUNK); // 6.25 GiB if it were all read
    let read = 0;
    for await (const chunk of sealStream(source, { recipients: [bob.x25519], sender: alice.signing })) {
      read++;
      // The header comes first; then each chunk out needs one piece in, plus the one held back.
      expect(state.pulled).toBeLessThanOrEqual(read + 1);
      if (read === 50) break;
      expect(chunk.length).toBeLessThanOrEqual(CHUNK + 16);
    }
    expect(state.pulled).toBeLessThanOrEqual(51);
    expect(state.released).toBe(true);
  });

  it('open pulls the envelope only as fast as the payload is read, and releases it when reading stops', async () => {
    // 16 MiB: four windows of 4 MiB (SPEC 5.5).
    const envelope = await collect(sealStream(countingSource(256, CHUNK).source, { recipients: [bob.x25519], sender: alice.signing }));
    const { state, source } = (() => {
      const s = { pulled: 0, released: false };
      async function* pieces(): AsyncGenerator<Uint8Array> {
        try {
          for (let off = 0; off < envelope.length; off += 10_000) {
            s.pulled++;
            yield envelope.subarray(off, off + 10_000);
          }
        } finally {
          s.released = true;
        }
      }
      return { state: s, source: pieces() };
    })();
    const opened = await openStream(source, { keys: [bob.x25519] });
    let bytes = 0;
    for await (const part of opened.payload) {
      bytes += part.length;
      // Bytes pulled from the envelope stay within one window (and a chunk) of the payload
      // bytes handed out: the window whose checkpoint is being verified, and at most
      // HOLD_AHEAD_BYTES of the next, decrypted while the hash thread checks it.
      expect(state.pulled * 10_000 - bytes).toBeLessThanOrEqual(WINDOW + HOLD_AHEAD_BYTES + 2 * (CHUNK + 16) + 10_000 + 4 * KiB);
      if (bytes >= 20 * CHUNK) break;
    }
    expect(state.pulled * 10_000).toBeLessThan(envelope.length / 2);
    expect(state.released).toBe(true);
  });

  it('holds at most one window and a few chunks between source and consumer through seal and open of 48 MiB', async () => {
    const { state, source } = countingSource(48 * 16, CHUNK);
    let delivered = 0;
    let maxInFlight = 0;
    const opened = await openStream(sealStream(source, { recipients: [bob.x25519], sender: alice.signing, size: 48 * MiB }), {
      keys: [bob.x25519],
    });
    for await (const part of opened.payload) {
      delivered += part.length;
      maxInFlight = Math.max(maxInFlight, state.bytes - delivered);
    }
    expect(delivered).toBe(48 * MiB);
    // SPEC 6.6: a window is released once its checkpoint has verified, not before.
    expect(maxInFlight).toBeGreaterThanOrEqual(WINDOW - 64 - CHUNK);
    expect(maxInFlight).toBeLessThanOrEqual(WINDOW + HOLD_AHEAD_BYTES + 4 * CHUNK);
  });

  it('lets go of every window it has handed out: none is kept alive behind the consumer (child process with --expose-gc)', () => {
    // The pieces of a window already handed out were kept alive by the reader's suspended frame
    // until the next window (about 10 MiB more peak RSS on a 1 GiB open); the child collects
    // garbage at each new window and counts the earlier windows' buffers still reachable.
    const child = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(new URL('./fixtures/handed-out-pieces-under-gc.ts', import.meta.url))], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(child.error, 'the child timed out or failed to start').toBeUndefined();
    expect(child.stderr).toBe('');
    const { checks, retained } = JSON.parse(child.stdout) as { checks: number; retained: number };
    expect(checks).toBe(3);
    expect(retained).toBe(0);
  }, 180_000);

  it('reads a chunk that lies inside one input piece as a view of that piece, without copying', async () => {
    const big = patternBytes(3 * CHUNK);
    const reader = new ByteReader(
      (async function* () {
        yield big;
      })(),
    );
    const first = await reader.read(CHUNK + 16);
    expect(first.buffer).toBe(big.buffer);
    expect(first.byteOffset).toBe(0);
    const peeked = await reader.peek(10);
    expect(peeked).toEqual(big.subarray(CHUNK + 16, CHUNK + 26));
    const rest = await collect(reader.remaining());
    expectSameBytes(rest, big.subarray(CHUNK + 16));
  });

  it('seals the same bytes however the payload is cut, including pieces spanning many chunks', async () => {
    const payload = patternBytes(5 * 4096 + 123, 9);
    const options: SealStreamOptions = { recipients: [bob.x25519], sender: alice.signing, chunkSize: 4096, size: payload.length };
    const sealWith = (pieces: Uint8Array[]) =>
      collect(
        sealCore(
          (async function* () {
            yield* pieces;
          })(),
          options,
          { random: seededRandom('cuts'), now: () => 1_750_000_000_000 },
        ),
      );
    const whole = await sealWith([payload]);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 3 * 4096 }), { maxLength: 12 }), async (cuts) => {
        const pieces: Uint8Array[] = [];
        let off = 0;
        for (const c of cuts) {
          pieces.push(payload.subarray(off, Math.min(payload.length, off + c)));
          off = Math.min(payload.length, off + c);
        }
        pieces.push(payload.subarray(off));
        expectSameBytes(await sealWith(pieces), whole);
      }),
      { numRuns: 60, endOnFailure: true },
    );
  });
});

describe('the signature at the end of the plaintext stream, read without copying chunks', () => {
  /** Pieces of an awkward size, so chunk boundaries never line up with them. */
  async function* oddPieces(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
    for (let off = 0; off < bytes.length; off += 3001) yield bytes.subarray(off, off + 3001);
  }

  // With 4 KiB chunks, the last chunk carries `last` bytes of payload || signature: the
  // signature lies wholly in it, or straddles it and the chunk before.
  for (const last of [1, 10, 63, 64, 65, 4096]) {
    for (const chunksBefore of [0, 1, 2]) {
      const size = 4096 * chunksBefore + last - 64;
      if (size < 0) continue;
      it(`opens a signed ${size}-byte payload whose last chunk holds ${last} bytes, and an anonymous one`, async () => {
        const payload = patternBytes(size, last);
        for (const options of [
          { recipients: [bob.x25519], sender: alice.signing, chunkSize: 4096 },
          { recipients: [bob.x25519], anonymous: true as const, chunkSize: 4096 },
        ]) {
          const envelope = await collect(sealStream(oddPieces(payload), options));
          const opened = await openStream(oddPieces(envelope), { keys: [bob.x25519], allowAnonymous: true });
          expectSameBytes(await collect(opened.payload), payload);
          expect(opened.info.authenticated).toBe(options.anonymous !== true);
        }
      });
    }
  }

  it('refuses a signature split across the last two chunks when either part is wrong, and accepts the true one', async () => {
    const payload = patternBytes(4096 + 10 - 64); // 54 signature bytes in chunk 1, 10 in chunk 2
    const sealed = await sealWithSecrets(payload, { recipients: [bob.x25519], sender: alice.signing, chunkSize: 4096 });
    const parts = splitEnvelope(sealed.envelope);
    const draft = { fileKey: sealed.fileKey, salt: sealed.salt, stanzas: parts.header.stanzas, meta: readMeta(sealed.keys, parts.header) };
    const { prefixAndHeader } = forgeEnvelope({ ...draft, plaintext: payload });
    const signature = signEnvelope(alice.signing, prefixAndHeader, payload);
    const withSignature = (sig: Uint8Array) => forgeEnvelope({ ...draft, chunkExponent: 12, plaintext: concatBytes(payload, sig) }).envelope;
    expect(splitEnvelope(withSignature(signature)).chunks.length).toBe(2);
    const opened = await openStream(withSignature(signature), { keys: [bob.x25519] });
    expectSameBytes(await collect(opened.payload), payload);
    for (const index of [0, 53, 54, 63]) {
      const wrong = signature.slice();
      wrong[index]! ^= 0x40;
      await expectCode(open(withSignature(wrong), { keys: [bob.x25519] }), 'ERR_SIGNATURE_INVALID');
    }
    // What the last two chunks hold comes out only once the signature has verified.
    const forged = await openStream(withSignature(signature.map((b) => b ^ 1)), { keys: [bob.x25519] });
    let released = 0;
    await expectCode(
      (async () => {
        for await (const part of forged.payload) released += part.length;
      })(),
      'ERR_SIGNATURE_INVALID',
    );
    expect(released).toBe(0);
  });
});

describe('Node and Web streams at both ends', () => {
  it('seals a file to a file and opens it back to a file with Node streams and pipeline', async () => {
    const payload = patternBytes(3 * MiB + 5, 3);
    const plainPath = join(dir, 'capture.bin');
    const sealedPath = join(dir, 'capture.lintas');
    const openedPath = join(dir, 'capture.out');
    writeFileSync(plainPath, payload);
    await pipeline(
      sealStream(createReadStream(plainPath), { recipients: [bob.xwing], sender: alice.signing, contentType: 'application/octet-stream' }),
      createWriteStream(sealedPath),
    );
    const opened = await openStream(createReadStream(sealedPath), { keys: [bob.xwing] });
    expect(opened.info.contentType).toBe('application/octet-stream');
    await pipeline(opened.payload, createWriteStream(openedPath));
    expectSameBytes(readFileSync(openedPath), payload);
    // Readable.from gives a Node Readable for APIs that want one.
    const again = await open(Readable.from(sealStream(createReadStream(plainPath), { recipients: [bob.x25519], sender: alice.signing })), {
      keys: [bob.x25519],
    });
    expectSameBytes(again.payload, payload);
  });

  it('turns sealStream and an opened payload into Web ReadableStreams that read, error and cancel properly', async () => {
    const payload = patternBytes(700 * KiB, 5);
    let pulls = 0;
    let cancelled = false;
    const webSource = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          const off = pulls++ * 100 * KiB;
          if (off >= payload.length) controller.close();
          else controller.enqueue(payload.slice(off, off + 100 * KiB));
        },
        cancel() {
          cancelled = true;
        },
      },
      { highWaterMark: 0 },
    );
    const sealed = toReadableStream(sealStream(webSource, { recipients: [bob.x25519], sender: alice.signing }));
    const envelope = new Uint8Array(await new Response(sealed).arrayBuffer());
    const opened = await openStream(envelope, { keys: [bob.x25519] });
    expectSameBytes(new Uint8Array(await new Response(toReadableStream(opened.payload)).arrayBuffer()), payload);

    // A signature failure at the end errors the Web stream with the lintas code.
    const forged = envelope.slice();
    forged[forged.length - 20]! ^= 1;
    const openedForged = await openStream(forged, { keys: [bob.x25519] });
    await expectCode(new Response(toReadableStream(openedForged.payload)).arrayBuffer(), 'ERR_ENVELOPE_TAMPERED');

    // Cancelling the output after one chunk reaches the Web source, which was read only that far.
    pulls = 0;
    const again = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls++;
        controller.enqueue(payload.slice(0, 100 * KiB));
      },
      cancel() {
        cancelled = true;
      },
    });
    const reader = toReadableStream(sealStream(again, { recipients: [bob.x25519], sender: alice.signing })).getReader();
    await reader.read(); // header
    await reader.read(); // first chunk
    await reader.cancel();
    expect(cancelled).toBe(true);
    expect(pulls).toBeLessThanOrEqual(4);
  });

  it('refuses a non-iterable source with a TypeError', () => {
    expect(() => toReadableStream(42 as unknown as AsyncIterable<Uint8Array>)).toThrow(TypeError);
  });
});
