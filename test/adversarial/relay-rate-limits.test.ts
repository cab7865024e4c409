/**
 * Issue 15 item 6: rate limits that an attacker cannot turn against someone else. Authenticated
 * requests are charged to the key, refused uploads to no one, challenges need no table,
 * connections and waiting polls are capped, only trusted proxies may name the client, and the
 * client waits out 429s (fetch and ack included) instead of delivering twice.
 */
import { describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { generateIdentityKeys, mailboxId } from '../../src/index.js';
import type { RelayLimits } from '../../src/node.js';
import { client, generous, raw, relay, ownerSession, signed } from './relay-kit.js';

const json = { 'content-type': 'application/json' };

describe('relay rate limits under attack', () => {
  it('a neighbour on the same address who uses up its requests does not lock the mailbox owner out', async () => {
    const owner = (await generateIdentityKeys()).signing;
    const mailbox = mailboxId(owner.publicKey);
    const r = await relay({ limits: { clientRate: { perSecond: 0.01, burst: 4 } } });
    const token = await ownerSession(r, owner); // 2 of the address's 4 requests
    const flood = [];
    for (let i = 0; i < 10; i++) flood.push((await raw(r, 'POST', '/v1/challenge', { headers: json, body: '{"purpose":"sender"}' })).status);
    expect(flood.filter((s) => s === 429)).toHaveLength(8);
    const list = `/v1/mailboxes/${mailbox}/envelopes`;
    expect((await raw(r, 'GET', list, { headers: signed(r, token, owner, 'GET', list) })).status).toBe(200);
  });

  it('oversize probes into a mailbox do not spend the send allowance of its real senders, nor the prober\'s own', async () => {
    const owner = (await generateIdentityKeys()).signing;
    const mailbox = mailboxId(owner.publicKey);
    const r = await relay({ limits: { maxEnvelopeBytes: 1000, mailboxSendRate: { perSecond: 0.01, burst: 20 } } });
    const path = `/v1/mailboxes/${mailbox}/envelopes`;
    for (let i = 0; i < 15; i++) expect((await raw(r, 'POST', path, { from: '127.0.0.7', body: new Uint8Array(1001) })).status).toBe(413);
    // Streamed (no length): found too large only while reading.
    const streamed = async function* (): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 3; i++) yield new Uint8Array(600);
    };
    await expect(client(r).send(mailbox, streamed())).rejects.toMatchObject({ code: 'ERR_TRANSPORT_ENVELOPE_TOO_LARGE' });
    for (let i = 0; i < 20; i++) expect((await raw(r, 'POST', path, { body: new Uint8Array([i]) })).status).toBe(201);
    for (let i = 0; i < 20; i++) expect((await raw(r, 'POST', path, { from: '127.0.0.7', body: new Uint8Array([i]) })).status).toBe(201);
  });

  it('twenty addresses asking for challenges cannot stop anyone logging in (no challenge table)', async () => {
    const owner = (await generateIdentityKeys()).signing;
    const mailbox = mailboxId(owner.publicKey);
    // maxPendingChallenges was the size of the old table; a relay without one ignores it.
    const r = await relay({ limits: { maxPendingChallenges: 100 } as RelayLimits });
    for (let a = 2; a < 22; a++) {
      for (let i = 0; i < 10; i++) {
        const res = await raw(r, 'POST', '/v1/challenge', { from: `127.0.0.${a}`, headers: json, body: JSON.stringify({ purpose: 'owner', mailbox }) });
        expect(res.status).toBe(200);
      }
    }
    await client(r).send(mailbox, new Uint8Array([1]));
    expect(await client(r, { mailboxKeys: [owner] }).list(mailbox)).toHaveLength(1);
  });

  it('a challenge answered once cannot open a second session', async () => {
    const owner = (await generateIdentityKeys()).signing;
    const r = await relay();
    const { challengeMessage } = await import('../../src/transports/relay/protocol.js');
    const { ed25519Sign } = await import('../../src/crypto/ed25519.js');
    const mailbox = mailboxId(owner.publicKey);
    const c = JSON.parse((await raw(r, 'POST', '/v1/challenge', { headers: json, body: JSON.stringify({ purpose: 'owner', mailbox }) })).body.toString()) as { nonce: string; expiresAt: number };
    const message = challengeMessage({ purpose: 'owner', mailbox, nonce: Buffer.from(c.nonce, 'hex'), origin: r.origin, expiresAt: c.expiresAt, publicKey: owner.publicKey });
    const body = JSON.stringify({ nonce: c.nonce, publicKey: Buffer.from(owner.publicKey).toString('hex'), signature: Buffer.from(ed25519Sign(owner.secretKey, message)).toString('hex') });
    expect((await raw(r, 'POST', '/v1/session', { headers: json, body })).status).toBe(200);
    expect((await raw(r, 'POST', '/v1/session', { from: '127.0.0.5', headers: json, body })).status).toBe(401);
  });

  it('closes connections beyond the per-address cap at once, while other addresses are served', async () => {
    const r = await relay({ limits: { maxConnectionsPerAddress: 5 } });
    const { port } = new URL(r.url);
    const sockets: Socket[] = [];
    const closed: boolean[] = [];
    for (let i = 0; i < 8; i++) {
      const s = connect({ host: '127.0.0.1', port: Number(port), localAddress: '127.0.0.1' });
      const n = sockets.push(s) - 1;
      closed[n] = false;
      s.on('close', () => (closed[n] = true));
      s.on('error', () => {});
      await once(s, 'connect');
    }
    // The three over the cap are closed by the relay without sending anything.
    while (closed.filter(Boolean).length < 3) await new Promise((done) => setTimeout(done, 20));
    expect(closed.slice(0, 5)).toEqual([false, false, false, false, false]);
    expect((await raw(r, 'POST', '/v1/challenge', { from: '127.0.0.2', headers: json, body: '{"purpose":"sender"}' })).status).toBe(200);
    for (const s of sockets) s.destroy();
  });

  it('closes a connection that sends its headers too slowly', async () => {
    const r = await relay({ limits: { headersTimeoutMs: 500 } });
    const s = connect({ host: '127.0.0.1', port: Number(new URL(r.url).port) });
    s.on('error', () => {});
    await once(s, 'connect');
    s.write('POST /v1/challenge HTTP/1.1\r\nHost: x\r\n'); // and never the rest
    const answer: Buffer[] = [];
    s.on('data', (c: Buffer) => answer.push(c));
    await once(s, 'close');
    expect(Buffer.concat(answer).toString()).toMatch(/^HTTP\/1\.1 408|^$/);
  });

  it('caps waiting lease requests per mailbox key with 429', async () => {
    const owner = (await generateIdentityKeys()).signing;
    const mailbox = mailboxId(owner.publicKey);
    const r = await relay({ limits: { maxWaitingPollsPerKey: 2, maxLongPollMs: 20_000 } });
    const token = await ownerSession(r, owner);
    const path = `/v1/mailboxes/${mailbox}/leases`;
    const poll = (signal?: AbortSignal): Promise<{ status: number }> =>
      raw(r, 'POST', path, { headers: { ...signed(r, token, owner, 'POST', path), ...json }, body: '{"waitMs":20000}', ...(signal ? { signal } : {}) });
    const waiting = [poll(), poll()];
    // Probe until the two are waiting: a probe that is not refused at once is itself waiting, so
    // it is cut off (which frees its place) and tried again.
    let third = 0;
    while (third !== 429) third = await poll(AbortSignal.timeout(200)).then((a) => a.status, () => 0);
    await client(r).send(mailbox, new Uint8Array([1])); // wakes one of them at once
    await client(r).send(mailbox, new Uint8Array([2]));
    expect((await Promise.all(waiting)).map((a) => a.status)).toEqual([200, 200]);
  });

  it('takes the client address from X-Forwarded-For only when the peer is a trusted proxy', async () => {
    const limits = { clientRate: { perSecond: 0.01, burst: 2 } };
    const proxied = await relay({ limits, trustedProxies: ['127.0.0.1'] });
    const from = (r: typeof proxied, xff: string): Promise<number> =>
      raw(r, 'POST', '/v1/challenge', { headers: { ...json, 'x-forwarded-for': xff }, body: '{"purpose":"sender"}' }).then((a) => a.status);
    expect([await from(proxied, '10.0.0.1'), await from(proxied, '10.0.0.1'), await from(proxied, '10.0.0.1')]).toEqual([200, 200, 429]);
    expect(await from(proxied, '10.0.0.2')).toBe(200); // another client behind the same proxy
    expect(await from(proxied, '10.0.0.2, 127.0.0.1')).toBe(200); // trusted hops are skipped
    // Not trusted: the header is ignored, so changing it gains nothing.
    const direct = await relay({ limits });
    expect([await from(direct, '10.0.0.1'), await from(direct, '10.0.0.2'), await from(direct, '10.0.0.3')]).toEqual([200, 200, 429]);
  });

  it('the client waits out 429 on fetch and ack, so nothing is delivered twice', async () => {
    const owner = (await generateIdentityKeys()).signing;
    const mailbox = mailboxId(owner.publicKey);
    const r = await relay({ leaseMs: 60_000, limits: { keyRate: { perSecond: 20, burst: 3 }, clientRate: { perSecond: 20, burst: 3 }, mailboxSendRate: generous } });
    const sender = client(r);
    for (let i = 0; i < 6; i++) await sender.send(mailbox, new Uint8Array([i]));
    const seen: string[] = [];
    for await (const d of client(r, { mailboxKeys: [owner] }).receive(mailbox, { untilEmpty: true })) {
      seen.push(d.id);
      await d.ack();
    }
    expect(seen).toHaveLength(6);
    expect(new Set(seen).size).toBe(6);
  });
});
