/**
 * RedisReplayGuard against a real redis-server (issue 15, item 3): shared by several clients,
 * keyed by the replay key, forgotten by Redis itself after the replay window and clock margin.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type RedisClientType } from 'redis';
import { randomBytes } from 'node:crypto';
import { generateIdentityKeys, mailboxId, MemoryTransport, receiveEnvelopes, REPLAY_CLOCK_MARGIN_SECONDS, seal } from '../../src/index.js';
import { RedisReplayGuard } from '../../src/node.js';
import { startRedisServer, type TestRedisServer } from './redis-server.js';
import { hasRedisServer } from '../setup/gaps.js';
import { replayGuardConformance, reservingGuardConformance } from './replay-guard-conformance.js';

let server: TestRedisServer;
const clients: RedisClientType[] = [];
const withRedis = hasRedisServer(import.meta.url);

beforeAll(async () => {
  if (withRedis) server = await startRedisServer();
});
afterAll(async () => {
  for (const c of clients) if (c.isOpen) await c.close();
  await server?.stop();
});

async function connect(): Promise<RedisClientType> {
  const client: RedisClientType = createClient({ url: server.url });
  client.on('error', () => {});
  await client.connect();
  clients.push(client);
  return client;
}
const id = (): Uint8Array => new Uint8Array(randomBytes(16));

// Skipped (and named at the end of the run) only where redis-server cannot be installed: test/setup/services.ts.
describe.skipIf(!withRedis)('RedisReplayGuard on a private redis-server', () => {
  const factory = {
    store: async () => {
      const keyPrefix = `test:${randomBytes(4).toString('hex')}:`;
      return { open: async () => new RedisReplayGuard({ client: await connect(), keyPrefix }) };
    },
  };
  replayGuardConformance(factory);
  reservingGuardConformance(factory);

  it('keeps one prefix per receiving identity', async () => {
    const prefix = `test:${randomBytes(4).toString('hex')}:`;
    const a = new RedisReplayGuard({ client: await connect(), keyPrefix: prefix });
    const other = new RedisReplayGuard({ client: await connect(), keyPrefix: `${prefix}other:` });
    const x = id();
    await a.remember(x);
    expect(await other.has(x)).toBe(false);
    expect(await other.reserve(x, 'token', 60_000)).toBe('new');
  });

  it('reserves with a PX expiry (Redis ends a dead holder\'s hold) and remembers over a reservation without one', async () => {
    const client = await connect();
    const prefix = `test:${randomBytes(4).toString('hex')}:`;
    const g = new RedisReplayGuard({ client, keyPrefix: prefix });
    const x = id();
    const key = prefix + Buffer.from(x).toString('hex');
    await g.reserve(x, 'token', 60_000);
    expect(await client.sendCommand(['GET', key])).toBe('r:token');
    const ttl = Number(await client.sendCommand(['PTTL', key]));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
    await g.remember(x);
    expect(await client.sendCommand(['GET', key])).toBe('1');
    expect(Number(await client.sendCommand(['PTTL', key]))).toBe(-1); // forever: the hold's expiry is gone
  });

  it('sets the key with NX and an expiry at the end of the window plus the clock margin, or none for forever', async () => {
    const client = await connect();
    const prefix = `test:${randomBytes(4).toString('hex')}:`;
    const g = new RedisReplayGuard({ client, keyPrefix: prefix });
    const x = id();
    const keepUntil = new Date(Date.now() + 3_600_000);
    await g.remember(x, keepUntil);
    const key = prefix + Buffer.from(x).toString('hex');
    expect(Number(await client.sendCommand(['EXPIRETIME', key]))).toBe(Math.ceil(keepUntil.getTime() / 1000) + REPLAY_CLOCK_MARGIN_SECONDS);
    await g.remember(x, new Date(Date.now() + 7_200_000)); // NX: the first expiry stays
    expect(Number(await client.sendCommand(['EXPIRETIME', key]))).toBe(Math.ceil(keepUntil.getTime() / 1000) + REPLAY_CLOCK_MARGIN_SECONDS);
    const y = id();
    await g.remember(y);
    expect(Number(await client.sendCommand(['EXPIRETIME', prefix + Buffer.from(y).toString('hex')]))).toBe(-1);
    // Past the window and the margin, Redis has forgotten it.
    const z = id();
    await g.remember(z, new Date(Date.now() - (REPLAY_CLOCK_MARGIN_SECONDS + 60) * 1000));
    expect(await g.has(z)).toBe(false);
  });

  it('refuses a replay in receiveEnvelopes across two receivers', async () => {
    const [alice, bob] = await Promise.all([generateIdentityKeys(), generateIdentityKeys()]);
    const box = mailboxId(bob.signing.publicKey);
    const prefix = `test:${randomBytes(4).toString('hex')}:`;
    const env = await seal(new TextEncoder().encode('once'), { recipients: [bob.x25519], sender: alice.signing });
    const outcomes: string[] = [];
    for (let receiver = 0; receiver < 2; receiver++) {
      const t = new MemoryTransport();
      await t.send(box, env);
      await receiveEnvelopes(t, box, {
        keys: [bob.x25519],
        trustedSenders: [alice.signing.publicKey],
        replayGuard: new RedisReplayGuard({ client: await connect(), keyPrefix: prefix }),
        handler: () => void outcomes.push('processed'),
        onRejected: (r) => void outcomes.push(r.error.code),
        untilEmpty: true,
      });
    }
    expect(outcomes).toEqual(['processed', 'ERR_REPLAY_DETECTED']);
  });

  it('validates its options', () => {
    expect(() => new RedisReplayGuard({} as never)).toThrow(TypeError);
    expect(() => new RedisReplayGuard({ client: { sendCommand: async () => null }, keyPrefix: '' })).toThrow(TypeError);
  });
});
