import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from 'redis';
import { envelopeBytes } from '../../src/index.js';
import { RedisStreamsTransport, type RedisCommandClient } from '../../src/node.js';
import { renewPendingEntry } from '../../src/transports/redis-streams.js';
import { randomMailbox, runTransportConformance } from './conformance.js';
import { startRedisServer, type TestRedisServer } from './redis-server.js';
import { hasRedisServer } from '../setup/gaps.js';

const LEASE_MS = 1000;
const MAX_BYTES = 16 * 1024 * 1024;
// Skipped (and named at the end of the run) only where redis-server cannot be installed: test/setup/services.ts.
describe.skipIf(!hasRedisServer(import.meta.url))('Redis Streams on a private redis-server', () => {
  let server: TestRedisServer;

  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function connectClient() {
    const client = createClient({ url: server.url });
    client.on('error', () => {}); // a destroyed test connection is expected to error
    await client.connect();
    return client;
  }

  type Client = Awaited<ReturnType<typeof connectClient>>;

  runTransportConformance('Redis Streams', async () => {
    const clients: Client[] = [];
    const keyPrefix = `test:${randomMailbox().slice(0, 8)}:`;
    return {
      connect: async () => {
        const client = await connectClient();
        clients.push(client);
        return new RedisStreamsTransport({ client, keyPrefix, leaseMs: LEASE_MS, pollIntervalMs: 20, maxEnvelopeBytes: MAX_BYTES });
      },
      dispose: async () => {
        for (const c of clients) if (c.isOpen) await c.close();
      },
      ordering: 'fifo',
      leaseMs: LEASE_MS,
      maxEnvelopeBytes: MAX_BYTES,
    };
  });

  describe('Redis Streams: pending-entry recovery', () => {
    it('a node-redis client satisfies the structural client type', async () => {
      const client = await connectClient();
      const typed: RedisCommandClient = client; // compile-time check that matters at runtime too
      expect(typeof typed.sendCommand).toBe('function');
      await client.close();
    });

    it('validates the sender names, key prefix and batch size', async () => {
      const client = await connectClient();
      expect(() => new RedisStreamsTransport({ client, sender: 'a*' })).toThrow(RangeError); // a glob character would widen an ACL pattern
      expect(() => new RedisStreamsTransport({ client, sender: 'x'.repeat(65) })).toThrow(RangeError);
      expect(() => new RedisStreamsTransport({ client, senders: ['ok', 'a:b'] })).toThrow(RangeError);
      expect(() => new RedisStreamsTransport({ client, senders: 'ok' as never })).toThrow(TypeError);
      expect(() => new RedisStreamsTransport({ client, keyPrefix: 'x{' })).toThrow(RangeError); // would move the hash tag
      expect(() => new RedisStreamsTransport({ client, batchSize: 1001 })).toThrow(RangeError);
      expect(() => new RedisStreamsTransport({ client, batchSize: 0 })).toThrow(RangeError);
      await client.close();
    });

    it('reads a backlog in batches: one XREADGROUP hands out up to batchSize entries, all leased', async () => {
      const mailbox = randomMailbox();
      const key = `lintas:mailbox:{${mailbox}}`;
      const client = await connectClient();
      const t = new RedisStreamsTransport({ client, consumer: 'batcher', batchSize: 5, maxEnvelopeBytes: 1024, pollIntervalMs: 20 });
      for (let i = 0; i < 7; i++) await t.send(mailbox, new Uint8Array([i]));
      const loop = t.receive(mailbox, { untilEmpty: true })[Symbol.asyncIterator]();
      const first = (await loop.next()).value!;
      const pending = (await client.sendCommand(['XPENDING', key, 'lintas'])) as unknown[];
      expect(Number(pending[0])).toBe(5); // the first batch, held by this receiver
      await first.ack();
      let rest = 0;
      for (let r = await loop.next(); !r.done; r = await loop.next()) {
        await r.value.ack();
        rest++;
      }
      expect(rest).toBe(6);
      expect(await client.sendCommand(['XLEN', key])).toBe(0);
      await t.close();
      await client.close();
    });

    it('bounds a batch by bytes (maxBatchBytes), not count alone: as many envelopes at the size limit as fit, at least one per stream', async () => {
      const MiB = 1024 * 1024;
      const client = await connectClient();
      const pendingAfterFirst = async (options: { maxEnvelopeBytes: number; maxBatchBytes?: number; senders?: string[] }): Promise<number> => {
        const mailbox = randomMailbox();
        const t = new RedisStreamsTransport({ client, consumer: 'bounded', batchSize: 32, pollIntervalMs: 20, ...options });
        for (let i = 0; i < 10; i++) await t.send(mailbox, new Uint8Array([i]));
        const loop = t.receive(mailbox, { untilEmpty: true })[Symbol.asyncIterator]();
        await (await loop.next()).value!.ack();
        const pending = (await client.sendCommand(['XPENDING', `lintas:mailbox:{${mailbox}}`, 'lintas'])) as unknown[];
        await loop.return!();
        await t.close();
        return Number(pending[0]) + 1; // the one acked was in the batch too
      };
      // 3 envelopes of up to 1 MiB fit in 3.5 MiB.
      expect(await pendingAfterFirst({ maxEnvelopeBytes: MiB, maxBatchBytes: 3.5 * MiB })).toBe(3);
      // Split between the shared stream and one sender's stream: 1 per stream (the envelopes are in the shared one).
      expect(await pendingAfterFirst({ maxEnvelopeBytes: MiB, maxBatchBytes: 3.5 * MiB, senders: ['desk'] })).toBe(1);
      // Envelopes larger than the batch budget: still one at a time.
      expect(await pendingAfterFirst({ maxEnvelopeBytes: 64 * MiB, maxBatchBytes: MiB })).toBe(1);
      // The default: 256 MiB over 64 MiB envelopes.
      expect(await pendingAfterFirst({ maxEnvelopeBytes: RedisStreamsTransport.DEFAULT_MAX_ENVELOPE_BYTES })).toBe(4);
      // Small envelopes: batchSize decides.
      expect(await pendingAfterFirst({ maxEnvelopeBytes: 1024 })).toBe(10);
      expect(() => new RedisStreamsTransport({ client, maxBatchBytes: 0 })).toThrow(RangeError);
      await client.close();
    });

    it('gives entries read in a batch but never handed out back at once when the loop stops', async () => {
      const mailbox = randomMailbox();
      const client = await connectClient();
      const first = new RedisStreamsTransport({ client, consumer: 'first', batchSize: 5, maxEnvelopeBytes: 1024, pollIntervalMs: 20 }); // lease: 60 s
      for (let i = 0; i < 3; i++) await first.send(mailbox, new Uint8Array([i]));
      for await (const d of first.receive(mailbox)) {
        await d.ack();
        break; // two more were read with it
      }
      const second = new RedisStreamsTransport({ client, consumer: 'second', pollIntervalMs: 20 });
      const got: number[] = [];
      for (let attempt = 0; attempt < 50 && got.length < 2; attempt++) {
        for await (const d of second.receive(mailbox, { untilEmpty: true })) {
          got.push((await envelopeBytes(d.envelope))[0]!);
          await d.ack();
        }
      }
      expect(got.sort()).toEqual([1, 2]);
      await first.close();
      await second.close();
      await client.close();
    });

    it('recovers, via XAUTOCLAIM, an envelope a consumer read and never acked before it died', async () => {
      const mailbox = randomMailbox();
      const key = `lintas:mailbox:{${mailbox}}`;
      const senderClient = await connectClient();
      const sender = new RedisStreamsTransport({ client: senderClient });
      await sender.send(mailbox, new TextEncoder().encode('pending'));

      // The doomed consumer reads through the transport, then its connection dies without an ack.
      const doomedClient = await connectClient();
      const doomed = new RedisStreamsTransport({ client: doomedClient, consumer: 'doomed', leaseMs: LEASE_MS, pollIntervalMs: 20 });
      const loop = doomed.receive(mailbox)[Symbol.asyncIterator]();
      const first = (await loop.next()).value!;
      doomedClient.destroy();

      const pendingBefore = (await senderClient.sendCommand(['XPENDING', key, 'lintas', '-', '+', '10'])) as unknown[][];
      expect(pendingBefore.map((p) => String(p[1]))).toEqual(['doomed']);

      const rescuerClient = await connectClient();
      const rescuer = new RedisStreamsTransport({ client: rescuerClient, consumer: 'rescuer', leaseMs: LEASE_MS, pollIntervalMs: 20 });
      let again: { id: string; text: string } | null = null;
      for await (const d of rescuer.receive(mailbox)) {
        // Claimed, not yet acked: now pending with the rescuer, delivered for the second time.
        const pending = (await senderClient.sendCommand(['XPENDING', key, 'lintas', '-', '+', '10'])) as unknown as unknown[][];
        expect(pending.map((p) => [String(p[1]), Number(p[3])])).toEqual([['rescuer', 2]]);
        again = { id: d.id, text: new TextDecoder().decode(await envelopeBytes(d.envelope)) };
        await d.ack();
        break;
      }
      expect(again).toEqual({ id: first.id, text: 'pending' });
      expect(await senderClient.sendCommand(['XLEN', key])).toBe(0);
      expect(await senderClient.sendCommand(['XPENDING', key, 'lintas', '-', '+', '10'])).toEqual([]);
      await doomed.close();
      await rescuer.close();
      await sender.close();
      await rescuerClient.close();
      await senderClient.close();
    });

    it('does not take a lease back from the consumer that claimed it after ours expired', async () => {
      const mailbox = randomMailbox();
      const key = `lintas:mailbox:{${mailbox}}`;
      const c1 = await connectClient();
      const c2 = await connectClient();
      const slow = new RedisStreamsTransport({ client: c1, consumer: 'slow', leaseMs: LEASE_MS, pollIntervalMs: 20 });
      await slow.send(mailbox, new Uint8Array([7]));
      const loop = slow.receive(mailbox)[Symbol.asyncIterator]();
      const held = (await loop.next()).value!;
      await loop.return!(); // stops renewing, like a stalled process
      const fast = new RedisStreamsTransport({ client: c2, consumer: 'fast', leaseMs: LEASE_MS, pollIntervalMs: 20 });
      const fastLoop = fast.receive(mailbox)[Symbol.asyncIterator]();
      const taken = (await fastLoop.next()).value!;
      expect(taken.id).toBe(held.id);
      // The stalled receiver wakes up and renews: it must learn the lease is lost, not steal it back.
      expect(await renewPendingEntry(c1, key, 'lintas', held.id, 'slow')).toBe(false);
      expect(await renewPendingEntry(c2, key, 'lintas', held.id, 'fast')).toBe(true);
      const owners = (await c1.sendCommand(['XPENDING', key, 'lintas', '-', '+', '10'])) as unknown as unknown[][];
      expect(owners.map((p) => String(p[1]))).toEqual(['fast']);
      await held.ack(); // a late ack resolves, and the envelope is gone for everyone
      await taken.ack();
      expect(await c1.sendCommand(['XLEN', key])).toBe(0);
      await fastLoop.return!();
      await slow.close();
      await fast.close();
      await c1.close();
      await c2.close();
    });
  });
});
