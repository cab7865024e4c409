/**
 * The Redis transport refuses servers that lose acknowledged envelopes (docs/TRANSPORTS.md 3.4,
 * "Persistence and eviction") unless the app names the risk, and can wait for replicas.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from 'redis';
import { RedisStreamsTransport } from '../../src/node.js';
import { randomMailbox } from './conformance.js';
import { startRedisServer, type TestRedisServer } from './redis-server.js';
import { hasRedisServer } from '../setup/gaps.js';

async function connect(url: string) {
  const client = createClient({ url });
  client.on('error', () => {});
  await client.connect();
  return client;
}

describe.skipIf(!hasRedisServer(import.meta.url))('Redis: persistence, eviction and WAIT', () => {
  let server: TestRedisServer;
  let admin: Awaited<ReturnType<typeof connect>>;

  beforeAll(async () => {
    server = await startRedisServer();
    admin = await connect(server.url);
  });
  afterEach(async () => {
    // Back to the settings the transport requires.
    await admin.sendCommand(['CONFIG', 'SET', 'appendonly', 'yes', 'appendfsync', 'always', 'maxmemory-policy', 'noeviction', 'maxmemory', '0']);
  });
  afterAll(async () => {
    await admin?.close();
    await server?.stop();
  });

  const cases = [
    { setting: ['appendonly', 'no'], risk: 'loss-on-restart' },
    { setting: ['appendfsync', 'everysec'], risk: 'loss-on-power-failure' },
    { setting: ['appendfsync', 'no'], risk: 'loss-on-power-failure' },
    { setting: ['maxmemory-policy', 'allkeys-lru'], risk: 'loss-on-eviction' },
    { setting: ['maxmemory-policy', 'volatile-lru'], risk: 'loss-on-eviction' },
  ] as const;

  for (const { setting, risk } of cases) {
    it(`refuses to send or receive with ${setting.join(' ')} unless '${risk}' is accepted`, async () => {
      await admin.sendCommand(['CONFIG', 'SET', ...setting]);
      const mailbox = randomMailbox();
      const refused = new RedisStreamsTransport({ client: admin });
      await expect(refused.send(mailbox, new Uint8Array([1]))).rejects.toMatchObject({ code: 'ERR_REDIS_UNSAFE_CONFIG' });
      await expect(refused.receive(mailbox, { untilEmpty: true })[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: 'ERR_REDIS_UNSAFE_CONFIG' });
      expect(await admin.sendCommand(['EXISTS', `lintas:mailbox:{${mailbox}}`])).toBe(0);
      // Accepting one risk does not accept another.
      const other = new RedisStreamsTransport({ client: admin, acceptRisks: ['loss-on-restart', 'loss-on-power-failure', 'loss-on-eviction'].filter((r) => r !== risk) as never });
      await expect(other.send(mailbox, new Uint8Array([1]))).rejects.toMatchObject({ code: 'ERR_REDIS_UNSAFE_CONFIG' });
      const accepted = new RedisStreamsTransport({ client: admin, acceptRisks: [risk] });
      await accepted.send(mailbox, new Uint8Array([1]));
      expect(await admin.sendCommand(['XLEN', `lintas:mailbox:{${mailbox}}`])).toBe(1);
      // A refusal is not remembered: once the operator fixes the server, the same transport works.
      await admin.sendCommand(['CONFIG', 'SET', 'appendonly', 'yes', 'appendfsync', 'always', 'maxmemory-policy', 'noeviction']);
      await refused.send(mailbox, new Uint8Array([2]));
      expect(await admin.sendCommand(['XLEN', `lintas:mailbox:{${mailbox}}`])).toBe(2);
      for (const t of [refused, other, accepted]) await t.close();
    });
  }

  it('shows why: allkeys-lru evicts an envelope that send had acknowledged', async () => {
    await admin.sendCommand(['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru']);
    const mailbox = randomMailbox();
    const t = new RedisStreamsTransport({ client: admin, acceptRisks: ['loss-on-eviction'] });
    await t.send(mailbox, new Uint8Array(64 * 1024));
    const used = Number(/used_memory:(\d+)/.exec(String(await admin.sendCommand(['INFO', 'memory'])))![1]);
    await admin.sendCommand(['CONFIG', 'SET', 'maxmemory', String(used + 512 * 1024)]);
    for (let i = 0; i < 64; i++) await admin.sendCommand(['SET', `filler:${mailbox}:${i}`, 'x'.repeat(64 * 1024)]);
    expect(await admin.sendCommand(['EXISTS', `lintas:mailbox:{${mailbox}}`])).toBe(0);
    await admin.sendCommand(['CONFIG', 'SET', 'maxmemory', '0']);
    await t.close();
  });

  it('validates the risk names and the WAIT option', () => {
    expect(() => new RedisStreamsTransport({ client: admin, acceptRisks: ['loss-of-nothing' as never] })).toThrow(RangeError);
    expect(() => new RedisStreamsTransport({ client: admin, waitForReplicas: { replicas: 1 } as never })).toThrow(TypeError);
    expect(() => new RedisStreamsTransport({ client: admin, waitForReplicas: { replicas: 0, timeoutMs: 100 } })).toThrow(RangeError);
    expect(() => new RedisStreamsTransport({ client: admin, waitForReplicas: { replicas: 1, timeoutMs: 0 } })).toThrow(RangeError);
  });

  it('waitForReplicas: send fails with ERR_REDIS_NOT_REPLICATED when no replica confirms, and resolves once one has it', async () => {
    const mailbox = randomMailbox();
    const key = `lintas:mailbox:{${mailbox}}`;
    const t = new RedisStreamsTransport({ client: admin, waitForReplicas: { replicas: 1, timeoutMs: 200 } });
    await expect(t.send(mailbox, new Uint8Array([1]))).rejects.toMatchObject({ code: 'ERR_REDIS_NOT_REPLICATED' });
    const port = new URL(server.url).port;
    await admin.sendCommand(['CONFIG', 'SET', 'repl-diskless-sync-delay', '0']);
    const replica = await startRedisServer(['--replicaof', '127.0.0.1', port]);
    const replicaClient = await connect(replica.url);
    try {
      // Wait until the replica is in sync, then a send resolves only after it has the envelope.
      for (let i = 0; i < 200 && !/master_link_status:up/.test(String(await replicaClient.sendCommand(['INFO', 'replication']))); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const waiting = new RedisStreamsTransport({ client: admin, waitForReplicas: { replicas: 1, timeoutMs: 10_000 } });
      await waiting.send(mailbox, new Uint8Array([2]));
      expect(await replicaClient.sendCommand(['XLEN', key])).toBe(2);
      await waiting.close();
    } finally {
      await replicaClient.close();
      await replica.stop();
    }
    await t.close();
  });
});
