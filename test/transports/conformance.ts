/**
 * The transport conformance suite: every property docs/TRANSPORTS.md promises, as tests any
 * Transport implementation can run against itself:
 *
 *   runTransportConformance('my transport', async () => ({ connect, dispose, ordering: 'fifo', leaseMs }));
 *
 * `connect()` must return a new, independent connection to the same backing store each time (as
 * another process would open), so that "a receiver crashed, another one takes over" can be
 * simulated by closing one connection and opening the next.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { envelopeBytes, isLintasError, type Delivery, type EnvelopeBody, type Transport } from '../../src/index.js';

/** What a transport under test provides. */
export interface ConformanceHarness {
  /** A new connection to the shared backing store. */
  connect(): Promise<Transport>;
  /** Remove everything the harness created (connections are closed by the suite). */
  dispose(): Promise<void>;
  /**
   * At least three distinct mailbox ids every connection can send to and receive from, fresh for
   * this harness (transports that authenticate owners need mailboxes derived from keys they
   * hold). Default: random ids.
   */
  mailboxes?: string[];
  /** 'fifo' if one sender's envelopes reach a single receiver in send order. */
  ordering: 'fifo' | 'none';
  /**
   * How long a crashed receiver's deliveries stay leased, in ms; the suite waits longer than this
   * to check that a live receiver keeps its lease. Omit if the transport has no lease.
   */
  leaseMs?: number;
  /** Size of the streamed large-envelope test. Default 8 MiB. */
  largeEnvelopeBytes?: number;
  /** The transport's configured size limit, if it has one; larger envelopes must be refused. */
  maxEnvelopeBytes?: number;
}

/** Guard against a hanging transport: a test fails after this long instead of hanging. */
const DEADLINE_MS = 30_000;

async function withDeadline<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${DEADLINE_MS} ms`)), DEADLINE_MS);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** A random mailbox id (the transport must not care whose key it came from). */
export function randomMailbox(): string {
  return randomBytes(32).toString('hex');
}

/** Receive `n` deliveries without acking them, then leave the loop. */
async function take(t: Transport, mailbox: string, n: number): Promise<Delivery[]> {
  const got: Delivery[] = [];
  await withDeadline(
    (async () => {
      for await (const d of t.receive(mailbox)) {
        got.push(d);
        if (got.length === n) break;
      }
    })(),
    `receiving ${n} deliveries`,
  );
  return got;
}

/** Receive and ack everything currently available; returns the envelopes in delivery order. */
async function drain(t: Transport, mailbox: string): Promise<Uint8Array[]> {
  const got: Uint8Array[] = [];
  await withDeadline(
    (async () => {
      for await (const d of t.receive(mailbox, { untilEmpty: true })) {
        got.push(await envelopeBytes(d.envelope));
        await d.ack();
      }
    })(),
    'draining a mailbox',
  );
  return got;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** A deterministic stream of `total` bytes in 64 KiB chunks, and its SHA-256. */
function patternStream(total: number, seed: number): { chunks: () => AsyncIterable<Uint8Array>; sha256: string } {
  const chunkSize = 64 * 1024;
  const make = (i: number, n: number): Uint8Array => {
    const c = new Uint8Array(n);
    let x = (seed ^ (i * 0x9e3779b1)) >>> 0 || 1;
    for (let j = 0; j < n; j++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      c[j] = x & 0xff;
    }
    return c;
  };
  const hash = createHash('sha256');
  for (let off = 0, i = 0; off < total; off += chunkSize, i++) hash.update(make(i, Math.min(chunkSize, total - off)));
  return {
    sha256: hash.digest('hex'),
    chunks: async function* () {
      for (let off = 0, i = 0; off < total; off += chunkSize, i++) yield make(i, Math.min(chunkSize, total - off));
    },
  };
}

async function sha256Of(envelope: EnvelopeBody): Promise<{ sha256: string; length: number }> {
  const hash = createHash('sha256');
  let length = 0;
  for await (const c of envelope instanceof Uint8Array ? [envelope] : envelope) {
    hash.update(c);
    length += c.length;
  }
  return { sha256: hash.digest('hex'), length };
}

/** Register the conformance tests for one transport. */
export function runTransportConformance(name: string, factory: () => Promise<ConformanceHarness>): void {
  describe(`transport conformance: ${name}`, () => {
    let harness: ConformanceHarness;
    let opened: Transport[];

    const connect = async (): Promise<Transport> => {
      const t = await harness.connect();
      opened.push(t);
      return t;
    };

    /** The harness's i-th mailbox. */
    const box = (i: number): string => harness.mailboxes?.[i] ?? fallbackMailboxes[i]!;
    let fallbackMailboxes: string[];

    beforeEach(async () => {
      harness = await factory();
      opened = [];
      fallbackMailboxes = [randomMailbox(), randomMailbox(), randomMailbox()];
    });

    afterEach(async () => {
      for (const t of opened) await t.close();
      await harness.dispose();
    });

    it('delivers the exact bytes to the mailbox and removes them on ack', async () => {
      const [sender, receiver, later] = [await connect(), await connect(), await connect()];
      const mailbox = box(0);
      const envelope = new Uint8Array(randomBytes(1500));
      await sender.send(mailbox, envelope);
      const [d] = await take(receiver, mailbox, 1);
      expect(typeof d!.id).toBe('string');
      expect(await envelopeBytes(d!.envelope)).toEqual(envelope);
      await d!.ack();
      await d!.ack(); // idempotent
      expect(await drain(later, mailbox)).toEqual([]);
    });

    it('keeps an envelope whose sender closed right after send resolved', async () => {
      const sender = await connect();
      const mailbox = box(0);
      const envelope = new Uint8Array(randomBytes(300));
      await sender.send(mailbox, envelope);
      await sender.close();
      expect(await drain(await connect(), mailbox)).toEqual([envelope]);
    });

    it('redelivers an unacked envelope after its receiver crashed, with the same id', async () => {
      const sender = await connect();
      const crashing = await connect();
      const mailbox = box(0);
      const envelope = new Uint8Array(randomBytes(800));
      await sender.send(mailbox, envelope);
      const [first] = await take(crashing, mailbox, 1);
      await crashing.close(); // the receiver dies before acking
      const [again] = await take(await connect(), mailbox, 1);
      expect(again!.id).toBe(first!.id);
      expect(await envelopeBytes(again!.envelope)).toEqual(envelope);
      await again!.ack();
      expect(await drain(await connect(), mailbox)).toEqual([]);
    });

    it('does not give a delivery held by a live receiver to another receiver', async () => {
      const sender = await connect();
      const holder = await connect();
      const other = await connect();
      const mailbox = box(0);
      await sender.send(mailbox, new Uint8Array([1, 2, 3]));
      const loop = holder.receive(mailbox)[Symbol.asyncIterator]();
      const held = (await withDeadline(loop.next(), 'first delivery')).value as Delivery;
      // Outlive the lease: a live receiver must keep renewing it.
      if (harness.leaseMs !== undefined) await new Promise((r) => setTimeout(r, harness.leaseMs! * 2.5));
      expect(await drain(other, mailbox)).toEqual([]);
      await held.ack();
      await loop.return?.();
      expect(await drain(other, mailbox)).toEqual([]);
    });

    it('never shows one mailbox the envelopes of another', async () => {
      const t = await connect();
      const [a, b] = [box(0), box(1)];
      const forA = [1, 2, 3].map((i) => new Uint8Array([0xa, i]));
      const forB = [1, 2].map((i) => new Uint8Array([0xb, i]));
      for (const e of forA) await t.send(a, e);
      for (const e of forB) await t.send(b, e);
      const gotA = await drain(await connect(), a);
      const gotB = await drain(await connect(), b);
      expect(gotA.map(hex).sort()).toEqual(forA.map(hex).sort());
      expect(gotB.map(hex).sort()).toEqual(forB.map(hex).sort());
      expect(await drain(t, box(2))).toEqual([]);
    });

    it('delivers one sender\'s envelopes to a single receiver in send order (if it promises FIFO)', async () => {
      const sender = await connect();
      const mailbox = box(0);
      const sent = Array.from({ length: 20 }, (_, i) => new Uint8Array([i, 0xee]));
      for (const e of sent) await sender.send(mailbox, e);
      const got = await drain(await connect(), mailbox);
      if (harness.ordering === 'fifo') expect(got).toEqual(sent);
      else expect(got.map(hex).sort()).toEqual(sent.map(hex).sort());
    });

    it('streams a large envelope through unchanged', async () => {
      const size = harness.largeEnvelopeBytes ?? 8 * 1024 * 1024;
      const sender = await connect();
      const mailbox = box(0);
      const pattern = patternStream(size, 7);
      await withDeadline(sender.send(mailbox, pattern.chunks()), 'sending a large envelope');
      const [d] = await take(await connect(), mailbox, 1);
      expect(await withDeadline(sha256Of(d!.envelope), 'reading a large envelope')).toEqual({ sha256: pattern.sha256, length: size });
      await d!.ack();
    });

    it('refuses an envelope above its size limit and stores nothing', async () => {
      if (harness.maxEnvelopeBytes === undefined) return;
      const sender = await connect();
      const mailbox = box(0);
      const err = await sender.send(mailbox, patternStream(harness.maxEnvelopeBytes + 1, 3).chunks()).catch((e: unknown) => e);
      expect(isLintasError(err, 'ERR_TRANSPORT_ENVELOPE_TOO_LARGE')).toBe(true);
      expect(await drain(await connect(), mailbox)).toEqual([]);
    });

    it('delivers every envelope of concurrent senders exactly once to concurrent receivers', async () => {
      const mailbox = box(0);
      const senders = await Promise.all([connect(), connect(), connect(), connect()]);
      const receivers = await Promise.all([connect(), connect()]);
      const expected = new Set<string>();
      const sends: Promise<void>[] = [];
      for (const [s, t] of senders.entries()) {
        for (let i = 0; i < 10; i++) {
          const e = new Uint8Array([s, i, ...randomBytes(30)]);
          expected.add(hex(e));
          sends.push(t.send(mailbox, e));
        }
      }
      const seen: string[] = [];
      const stop = new AbortController();
      const receiving = receivers.map(async (r) => {
        for await (const d of r.receive(mailbox, { signal: stop.signal })) {
          seen.push(hex(await envelopeBytes(d.envelope)));
          await d.ack();
          if (new Set(seen).size === expected.size) stop.abort();
        }
      });
      await withDeadline(Promise.all(sends), 'concurrent sends');
      await withDeadline(Promise.all(receiving), 'concurrent receives');
      expect(seen.length).toBe(expected.size);
      expect(new Set(seen)).toEqual(expected);
    });

    it('ends a waiting receive loop when aborted', async () => {
      const t = await connect();
      const stop = new AbortController();
      const loop = t.receive(box(0), { signal: stop.signal })[Symbol.asyncIterator]();
      const next = loop.next();
      stop.abort();
      expect(await withDeadline(next, 'abort')).toEqual({ done: true, value: undefined });
    });

    it('after close: ends waiting loops, refuses send, receive and ack, and closes idempotently', async () => {
      const sender = await connect();
      const t = await connect();
      const mailbox = box(0);
      await sender.send(mailbox, new Uint8Array([9]));
      const loop = t.receive(mailbox)[Symbol.asyncIterator]();
      const held = (await withDeadline(loop.next(), 'first delivery')).value as Delivery;
      const waiting = loop.next();
      await t.close();
      await t.close();
      expect(await withDeadline(waiting, 'close')).toEqual({ done: true, value: undefined });
      await expect(held.ack()).rejects.toMatchObject({ code: 'ERR_TRANSPORT_CLOSED' });
      await expect(t.send(mailbox, new Uint8Array([1]))).rejects.toMatchObject({ code: 'ERR_TRANSPORT_CLOSED' });
      await expect(t.receive(mailbox)[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: 'ERR_TRANSPORT_CLOSED' });
      // The unacked delivery was not lost.
      const [again] = await take(await connect(), mailbox, 1);
      expect(again!.id).toBe(held.id);
      await again!.ack();
    });

    it('validates arguments at the edge', async () => {
      const t = await connect();
      await expect(t.send('not-a-mailbox', new Uint8Array(1))).rejects.toBeInstanceOf(RangeError);
      await expect(t.send('../' + randomMailbox().slice(3), new Uint8Array(1))).rejects.toBeInstanceOf(RangeError);
      await expect(t.send(42 as unknown as string, new Uint8Array(1))).rejects.toBeInstanceOf(TypeError);
      await expect(t.send(randomMailbox(), 'text' as unknown as Uint8Array)).rejects.toBeInstanceOf(TypeError);
      expect(() => t.receive(randomMailbox().toUpperCase())).toThrow(RangeError);
    });
  });
}
