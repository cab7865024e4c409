/**
 * The permission layout of docs/TRANSPORTS.md 3.6 against a real nats-server: a sender may
 * publish to any mailbox but not read, ack, purge or delete; a receiver may consume only its own
 * mailbox's consumer; nobody can read another user's inbox. Each attack is tried with a raw
 * NATS client authenticated as the attacker and must be refused by the server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, jetstream } from '@nats-io/jetstream';
import { randomBytes } from 'node:crypto';
import { envelopeBytes, isLintasError } from '../../src/index.js';
import { NatsJetStreamTransport } from '../../src/node.js';
import { randomMailbox } from './conformance.js';
import { startNatsServer, type TestNatsServer } from './nats-server.js';
import { hasNatsServer } from '../setup/gaps.js';

const withNats = hasNatsServer(import.meta.url);
const BOB = randomMailbox();
const CAROL = randomMailbox();
const PASSWORD = randomBytes(12).toString('hex');

/** A receiver's permissions: its own consumer, acks and dead letters; sending like any sender. */
function receiver(user: string, mailbox: string): string {
  return `{ user: ${user}, password: "${PASSWORD}", permissions: {
    publish: { allow: ["lintas.mailbox.*", "$JS.API.STREAM.INFO.LINTAS", "lintas.dead.${mailbox}",
      "$JS.API.CONSUMER.INFO.LINTAS.mailbox-${mailbox}", "$JS.API.CONSUMER.MSG.NEXT.LINTAS.mailbox-${mailbox}",
      "$JS.ACK.LINTAS.mailbox-${mailbox}.>"] },
    subscribe: { allow: ["_INBOX_${user}.>"] } } }`;
}

const CONFIG = `authorization { users: [
  { user: admin, password: "${PASSWORD}" },
  { user: alice, password: "${PASSWORD}", permissions: {
    publish: { allow: ["lintas.mailbox.*", "$JS.API.STREAM.INFO.LINTAS"] },
    subscribe: { allow: ["_INBOX_alice.>"] } } },
  ${receiver('bob', BOB)},
  ${receiver('carol', CAROL)}
] }`;

let server: TestNatsServer;
const connections: NatsConnection[] = [];

async function as(user: string): Promise<NatsConnection> {
  const c = await connect({ servers: server.url, user, pass: PASSWORD, ...(user === 'admin' ? {} : { inboxPrefix: `_INBOX_${user}` }) });
  connections.push(c);
  return c;
}

/** The server refused it: a permission violation, never a success or a timeout. */
async function refused(attempt: Promise<unknown>): Promise<void> {
  const err = await attempt.then(
    () => null,
    (e: unknown) => e as Error,
  );
  expect(err, 'the attack succeeded').not.toBeNull();
  expect(`${err!.name} ${err!.message}`).toMatch(/permission/i);
}

/** A core subscription the server refuses: it closes with a permission error. */
async function subscriptionRefused(nc: NatsConnection, subject: string): Promise<void> {
  const sub = nc.subscribe(subject);
  const closed = await Promise.race([sub.closed, new Promise((r) => setTimeout(() => r('still open'), 5000))]);
  expect(closed).toBeInstanceOf(Error);
  expect(String((closed as Error).message)).toMatch(/permission/i);
}

beforeAll(async () => {
  if (!withNats) return;
  server = await startNatsServer(CONFIG);
  // The operator sets up the stream and one consumer per mailbox (docs/TRANSPORTS.md 3.6).
  const admin = await as('admin');
  const t = new NatsJetStreamTransport({ connection: admin, leaseMs: 1000 });
  for (const m of [BOB, CAROL]) {
    const loop = t.receive(m, { untilEmpty: true })[Symbol.asyncIterator]();
    await loop.next(); // creates the stream and the consumer, then ends: the mailbox is empty
  }
  await t.close();
});
afterAll(async () => {
  for (const c of connections) await c.close();
  await server?.stop();
});

// Skipped (and named at the end of the run) only where nats-server cannot be installed: test/setup/services.ts.
describe.skipIf(!withNats)('NATS permissions: senders publish to any mailbox, receivers consume only their own', () => {
  const transport = (nc: NatsConnection): NatsJetStreamTransport => new NatsJetStreamTransport({ connection: nc, createStream: false, createConsumers: false });

  it('lets a sender send to any mailbox and each receiver read and ack only its own', async () => {
    const alice = transport(await as('alice'));
    const forBob = new Uint8Array(randomBytes(100));
    const forCarol = new Uint8Array(randomBytes(100));
    await alice.send(BOB, forBob);
    await alice.send(CAROL, forCarol);
    const bob = transport(await as('bob'));
    const got: Uint8Array[] = [];
    for await (const d of bob.receive(BOB, { untilEmpty: true })) {
      got.push(await envelopeBytes(d.envelope));
      await d.ack();
    }
    expect(got).toEqual([forBob]);
    // Bob cannot read Carol's mailbox through the transport either.
    const err = await bob.receive(CAROL, { untilEmpty: true })[Symbol.asyncIterator]().next().catch((e: unknown) => e);
    expect(isLintasError(err, 'ERR_NATS_PERMISSION_DENIED')).toBe(true);
    const carol = transport(await as('carol'));
    const gotCarol: Uint8Array[] = [];
    for await (const d of carol.receive(CAROL, { untilEmpty: true })) {
      gotCarol.push(await envelopeBytes(d.envelope));
      await d.ack();
    }
    expect(gotCarol).toEqual([forCarol]);
    await Promise.all([alice.close(), bob.close(), carol.close()]);
  });

  it('refuses a sender that tries to read a mailbox through the transport', async () => {
    const alice = transport(await as('alice'));
    const err = await alice.receive(BOB, { untilEmpty: true })[Symbol.asyncIterator]().next().catch((e: unknown) => e);
    expect(isLintasError(err, 'ERR_NATS_PERMISSION_DENIED')).toBe(true);
    await alice.close();
  });

  it('refuses purging the stream, deleting an envelope, deleting the stream or a consumer', async () => {
    for (const user of ['alice', 'bob']) {
      const nc = await as(user);
      const jsm = await jetstreamManager(nc, { checkAPI: false });
      await refused(jsm.streams.purge('LINTAS'));
      await refused(jsm.streams.purge('LINTAS', { filter: `lintas.mailbox.${CAROL}` }));
      await refused(jsm.streams.deleteMessage('LINTAS', 1));
      await refused(jsm.streams.delete('LINTAS'));
      await refused(jsm.consumers.delete('LINTAS', NatsJetStreamTransport.consumerName(CAROL)));
      await refused(jsm.streams.update('LINTAS', { max_age: 1 }));
    }
  });

  it("refuses consuming another mailbox: pulling from its consumer, creating a consumer on it, acking its envelopes, reading it by subject", async () => {
    const alice = transport(await as('alice'));
    await alice.send(CAROL, new Uint8Array([1, 2, 3]));
    for (const user of ['alice', 'bob']) {
      const nc = await as(user);
      const jsm = await jetstreamManager(nc, { checkAPI: false });
      await refused(nc.request(`$JS.API.CONSUMER.MSG.NEXT.LINTAS.${NatsJetStreamTransport.consumerName(CAROL)}`, JSON.stringify({ batch: 1, no_wait: true }), { timeout: 3000 }));
      await refused(jsm.consumers.add('LINTAS', { durable_name: `evil-${user}`, filter_subject: `lintas.mailbox.${CAROL}`, ack_policy: 'explicit' as never }));
      await refused(jsm.consumers.add('LINTAS', { filter_subject: `lintas.mailbox.${CAROL}`, ack_policy: 'none' as never })); // ephemeral
      await refused(jsm.streams.getMessage('LINTAS', { last_by_subj: `lintas.mailbox.${CAROL}` }));
      await refused(nc.request(`$JS.ACK.LINTAS.${NatsJetStreamTransport.consumerName(CAROL)}.1.1.1.1.0`, '+ACK', { timeout: 3000 }));
      await subscriptionRefused(nc, `lintas.mailbox.${CAROL}`);
      await subscriptionRefused(nc, 'lintas.>');
      // Pull answers go to the puller's inbox: another user's inbox would show Carol's envelopes.
      await subscriptionRefused(nc, '_INBOX_carol.>');
      await subscriptionRefused(nc, '_INBOX.>');
      await subscriptionRefused(nc, '>');
    }
    // Carol's envelope is still there for Carol.
    const carol = transport(await as('carol'));
    const got: Uint8Array[] = [];
    for await (const d of carol.receive(CAROL, { untilEmpty: true })) {
      got.push(await envelopeBytes(d.envelope));
      await d.ack();
    }
    expect(got).toEqual([new Uint8Array([1, 2, 3])]);
    await Promise.all([alice.close(), carol.close()]);
  });

  it('refuses a sender that tries to empty a mailbox with a rollup header or to write dead letters', async () => {
    const nc = await as('alice');
    const alice = transport(nc);
    await alice.send(CAROL, new Uint8Array([4]));
    const h = headers();
    h.set('Nats-Rollup', 'sub');
    const js = jetstream(nc);
    await expect(js.publish(`lintas.mailbox.${CAROL}`, new Uint8Array([0]), { headers: h })).rejects.toThrow(/rollup/i);
    await refused(js.publish(`lintas.dead.${CAROL}`, new Uint8Array([0]), { timeout: 3000 }));
    const admin = await jetstreamManager(await as('admin'));
    expect((await admin.streams.getMessage('LINTAS', { last_by_subj: `lintas.mailbox.${CAROL}` }))?.data).toEqual(new Uint8Array([4]));
    await alice.close();
  });
});
