/**
 * The worker pool of lintas/node (src/pool/): the same envelopes and the same errors as the
 * single-thread `seal` and `open`, policy decided by the calling thread, keys wiped by it, and
 * the failure modes (close, a dying worker, a full queue) ending in typed errors.
 *
 * The workers run the TypeScript sources here (compiled by tsx in each worker, slow to start on
 * a busy machine), so the suite shares a few pools. The built package's pool (ESM and CommonJS)
 * is tested in test/package/pack.test.ts.
 */
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { armor, createWorkerPool, generateIdentityKeys, isLintasError, LintasError, open, seal, type IdentityKeys, type LintasWorkerPool, type PoolOpenResult } from '../../src/node.js';

/** What the tests read of a pool's private state: the shared key buffer, the queue, the threads. */
interface PoolInternals {
  keys: { buffer: SharedArrayBuffer };
  queuedItems: number;
  slots: { worker: { terminate(): Promise<number>; threadId: number } }[];
}
const internals = (pool: LintasWorkerPool) => pool as unknown as PoolInternals;

const text = (s: string) => new TextEncoder().encode(s);
const codeOf = (r: PoolOpenResult) => (r.ok ? 'OK' : isLintasError(r.error) ? r.error.code : `${r.error.name}: ${r.error.message}`);

let alice: IdentityKeys;
let bob: IdentityKeys;
let mallory: IdentityKeys;
let pool: LintasWorkerPool;

beforeAll(async () => {
  [alice, bob, mallory] = await Promise.all([generateIdentityKeys(), generateIdentityKeys(), generateIdentityKeys()]);
  pool = await createWorkerPool({ workers: 2, sender: alice.signing, keys: [bob.xwing, bob.x25519] });
});
afterAll(() => pool?.close());

describe('results identical to seal and open', () => {
  it('envelopes sealed by the pool open with open(), with every option carried', async () => {
    const expiresAt = new Date(Math.floor(Date.now() / 1000) * 1000 + 3_600_000);
    const items = [
      { payload: text('plain'), recipients: [bob.xwing] },
      { payload: new Uint8Array(1024).fill(7), recipients: [bob.x25519, mallory.x25519], hideRecipients: true, padding: true },
      { payload: text('typed'), recipients: [bob.xwing], contentType: 'text/plain', expiresAt, chunkSize: 4096 },
    ];
    const envelopes = await pool.seal(items);
    expect(envelopes).toHaveLength(3);
    for (const [i, envelope] of envelopes.entries()) {
      const opened = await open(envelope, { keys: [bob.xwing, bob.x25519], trustedSenders: [alice.signing.publicKey] });
      expect(opened.payload).toEqual(items[i]!.payload);
      expect(opened.sender).toEqual(alice.signing.publicKey);
      expect(opened.authenticated).toBe(true);
    }
    const typed = await open(envelopes[2]!, { keys: [bob.xwing] });
    expect(typed.contentType).toBe('text/plain');
    expect(typed.expiresAt).toEqual(expiresAt);
  });

  it('envelopes sealed by seal() open in the pool to exactly what open() returns', async () => {
    const envelopes = await Promise.all([
      seal(text('one'), { recipients: [bob.xwing], sender: alice.signing }),
      seal(new Uint8Array(5000).fill(1), { recipients: [bob.x25519], sender: alice.signing, padding: true, contentType: 'application/octet-stream' }),
    ]);
    const inputs = [envelopes[0]!, armor(envelopes[1]!)];
    const results = await pool.open(inputs, { trustedSenders: [alice.signing.publicKey] });
    for (const [i, r] of results.entries()) {
      expect(r.ok).toBe(true);
      const direct = await open(inputs[i]!, { keys: [bob.xwing, bob.x25519], trustedSenders: [alice.signing.publicKey] });
      expect(r.ok && r.opened).toEqual(direct);
    }
  });

  it('keeps the order of a batch larger than a job, with two workers sharing it', async () => {
    const items = Array.from({ length: 70 }, (_, i) => ({ payload: text(`item ${i}`), recipients: [bob.x25519] }));
    const envelopes = await pool.seal(items);
    const results = await pool.open(envelopes);
    expect(results.map((r) => (r.ok ? new TextDecoder().decode(r.opened.payload) : codeOf(r)))).toEqual(items.map((_, i) => `item ${i}`));
  });

  it('anonymous pools seal anonymous envelopes, refused unless the batch allows them', async () => {
    await using tipLine = await createWorkerPool({ workers: 1, anonymous: true });
    const [envelope] = await tipLine.seal([{ payload: text('tip'), recipients: [bob.xwing] }]);
    const [refused, accepted] = [...(await pool.open([envelope!])), ...(await pool.open([envelope!], { allowAnonymous: true }))];
    expect(codeOf(refused!)).toBe('ERR_ENVELOPE_ANONYMOUS');
    expect(accepted!.ok && accepted!.opened.sender).toBeNull();
  });
});

describe('errors keep their class and code across the thread boundary', () => {
  it('one result per envelope: tampered, not for me, unknown sender, each with its LintasError code', async () => {
    const good = await seal(text('good'), { recipients: [bob.xwing], sender: alice.signing });
    const tampered = good.slice();
    tampered[tampered.length - 1]! ^= 1;
    const notForBob = await seal(text('x'), { recipients: [mallory.xwing], sender: alice.signing });
    const fromMallory = await seal(text('x'), { recipients: [bob.xwing], sender: mallory.signing });
    const results = await pool.open([good, tampered, notForBob, fromMallory, new Uint8Array(3)], { trustedSenders: [alice.signing.publicKey] });
    expect(results.map(codeOf)).toEqual(['OK', 'ERR_ENVELOPE_TAMPERED', 'ERR_ENVELOPE_NOT_FOR_ME', 'ERR_UNKNOWN_SENDER', 'ERR_ENVELOPE_MALFORMED']);
    const error = (results[1] as { error: Error }).error;
    expect(error).toBeInstanceOf(LintasError);
    // The same words as the single-thread API, so logs and apps cannot tell the two apart.
    const direct = (await open(tampered, { keys: [bob.xwing] }).then(() => null, (e: unknown) => e)) as LintasError;
    expect(error.message).toBe(direct.message);
  });

  it('a seal error raised inside a worker (a low-order recipient key) arrives as its LintasError', async () => {
    const lowOrder = { type: 'X25519' as const, publicKey: new Uint8Array(32) };
    const direct = await seal(text('x'), { recipients: [lowOrder], sender: alice.signing }).catch((e: unknown) => e);
    expect(isLintasError(direct, 'ERR_SEAL_INVALID_RECIPIENT')).toBe(true);
    const error = await pool.seal([{ payload: text('ok'), recipients: [bob.xwing] }, { payload: text('x'), recipients: [lowOrder] }]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LintasError);
    expect((error as LintasError).code).toBe('ERR_SEAL_INVALID_RECIPIENT');
  });
});

describe('what crosses into a worker, and what comes back', () => {
  /** True if `a` owns its whole buffer, as every array `seal` and `open` return does. */
  const ownsBuffer = (a: Uint8Array) => a.byteOffset === 0 && a.byteLength === a.buffer.byteLength;

  it('payloads and envelopes of a job travel packed, yet every result owns its buffer and the caller arrays stay as they were', async () => {
    // Views into one Node.js Buffer (as Buffer.from makes from its shared pool), an empty one,
    // and one larger than a packed input: each must arrive as itself, in order.
    const slab = Buffer.alloc(4096, 3);
    const payloads = [slab.subarray(0, 10), new Uint8Array(0), slab.subarray(100, 1100), new Uint8Array(100_000).fill(9), text('last')];
    const before = payloads.map((p) => Uint8Array.from(p));
    const envelopes = await pool.seal(payloads.map((payload) => ({ payload, recipients: [bob.x25519] })));
    expect(payloads.map((p) => Uint8Array.from(p))).toEqual(before); // read, never detached, changed or wiped
    expect(envelopes.every(ownsBuffer)).toBe(true);
    const inputs = [envelopes[0]!, armor(envelopes[1]!), ...envelopes.slice(2)];
    const results = await pool.open(inputs, { trustedSenders: [alice.signing.publicKey] });
    expect(envelopes.every((e) => e.buffer.byteLength > 0)).toBe(true);
    for (const [i, r] of results.entries()) {
      expect(r.ok).toBe(true);
      if (!r.ok) continue;
      expect(r.opened.payload).toEqual(before[i]);
      expect(r.opened).toEqual(await open(inputs[i]!, { keys: [bob.xwing, bob.x25519], trustedSenders: [alice.signing.publicKey] }));
      for (const a of [r.opened.payload, r.opened.sender!, r.opened.envelopeId, r.opened.openedWith.recipientId, ...r.opened.recipients]) expect(ownsBuffer(a)).toBe(true);
    }
  });

  it('opened results are rebuilt field for field: anonymous, expiring, typed, several recipients, same keys in the same order as open()', async () => {
    const expiresAt = new Date(Math.floor(Date.now() / 1000) * 1000 + 3_600_000);
    const envelopes = [
      await seal(text('anonymous'), { recipients: [bob.x25519], anonymous: true }),
      await seal(text('expiring'), { recipients: [mallory.xwing, bob.xwing, bob.x25519], sender: alice.signing, expiresAt, contentType: 'text/plain' }),
    ];
    const results = await pool.open(envelopes, { allowAnonymous: true });
    for (const [i, r] of results.entries()) {
      const direct = await open(envelopes[i]!, { keys: [bob.xwing, bob.x25519], allowAnonymous: true });
      expect(r.ok && r.opened).toEqual(direct);
      expect(r.ok && Object.keys(r.opened)).toEqual(Object.keys(direct));
      expect(r.ok && Object.keys(r.opened.openedWith)).toEqual(Object.keys(direct.openedWith));
      // Every array its own: changing one result's bytes changes nothing else.
      if (r.ok && r.opened.sender) {
        r.opened.sender.fill(0);
        expect(r.opened.envelopeId).toEqual(direct.envelopeId);
      }
    }
    expect(results[0]!.ok && results[0]!.opened.sender).toBeNull();
    expect(results[1]!.ok && results[1]!.opened.expiresAt).toEqual(expiresAt);
    expect(results[1]!.ok && results[1]!.opened.recipients).toHaveLength(3);
  });

  it('a recipient key that is a view into a larger buffer seals as the key itself', async () => {
    const slab = Buffer.alloc(8192);
    slab.set(bob.x25519.publicKey, 4000);
    const view = { type: 'X25519' as const, publicKey: slab.subarray(4000, 4032) };
    const envelopes = await pool.seal(Array.from({ length: 6 }, () => ({ payload: text('to a view'), recipients: [view] })));
    expect((await pool.open(envelopes)).map(codeOf)).toEqual(Array(6).fill('OK'));
  });

  it('an item changed after the call into something unreadable fails that call, and the pool goes on', async () => {
    await using p = await createWorkerPool({ workers: 1, sender: alice.signing, keys: [bob.x25519] });
    // The first call fills the worker's two job slots, so the second call's job waits in the queue.
    const first = p.seal(Array.from({ length: 8 }, () => ({ payload: text('first'), recipients: [bob.x25519] })));
    const items = [{ payload: text('second'), recipients: [bob.x25519] }];
    const second = p.seal(items);
    items[0]!.recipients = null as never; // after its checks passed, before a worker took it
    await expect(second).rejects.toThrow(TypeError);
    expect(await first).toHaveLength(8);
    expect(await p.seal([{ payload: text('third'), recipients: [bob.x25519] }])).toHaveLength(1);
  });
});

describe('items with repeated options are still each checked', () => {
  it('an item differing from the identical ones before it is refused with seal errors, before any is sealed', async () => {
    const same = (n: number) => Array.from({ length: n }, () => ({ payload: text('x'), recipients: [bob.x25519] }));
    const past = new Date(Date.now() - 60_000);
    await expect(pool.seal([...same(5), { payload: text('x'), recipients: [bob.x25519], expiresAt: past }])).rejects.toThrow(RangeError);
    await expect(pool.seal([...same(5), { payload: text('x'), recipients: [bob.x25519, bob.x25519] }])).rejects.toSatisfy((e) => isLintasError(e, 'ERR_SEAL_INVALID_RECIPIENT'));
    await expect(pool.seal([...same(5), { payload: text('x'), recipients: [bob.x25519], padding: 'yes' as never }])).rejects.toThrow(TypeError);
    // The same Date object, moved into the past between two items: compared by its time, not only by identity.
    const expiresAt = new Date(Date.now() + 60_000);
    const moving = { payload: text('x'), recipients: [bob.x25519], expiresAt };
    const mover = {
      payload: text('x'),
      recipients: [bob.x25519],
      get expiresAt() {
        expiresAt.setTime(past.getTime());
        return expiresAt;
      },
    };
    await expect(pool.seal([moving, mover])).rejects.toThrow(RangeError);
  });

  it('a recipient key object whose type changes between items is checked again, not trusted by identity', async () => {
    let reads = 0;
    const key = {
      publicKey: bob.x25519.publicKey,
      get type() {
        return ++reads > 3 ? 'no-such-type' : 'X25519';
      },
    };
    const items = Array.from({ length: 6 }, () => ({ payload: text('x'), recipients: [key as never] }));
    const error = await pool.seal(items).catch((e: unknown) => e);
    expect(isLintasError(error, 'ERR_SEAL_INVALID_RECIPIENT')).toBe(true);
    expect((error as Error).message).toContain('no-such-type');
  });
});

describe('policy stays with the calling thread (SPEC 6.5)', () => {
  it('the batch is judged at the caller clock, fixed when the call is made', async () => {
    const envelope = await seal(text('x'), { recipients: [bob.xwing], sender: alice.signing, expiresAt: new Date(Date.now() + 60_000) });
    const [later] = await pool.open([envelope], { now: new Date(Date.now() + 3_600_000) });
    expect(codeOf(later!)).toBe('ERR_ENVELOPE_EXPIRED');
    const [earlier] = await pool.open([envelope], { now: new Date(Date.now() - 3_600_000) });
    expect(codeOf(earlier!)).toBe('ERR_ENVELOPE_NOT_YET_VALID');
  });

  it('the trusted senders are the caller list: a sender outside it is refused before its payload is used', async () => {
    const envelope = await seal(text('x'), { recipients: [bob.xwing], sender: alice.signing });
    const [r] = await pool.open([envelope], { trustedSenders: [mallory.signing.publicKey] });
    expect(codeOf(r!)).toBe('ERR_UNKNOWN_SENDER');
  });

  it('opening the same envelope twice succeeds twice: replay protection is the caller job (SPEC 10.7)', async () => {
    const envelope = await seal(text('x'), { recipients: [bob.xwing], sender: alice.signing });
    const results = await pool.open([envelope, envelope]);
    expect(results.map(codeOf)).toEqual(['OK', 'OK']);
    expect(results[0]!.ok && results[1]!.ok && results[0]!.opened.envelopeId).toEqual(results[1]!.ok && results[1]!.opened.envelopeId);
  });
});

describe('arguments are checked at the edge, on the calling thread', () => {
  it('createWorkerPool refuses bad options before starting a thread', async () => {
    await expect(createWorkerPool({ workers: 0 })).rejects.toThrow(RangeError);
    await expect(createWorkerPool({ workers: 1.5 })).rejects.toThrow(RangeError);
    await expect(createWorkerPool({ workers: '2' as unknown as number })).rejects.toThrow(TypeError);
    await expect(createWorkerPool({ maxQueued: 0 })).rejects.toThrow(RangeError);
    await expect(createWorkerPool({ sender: { publicKey: new Uint8Array(32), secretKey: new Uint8Array(32) } })).rejects.toThrow(RangeError);
    await expect(createWorkerPool({ sender: alice.signing, anonymous: true })).rejects.toThrow(TypeError);
    await expect(createWorkerPool({ keys: [{ type: 'X25519', publicKey: new Uint8Array(32) } as never] })).rejects.toThrow(TypeError);
  });

  it('seal and open refuse bad items with the TypeError or RangeError of seal and open', async () => {
    await expect(pool.seal({} as never)).rejects.toThrow(TypeError);
    await expect(pool.seal([{ payload: 'text' as never, recipients: [bob.xwing] }])).rejects.toThrow(TypeError);
    await expect(pool.seal([{ payload: text('x'), recipients: [] }])).rejects.toThrow(RangeError);
    await expect(pool.seal([{ payload: text('x'), recipients: [bob.xwing], chunkSize: 1000 }])).rejects.toThrow(RangeError);
    await expect(pool.seal([{ payload: text('x'), recipients: [bob.xwing], sender: mallory.signing } as never])).rejects.toThrow(TypeError);
    await expect(pool.open([42 as never])).rejects.toThrow(TypeError);
    await expect(pool.open([], { keys: [mallory.xwing] } as never)).rejects.toThrow(TypeError);
    await expect(pool.open([], { maxClockSkewSeconds: -1 })).rejects.toThrow(RangeError);
    await using opener = await createWorkerPool({ workers: 1, keys: [bob.xwing] });
    await expect(opener.seal([{ payload: text('x'), recipients: [bob.xwing] }])).rejects.toThrow(TypeError);
  });
});

describe('keys', () => {
  it('the caller key arrays are copied, never detached or changed, and inspect shows no key', async () => {
    const keys = await generateIdentityKeys();
    const before = keys.signing.secretKey.slice();
    const p = await createWorkerPool({ workers: 1, sender: keys.signing, keys: [keys.xwing] });
    const hex = Buffer.from(keys.signing.secretKey.subarray(0, 16)).toString('hex');
    expect(inspect(p, { depth: 10 })).not.toContain(hex);
    expect(JSON.stringify(p)).not.toContain(hex);
    await p.close();
    expect(keys.signing.secretKey).toEqual(before);
    expect(keys.signing.secretKey.buffer.byteLength).toBeGreaterThan(0);
  });

  it('close() zeroes the one copy of the secret keys the workers read, from the calling thread', async () => {
    const keys = await generateIdentityKeys();
    const p = await createWorkerPool({ workers: 2, sender: keys.signing, keys: [keys.xwing, keys.x25519] });
    const shared = new Uint8Array(internals(p).keys.buffer);
    // One copy for all workers: the signing key and both decryption keys, nothing else.
    expect(shared.length).toBe(keys.signing.secretKey.length + keys.xwing.secretKey.length + keys.x25519.secretKey.length);
    expect(shared.some((b) => b !== 0)).toBe(true);
    await p.close();
    expect(shared.every((b) => b === 0)).toBe(true);
  });
});

describe('failure modes', () => {
  it('close() rejects pending jobs with ERR_POOL_CLOSED, and every later call', async () => {
    const p = await createWorkerPool({ workers: 1, sender: alice.signing, keys: [bob.xwing] });
    const settled = p.seal(Array.from({ length: 40 }, () => ({ payload: text('x'), recipients: [bob.xwing] }))).then(() => 'resolved', (e: unknown) => e);
    await p.close();
    await expect(settled).resolves.toSatisfy((e) => isLintasError(e, 'ERR_POOL_CLOSED'));
    await expect(p.seal([{ payload: text('x'), recipients: [bob.xwing] }])).rejects.toSatisfy((e) => isLintasError(e, 'ERR_POOL_CLOSED'));
    await expect(p.open([])).rejects.toSatisfy((e) => isLintasError(e, 'ERR_POOL_CLOSED'));
    expect(p.closed).toBe(true);
    await p.close(); // again: no error
  });

  it('a worker that dies fails its jobs with ERR_POOL_WORKER_FAILED and is replaced', async () => {
    const p = await createWorkerPool({ workers: 2, sender: alice.signing, keys: [bob.xwing] });
    try {
      const victim = internals(p).slots[0]!.worker;
      const pending = p.seal(Array.from({ length: 40 }, () => ({ payload: text('x'), recipients: [bob.xwing] })));
      await victim.terminate(); // as a crash: the thread is gone with the jobs it held
      const error = await pending.catch((e: unknown) => e);
      expect(isLintasError(error, 'ERR_POOL_WORKER_FAILED')).toBe(true);
      expect(p.closed).toBe(false);
      const after = internals(p).slots[0]!.worker;
      expect(after.threadId).not.toBe(victim.threadId);
      const envelopes = await p.seal(Array.from({ length: 8 }, () => ({ payload: text('again'), recipients: [bob.xwing] })));
      expect((await p.open(envelopes)).map(codeOf)).toEqual(Array(8).fill('OK'));
    } finally {
      await p.close();
    }
  });

  it('back-pressure: no more than maxQueued items wait, and a larger batch still completes in order', async () => {
    await using p = await createWorkerPool({ workers: 1, sender: alice.signing, keys: [bob.x25519], maxQueued: 3 });
    let most = 0;
    let done = false;
    const sample = () => {
      most = Math.max(most, internals(p).queuedItems);
      if (!done) setImmediate(sample);
    };
    sample();
    const items = Array.from({ length: 60 }, (_, i) => ({ payload: text(`n${i}`), recipients: [bob.x25519] }));
    const envelopes = await p.seal(items);
    done = true;
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(3);
    const results = await p.open(envelopes);
    expect(results.map((r) => (r.ok ? new TextDecoder().decode(r.opened.payload) : codeOf(r)))).toEqual(items.map((_, i) => `n${i}`));
  });
});
