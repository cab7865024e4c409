/**
 * A sender session the relay no longer knows (it expired, or the relay restarted: sessions live
 * in its memory) while the client still has it cached. The relay answers 401 as the upload
 * begins; the client opens a new session and sends again, which is right for bytes. A streamed
 * envelope that fetch has begun reading cannot be sent again from where it stopped: before
 * issue 13's fix the client did, and uploaded what was left of the stream as the envelope. Now it
 * refuses with ERR_RELAY_AUTH_FAILED saying so, the relay holds nothing of it, and sending it
 * again from its start stores the whole envelope.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { envelopeBytes, generateIdentityKeys, mailboxId, RelayTransport } from '../../src/index.js';
import { startRelay, type RelayServer } from '../../src/node.js';

const generous = { perSecond: 10_000, burst: 10_000 };
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function relayAt(dir: string, port = 0): Promise<RelayServer> {
  return startRelay({ dir, port, leaseMs: 1000, limits: { clientRate: generous, mailboxSendRate: generous } });
}

/** `bytes` in 64 KiB chunks, the later ones after a pause, so fetch has read the first when the 401 comes. */
async function* slowly(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += 65536) {
    if (at > 0) await new Promise((resolve) => setTimeout(resolve, 100));
    yield bytes.subarray(at, at + 65536);
  }
}

describe('relay: a sender session that expired before a send', () => {
  it('a streamed envelope already being read is refused, not re-sent from where it stopped; sent again whole, it arrives whole', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lintas-relay-expiry-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const owner = (await generateIdentityKeys()).signing;
    const senderKey = (await generateIdentityKeys()).signing;
    const mailbox = mailboxId(owner.publicKey);
    let relay = await relayAt(dir);
    const port = relay.port;
    cleanups.push(() => relay.close());
    const sender = new RelayTransport({ url: relay.url, senderKey });
    cleanups.push(() => sender.close());
    const first = new Uint8Array(randomBytes(100));
    await sender.send(mailbox, first); // opens the sender session, which the client caches

    // The relay restarts: the session the client holds is unknown to it from now on.
    await relay.close();
    relay = await relayAt(dir, port);

    const envelope = new Uint8Array(randomBytes(4 * 65536 + 123));
    const refused = await sender.send(mailbox, slowly(envelope)).then(
      () => null,
      (e: unknown) => e,
    );
    expect(refused).toMatchObject({ code: 'ERR_RELAY_AUTH_FAILED', status: 401 });
    expect((refused as Error).message).toMatch(/stream cannot be sent again.*stored nothing/);

    const owned = new RelayTransport({ url: relay.url, mailboxKeys: [owner] });
    cleanups.push(() => owned.close());
    expect((await owned.list(mailbox)).map((e) => e.size)).toEqual([first.length]);

    // From its start, with a new session: the whole envelope is stored.
    await sender.send(mailbox, slowly(envelope));
    expect((await owned.list(mailbox)).map((e) => e.size)).toEqual([first.length, envelope.length]);
    const received: Uint8Array[] = [];
    for await (const d of owned.receive(mailbox, { untilEmpty: true })) {
      received.push(await envelopeBytes(d.envelope));
      await d.ack();
    }
    expect(received).toEqual([first, envelope]);
  });

  it('bytes (and a stream not yet read) are sent again under a new session without the caller noticing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lintas-relay-expiry-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const owner = (await generateIdentityKeys()).signing;
    const mailbox = mailboxId(owner.publicKey);
    let relay = await relayAt(dir);
    const port = relay.port;
    cleanups.push(() => relay.close());
    const sender = new RelayTransport({ url: relay.url, senderKey: (await generateIdentityKeys()).signing });
    cleanups.push(() => sender.close());
    await sender.send(mailbox, new Uint8Array([1]));
    await relay.close();
    relay = await relayAt(dir, port);
    await sender.send(mailbox, new Uint8Array([2, 2]));
    const owned = new RelayTransport({ url: relay.url, mailboxKeys: [owner] });
    cleanups.push(() => owned.close());
    expect((await owned.list(mailbox)).map((e) => e.size)).toEqual([1, 2]);
  });
});
