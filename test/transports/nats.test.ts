import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { envelopeBytes, isLintasError } from '../../src/index.js';
import { NatsJetStreamTransport, type NatsConnectionLike } from '../../src/node.js';
import { randomMailbox, runTransportConformance } from './conformance.js';
import { startNatsServer, type TestNatsServer } from './nats-server.js';
import { hasNatsServer } from '../setup/gaps.js';

const LEASE_MS = 1000;
const MAX_BYTES = 2 * 1024 * 1024;
// Skipped (and named at the end of the run) only where nats-server cannot be installed: test/setup/services.ts.
describe.skipIf(!hasNatsServer(import.meta.url))('NATS JetStream on a private nats-server', () => {
  let server: TestNatsServer;
  let admin: NatsConnection;
  let n = 0;
  /** A fresh stream and subject prefix per test, so tests never see each other's envelopes. */
  const names = (): { stream: string; subjectPrefix: string } => {
    n++;
    return { stream: `T${n}`, subjectPrefix: `t${n}` };
  };

  beforeAll(async () => {
    server = await startNatsServer('max_payload: 8MB');
    admin = await connect({ servers: server.url });
  });
  afterAll(async () => {
    await admin?.close();
    await server?.stop();
  });

  runTransportConformance('NATS JetStream', async () => {
    const connections: NatsConnection[] = [];
    const where = names();
    return {
      connect: async () => {
        const nc = await connect({ servers: server.url });
        connections.push(nc);
        return new NatsJetStreamTransport({ connection: nc, ...where, leaseMs: LEASE_MS, pollIntervalMs: 1000, maxEnvelopeBytes: MAX_BYTES });
      },
      dispose: async () => {
        for (const c of connections) await c.close();
        const jsm = await jetstreamManager(admin);
        await jsm.streams.delete(where.stream).catch(() => {});
      },
      ordering: 'fifo',
      leaseMs: LEASE_MS,
      maxEnvelopeBytes: MAX_BYTES,
      largeEnvelopeBytes: MAX_BYTES,
    };
  });

  describe('NATS JetStream: stream, consumer, limits and dead letters', () => {
    it('a @nats-io/transport-node connection satisfies the structural connection type', () => {
      const typed: NatsConnectionLike = admin; // compile-time check that matters at runtime too
      expect(typeof typed.publish).toBe('function');
    });

    it('validates its options', () => {
      const connection = admin;
      expect(() => new NatsJetStreamTransport({ connection: {} as never })).toThrow(TypeError);
      expect(() => new NatsJetStreamTransport({ connection, stream: 'A.B' })).toThrow(RangeError); // subject syntax in a name
      expect(() => new NatsJetStreamTransport({ connection, subjectPrefix: 'lintas.>' })).toThrow(RangeError); // a wildcard would widen permissions
      expect(() => new NatsJetStreamTransport({ connection, subjectPrefix: 'a..b' })).toThrow(RangeError);
      expect(() => new NatsJetStreamTransport({ connection, replicas: 6 })).toThrow(RangeError);
      expect(() => new NatsJetStreamTransport({ connection, apiPrefix: 'polri.>' })).toThrow(RangeError);
      expect(() => new NatsJetStreamTransport({ connection, batchSize: 257 })).toThrow(RangeError);
      expect(() => new NatsJetStreamTransport({ connection, acceptRisks: ['loss-on-everything' as never] })).toThrow(RangeError);
      const t = new NatsJetStreamTransport({ connection });
      expect(t.mailboxSubject('a'.repeat(64))).toBe(`lintas.mailbox.${'a'.repeat(64)}`);
      expect(() => t.mailboxSubject('*')).toThrow(RangeError); // no wildcard or dot reaches a subject
      expect(() => t.mailboxSubject(`${'a'.repeat(63)}.`)).toThrow(RangeError);
    });

    it('creates a file-backed workqueue stream that refuses delete, purge and rollup, and an explicit-ack consumer with AckWait = lease', async () => {
      const where = names();
      const t = new NatsJetStreamTransport({ connection: admin, ...where, leaseMs: 4321, maxDeliveries: 4 });
      const mailbox = randomMailbox();
      await t.send(mailbox, new Uint8Array([1]));
      const loop = t.receive(mailbox)[Symbol.asyncIterator]();
      await (await loop.next()).value!.ack();
      await loop.return!();
      const jsm = await jetstreamManager(admin);
      const s = (await jsm.streams.info(where.stream)).config;
      expect(s).toMatchObject({ retention: 'workqueue', storage: 'file', discard: 'new', deny_delete: true, deny_purge: true, allow_rollup_hdrs: false });
      expect(s.subjects).toEqual([`${where.subjectPrefix}.mailbox.*`, `${where.subjectPrefix}.dead.*`]);
      const c = (await jsm.consumers.info(where.stream, NatsJetStreamTransport.consumerName(mailbox))).config;
      expect(c).toMatchObject({ ack_policy: 'explicit', ack_wait: 4321 * 1e6, max_deliver: 5, filter_subject: t.mailboxSubject(mailbox) });
      expect((await jsm.streams.info(where.stream)).state.messages).toBe(0); // the ack removed it
      await t.close();
      await jsm.streams.delete(where.stream);
    });

    it('refuses streams that lose acknowledged envelopes unless the risk is accepted', async () => {
      const jsm = await jetstreamManager(admin);
      const mailbox = randomMailbox();
      const cases: [Record<string, unknown>, string | null][] = [
        [{ storage: 'memory' }, 'loss-on-restart'],
        [{ max_age: 3600 * 1e9 }, 'loss-on-limits'],
        [{ max_msgs: 10, discard: 'old' }, 'loss-on-limits'],
        [{ retention: 'limits' }, null],
        [{ allow_rollup_hdrs: true }, null],
      ];
      for (const [config, risk] of cases) {
        const where = names();
        await jsm.streams.add({ name: where.stream, subjects: [`${where.subjectPrefix}.mailbox.*`], retention: 'workqueue', storage: 'file', discard: 'new', ...config } as never);
        const t = new NatsJetStreamTransport({ connection: admin, ...where });
        const err = await t.send(mailbox, new Uint8Array([1])).catch((e: unknown) => e);
        expect(isLintasError(err, 'ERR_NATS_UNSAFE_CONFIG'), JSON.stringify(config)).toBe(true);
        expect((await jsm.streams.info(where.stream)).state.messages).toBe(0);
        if (risk !== null) {
          await new NatsJetStreamTransport({ connection: admin, ...where, acceptRisks: [risk as never] }).send(mailbox, new Uint8Array([1]));
          expect((await jsm.streams.info(where.stream)).state.messages).toBe(1);
        }
        await jsm.streams.delete(where.stream);
      }
      // More replicas asked for than the stream has (R1 here).
      const where = names();
      const err = await new NatsJetStreamTransport({ connection: admin, ...where, replicas: 3, createStream: false }).send(mailbox, new Uint8Array([1])).catch((e: unknown) => e);
      expect(isLintasError(err, 'ERR_NATS_UNSAFE_CONFIG')).toBe(true); // no stream and may not create it
      await jsm.streams.add({ name: where.stream, subjects: [`${where.subjectPrefix}.mailbox.*`], retention: 'workqueue' as never, storage: 'file' as never, discard: 'new' as never });
      const fewer = await new NatsJetStreamTransport({ connection: admin, ...where, replicas: 3 }).send(mailbox, new Uint8Array([1])).catch((e: unknown) => e);
      expect(isLintasError(fewer, 'ERR_NATS_UNSAFE_CONFIG')).toBe(true);
      await jsm.streams.delete(where.stream);
    });

    it('reports the server and stream size limit as ERR_TRANSPORT_ENVELOPE_TOO_LARGE with the limit', async () => {
      const where = names();
      const jsm = await jetstreamManager(admin);
      await jsm.streams.add({ name: where.stream, subjects: [`${where.subjectPrefix}.mailbox.*`], retention: 'workqueue' as never, storage: 'file' as never, discard: 'new' as never, max_msg_size: 64 * 1024 });
      const t = new NatsJetStreamTransport({ connection: admin, ...where });
      const limit = 64 * 1024 - NatsJetStreamTransport.HEADER_ROOM;
      const mailbox = randomMailbox();
      const err = await t.send(mailbox, new Uint8Array(limit + 1)).catch((e: unknown) => e);
      expect(isLintasError(err, 'ERR_TRANSPORT_ENVELOPE_TOO_LARGE')).toBe(true);
      expect((err as Error).message).toContain(String(limit));
      await t.send(mailbox, new Uint8Array(limit)); // the limit itself fits, headers included
      expect((await jsm.streams.info(where.stream)).state.messages).toBe(1);
      // The server's max_payload (8 MiB here) bounds it without a stream limit.
      const big = names();
      const t2 = new NatsJetStreamTransport({ connection: admin, ...big });
      const err2 = await t2.send(mailbox, new Uint8Array(8 * 1024 * 1024)).catch((e: unknown) => e);
      expect(isLintasError(err2, 'ERR_TRANSPORT_ENVELOPE_TOO_LARGE')).toBe(true);
      expect((err2 as Error).message).toContain(String(8 * 1024 * 1024 - NatsJetStreamTransport.HEADER_ROOM));
      await jsm.streams.delete(where.stream);
      await jsm.streams.delete(big.stream);
    });

    it('moves an envelope delivered more than maxDeliveries times to the dead-letter subject, and delivers it no more', async () => {
      const where = names();
      const options = { connection: admin, ...where, leaseMs: 200, maxDeliveries: 2, batchSize: 1 };
      const t = new NatsJetStreamTransport(options);
      const mailbox = randomMailbox();
      const poison = new Uint8Array([0xde, 0xad]);
      await t.send(mailbox, poison);
      const ids: string[] = [];
      for (let i = 0; i < 2; i++) {
        // A receiver that dies while holding it, twice.
        const crashing = new NatsJetStreamTransport(options);
        const loop = crashing.receive(mailbox)[Symbol.asyncIterator]();
        ids.push((await loop.next()).value!.id);
        await crashing.close();
        await new Promise((r) => setTimeout(r, 400)); // past the lease
      }
      expect(ids[1]).toBe(ids[0]);
      const got: Uint8Array[] = [];
      for await (const d of t.receive(mailbox, { untilEmpty: true })) got.push(await envelopeBytes(d.envelope));
      expect(got).toEqual([]); // the third delivery went to the dead letters instead
      const jsm = await jetstreamManager(admin);
      const dead = await jsm.streams.getMessage(where.stream, { last_by_subj: t.deadLetterSubject(mailbox) });
      expect(dead!.data).toEqual(poison);
      expect((await jsm.streams.info(where.stream)).state.messages).toBe(1); // the dead letter only
      await t.close();
      await jsm.streams.delete(where.stream);
    });

    it('sends an ack again when the server leaves it unanswered (landed or not), up to 3 times; then fails and the envelope stays', async () => {
      // `lose(n, landed)`: the next n ack requests throw the client's TimeoutError, after being
      // sent (landed: only the answer was lost) or without being sent.
      let losses = { left: 0, landed: false };
      const lose = (left: number, landed = false): void => void (losses = { left, landed });
      const real = admin;
      const connection = new Proxy(real, {
        get(target, prop, receiver) {
          if (prop !== 'request') return Reflect.get(target, prop, receiver);
          return async (subject: string, ...rest: unknown[]) => {
            const send = () => (target.request as (...a: unknown[]) => Promise<unknown>).call(target, subject, ...rest);
            if (losses.left > 0 && subject.startsWith('$JS.ACK.')) {
              losses.left--;
              if (losses.landed) await send();
              throw Object.assign(new Error('timeout'), { name: 'TimeoutError' });
            }
            return send();
          };
        },
      });
      const where = names();
      const t = new NatsJetStreamTransport({ connection, ...where, leaseMs: 300 });
      const mailbox = randomMailbox();
      const jsm = await jetstreamManager(admin);
      const stored = async () => (await jsm.streams.info(where.stream)).state.messages;
      for (const [n, landed] of [[1, true], [2, false]] as const) {
        await t.send(mailbox, new Uint8Array([n]));
        const loop = t.receive(mailbox)[Symbol.asyncIterator]();
        const d = (await loop.next()).value!;
        lose(n, landed);
        await d.ack();
        expect(losses.left).toBe(0);
        expect(await stored()).toBe(0);
        await loop.return!();
      }
      await t.send(mailbox, new Uint8Array([3]));
      const loop = t.receive(mailbox)[Symbol.asyncIterator]();
      const d = (await loop.next()).value!;
      lose(3);
      await expect(d.ack()).rejects.toMatchObject({ code: 'ERR_TRANSPORT_UNAVAILABLE' });
      await loop.return!();
      expect(await stored()).toBe(1); // not acked: redelivered after the lease, not lost
      await new Promise((r) => setTimeout(r, 600)); // past the 300 ms lease
      const again: Uint8Array[] = [];
      for await (const r of t.receive(mailbox, { untilEmpty: true })) {
        again.push(await envelopeBytes(r.envelope));
        await r.ack();
      }
      expect(again).toEqual([new Uint8Array([3])]);
      await t.close();
      await jsm.streams.delete(where.stream);
    });

    it('renews the lease with in-progress acks: a delivery held for 3 leases is not redelivered', async () => {
      const where = names();
      const t = new NatsJetStreamTransport({ connection: admin, ...where, leaseMs: 300 });
      const mailbox = randomMailbox();
      await t.send(mailbox, new Uint8Array([7]));
      const loop = t.receive(mailbox)[Symbol.asyncIterator]();
      const held = (await loop.next()).value!;
      await new Promise((r) => setTimeout(r, 900));
      const jsm = await jetstreamManager(admin);
      const info = await jsm.consumers.info(where.stream, NatsJetStreamTransport.consumerName(mailbox));
      expect(info.num_redelivered).toBe(0);
      expect(info.num_ack_pending).toBe(1);
      await held.ack();
      await loop.return!();
      await t.close();
      await jsm.streams.delete(where.stream);
    });
  });
});
