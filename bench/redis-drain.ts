/**
 * Drain rate of the Redis Streams transport (issue 15, item 11): a mailbox with a backlog of
 * 1k and 10k envelopes (1 KiB each) is received and acked by one receiver, with reads of one
 * entry at a time (`batchSize: 1`, the old behaviour) and in batches (the default, 32), each
 * ack awaited before the next delivery, and (last line per backlog) batches with acks not
 * awaited one by one: node-redis pipelines them, and Redis fsyncs once per event-loop round.
 *
 *   npx tsx bench/redis-drain.ts                 1k and 10k, on a private redis-server
 *   npx tsx bench/redis-drain.ts --cluster       also on a private 3-master Redis Cluster
 *   npx tsx bench/redis-drain.ts --backlog 50000
 *
 * The servers run with the settings the transport requires (AOF, appendfsync always), so every
 * ack (XACK + XDEL) is fsynced. Prints one line per run; no assertion.
 */
import { parseArgs } from 'node:util';
import { createClient, createCluster } from 'redis';
import { RedisStreamsTransport, redisClusterClient, type RedisCommandClient } from '../src/node.js';
import { startRedisCluster, startRedisServer } from '../test/transports/redis-server.js';
import { drainBacklogs } from './backlog-drain.js';

const { values: args } = parseArgs({ options: { cluster: { type: 'boolean' }, backlog: { type: 'string', multiple: true } } });
const backlogs = (args.backlog ?? ['1000', '10000']).map(Number);
const envelope = new Uint8Array(1024).fill(7);

async function run(label: string, client: RedisCommandClient): Promise<void> {
  // maxEnvelopeBytes to match the 1 KiB envelopes: at the default 64 MiB, maxBatchBytes would cut
  // a batch to 4 (docs/TRANSPORTS.md 3.4).
  await drainBacklogs(`redis drain (${label})`, backlogs, envelope, (batchSize) => new RedisStreamsTransport({ client, batchSize, maxEnvelopeBytes: 64 * 1024, pollIntervalMs: 20 }));
}

const server = await startRedisServer();
const single = createClient({ url: server.url });
await single.connect();
try {
  await run('one server', single);
} finally {
  await single.close();
  await server.stop();
}
if (args.cluster) {
  const cluster = await startRedisCluster();
  const client = createCluster({ rootNodes: cluster.nodes.map((n) => ({ url: `redis://${n}` })) });
  await client.connect();
  try {
    await run('3-master cluster', redisClusterClient(client));
  } finally {
    await client.close();
    await cluster.stop();
  }
}
