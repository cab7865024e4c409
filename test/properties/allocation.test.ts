/**
 * "Never allocate unbounded memory": a length an input declares (CBOR heads, the envelope and
 * bundle length prefixes, a key ring header, a manifest's item sizes) is checked against the
 * input and the limits before anything of that size is allocated.
 *
 * How it is measured: while a decoder runs, the global Uint8Array and ArrayBuffer constructors are
 * wrapped to record the largest length anyone asks for (the library allocates through them; Node
 * Buffers and libsodium's heap are not seen, and none of them is sized from input). The bound per
 * input is the largest buffer the formats legitimately need (a header or head up to its limit, one
 * payload chunk) plus a small multiple of the input.
 */
import * as fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { TARGETS, fuzzReady, unhex, type DecoderTarget } from '../../fuzz/targets.js';
import { TOKENS, applyMutations, type Mutation } from '../../fuzz/mutate.js';
import { LIMITS } from '../../src/envelope/constants.js';
import { BUNDLE_CONTENT_TYPE, BUNDLE_LIMITS, openBundle } from '../../src/bundle/index.js';
import { decodeCanonical, encodeCanonical, type CborMap } from '../../src/cbor/index.js';
import { encodeHead, headPrefix } from '../../src/bundle/head.js';
import { signManifest } from '../../src/bundle/manifest.js';
import { identityKeysFromSeed } from '../../src/keys/index.js';
import { sealCore } from '../../src/envelope/seal.js';
import { systemRandom } from '../../src/crypto/random.js';
import { sha256 } from '../../src/crypto/hash.js';
import { concatBytes, utf8 } from '../../src/crypto/bytes.js';
import { expectCode } from '../envelope/envelope-kit.js';
import minimal from '../../docs/vectors/bundle/minimal.json' with { type: 'json' };

const RUNS = Number(process.env.LINTAS_FUZZ_RUNS ?? 60);
const MiB = 1024 * 1024;

/** Run `fn` and report the largest typed-array or ArrayBuffer length requested meanwhile. */
async function largestAllocation(fn: () => Promise<unknown>): Promise<number> {
  const OriginalU8 = globalThis.Uint8Array;
  const OriginalAB = globalThis.ArrayBuffer;
  let largest = 0;
  const note = (args: unknown[]) => {
    if (typeof args[0] === 'number') largest = Math.max(largest, args[0]);
  };
  globalThis.Uint8Array = new Proxy(OriginalU8, {
    construct(target, args, newTarget) {
      note(args);
      return Reflect.construct(target, args, newTarget);
    },
  });
  globalThis.ArrayBuffer = new Proxy(OriginalAB, {
    construct(target, args, newTarget) {
      note(args);
      return Reflect.construct(target, args, newTarget);
    },
  });
  try {
    await fn().catch(() => undefined);
  } finally {
    globalThis.Uint8Array = OriginalU8;
    globalThis.ArrayBuffer = OriginalAB;
  }
  return largest;
}

/** The largest buffer a valid input of `n` bytes may need: a header/head at its limit or one chunk, plus a few copies of the input. */
const bound = (n: number) => Math.max(LIMITS.maxHeaderBytes, BUNDLE_LIMITS.maxHeadBytes, 4 * MiB) + 4 * n;

const targets: Record<string, DecoderTarget> = {};
beforeAll(async () => {
  await fuzzReady();
  for (const [name, make] of Object.entries(TARGETS)) targets[name] = await make();
});

it('the watcher sees the allocations of the library', async () => {
  expect(await largestAllocation(async () => new Uint8Array(12345))).toBe(12345);
  expect(await largestAllocation(async () => encodeCanonical({ b: new Uint8Array(70_000) }))).toBeGreaterThanOrEqual(70_000);
});

const hugeLength: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.constantFrom(...TOKENS.slice(0, 7), ...TOKENS.slice(13, 15)) }),
  fc.record({ kind: fc.constant('overwrite' as const), at: fc.nat(), bytes: fc.constantFrom(...TOKENS.slice(0, 7), ...TOKENS.slice(13, 15)) }),
  fc.record({ kind: fc.constant('length' as const), at: fc.nat(), width: fc.constantFrom(2 as const, 4 as const), value: fc.constantFrom(0x7fff, 0xffff, 0x7fffffff, 0xffffffff) }),
);

describe.each(Object.keys(TARGETS))('%s decoder', (name) => {
  it(`huge declared lengths at any offset are refused before allocation (${RUNS} runs)`, async () => {
    const t = targets[name]!;
    let worst = 0;
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.array(hugeLength, { minLength: 1, maxLength: 3 }), async (pick, ms) => {
        const input = applyMutations(t.seeds[pick % t.seeds.length]!, ms);
        const largest = await largestAllocation(() => t.run(input));
        worst = Math.max(worst, largest);
        expect(largest).toBeLessThanOrEqual(bound(input.length));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('declared lengths at the format limits', () => {
  it('an envelope prefix announcing a 4 GiB header is refused without reading or allocating it', async () => {
    const t = targets.envelope!;
    const seed = t.seeds.find((s) => s[0] === 0x4c)!;
    for (const len of [LIMITS.maxHeaderBytes + 1, 0x7fffffff, 0xffffffff]) {
      const input = seed.slice();
      new DataView(input.buffer).setUint32(7, len);
      expect(await t.run(input)).toBe('ERR_ENVELOPE_LIMIT_EXCEEDED');
      expect(await largestAllocation(() => t.run(input))).toBeLessThanOrEqual(bound(input.length));
    }
  });

  it('a bundle whose signed manifest claims a 1 TiB item, in an envelope that declares no length, fails on the item without allocating its size', async () => {
    // The originator is authenticated but hostile: its signature over the manifest is valid.
    const ayu = await identityKeysFromSeed(unhex(minimal.parties.ayu.seed));
    const reader = await identityKeysFromSeed(sha256(utf8('vector reader')));
    const manifest = decodeCanonical(unhex(minimal.parts.manifest)) as CborMap;
    const item = unhex(minimal.parts.items[0]!.content);
    for (const claimed of [2 ** 40, 2 ** 31, 2 ** 53 - 1]) {
      const items = (manifest.items as CborMap[]).map((i) => ({ ...i, size: claimed }));
      const forged = encodeCanonical({ ...manifest, items });
      const head = encodeHead({ manifest: forged, signature: signManifest(forged, ayu.signing.secretKey), forwards: [] });
      const payload = concatBytes(headPrefix(head.length), head, item);
      const parts: Uint8Array[] = [];
      const options = { recipients: [reader.x25519], sender: ayu.signing, contentType: BUNDLE_CONTENT_TYPE };
      for await (const p of sealCore((async function* () { yield payload; })(), options, { random: systemRandom, now: () => (minimal.now - 60) * 1000 })) parts.push(p);
      const envelope = concatBytes(...parts);
      const read = async () => (await openBundle(envelope, { keys: [reader.x25519], now: new Date(minimal.now * 1000) })).readAll();
      await expectCode(read(), 'ERR_BUNDLE_ITEM_MISMATCH');
      expect(await largestAllocation(read)).toBeLessThanOrEqual(bound(envelope.length));
    }
  });
});
