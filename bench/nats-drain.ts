/**
 * Drain rate of the NATS JetStream transport (docs/TRANSPORTS.md 3.6, issue 15): a mailbox with a
 * backlog of 1k, 10k and 50k envelopes (1 KiB each) is received and acked by one receiver, with
 * pulls of one envelope at a time (`batchSize: 1`) and in batches (the default, 32), each ack
 * awaited before the next delivery, and (last line per backlog) batches with acks not awaited
 * one by one: `ack()` waits for the server's confirmation, so these overlap up to 256 at a time.
 *
 *   npx tsx bench/nats-drain.ts                          1k and 10k, on a private nats-server
 *   npx tsx bench/nats-drain.ts --backlog 50000
 *
 * The server is a private nats-server (test/transports/nats-server.ts) with the stream the
 * transport creates: file storage, workqueue retention, one replica, so every ack removes the
 * envelope from the file store. Prints one line per run; no assertion.
 */
import { parseArgs } from 'node:util';
import { connect } from '@nats-io/transport-node';
import { NatsJetStreamTransport } from '../src/node.js';
import { startNatsServer } from '../test/transports/nats-server.js';

const { values: args } = parseArgs({ options: { backlog: { type: 'string', multiple: true } } });
const backlogs = (args.backlog ?? ['1000', '10000']).map(Number);
const envelope = new Uint8Array(1024).fill(7);

const server = await startNatsServer();
const nc = await connect({ servers: server.url });
try {
  for (const backlog of backlogs) {
    for (const [batchSize, pipelined] of [[1, false], [32, false], [32, true]] as const) {
      const mailbox = Array.from({ length: 64 }, () => '0123456789abcdef'[Math.floor(Math.random() * 16)]).join('');
      const t = new NatsJetStreamTransport({ connection: nc, batchSize, pollIntervalMs: 200 });
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
      console.log(`nats drain (one server): backlog ${backlog.toLocaleString('en')}, batchSize ${batchSize}${pipelined ? ', acks pipelined' : ''}: ${Math.round(n / s).toLocaleString('en')} envelopes/s received and acked (${s.toFixed(2)} s)`);
      await t.close();
    }
  }
} finally {
  await nc.close();
  await server.stop();
}
