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
import { drainBacklogs } from './backlog-drain.js';

const { values: args } = parseArgs({ options: { backlog: { type: 'string', multiple: true } } });
const backlogs = (args.backlog ?? ['1000', '10000']).map(Number);
const envelope = new Uint8Array(1024).fill(7);

const server = await startNatsServer();
const nc = await connect({ servers: server.url });
try {
  await drainBacklogs('nats drain (one server)', backlogs, envelope, (batchSize) => new NatsJetStreamTransport({ connection: nc, batchSize, pollIntervalMs: 200 }));
} finally {
  await nc.close();
  await server.stop();
}
