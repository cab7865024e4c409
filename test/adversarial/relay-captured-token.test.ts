/**
 * Issue 15 item 8: a captured bearer token is not enough (every request is signed by the
 * session's key, once, within 30 s), plain HTTP on a public address is warned about, and stored
 * ids say nothing about other mailboxes' traffic.
 */
import { describe, expect, it } from 'vitest';
import { generateIdentityKeys, mailboxId } from '../../src/index.js';
import { client, raw, relay, ownerSession, signed } from './relay-kit.js';

describe('relay sessions against a captured token', () => {
  it('refuses list, fetch and DELETE with the token alone, from this address or another', async () => {
    const owner = (await generateIdentityKeys()).signing;
    const mailbox = mailboxId(owner.publicKey);
    const r = await relay();
    await client(r).send(mailbox, new Uint8Array([1, 2, 3]));
    const token = await ownerSession(r, owner);
    const list = `/v1/mailboxes/${mailbox}/envelopes`;
    const [stored] = (JSON.parse((await raw(r, 'GET', list, { headers: signed(r, token, owner, 'GET', list) })).body.toString()) as { envelopes: { id: string }[] }).envelopes;
    const one = `${list}/${stored!.id}`;
    for (const from of ['127.0.0.1', '127.0.0.9']) {
      const bearer = { authorization: `Bearer ${token}` };
      expect((await raw(r, 'GET', list, { from, headers: bearer })).status).toBe(401);
      expect((await raw(r, 'GET', one, { from, headers: bearer })).status).toBe(401);
      expect((await raw(r, 'DELETE', one, { from, headers: bearer })).status).toBe(401);
    }
    // The owner, signing, still can.
    expect((await raw(r, 'GET', one, { headers: signed(r, token, owner, 'GET', one) })).status).toBe(200);
  });

  it('refuses a captured signed request replayed, re-aimed at another path, or dated outside 30 s', async () => {
    const owner = (await generateIdentityKeys()).signing;
    const mailbox = mailboxId(owner.publicKey);
    const r = await relay();
    await client(r).send(mailbox, new Uint8Array([1]));
    const token = await ownerSession(r, owner);
    const list = `/v1/mailboxes/${mailbox}/envelopes`;
    const captured = signed(r, token, owner, 'GET', list);
    expect((await raw(r, 'GET', list, { headers: captured })).status).toBe(200);
    expect((await raw(r, 'GET', list, { from: '127.0.0.9', headers: captured })).status).toBe(401); // replayed
    const leases = `/v1/mailboxes/${mailbox}/leases`;
    const fresh = signed(r, token, owner, 'GET', list);
    expect((await raw(r, 'POST', leases, { headers: { ...fresh, 'content-type': 'application/json' }, body: '{}' })).status).toBe(401); // signed for another request
    expect((await raw(r, 'GET', list, { headers: signed(r, token, owner, 'GET', list, Date.now() - 60_000) })).status).toBe(401);
    expect((await raw(r, 'GET', list, { headers: signed(r, token, owner, 'GET', list, Date.now() + 60_000) })).status).toBe(401);
    // The nonce is signed: a captured request with a fresh nonce does not verify.
    const renonced = { ...signed(r, token, owner, 'GET', list), 'x-lintas-nonce': '00'.repeat(16) };
    expect((await raw(r, 'GET', list, { headers: renonced })).status).toBe(401);
    // Two requests alike in all but their nonce, signed in the same millisecond, are both served.
    const now = Date.now();
    const [a, b] = [signed(r, token, owner, 'GET', list, now), signed(r, token, owner, 'GET', list, now)];
    expect([(await raw(r, 'GET', list, { headers: a })).status, (await raw(r, 'GET', list, { headers: b })).status]).toEqual([200, 200]);
    // A stranger's key cannot sign for the owner's token.
    const stranger = (await generateIdentityKeys()).signing;
    expect((await raw(r, 'GET', list, { headers: signed(r, token, stranger, 'GET', list) })).status).toBe(401);
  });
});

describe('relay configuration and ids', () => {
  it('warns about plain HTTP on an address other than loopback, and not on loopback or with TLS', async () => {
    const warnings: string[] = [];
    await relay({ host: '0.0.0.0', origin: 'http://relay.example:8080', onWarning: (m) => warnings.push(m) });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/plain HTTP/);
    await relay({ onWarning: (m) => warnings.push(m) });
    expect(warnings).toHaveLength(1);
  });

  it('gives ids that do not count other mailboxes\' envelopes, and does not tell the sender the id', async () => {
    const [a, b] = await Promise.all([generateIdentityKeys(), generateIdentityKeys()]);
    const [boxA, boxB] = [mailboxId(a.signing.publicKey), mailboxId(b.signing.publicKey)];
    const r = await relay();
    const first = await raw(r, 'POST', `/v1/mailboxes/${boxA}/envelopes`, { body: new Uint8Array([1]) });
    expect(first.status).toBe(201);
    expect(JSON.parse(first.body.toString())).toEqual({});
    for (let i = 0; i < 5; i++) await client(r).send(boxB, new Uint8Array([i]));
    await client(r).send(boxA, new Uint8Array([2]));
    const ids = (await client(r, { mailboxKeys: [a.signing] }).list(boxA)).map((e) => e.id);
    const sequence = (id: string): number => Number(id.split('-')[1]);
    expect(ids).toHaveLength(2);
    expect(sequence(ids[1]!) - sequence(ids[0]!)).toBe(1); // five envelopes for B in between left no trace
  });
});
