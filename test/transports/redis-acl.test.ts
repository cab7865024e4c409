/**
 * The per-agency ACL layout of docs/TRANSPORTS.md 3.4 on a real redis-server: senders write
 * only their own stream of a mailbox (and never trim someone else's), receivers read and ack
 * only their own mailbox. Each attack is performed with the attacker's own credentials.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from 'redis';
import { envelopeBytes } from '../../src/index.js';
import { RedisStreamsTransport } from '../../src/node.js';
import { randomMailbox } from './conformance.js';
import { startRedisServer, type TestRedisServer } from './redis-server.js';
import { hasRedisServer } from '../setup/gaps.js';

/** The commands every lintas user needs to connect and to let the transport check durability. */
const BASE = ['resetkeys', 'resetchannels', '-@all', '+auth', '+hello', '+ping', '+info'];

/** The layout, as docs/TRANSPORTS.md 3.4 prints it, for sender `name` and receiver of mailbox `mailbox`. */
function senderAcl(name: string): string[] {
  return [...BASE, '+xadd', `~lintas:mailbox:{*}:from:${name}`];
}
function receiverAcl(mailbox: string): string[] {
  return [...BASE, '+xreadgroup', '+xautoclaim', '+xack', '+xgroup|create', '+eval', '+xpending', '+xclaim', '+xdel', `~lintas:mailbox:{${mailbox}}*`];
}

describe.skipIf(!hasRedisServer(import.meta.url))('Redis: per-agency ACL layout', () => {
  let server: TestRedisServer;
  let admin: Awaited<ReturnType<typeof connect>>;
  const password = `pw-${randomMailbox().slice(0, 12)}`;
  const bob = randomMailbox(); // the receiving agency's mailbox
  const dave = randomMailbox(); // another agency's mailbox

  async function connect(username?: string) {
    const client = createClient({ url: server.url, ...(username ? { username, password } : {}) });
    client.on('error', () => {});
    await client.connect();
    return client;
  }

  beforeAll(async () => {
    server = await startRedisServer();
    admin = await connect();
    for (const [user, rules] of [
      ['send-carol', senderAcl('carol')],
      ['send-mallory', senderAcl('mallory')],
      ['recv-bob', receiverAcl(bob)],
      ['recv-dave', receiverAcl(dave)],
    ] as const) {
      await admin.sendCommand(['ACL', 'SETUSER', user, 'reset', 'on', `>${password}`, ...rules]);
    }
  });
  afterAll(async () => {
    await admin?.close();
    await server?.stop();
  });

  /** Carol sends to Bob and to Dave through the transport; both receive through theirs. */
  async function legitimateTraffic() {
    const carolClient = await connect('send-carol');
    const carol = new RedisStreamsTransport({ client: carolClient, sender: 'carol', assumeAppendfsyncAlways: true });
    await carol.send(bob, new TextEncoder().encode('for bob'));
    await carol.send(dave, new TextEncoder().encode('for dave'));
    await carol.close();
    await carolClient.close();
  }

  async function drain(user: string, mailbox: string): Promise<string[]> {
    const client = await connect(user);
    const t = new RedisStreamsTransport({ client, senders: ['carol', 'mallory'], assumeAppendfsyncAlways: true, pollIntervalMs: 20 });
    const got: string[] = [];
    for await (const d of t.receive(mailbox, { untilEmpty: true })) {
      got.push(new TextDecoder().decode(await envelopeBytes(d.envelope)));
      await d.ack();
    }
    await t.close();
    await client.close();
    return got;
  }

  it('lets senders send and receivers receive and ack their own mailbox', async () => {
    await legitimateTraffic();
    expect(await drain('recv-bob', bob)).toEqual(['for bob']);
    expect(await drain('recv-dave', dave)).toEqual(['for dave']);
  });

  it('refuses a sender that trims, deletes, reads or impersonates in a mailbox it writes to', async () => {
    await legitimateTraffic();
    const mallory = await connect('send-mallory');
    const carolStream = `lintas:mailbox:{${bob}}:from:carol`;
    const shared = `lintas:mailbox:{${bob}}`;
    const attacks: string[][] = [
      ['XADD', carolStream, 'MAXLEN', '0', '*', 'e', 'x'], // the wipe an XADD-only user could do before
      ['XADD', shared, 'MAXLEN', '0', '*', 'e', 'x'],
      ['XADD', carolStream, '*', 'e', 'forged'], // writing as another sender
      ['XTRIM', carolStream, 'MAXLEN', '0'],
      ['DEL', carolStream],
      ['XDEL', carolStream, '0-1'],
      ['XRANGE', carolStream, '-', '+'],
      ['XREADGROUP', 'GROUP', 'lintas', 'mallory', 'STREAMS', carolStream, '>'],
      ['EVAL', "return redis.call('DEL', KEYS[1])", '1', carolStream],
      ['FCALL', 'anything', '1', carolStream],
      ['UNLINK', carolStream],
      ['FLUSHALL'],
    ];
    for (const args of attacks) {
      await expect(mallory.sendCommand(args), args.join(' ')).rejects.toThrow(/NOPERM/);
    }
    // Mallory may trim only its own stream, which holds nothing but what it sent.
    await mallory.sendCommand(['XADD', `lintas:mailbox:{${bob}}:from:mallory`, 'MAXLEN', '0', '*', 'e', 'x']);
    await mallory.close();
    expect(await drain('recv-bob', bob)).toEqual(['for bob']);
    expect(await drain('recv-dave', dave)).toEqual(['for dave']);
  });

  it("refuses a receiver that reads, acks, trims or deletes another agency's mailbox", async () => {
    await legitimateTraffic();
    const bobClient = await connect('recv-bob');
    const daveStream = `lintas:mailbox:{${dave}}:from:carol`;
    const attacks: string[][] = [
      ['XRANGE', daveStream, '-', '+'],
      ['XREADGROUP', 'GROUP', 'lintas', 'bob', 'COUNT', '10', 'STREAMS', daveStream, '>'],
      ['XAUTOCLAIM', daveStream, 'lintas', 'bob', '0', '0-0'],
      ['XGROUP', 'CREATE', daveStream, 'bobs-group', '0'],
      ['XACK', daveStream, 'lintas', '0-1'],
      ['EVAL', "return redis.call('XRANGE', KEYS[1], '-', '+')", '1', daveStream],
      ['XTRIM', daveStream, 'MAXLEN', '0'],
      ['DEL', daveStream],
      ['XADD', `lintas:mailbox:{${bob}}:from:carol`, '*', 'e', 'forged'], // nor forge mail to itself
    ];
    for (const args of attacks) {
      await expect(bobClient.sendCommand(args), args.join(' ')).rejects.toThrow(/NOPERM/);
    }
    // Through the transport too, Bob cannot receive from Dave's mailbox.
    const t = new RedisStreamsTransport({ client: bobClient, senders: ['carol'], assumeAppendfsyncAlways: true });
    await expect(t.receive(dave, { untilEmpty: true })[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: 'ERR_TRANSPORT_UNAVAILABLE' });
    await t.close();
    await bobClient.close();
    expect(await drain('recv-dave', dave)).toEqual(['for dave']);
    expect(await drain('recv-bob', bob)).toEqual(['for bob']);
  });

  it('checks durability through INFO for a user without CONFIG GET, and asks the operator about appendfsync', async () => {
    const client = await connect('send-carol');
    const t = new RedisStreamsTransport({ client, sender: 'carol' });
    await expect(t.send(bob, new Uint8Array([1]))).rejects.toMatchObject({ code: 'ERR_REDIS_UNSAFE_CONFIG' });
    await t.close();
    await client.close();
    expect(await drain('recv-bob', bob)).toEqual([]);
  });
});
