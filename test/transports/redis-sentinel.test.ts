/**
 * The Redis Streams transport through a real Redis Sentinel and `redisSentinelClient`
 * (docs/TRANSPORTS.md 3.4, "Cluster and Sentinel"): commands reach the master Sentinel names,
 * durability is checked on it, and WAIT counts its replica.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, createSentinel } from 'redis';
import { envelopeBytes } from '../../src/index.js';
import { RedisStreamsTransport, redisSentinelClient, type RedisSentinelLike } from '../../src/node.js';
import { randomMailbox } from './conformance.js';
import { startRedisSentinel, startRedisServer, type TestRedisServer } from './redis-server.js';
import { hasRedisServer } from '../setup/gaps.js';

describe.skipIf(!hasRedisServer(import.meta.url))('Redis Streams through Redis Sentinel', () => {
  let master: TestRedisServer;
  let replica: TestRedisServer;
  let sentinel: TestRedisServer;

  beforeAll(async () => {
    master = await startRedisServer(['--repl-diskless-sync-delay', '0']);
    const masterPort = Number(new URL(master.url).port);
    replica = await startRedisServer(['--replicaof', '127.0.0.1', String(masterPort)]);
    const r = createClient({ url: replica.url });
    await r.connect();
    for (let i = 0; i < 200 && !/master_link_status:up/.test(String(await r.sendCommand(['INFO', 'replication']))); i++) await new Promise((res) => setTimeout(res, 50));
    await r.close();
    sentinel = await startRedisSentinel(masterPort);
  }, 60_000);
  afterAll(async () => {
    await sentinel?.stop();
    await replica?.stop();
    await master?.stop();
  });

  it('sends (waiting for the replica) and receives through the master Sentinel names', async () => {
    const { hostname, port } = new URL(sentinel.url);
    const client = createSentinel({ name: 'mymaster', sentinelRootNodes: [{ host: hostname, port: Number(port) }] });
    client.on('error', () => {});
    await client.connect();
    const typed: RedisSentinelLike = client; // node-redis's sentinel client fits the structural type
    const mailbox = randomMailbox();
    const sender = new RedisStreamsTransport({ client: redisSentinelClient(typed), sender: 'carol', waitForReplicas: { replicas: 1, timeoutMs: 10_000 } });
    await sender.send(mailbox, new TextEncoder().encode('via sentinel'));
    const onReplica = createClient({ url: replica.url });
    await onReplica.connect();
    expect(await onReplica.sendCommand(['XLEN', `lintas:mailbox:{${mailbox}}:from:carol`])).toBe(1);
    await onReplica.close();
    const receiver = new RedisStreamsTransport({ client: redisSentinelClient(client), senders: ['carol'], pollIntervalMs: 20 });
    const got: string[] = [];
    for await (const d of receiver.receive(mailbox, { untilEmpty: true })) {
      got.push(new TextDecoder().decode(await envelopeBytes(d.envelope)));
      await d.ack();
    }
    expect(got).toEqual(['via sentinel']);
    await sender.close();
    await receiver.close();
    await client.close();
  });
});
