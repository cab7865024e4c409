/**
 * Receivers in separate processes sharing a reserving replay guard (issue 15, the gap left by the
 * in-process lock): two copies of each envelope, one in each process, handled at the same moment,
 * run the handler once; a receiver SIGKILLed mid-handler loses nothing (the other handles its
 * copy once the hold runs out); a handler that runs longer than the hold keeps its reservation
 * (renewed); a handler that throws releases it, so the redelivery is handled. Real redis-server
 * and nats-server, a FileReplayGuard log opened "shared", real child processes
 * (test/transports/fixtures/reserving-receiver.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { createClient, type RedisClientType } from 'redis';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { MemoryTransport, receiveEnvelopes, type ReservingReplayGuard } from '../../src/index.js';
import { FileReplayGuard, NatsKvReplayGuard, RedisReplayGuard } from '../../src/node.js';
import { startRedisServer, type TestRedisServer } from './redis-server.js';
import { startNatsServer, type TestNatsServer } from './nats-server.js';
import { startWorker, stopWorker, type Worker } from './process-helpers.js';
import { hasNatsServer, hasRedisServer } from '../setup/gaps.js';

const receiver = fileURLToPath(new URL('./fixtures/reserving-receiver.ts', import.meta.url));
const withRedis = hasRedisServer(import.meta.url);
const withNats = hasNatsServer(import.meta.url);
const box = 'b'.repeat(64);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

interface Backend {
  kind: 'redis' | 'nats' | 'file';
  url: string;
  /** A fresh key prefix or bucket: one shared store for the receivers of one test. */
  namespace(): string;
  /** A guard on `namespace` with its own connection. */
  guard(namespace: string): Promise<ReservingReplayGuard>;
}

let dir: string;
let redis: TestRedisServer | undefined;
let nats: TestNatsServer | undefined;
const closers: (() => Promise<unknown>)[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lintas-reserve-'));
  [redis, nats] = await Promise.all([withRedis ? startRedisServer() : undefined, withNats ? startNatsServer() : undefined]);
});
afterAll(async () => {
  for (const close of closers) await close().catch(() => undefined);
  await Promise.all([redis?.stop(), nats?.stop()]);
  await rm(dir, { recursive: true, force: true });
});

const backends: { name: string; present: boolean; backend: () => Backend }[] = [
  {
    name: 'RedisReplayGuard',
    present: withRedis,
    backend: () => ({
      kind: 'redis',
      url: redis!.url,
      namespace: () => `test:${randomBytes(4).toString('hex')}:`,
      guard: async (prefix) => {
        const client: RedisClientType = createClient({ url: redis!.url });
        client.on('error', () => {});
        await client.connect();
        closers.push(() => client.close());
        return new RedisReplayGuard({ client, keyPrefix: prefix });
      },
    }),
  },
  {
    name: 'NatsKvReplayGuard',
    present: withNats,
    backend: () => ({
      kind: 'nats',
      url: nats!.url,
      namespace: () => `replay-${randomBytes(4).toString('hex')}`,
      guard: async (bucket) => {
        const nc: NatsConnection = await connect({ servers: nats!.url });
        closers.push(() => nc.close());
        return new NatsKvReplayGuard({ connection: nc, bucket });
      },
    }),
  },
  {
    name: 'FileReplayGuard (shared)',
    present: true,
    backend: () => ({
      kind: 'file',
      url: '-',
      namespace: () => join(dir, `replay-${randomBytes(4).toString('hex')}.log`),
      guard: async (path) => {
        const g = await FileReplayGuard.open(path, { sharing: 'shared' });
        closers.push(() => g.close());
        return g;
      },
    }),
  },
];

/** Write `ids` to a file for the receivers; returns the file and a go file not yet created. */
async function idsFile(ids: string[]): Promise<{ file: string; go: string }> {
  const name = randomBytes(4).toString('hex');
  const file = join(dir, `${name}.ids`);
  await writeFile(file, ids.map((i) => `${i}\n`).join(''));
  return { file, go: join(dir, `${name}.go`) };
}

function startReceiver(b: Backend, namespace: string, file: string, go: string, holdMs: number, mode: string[] = []): Worker {
  return startWorker(receiver, [b.kind, b.url, namespace, file, go, String(holdMs), ...mode]);
}

const handled = (w: Worker): string[] => w.lines.filter((l) => l.startsWith('handled ')).map((l) => l.slice(8));
const rejected = (w: Worker): string[] => w.lines.filter((l) => l.startsWith('rejected ')).map((l) => l.slice(9));
const done = (w: Worker): Promise<string> => w.waitForLine((l) => l.startsWith('done '), 'done');

for (const { name, present, backend } of backends) {
  // Skipped (and named at the end of the run) only where the server cannot be installed: test/setup/services.ts.
  describe.skipIf(!present)(`${name}: receivers in two processes`, () => {
    it('run the handler exactly once for each of 150 envelopes that both hold a copy of, handled at the same moment', async () => {
      const b = backend();
      const ns = b.namespace();
      const ids = Array.from({ length: 150 }, () => randomBytes(16).toString('hex'));
      const { file, go } = await idsFile(ids);
      // Both in the same order: they reach each envelope together, the worst case for has-then-remember.
      const workers = [startReceiver(b, ns, file, go, 5000), startReceiver(b, ns, file, go, 5000)];
      try {
        await Promise.all(workers.map((w) => w.waitForLine((l) => l === 'ready', 'ready')));
        await writeFile(go, '');
        await Promise.all(workers.map(done));
      } finally {
        await Promise.all(workers.map((w) => stopWorker(w, 'SIGKILL')));
      }
      const all = workers.flatMap(handled);
      expect(all.length).toBe(ids.length);
      expect(new Set(all)).toEqual(new Set(ids));
      // Every other copy was refused as a replay: one refusal per id, none lost.
      const refusals = workers.flatMap(rejected);
      for (const r of refusals) expect(r).toMatch(/ ERR_REPLAY_DETECTED$/);
      expect(refusals.map((r) => r.slice(0, 32)).sort()).toEqual([...ids].sort());
      // The copies met: at least one receiver waited on the other's reservation.
      expect(workers.flatMap((w) => w.lines).filter((l) => l === 'busy').length).toBeGreaterThan(0);
    });

    it('lose nothing when one is SIGKILLed mid-handler: the other handles the envelope once the hold runs out', async () => {
      const b = backend();
      const ns = b.namespace();
      const victim = randomBytes(16).toString('hex');
      const ids = [victim, randomBytes(16).toString('hex')];
      const { file, go } = await idsFile(ids);
      await writeFile(go, '');
      const first = startReceiver(b, ns, file, go, 1000, ['hang', victim]);
      let second: Worker | undefined;
      try {
        await first.waitForLine((l) => l === `handled ${victim}`, 'the handler started');
        second = startReceiver(b, ns, file, go, 1000);
        // It meets the live, renewed reservation and waits...
        await second.waitForLine((l) => l === 'busy', 'busy');
        await stopWorker(first, 'SIGKILL');
        // ...until the dead receiver's hold runs out, then handles the envelope itself.
        expect(await done(second)).toBe('done 2 0');
      } finally {
        await stopWorker(first, 'SIGKILL');
        if (second) await stopWorker(second, 'SIGKILL');
      }
      expect(handled(second)).toEqual(ids);
      // Handled, so remembered: a third copy is a replay.
      const guard = await b.guard(ns);
      const t = new MemoryTransport();
      await t.send(box, Buffer.from(victim, 'hex'));
      const codes: string[] = [];
      await receiveEnvelopes(t, box, {
        open: async (e) => ({ envelopeId: e, createdAt: new Date(Date.now() - 60_000) }),
        replayGuard: guard,
        untilEmpty: true,
        handler: () => void codes.push('handled'),
        onRejected: (r) => void codes.push(r.error.code),
      });
      expect(codes).toEqual(['ERR_REPLAY_DETECTED']);
    });

    it('keep the reservation of a handler that runs longer than the hold (renewed): the copy waits and is refused', async () => {
      const b = backend();
      const ns = b.namespace();
      const slow = randomBytes(16).toString('hex');
      const { file, go } = await idsFile([slow]);
      const goSecond = `${go}.second`;
      await writeFile(go, '');
      // The handler takes three holds; without renewal the other receiver would take it over.
      const first = startReceiver(b, ns, file, go, 1500, ['slow', slow, '4500']);
      const second = startReceiver(b, ns, file, goSecond, 1500);
      try {
        await second.waitForLine((l) => l === 'ready', 'ready');
        await first.waitForLine((l) => l === `handled ${slow}`, 'the handler started');
        await writeFile(goSecond, '');
        await Promise.all([done(first), done(second)]);
      } finally {
        await stopWorker(first, 'SIGKILL');
        await stopWorker(second, 'SIGKILL');
      }
      expect(handled(first)).toEqual([slow]);
      expect(handled(second)).toEqual([]);
      expect(rejected(second)).toEqual([`${slow} ERR_REPLAY_DETECTED`]);
      expect(second.lines).toContain('busy');
    });
  });

  describe.skipIf(!present)(`${name}: receivers in one process, on two connections`, () => {
    it('a handler that throws releases its reservation: another receiver handles its copy at once, and the redelivery is handled', async () => {
      const b = backend();
      const ns = b.namespace();
      const [g1, g2] = [await b.guard(ns), await b.guard(ns)];
      const id = new Uint8Array(randomBytes(16));
      const open = async (e: Uint8Array) => ({ envelopeId: e, createdAt: new Date(Date.now() - 60_000) });
      const t1 = new MemoryTransport();
      await t1.send(box, id);
      const failure = new Error('handler failed');
      // A hold of ten minutes: only the release lets the other copy through within the test.
      const replayHoldMs = 600_000;
      await expect(receiveEnvelopes(t1, box, { open, replayGuard: g1, replayHoldMs, untilEmpty: true, handler: () => Promise.reject(failure) })).rejects.toBe(failure);
      const t2 = new MemoryTransport();
      await t2.send(box, id);
      const seen: string[] = [];
      const signal = AbortSignal.timeout(20_000); // a kept reservation would make it wait for the hold
      const r2 = await receiveEnvelopes(t2, box, { open, replayGuard: g2, replayHoldMs, untilEmpty: true, signal, handler: (o) => void seen.push(hex(o.envelopeId)) });
      expect(r2).toEqual({ processed: 1, rejected: 0 });
      expect(seen).toEqual([hex(id)]);
      // The first receiver's redelivery (never acked) is now a replay.
      const r1 = await receiveEnvelopes(t1, box, { open, replayGuard: g1, replayHoldMs, untilEmpty: true, handler: () => void seen.push('again') });
      expect(r1).toEqual({ processed: 0, rejected: 1 });
    });

    it('an abort while another receiver holds the id ends the loop without acking the copy, which is refused once the id is remembered', async () => {
      const b = backend();
      const ns = b.namespace();
      const [g1, inner] = [await b.guard(ns), await b.guard(ns)];
      let busy = 0;
      const g2: ReservingReplayGuard = {
        has: (i) => inner.has(i),
        remember: (i, k) => inner.remember(i, k),
        release: (i, t) => inner.release(i, t),
        reserve: async (i, t, h) => {
          const answer = await inner.reserve(i, t, h);
          if (answer === 'busy') busy++;
          return answer;
        },
      };
      const id = new Uint8Array(randomBytes(16));
      const open = async (e: Uint8Array) => ({ envelopeId: e, createdAt: new Date(Date.now() - 60_000) });
      const [t1, t2] = [new MemoryTransport(), new MemoryTransport()];
      await t1.send(box, id);
      await t2.send(box, id);
      let finish!: () => void;
      let started!: () => void;
      const handlerStarted = new Promise<void>((r) => (started = r));
      const first = receiveEnvelopes(t1, box, { open, replayGuard: g1, untilEmpty: true, handler: () => (started(), new Promise<void>((r) => (finish = r))) });
      await handlerStarted;
      const abort = new AbortController();
      const calls: string[] = [];
      const second = receiveEnvelopes(t2, box, { open, replayGuard: g2, untilEmpty: true, signal: abort.signal, handler: () => void calls.push('handled') });
      for (let waited = 0; busy === 0 && waited < 30_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
      expect(busy).toBeGreaterThan(0);
      abort.abort();
      expect(await second).toEqual({ processed: 0, rejected: 0 });
      finish();
      expect(await first).toEqual({ processed: 1, rejected: 0 });
      // The copy was not acked: delivered again, it is refused as a replay.
      const codes: string[] = [];
      expect(await receiveEnvelopes(t2, box, { open, replayGuard: g2, untilEmpty: true, handler: () => void calls.push('handled'), onRejected: (r) => void codes.push(r.error.code) })).toEqual({ processed: 0, rejected: 1 });
      expect(codes).toEqual(['ERR_REPLAY_DETECTED']);
      expect(calls).toEqual([]);
    });

    it('a handler that throws releases its reservation, so that its own redelivery is handled', async () => {
      const b = backend();
      const g = await b.guard(b.namespace());
      const id = new Uint8Array(randomBytes(16));
      const open = async (e: Uint8Array) => ({ envelopeId: e, createdAt: new Date(Date.now() - 60_000) });
      const t = new MemoryTransport();
      await t.send(box, id);
      let calls = 0;
      const handler = (): void => {
        if (++calls === 1) throw new Error('first attempt fails');
      };
      const signal = AbortSignal.timeout(20_000);
      await expect(receiveEnvelopes(t, box, { open, replayGuard: g, replayHoldMs: 600_000, untilEmpty: true, signal, handler })).rejects.toThrow('first attempt fails');
      expect(await receiveEnvelopes(t, box, { open, replayGuard: g, replayHoldMs: 600_000, untilEmpty: true, signal, handler })).toEqual({ processed: 1, rejected: 0 });
      expect(calls).toBe(2);
    });
  });
}
