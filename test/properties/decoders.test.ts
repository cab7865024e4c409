/**
 * Property tests (fast-check) of every decoder that reads bytes from elsewhere: envelopes, armor,
 * key cards, revocations, introductions, key ring files, bundle payloads, audit logs and
 * delivery receipts (the targets of fuzz/targets.ts, which also hold the oracle).
 *
 * For each: mutations of real valid encodings (and of the documented invalid vectors), random
 * bytes, and a valid prefix followed by random bytes, are either refused with one of the
 * decoder's documented codes or are exactly a genuine encoding. No other exception, no success for
 * anything a real sealer/signer did not produce. Inputs are bounded (a few KiB beyond the
 * seeds), so every run terminates; vitest's timeout catches a hang.
 *
 * test/envelope/properties.test.ts already mutates fresh envelopes opened whole and in pieces;
 * here the envelope corpus is every vector in docs/vectors plus armored forms, with inspect() too.
 *
 * Runs per property: LINTAS_FUZZ_RUNS (default 60, so `npm test` stays fast);
 * `npm run fuzz:props` runs 20,000.
 */
import * as fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { TARGETS, fuzzReady, type DecoderTarget, type Outcome } from '../../fuzz/targets.js';
import { TOKENS, applyMutations, type Mutation } from '../../fuzz/mutate.js';

const RUNS = Number(process.env.LINTAS_FUZZ_RUNS ?? 60);
const SEED = process.env.LINTAS_FUZZ_SEED === undefined ? undefined : Number(process.env.LINTAS_FUZZ_SEED);

const offset = fc.nat({ max: 1 << 20 });
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: offset, bit: fc.nat({ max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: offset, value: fc.constantFrom(0, 1, 0x7f, 0x80, 0xff, 0x18, 0x19, 0x1a, 0x1b, 0x1f) }),
  fc.record({ kind: fc.constant('add' as const), at: offset, delta: fc.constantFrom(1, -1, 16, -16) }),
  fc.record({ kind: fc.constant('truncate' as const), at: offset }),
  fc.record({ kind: fc.constant('insert' as const), at: offset, bytes: fc.oneof(fc.constantFrom(...TOKENS), fc.uint8Array({ minLength: 1, maxLength: 32 })) }),
  fc.record({ kind: fc.constant('delete' as const), at: offset, count: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant('overwrite' as const), at: offset, bytes: fc.oneof(fc.constantFrom(...TOKENS), fc.uint8Array({ minLength: 1, maxLength: 16 })) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: offset, count: fc.integer({ min: 1, max: 256 }), to: offset }),
  fc.record({ kind: fc.constant('splice' as const), at: offset, other: fc.nat(), from: offset }),
  fc.record({ kind: fc.constant('length' as const), at: offset, width: fc.constantFrom(2 as const, 4 as const), value: fc.constantFrom(0, 1, 0xff, 0x7fff, 0xffff, 0x7fffffff, 0xffffffff) }),
);

const targets: Record<string, DecoderTarget> = {};
beforeAll(async () => {
  await fuzzReady();
  for (const [name, make] of Object.entries(TARGETS)) targets[name] = await make();
});

describe.each(Object.keys(TARGETS))('%s decoder', (name) => {
  const params = { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) };

  it(`every seed passes the oracle and at least one is genuine`, async () => {
    const t = targets[name]!;
    const outcomes: Outcome[] = [];
    for (const s of t.seeds) outcomes.push(await t.run(s));
    expect(outcomes).toContain('SUCCESS');
  });

  it(`mutations of real encodings are refused with a documented code or are a genuine encoding (${RUNS} runs)`, async () => {
    const t = targets[name]!;
    const seen = new Set<Outcome>();
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.array(mutationArb, { minLength: 1, maxLength: 4 }), async (pick, ms) => {
        const seed = t.seeds[pick % t.seeds.length]!;
        const input = applyMutations(seed, ms, t.seeds);
        fc.pre(input.length <= seed.length + 8192);
        seen.add(await t.run(input));
      }),
      params,
    );
    // Not vacuous: the mutations reached the decoder's refusals.
    expect([...seen].some((o) => o !== 'SUCCESS')).toBe(true);
  });

  it(`random bytes, alone or after a valid prefix, never crash and never decode (${RUNS} runs)`, async () => {
    const t = targets[name]!;
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.nat(), fc.uint8Array({ maxLength: 2048 }), async (pick, cut, tail) => {
        const seed = t.seeds[pick % t.seeds.length]!;
        const input = Uint8Array.from([...seed.subarray(0, cut % (seed.length + 1)), ...tail]);
        // run() throws if a success is not a genuine encoding.
        await t.run(input);
      }),
      params,
    );
  });
});
