/**
 * Property tests (fast-check, bounded runs): random payloads and options round-trip through
 * every entry point and any split of the input; random mutations of valid envelopes (bit flips,
 * truncations, insertions, deletions, overwrites, appends, in binary and armored form) are
 * never accepted and always end in a LintasError.
 */
import * as fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  armor,
  dearmor,
  generateIdentityKeys,
  inspect,
  open,
  openStream,
  recipientId,
  seal,
  sealStream,
  type IdentityKeys,
  type RecipientKeyPair,
  type SealStreamOptions,
} from '../../src/index.js';
import { collect, outcome } from './envelope-kit.js';

const RUNS = 200;
const POOL = 6;
let sender: IdentityKeys;
let pool: IdentityKeys[];
/** Every key of the pool: opening with all of them must still refuse any mutation. */
let allKeys: RecipientKeyPair[];

beforeAll(async () => {
  sender = await generateIdentityKeys();
  pool = [];
  for (let i = 0; i < POOL; i++) pool.push(await generateIdentityKeys());
  allKeys = pool.flatMap((k) => [k.x25519, k.xwing]);
});

function* splitAt(bytes: Uint8Array, size: number): Generator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

const sealCase = fc.record({
  payload: fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 20_000 })),
  chunkSize: fc.constantFrom(4096, 8192, 65536),
  anonymous: fc.boolean(),
  hideRecipients: fc.boolean(),
  padding: fc.boolean(),
  contentType: fc.option(fc.string({ unit: 'binary', maxLength: 30 }), { nil: undefined }),
  expiresInSeconds: fc.option(fc.integer({ min: 60, max: 10 ** 8 }), { nil: undefined }),
  recipients: fc.uniqueArray(fc.record({ who: fc.nat({ max: POOL - 1 }), type: fc.constantFrom('x25519' as const, 'xwing' as const) }), {
    minLength: 1,
    maxLength: 6,
    selector: (r) => `${r.who} ${r.type}`,
  }),
  opener: fc.nat(),
  sealWith: fc.constantFrom('seal', 'sealStream with size', 'sealStream without size'),
  form: fc.constantFrom('binary', 'armored string', 'armored bytes'),
  pieceSize: fc.integer({ min: 1, max: 9000 }),
});

describe('round-trip properties', () => {
  it(`random payloads and options round-trip (${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(sealCase, async (c) => {
        const recipients = c.recipients.map((r) => pool[r.who]![r.type]);
        // Padding a stream needs its size, so "without size" falls back to giving it.
        const sealWith = c.padding && c.sealWith === 'sealStream without size' ? 'sealStream with size' : c.sealWith;
        const options: SealStreamOptions = {
          recipients: recipients.map((k) => ({ type: k.type, publicKey: k.publicKey })),
          ...(c.anonymous ? { anonymous: true } : { sender: sender.signing }),
          hideRecipients: c.hideRecipients,
          padding: c.padding,
          chunkSize: c.chunkSize,
          ...(c.contentType !== undefined ? { contentType: c.contentType } : {}),
          ...(c.expiresInSeconds !== undefined ? { expiresAt: new Date(Date.now() + c.expiresInSeconds * 1000) } : {}),
        };
        const env =
          sealWith === 'seal'
            ? await seal(c.payload, options)
            : await collect(sealStream(splitAt(c.payload, c.pieceSize), sealWith === 'sealStream with size' ? { ...options, size: c.payload.length } : options));
        const input = c.form === 'binary' ? splitAt(env, c.pieceSize) : c.form === 'armored string' ? armor(env) : new TextEncoder().encode(armor(env));
        const key = recipients[c.opener % recipients.length]!;
        const opened = await openStream(input, { keys: [key], allowAnonymous: c.anonymous });
        expect(await collect(opened.payload)).toEqual(c.payload);
        const info = opened.info;
        expect(info.authenticated).toBe(!c.anonymous);
        expect(info.sender).toEqual(c.anonymous ? null : sender.signing.publicKey);
        expect(info.recipients).toEqual(recipients.map((k) => recipientId(k)));
        expect(info.openedWith).toEqual({ type: key.type, recipientId: recipientId(key) });
        expect(info.contentType).toBe(c.contentType ?? null);
        expect(info.payloadLength).toBe(sealWith === 'sealStream without size' ? null : c.payload.length);
        expect(info.expiresAt === null).toBe(c.expiresInSeconds === undefined);
        const view = await inspect(env);
        expect(view.hiddenRecipients).toBe(c.hideRecipients);
        expect(view.chunkSize).toBe(c.chunkSize);
        if (!c.padding) expect(view.stanzas).toHaveLength(recipients.length);
      }),
      { numRuns: RUNS },
    );
  });
});

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'overwrite'; at: number; bytes: Uint8Array }
  | { kind: 'append'; bytes: Uint8Array };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat({ max: 7 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('overwrite' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
  fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
);

function mutate(input: Uint8Array, m: Mutation): Uint8Array {
  const at = 'at' in m ? m.at % Math.max(1, input.length + (m.kind === 'insert' ? 1 : 0)) : 0;
  const out = Array.from(input);
  switch (m.kind) {
    case 'flip':
      out[at]! ^= 1 << m.bit;
      break;
    case 'truncate':
      out.length = at;
      break;
    case 'insert':
      out.splice(at, 0, ...m.bytes);
      break;
    case 'delete':
      out.splice(at, m.count);
      break;
    case 'overwrite':
      out.splice(at, m.bytes.length, ...m.bytes);
      break;
    case 'append':
      out.push(...m.bytes);
      break;
  }
  return new Uint8Array(out);
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

describe('mutation properties', () => {
  const variants: [string, () => Promise<Uint8Array>][] = [
    ['signed X25519, one chunk', () => seal(new Uint8Array(200).fill(1), { recipients: [pool[0]!.x25519, pool[1]!.x25519], sender: sender.signing })],
    ['signed X-Wing, hidden recipients', () => seal(new Uint8Array(100).fill(2), { recipients: [pool[0]!.xwing, pool[2]!.x25519], sender: sender.signing, hideRecipients: true })],
    ['anonymous, padded', () => seal(new Uint8Array(300).fill(3), { recipients: [pool[0]!.x25519], anonymous: true, padding: true })],
    ['signed, three 4 KiB chunks, streamed without size', () => collect(sealStream([new Uint8Array(2 * 4096 + 50).fill(4)], { recipients: [pool[0]!.x25519], sender: sender.signing, chunkSize: 4096 }))],
  ];
  for (const [name, make] of variants) {
    it(`random mutations of a valid envelope (${name}) are never accepted and always raise a LintasError (${RUNS} runs)`, async () => {
      const env = await make();
      expect((await open(env, { keys: allKeys, allowAnonymous: true })).payload.length).toBeGreaterThan(0);
      await fc.assert(
        fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 5000 }), async (ms, pieceSize) => {
          const mutated = ms.reduce(mutate, env);
          fc.pre(!sameBytes(mutated, env));
          expect(await outcome(() => open(mutated, { keys: allKeys, allowAnonymous: true }))).not.toBe('SUCCESS');
          expect(await outcome(() => open(splitAt(mutated, pieceSize), { keys: allKeys, allowAnonymous: true }))).not.toBe('SUCCESS');
          // inspect() sees no keys: it may describe a mutated envelope, but must not crash.
          await outcome(() => inspect(mutated));
        }),
        { numRuns: RUNS },
      );
    });
  }

  it(`random mutations of armored text never open to anything but the original envelope (${RUNS} runs)`, async () => {
    const env = await seal(new Uint8Array(150).fill(5), { recipients: [pool[0]!.x25519], sender: sender.signing });
    const text = new TextEncoder().encode(armor(env));
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (ms) => {
        const mutated = ms.reduce(mutate, text);
        fc.pre(!sameBytes(mutated, text));
        const result = await outcome(() => open(mutated, { keys: allKeys, allowAnonymous: true }));
        // Armor tolerates CRLF and whitespace around the block; anything else must be refused.
        if (result === 'SUCCESS') expect(await dearmor(mutated)).toEqual(env);
      }),
      { numRuns: RUNS },
    );
  });
});
