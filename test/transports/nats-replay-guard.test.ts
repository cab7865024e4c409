/**
 * NatsKvReplayGuard against a real nats-server (issue 15, item 3 and the NATS part): shared by
 * several receivers through one JetStream KV bucket, first writer wins (`kv.create`), ids
 * forgotten by the bucket's TTL, which must cover the replay window.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { randomBytes } from 'node:crypto';
import { generateIdentityKeys, isLintasError, mailboxId, MemoryTransport, receiveEnvelopes, REPLAY_CLOCK_MARGIN_SECONDS, seal, DEFAULT_REPLAY_WINDOW_SECONDS } from '../../src/index.js';
import { NatsKvReplayGuard } from '../../src/node.js';
import { startNatsServer, type TestNatsServer } from './nats-server.js';
import { hasNatsServer } from '../setup/gaps.js';
import { replayGuardConformance, reservingGuardConformance } from './replay-guard-conformance.js';

const withNats = hasNatsServer(import.meta.url);
let server: TestNatsServer;
const connections: NatsConnection[] = [];

beforeAll(async () => {
  if (withNats) server = await startNatsServer();
});
afterAll(async () => {
  for (const c of connections) await c.close();
  await server?.stop();
});

async function nc(): Promise<NatsConnection> {
  const c = await connect({ servers: server.url });
  connections.push(c);
  return c;
}
const id = (): Uint8Array => new Uint8Array(randomBytes(16));
const bucket = (): string => `replay-${randomBytes(4).toString('hex')}`;
/** A keepUntil well inside the default TTL (the 30-day window plus the margin). */
const soon = (): Date => new Date(Date.now() + 86_400_000);

// Skipped (and named at the end of the run) only where nats-server cannot be installed: test/setup/services.ts.
describe.skipIf(!withNats)('NatsKvReplayGuard on a private nats-server', () => {
  it('exactly one of two receivers racing on the same ids claims each id', async () => {
    const b = bucket();
    const [g1, g2] = [new NatsKvReplayGuard({ connection: await nc(), bucket: b }), new NatsKvReplayGuard({ connection: await nc(), bucket: b })];
    const ids = Array.from({ length: 200 }, id);
    const [r1, r2] = await Promise.all([Promise.all(ids.map((i) => g1.claim(i, soon()))), Promise.all(ids.map((i) => g2.claim(i, soon())))]);
    for (let i = 0; i < ids.length; i++) expect(Number(r1[i]) + Number(r2[i]), `id ${i}`).toBe(1);
    for (const i of ids) expect(await g2.has(i)).toBe(true);
    expect(await g1.claim(ids[0]!, soon())).toBe(false); // remembered before
  });

  const factory = {
    store: async () => {
      const b = bucket();
      return { open: async () => new NatsKvReplayGuard({ connection: await nc(), bucket: b }) };
    },
  };
  replayGuardConformance(factory);
  reservingGuardConformance(factory);

  it('claims over a reservation: exactly one of two racing claims wins, and the id is remembered', async () => {
    const b = bucket();
    const [g1, g2] = [new NatsKvReplayGuard({ connection: await nc(), bucket: b }), new NatsKvReplayGuard({ connection: await nc(), bucket: b })];
    const ids = Array.from({ length: 50 }, id);
    for (const i of ids) expect(await g1.reserve(i, 'holder', 60_000)).toBe('new');
    const [r1, r2] = await Promise.all([Promise.all(ids.map((i) => g1.claim(i, soon()))), Promise.all(ids.map((i) => g2.claim(i, soon())))]);
    for (let i = 0; i < ids.length; i++) expect(Number(r1[i]) + Number(r2[i]), `id ${i}`).toBe(1);
    for (const i of ids) expect(await g2.reserve(i, 'other', 60_000)).toBe('seen');
  });

  it('creates a file-backed bucket whose TTL is the replay window plus the clock margin, and refuses ids it would forget too early', async () => {
    const b = bucket();
    const c = await nc();
    const g = new NatsKvReplayGuard({ connection: c, bucket: b, ttlSeconds: REPLAY_CLOCK_MARGIN_SECONDS + 3600 });
    await g.remember(id(), new Date(Date.now() + 1800_000));
    const status = await (await new Kvm(c).open(b)).status();
    expect(status.ttl).toBe((REPLAY_CLOCK_MARGIN_SECONDS + 3600) * 1000);
    expect(status.streamInfo.config.storage).toBe('file');
    expect(status.history).toBe(1);
    // Forgotten before keepUntil + margin: refused instead of silently forgotten.
    await expect(g.remember(id(), new Date(Date.now() + 7200_000))).rejects.toBeInstanceOf(RangeError);
    await expect(g.remember(id())).rejects.toBeInstanceOf(RangeError); // forever
    // A default guard on a bucket with a shorter TTL than it needs refuses the bucket.
    const err = await new NatsKvReplayGuard({ connection: c, bucket: b }).has(id()).catch((e: unknown) => e);
    expect(isLintasError(err, 'ERR_NATS_UNSAFE_CONFIG')).toBe(true);
  });

  it('keeps an envelope whose sender clock runs ahead (within the 300 s skew SPEC 6.5 allows) on a default bucket', async () => {
    // Before: keepUntil = created + window, and a created even one second past now was refused
    // with a RangeError by the default bucket (TTL = window + margin), failing the receive loop.
    const [alice, bob] = await Promise.all([generateIdentityKeys(), generateIdentityKeys()]);
    const box = mailboxId(bob.signing.publicKey);
    const realNow = Date.now.bind(Date);
    const ahead = vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 240_000);
    const env = await seal(new TextEncoder().encode('early'), { recipients: [bob.x25519], sender: alice.signing });
    ahead.mockRestore();
    const guard = new NatsKvReplayGuard({ connection: await nc(), bucket: bucket() });
    const outcomes: string[] = [];
    for (let copy = 0; copy < 2; copy++) {
      const t = new MemoryTransport();
      await t.send(box, env);
      await receiveEnvelopes(t, box, {
        keys: [bob.x25519],
        trustedSenders: [alice.signing.publicKey],
        replayGuard: guard,
        handler: () => void outcomes.push('processed'),
        onRejected: (r) => void outcomes.push(r.error.code),
        untilEmpty: true,
      });
    }
    expect(outcomes).toEqual(['processed', 'ERR_REPLAY_DETECTED']);
    // Past the skew the envelope layer refuses it anyway; the guard still refuses a keepUntil
    // further out than its TTL covers.
    const window = DEFAULT_REPLAY_WINDOW_SECONDS * 1000;
    await expect(guard.remember(id(), new Date(Date.now() + window + 200_000))).resolves.toBeUndefined();
    await expect(guard.remember(id(), new Date(Date.now() + window + 3600_000))).rejects.toBeInstanceOf(RangeError);
  });

  it('refuses a bucket in memory', async () => {
    const b = bucket();
    const c = await nc();
    await new Kvm(c).create(b, { storage: 'memory' as never, ttl: 0 });
    const err = await new NatsKvReplayGuard({ connection: c, bucket: b }).has(id()).catch((e: unknown) => e);
    expect(isLintasError(err, 'ERR_NATS_UNSAFE_CONFIG')).toBe(true);
    await (await jetstreamManager(c)).streams.delete(`KV_${b}`);
  });

  it('refuses a replay in receiveEnvelopes across two receivers', async () => {
    const [alice, bob] = await Promise.all([generateIdentityKeys(), generateIdentityKeys()]);
    const box = mailboxId(bob.signing.publicKey);
    const b = bucket();
    const env = await seal(new TextEncoder().encode('once'), { recipients: [bob.x25519], sender: alice.signing });
    const outcomes: string[] = [];
    for (let receiver = 0; receiver < 2; receiver++) {
      const t = new MemoryTransport();
      await t.send(box, env);
      await receiveEnvelopes(t, box, {
        keys: [bob.x25519],
        trustedSenders: [alice.signing.publicKey],
        replayGuard: new NatsKvReplayGuard({ connection: await nc(), bucket: b }),
        handler: () => void outcomes.push('processed'),
        onRejected: (r) => void outcomes.push(r.error.code),
        untilEmpty: true,
      });
    }
    expect(outcomes).toEqual(['processed', 'ERR_REPLAY_DETECTED']);
  });

  it('asks again when the server misses the timeout of a read or a reservation, but not endlessly, and never for a claim', async () => {
    // A connection whose answers to chosen subjects are lost: `lose(n, prefix, landed)` makes the
    // next n requests to subjects starting with prefix throw the client's TimeoutError, after
    // sending them (landed: the server applied it, only the answer was lost) or not.
    const real = await nc();
    let losses: { left: number; prefix: string; landed: boolean } = { left: 0, prefix: '', landed: false };
    const lose = (left: number, prefix: string, landed = false): void => void (losses = { left, prefix, landed });
    const timeout = (): Error => Object.assign(new Error('timeout'), { name: 'TimeoutError' });
    const connection = new Proxy(real, {
      get(target, prop, receiver) {
        if (prop !== 'request') return Reflect.get(target, prop, receiver);
        return async (subject: string, ...rest: unknown[]) => {
          if (losses.left > 0 && subject.startsWith(losses.prefix)) {
            losses.left--;
            if (losses.landed) await (target.request as (...a: unknown[]) => Promise<unknown>).call(target, subject, ...rest);
            throw timeout();
          }
          return (target.request as (...a: unknown[]) => Promise<unknown>).call(target, subject, ...rest);
        };
      },
    });
    const b = bucket();
    const guard = new NatsKvReplayGuard({ connection, bucket: b });
    const a = id();
    await guard.remember(id(), soon()); // opens the bucket
    lose(2, '$JS.API.DIRECT.GET');
    expect(await guard.has(a)).toBe(false);
    lose(3, '$JS.API.DIRECT.GET');
    await expect(guard.has(a)).rejects.toMatchObject({ code: 'ERR_TRANSPORT_UNAVAILABLE' });
    // A reservation whose write landed but whose answer was lost is still this token's.
    lose(1, `$KV.${b}.`, true);
    expect(await guard.reserve(a, 'tok-1', 5000)).toBe('new');
    const other = new NatsKvReplayGuard({ connection: await nc(), bucket: b });
    expect(await other.reserve(a, 'tok-2', 5000)).toBe('busy');
    // Remembering is asked again, whether the write landed or not.
    lose(1, `$KV.${b}.`, true);
    await guard.remember(a, soon());
    expect(await other.has(a)).toBe(true);
    const d = id();
    lose(2, `$KV.${b}.`);
    await guard.remember(d, soon());
    expect(await other.has(d)).toBe(true);
    lose(3, `$KV.${b}.`);
    await expect(guard.remember(id(), soon())).rejects.toMatchObject({ code: 'ERR_TRANSPORT_UNAVAILABLE' });
    // A claim is not sent twice: whether the first landed cannot be told (here it did).
    const c = id();
    lose(1, `$KV.${b}.`, true);
    await expect(guard.claim(c, soon())).rejects.toMatchObject({ code: 'ERR_TRANSPORT_UNAVAILABLE' });
    expect(await other.has(c)).toBe(true);
    expect(await guard.claim(c, soon())).toBe(false);
  });

  it('validates its options', async () => {
    expect(() => new NatsKvReplayGuard({} as never)).toThrow(TypeError);
    const connection = await nc();
    expect(() => new NatsKvReplayGuard({ connection, bucket: 'a.b' })).toThrow(RangeError);
    expect(() => new NatsKvReplayGuard({ connection, ttlSeconds: 0 })).toThrow(RangeError);
  });
});
