/**
 * The two-agency deployment of docs/TRANSPORTS.md 3.6 ("Two agencies linked by a leaf node"), on
 * real nats-servers, with the documented TLS on the leaf link: POLRI's hub exports only its
 * mailbox subjects and its stream's INFO to an account that BIN's leaf node binds to; a BIN
 * sender stores envelopes in POLRI's stream through the link (the PubAck comes from POLRI's
 * JetStream), and sees nothing else of POLRI. Each side checks the other's certificate against
 * the CA it was told to trust (certificates made at test time with openssl): BIN's leaf node
 * refuses a hub impostor whose certificate another CA signed (a man in the middle), and POLRI's
 * hub refuses a leaf node whose client certificate BIN's CA did not sign.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { envelopeBytes, isLintasError } from '../../src/index.js';
import { NatsJetStreamTransport } from '../../src/node.js';
import { freePort } from './redis-server.js';
import { randomMailbox } from './conformance.js';
import { startNatsServer, type TestNatsServer } from './nats-server.js';
import { hasOpenssl, issueCert, makeCa, type TestCa, type TestCert } from './test-ca.js';
import { hasNatsServer } from '../setup/gaps.js';

const withNats = hasNatsServer(import.meta.url);
let dir: string;
let hub: TestNatsServer;
let leaf: TestNatsServer;
const servers: TestNatsServer[] = [];
const connections: NatsConnection[] = [];
const LINK_PASSWORD = 'link-pw-5e1f';

/** POLRI's accounts (docs/TRANSPORTS.md 3.6): the LINTAS account exports to FROM_BIN only what BIN may use. */
const HUB_ACCOUNTS = `accounts {
  LINTAS: { jetstream: enabled, users: [ { user: polri, password: pw } ],
    exports: [ { service: "polri.mailbox.*" }, { service: "$JS.API.STREAM.INFO.LINTAS" } ] }
  FROM_BIN: { users: [ { user: bin-link, password: "${LINK_PASSWORD}" } ],
    imports: [ { service: { account: LINTAS, subject: "polri.mailbox.*" } },
               { service: { account: LINTAS, subject: "$JS.API.STREAM.INFO.LINTAS" }, to: "polri.jsapi.STREAM.INFO.LINTAS" } ] }
}`;

/** A POLRI hub: its leaf-node port requires TLS and a client certificate signed by `clientCa`. */
async function startHub(name: string, cert: TestCert, clientCa: string, leafPort: number, monitorPort: number): Promise<TestNatsServer> {
  const server = await startNatsServer(
    `${HUB_ACCOUNTS}
    http: 127.0.0.1:${monitorPort}
    leafnodes { listen: 127.0.0.1:${leafPort}, tls { cert_file: "${cert.cert}", key_file: "${cert.key}", ca_file: "${clientCa}", verify: true } }`,
    { domain: 'polri', name },
  );
  servers.push(server);
  return server;
}

/** A BIN server whose leaf node links to the hub at `hubLeafPort`, trusting only `hubCa`, presenting `cert`. */
async function startLeaf(name: string, cert: TestCert, hubCa: string, hubLeafPort: number): Promise<TestNatsServer> {
  const server = await startNatsServer(
    `accounts {
      LINTAS: { jetstream: enabled, users: [ { user: bin, password: pw } ] }
      TO_POLRI: { users: [ { user: bin-sender, password: pw, permissions: {
        publish: { allow: ["polri.mailbox.*", "polri.jsapi.STREAM.INFO.LINTAS"] }, subscribe: { allow: ["_INBOX_bin.>"] } } } ] }
    }
    leafnodes { remotes: [ { url: "tls://bin-link:${LINK_PASSWORD}@127.0.0.1:${hubLeafPort}", account: TO_POLRI,
      tls { cert_file: "${cert.cert}", key_file: "${cert.key}", ca_file: "${hubCa}" } } ] }`,
    { domain: 'bin', name },
  );
  servers.push(server);
  return server;
}

/** Resolves with the first line of a server's log matching `pattern`; rejects after 30 s. */
async function logLine(server: TestNatsServer, pattern: RegExp): Promise<string> {
  for (let i = 0; i < 300; i++) {
    const line = server.log().split('\n').find((l) => pattern.test(l));
    if (line !== undefined) return line;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the server logged no line matching ${pattern}:\n${server.log().slice(-4000)}`);
}

/** The leaf-node connections a hub has now (its monitoring endpoint, /leafz). */
async function leafConnections(monitorPort: number): Promise<number> {
  const leafz = (await (await fetch(`http://127.0.0.1:${monitorPort}/leafz`)).json()) as { leafnodes: number };
  return leafz.leafnodes;
}

let polriCa: string;
let binCa: string;
let binAuthority: TestCa;
let rogue: { server: TestCert; client: TestCert };
let hubLeafPort: number;
let hubMonitor: number;

beforeAll(async () => {
  if (!withNats) return;
  // .ci/run installs openssl; without it this suite cannot make certificates.
  expect(hasOpenssl()).toBe(true);
  dir = await mkdtemp(join(tmpdir(), 'lintas-nats-leaf-tls-'));
  const polri = makeCa(dir, 'polri');
  binAuthority = makeCa(dir, 'bin');
  // The attacker's CA signs certificates with the same names as the genuine ones.
  const rogueCa = makeCa(dir, 'rogue');
  [polriCa, binCa] = [polri.cert, binAuthority.cert];
  rogue = { server: await issueCert(rogueCa, 'polri-hub'), client: await issueCert(rogueCa, 'bin-hub') };
  [hubLeafPort, hubMonitor] = await Promise.all([freePort(), freePort()]);
  hub = await startHub('polri-hub', await issueCert(polri, 'polri-hub'), binCa, hubLeafPort, hubMonitor);
  leaf = await startLeaf('bin-hub', await issueCert(binAuthority, 'bin-hub'), polriCa, hubLeafPort);
});
afterAll(async () => {
  for (const c of connections) await c.close();
  for (const s of servers.reverse()) await s.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function as(server: TestNatsServer, user: string, inboxPrefix?: string): Promise<NatsConnection> {
  const c = await connect({ servers: server.url, user, pass: 'pw', ...(inboxPrefix ? { inboxPrefix } : {}) });
  connections.push(c);
  return c;
}

// Skipped (and named at the end of the run) only where nats-server cannot be installed: test/setup/services.ts.
describe.skipIf(!withNats)('NATS: two agencies linked by a leaf node over TLS', () => {
  it("a BIN sender on BIN's server stores envelopes in POLRI's stream through the TLS leaf link, and reaches nothing else", async () => {
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
    // The link is the TLS one, checked both ways.
    expect(await logLine(leaf, /Leafnode connection created/)).toBeTruthy();
    expect(await leafConnections(hubMonitor)).toBe(1);
    const leafz = (await (await fetch(`http://127.0.0.1:${hubMonitor}/leafz`)).json()) as { leafs: { account: string }[] };
    expect(leafz.leafs.map((l) => l.account)).toEqual(['FROM_BIN']);
    // Through the link BIN cannot read POLRI's mailboxes or manage its stream.
    const err = await sender.receive(mailbox, { untilEmpty: true })[Symbol.asyncIterator]().next().catch((e: unknown) => e);
    expect(isLintasError(err, 'ERR_NATS_PERMISSION_DENIED')).toBe(true);
    const jsm = await jetstreamManager(await as(leaf, 'bin-sender', '_INBOX_bin'), { checkAPI: false, timeout: 2000, apiPrefix: 'polri.jsapi' });
    const purge = await jsm.streams.purge('LINTAS').then(() => 'purged', (e: Error) => e.message);
    expect(purge).toMatch(/permission/i);
    await Promise.all([polri.close(), sender.close()]);
  });

  it('a man in the middle: BIN\'s leaf node refuses a hub whose certificate POLRI\'s CA did not sign, and sends it nothing', async () => {
    const [impostorLeafPort, impostorMonitor] = await Promise.all([freePort(), freePort()]);
    // The impostor takes any client certificate (its CA is BIN's, as the real hub's): only the leaf's check can stop the link.
    await startHub('impostor', rogue.server, binCa, impostorLeafPort, impostorMonitor);
    const fooled = await startLeaf('bin-mitm', await issueCert(binAuthority, 'bin-mitm'), polriCa, impostorLeafPort);
    expect(await logLine(fooled, /certificate signed by unknown authority/)).toMatch(/TLS/i);
    expect(await leafConnections(impostorMonitor)).toBe(0);
    // A sender on the fooled leaf reaches no POLRI stream.
    const sender = new NatsJetStreamTransport({ connection: await as(fooled, 'bin-sender', '_INBOX_bin'), subjectPrefix: 'polri', apiPrefix: 'polri.jsapi', createStream: false, createConsumers: false, publishTimeoutMs: 1000, requestTimeoutMs: 500 });
    const err = await sender.send(randomMailbox(), new Uint8Array([1])).catch((e: unknown) => e);
    expect(isLintasError(err, 'ERR_TRANSPORT_UNAVAILABLE')).toBe(true);
    await sender.close();
  });

  it("POLRI's hub refuses a leaf node whose client certificate BIN's CA did not sign", async () => {
    // The right password and POLRI's CA trusted, but a certificate from another CA.
    await startLeaf('bin-rogue', rogue.client, polriCa, hubLeafPort);
    // With TLS 1.3 the leaf finishes its side of the handshake before the hub checks the client
    // certificate, so the hub's log tells. The hub names the CAs it accepts (BIN's): Go's TLS
    // client then offers no certificate at all rather than the rogue one.
    expect(await logLine(hub, /TLS leafnode handshake error: .*(client didn't provide a certificate|unknown authority)/)).toBeTruthy();
    expect(await leafConnections(hubMonitor)).toBe(1); // only the genuine leaf of the first test
  });
});
