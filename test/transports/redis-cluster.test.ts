/**
 * The Redis Streams transport on a real three-master Redis Cluster started by the test, through
 * `redisClusterClient` (docs/TRANSPORTS.md 3.4, "Cluster and Sentinel").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCluster } from 'redis';
import { envelopeBytes } from '../../src/index.js';
import { RedisStreamsTransport, redisClusterClient, type RedisClusterLike } from '../../src/node.js';
import { randomMailbox, runTransportConformance } from './conformance.js';
import { startRedisCluster, type TestRedisCluster } from './redis-server.js';
import { hasRedisServer } from '../setup/gaps.js';

const LEASE_MS = 1000;
const MAX_BYTES = 16 * 1024 * 1024;

describe.skipIf(!hasRedisServer(import.meta.url))('Redis Streams on a three-master Redis Cluster', () => {
  let cluster: TestRedisCluster;

  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  async function connectCluster() {
    const client = createCluster({ rootNodes: cluster.nodes.map((n) => ({ url: `redis://${n}` })) });
    client.on('error', () => {});
    await client.connect();
    return client;
  }

  runTransportConformance('Redis Streams (cluster)', async () => {
    const clients: Awaited<ReturnType<typeof connectCluster>>[] = [];
    const keyPrefix = `test:${randomMailbox().slice(0, 8)}:`;
    return {
      connect: async () => {
        const client = await connectCluster();
        clients.push(client);
        return new RedisStreamsTransport({ client: redisClusterClient(client), keyPrefix, leaseMs: LEASE_MS, pollIntervalMs: 20, maxEnvelopeBytes: MAX_BYTES });
      },
      dispose: async () => {
        for (const c of clients) await c.close();
      },
      ordering: 'fifo',
      leaseMs: LEASE_MS,
      maxEnvelopeBytes: MAX_BYTES,
    };
  });

  it('reaches mailboxes on every master (no MOVED), with per-sender streams read together', async () => {
    const client = await connectCluster();
    const typed: RedisClusterLike = client; // node-redis's cluster client fits the structural type
    const sender = new RedisStreamsTransport({ client: redisClusterClient(typed), sender: 'carol' });
    const shared = new RedisStreamsTransport({ client: redisClusterClient(client) });
    const mailboxes = Array.from({ length: 12 }, () => randomMailbox());
    for (const m of mailboxes) {
      await sender.send(m, new TextEncoder().encode(`carol to ${m}`));
      await shared.send(m, new TextEncoder().encode(`shared to ${m}`));
    }
    // The 12 mailboxes land on more than one master.
    const owners = new Set<string>();
    for (const m of mailboxes) owners.add(String(await (await client.getNodeClientForKey(`lintas:mailbox:{${m}}`)).sendCommand(['CLUSTER', 'MYID'])));
    expect(owners.size).toBeGreaterThan(1);
    const receiver = new RedisStreamsTransport({ client: redisClusterClient(client), senders: ['carol'], pollIntervalMs: 20 });
    for (const m of mailboxes) {
      const got: string[] = [];
      for await (const d of receiver.receive(m, { untilEmpty: true })) {
        got.push(new TextDecoder().decode(await envelopeBytes(d.envelope)));
        await d.ack();
      }
      expect(got.sort()).toEqual([`carol to ${m}`, `shared to ${m}`]);
    }
    for (const t of [sender, shared, receiver]) await t.close();
    await client.close();
  });

  it('checks durability on the node that holds the mailbox', async () => {
    const client = await connectCluster();
    const m = randomMailbox();
    const node = await client.getNodeClientForKey(`lintas:mailbox:{${m}}`);
    await node.sendCommand(['CONFIG', 'SET', 'appendfsync', 'everysec']);
    try {
      const t = new RedisStreamsTransport({ client: redisClusterClient(client) });
      await expect(t.send(m, new Uint8Array([1]))).rejects.toMatchObject({ code: 'ERR_REDIS_UNSAFE_CONFIG' });
      await t.close();
    } finally {
      await node.sendCommand(['CONFIG', 'SET', 'appendfsync', 'always']);
    }
    await client.close();
  });
});
