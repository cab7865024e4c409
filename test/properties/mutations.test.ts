/**
 * Exhaustive mutation (fuzz/envelope-mutations.ts) of a small real envelope: signed, an X25519
 * and an X-Wing recipient, two 4 KiB chunks. Every chunk swap, duplication, deletion and splice;
 * a deterministic sample of the rest (every bit of the prefix and the header MAC, one bit of every
 * header byte and of every 4th payload byte; every truncation up to the payload, then every 8th
 * and every chunk boundary), to stay well under 30 s. The full set, every bit of every byte and
 * every length, is `npm run mutations` (counts in docs/SECURITY-TESTING.md). None may open, and each is refused with the code SPEC 6 and 9
 * assign to its region.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { generateIdentityKeys, open, seal, type IdentityKeys } from '../../src/index.js';
import { bitFlips, chunkEdits, layoutOf, runMutations, splices, truncations, type MutationReport } from '../../fuzz/envelope-mutations.js';

let one: IdentityKeys;
let two: IdentityKeys;
let a: Uint8Array;
let b: Uint8Array;
let report: MutationReport;
const payload = new Uint8Array(4096 + 300).map((_, i) => i * 13);

beforeAll(async () => {
  const sender = await generateIdentityKeys();
  [one, two] = [await generateIdentityKeys(), await generateIdentityKeys()];
  const options = { recipients: [one.x25519, two.xwing], sender: sender.signing, chunkSize: 4096 };
  a = await seal(payload, options);
  b = await seal(payload, options);
  const layout = layoutOf(a);
  const cases = (function* () {
    yield* bitFlips(a, layout, true);
    yield* truncations(a, layout, 8);
    yield* chunkEdits(a, layout);
    yield* splices(a, b);
  })();
  report = await runMutations(cases, { keys: [one.x25519, two.xwing] });
});

describe('exhaustive mutation of a signed X25519 + X-Wing envelope', () => {
  it('the originals open for both recipients, in two chunks', async () => {
    expect(layoutOf(a).chunks).toHaveLength(2);
    for (const k of [one.x25519, two.xwing]) {
      expect((await open(a, { keys: [k] })).payload).toEqual(payload);
      expect((await open(b, { keys: [k] })).payload).toEqual(payload);
    }
  });

  it('no mutated envelope opens', () => {
    expect(report.cases).toBeGreaterThan(a.length / 2);
    expect(report.acceptances.map((c) => `${c.kind} (${c.region})`)).toEqual([]);
  });

  it('each is refused with the code of its region', () => {
    expect(report.unexpected.map((u) => `${u.c.kind} (${u.c.region}): ${u.code}`)).toEqual([]);
  });

  it('every kind of damage was tried and reached the code it should', () => {
    const codes = (kind: string) => [...(report.byKind.get(kind)?.keys() ?? [])].sort();
    expect(codes('chunk swap')).toEqual(['ERR_ENVELOPE_TAMPERED']);
    expect(codes('chunk duplication')).toEqual(['ERR_ENVELOPE_TAMPERED']);
    expect(codes('chunk deletion')).toEqual(['ERR_ENVELOPE_TAMPERED']);
    expect(codes('stanza swap')).toEqual(['ERR_ENVELOPE_HEADER_TAMPERED']);
    expect(codes('truncation')).toEqual(['ERR_ENVELOPE_MALFORMED', 'ERR_ENVELOPE_TAMPERED', 'ERR_ENVELOPE_TRUNCATED']);
    expect(codes('splice')).toEqual(['ERR_ENVELOPE_HEADER_TAMPERED', 'ERR_ENVELOPE_TAMPERED']);
    const flips = (region: string) => [...(report.flipsByRegion.get(region)?.keys() ?? [])].sort();
    expect(flips('magic')).toEqual(['ERR_ENVELOPE_MALFORMED']);
    expect(flips('version')).toEqual(['ERR_ENVELOPE_UNSUPPORTED_VERSION']);
    expect(flips('header MAC')).toEqual(['ERR_ENVELOPE_HEADER_TAMPERED']);
    expect(flips('payload')).toEqual(['ERR_ENVELOPE_TAMPERED']);
    expect(flips('header')).toContain('ERR_ENVELOPE_HEADER_TAMPERED');
    expect(report.flipsByRegion.get('header MAC')!.get('ERR_ENVELOPE_HEADER_TAMPERED')).toBe(32 * 8);
  });
});
