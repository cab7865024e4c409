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

const { values: args } = parseArgs({ options: { cluster: { type: 'boolean' }, backlog: { type: 'string', multiple: true } } });
const backlogs = (args.backlog ?? ['1000', '10000']).map(Number);
const envelope = new Uint8Array(1024).fill(7);

async function run(label: string, client: RedisCommandClient): Promise<void> {
  for (const backlog of backlogs) {
    for (const [batchSize, pipelined] of [[1, false], [32, false], [32, true]] as const) {
      const mailbox = Array.from({ length: 64 }, () => '0123456789abcdef'[Math.floor(Math.random() * 16)]).join('');
      // maxEnvelopeBytes to match the 1 KiB envelopes: at the default 64 MiB, maxBatchBytes
      // would cut a batch to 4 (docs/TRANSPORTS.md 3.4).
      const t = new RedisStreamsTransport({ client, batchSize, maxEnvelopeBytes: 64 * 1024, pollIntervalMs: 20 });
      const senders = Array.from({ length: 16 }, async (_, w) => {
        for (let i = w; i < backlog; i += 16) await t.send(mailbox, envelope);
      });
      await Promise.all(senders);
      const start = process.hrtime.bigint();
      let n = 0;
      const acks: Promise<void>[] = [];
      for await (const d of t.receive(mailbox, { untilEmpty: true })) {
        if (pipelined) acks.push(d.ack());
        else await d.ack();
        n++;
        if (acks.length >= 256) await Promise.all(acks.splice(0));
      }
      await Promise.all(acks);
      const s = Number(process.hrtime.bigint() - start) / 1e9;
      if (n !== backlog) throw new Error(`drained ${n} of ${backlog}`);
      console.log(`redis drain (${label}): backlog ${backlog.toLocaleString('en')}, batchSize ${batchSize}${pipelined ? ', acks pipelined' : ''}: ${Math.round(n / s).toLocaleString('en')} envelopes/s received and acked (${s.toFixed(2)} s)`);
      await t.close();
    }
  }
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
