/**
 * The two-agency deployment of docs/TRANSPORTS.md 3.6 ("Two agencies linked by a leaf node"), on
 * real nats-servers: POLRI's hub exports only its mailbox subjects and its stream's INFO to an
 * account that BIN's leaf node binds to; a BIN sender stores envelopes in POLRI's stream through
 * the link (the PubAck comes from POLRI's JetStream), and sees nothing else of POLRI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { envelopeBytes, isLintasError } from '../../src/index.js';
import { NatsJetStreamTransport } from '../../src/node.js';
import { freePort } from './redis-server.js';
import { randomMailbox } from './conformance.js';
import { startNatsServer, type TestNatsServer } from './nats-server.js';
import { hasNatsServer } from '../setup/gaps.js';

const withNats = hasNatsServer(import.meta.url);
let hub: TestNatsServer;
let leaf: TestNatsServer;
const connections: NatsConnection[] = [];

beforeAll(async () => {
  if (!withNats) return;
  const leafPort = await freePort();
  hub = await startNatsServer(
    `accounts {
      LINTAS: { jetstream: enabled, users: [ { user: polri, password: pw } ],
        exports: [ { service: "polri.mailbox.*" }, { service: "$JS.API.STREAM.INFO.LINTAS" } ] }
      FROM_BIN: { users: [ { user: bin-link, password: linkpw } ],
        imports: [ { service: { account: LINTAS, subject: "polri.mailbox.*" } },
                   { service: { account: LINTAS, subject: "$JS.API.STREAM.INFO.LINTAS" }, to: "polri.jsapi.STREAM.INFO.LINTAS" } ] }
    }
    leafnodes { listen: 127.0.0.1:${leafPort} }`,
    { domain: 'polri', name: 'polri-hub' },
  );
  leaf = await startNatsServer(
    `accounts {
      LINTAS: { jetstream: enabled, users: [ { user: bin, password: pw } ] }
      TO_POLRI: { users: [ { user: bin-sender, password: pw, permissions: {
        publish: { allow: ["polri.mailbox.*", "polri.jsapi.STREAM.INFO.LINTAS"] }, subscribe: { allow: ["_INBOX_bin.>"] } } } ] }
    }
    leafnodes { remotes: [ { url: "nats://bin-link:linkpw@127.0.0.1:${leafPort}", account: TO_POLRI } ] }`,
    { domain: 'bin', name: 'bin-hub' },
  );
});
afterAll(async () => {
  for (const c of connections) await c.close();
  await leaf?.stop();
  await hub?.stop();
});

async function as(server: TestNatsServer, user: string, inboxPrefix?: string): Promise<NatsConnection> {
  const c = await connect({ servers: server.url, user, pass: 'pw', ...(inboxPrefix ? { inboxPrefix } : {}) });
  connections.push(c);
  return c;
}

// Skipped (and named at the end of the run) only where nats-server cannot be installed: test/setup/services.ts.
describe.skipIf(!withNats)('NATS: two agencies linked by a leaf node', () => {
  it("a BIN sender on BIN's server stores envelopes in POLRI's stream through the leaf node, and reaches nothing else", async () => {
    const mailbox = randomMailbox();
    // POLRI's stream, created by POLRI.
    const polri = new NatsJetStreamTransport({ connection: await as(hub, 'polri'), subjectPrefix: 'polri', leaseMs: 2000 });
    const first = polri.receive(mailbox, { untilEmpty: true })[Symbol.asyncIterator]();
    expect((await first.next()).done).toBe(true);
    // The leaf link comes up some time after both servers are ready.
    const sender = new NatsJetStreamTransport({ connection: await as(leaf, 'bin-sender', '_INBOX_bin'), subjectPrefix: 'polri', apiPrefix: 'polri.jsapi', createStream: false, createConsumers: false, publishTimeoutMs: 2000, requestTimeoutMs: 1000 });
    const envelope = new Uint8Array([0xb1, 0x4e]);
    for (let i = 0; ; i++) {
      try {
        await sender.send(mailbox, envelope);
        break;
      } catch (e) {
        if (i > 20) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const got: Uint8Array[] = [];
    for await (const d of polri.receive(mailbox, { untilEmpty: true })) {
      got.push(await envelopeBytes(d.envelope));
      await d.ack();
    }
    expect(got).toEqual([envelope]);
    // Through the link BIN cannot read POLRI's mailboxes or manage its stream.
    const err = await sender.receive(mailbox, { untilEmpty: true })[Symbol.asyncIterator]().next().catch((e: unknown) => e);
    expect(isLintasError(err, 'ERR_NATS_PERMISSION_DENIED')).toBe(true);
    const jsm = await jetstreamManager(await as(leaf, 'bin-sender', '_INBOX_bin'), { checkAPI: false, timeout: 2000, apiPrefix: 'polri.jsapi' });
    const purge = await jsm.streams.purge('LINTAS').then(() => 'purged', (e: Error) => e.message);
    expect(purge).toMatch(/permission/i);
    await Promise.all([polri.close(), sender.close()]);
  });
});
