/**
 * Issue 15 item 4: nobody can fill the relay's disk. Uploads into made-up mailboxes from one
 * address without a key stop at the sender quota, everything together stops at the storage
 * quota (507 ERR_RELAY_STORAGE_FULL, nothing half-stored), acknowledged and expired envelopes
 * give their bytes back.
 */
import { describe, expect, it } from 'vitest';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { generateIdentityKeys, mailboxId } from '../../src/index.js';
import { client, errorCode, raw, relay, tempDir } from './relay-kit.js';

const madeUp = (i: number): string => i.toString(16).padStart(64, 'a');
const KIB = 1024;

async function storedFiles(dir: string): Promise<number> {
  let n = 0;
  for (const box of await readdir(join(dir, 'mailboxes'))) n += (await readdir(join(dir, 'mailboxes', box))).length;
  return n;
}

describe('relay storage quotas', () => {
  it('stops one keyless address filling made-up mailboxes at its sender quota, and others can still send', async () => {
    const dir = await tempDir();
    const r = await relay({ dir, limits: { maxSenderStorageBytes: 10 * KIB } });
    const answers = [];
    for (let i = 0; i < 30; i++) answers.push(await raw(r, 'POST', `/v1/mailboxes/${madeUp(i)}/envelopes`, { body: new Uint8Array(KIB) }));
    expect(answers.slice(0, 10).map((a) => a.status)).toEqual(Array(10).fill(201));
    for (const a of answers.slice(10)) {
      expect(a.status).toBe(507);
      expect(errorCode(a)).toBe('ERR_RELAY_STORAGE_FULL');
    }
    expect(await storedFiles(dir)).toBe(10);
    // Another address, and a sender with a key from this same address, have their own quota.
    expect((await raw(r, 'POST', `/v1/mailboxes/${madeUp(99)}/envelopes`, { from: '127.0.0.2', body: new Uint8Array(KIB) })).status).toBe(201);
    const partner = (await generateIdentityKeys()).signing;
    await client(r, { senderKey: partner }).send(madeUp(100), new Uint8Array(KIB));
  });

  it('refuses a streamed upload that runs past the storage quota with 507 and keeps none of it', async () => {
    const dir = await tempDir();
    const r = await relay({ dir, limits: { maxStorageBytes: 8 * KIB } });
    const mailbox = madeUp(1);
    expect((await raw(r, 'POST', `/v1/mailboxes/${mailbox}/envelopes`, { body: new Uint8Array(4 * KIB) })).status).toBe(201);
    // Declared too large: refused before reading it.
    const declared = await raw(r, 'POST', `/v1/mailboxes/${mailbox}/envelopes`, { from: '127.0.0.3', body: new Uint8Array(6 * KIB) });
    expect([declared.status, errorCode(declared)]).toEqual([507, 'ERR_RELAY_STORAGE_FULL']);
    // No length given (a stream): refused once the bytes pass the quota.
    const t = client(r);
    const stream = async function* (): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 12; i++) yield new Uint8Array(512);
    };
    await expect(t.send(mailbox, stream())).rejects.toMatchObject({ code: 'ERR_RELAY_STORAGE_FULL', status: 507 });
    expect(await storedFiles(dir)).toBe(1);
    expect(await readdir(join(dir, 'tmp'))).toEqual([]);
    expect(r.limits.maxStorageBytes).toBe(8 * KIB);
  });

  it('gives the bytes back when envelopes are acknowledged', async () => {
    const owner = (await generateIdentityKeys()).signing;
    const mailbox = mailboxId(owner.publicKey);
    const r = await relay({ limits: { maxStorageBytes: 4 * KIB } });
    const sender = client(r);
    for (let i = 0; i < 4; i++) await sender.send(mailbox, new Uint8Array(KIB));
    await expect(sender.send(mailbox, new Uint8Array(KIB))).rejects.toMatchObject({ code: 'ERR_RELAY_STORAGE_FULL' });
    for await (const d of client(r, { mailboxKeys: [owner] }).receive(mailbox, { untilEmpty: true })) await d.ack();
    for (let i = 0; i < 4; i++) await sender.send(mailbox, new Uint8Array(KIB));
  });

  it('counts what is already on disk after a restart', async () => {
    const dir = await tempDir();
    const first = await relay({ dir });
    for (let i = 0; i < 3; i++) expect((await raw(first, 'POST', `/v1/mailboxes/${madeUp(i)}/envelopes`, { body: new Uint8Array(KIB) })).status).toBe(201);
    await first.close();
    const second = await relay({ dir, limits: { maxStorageBytes: 3 * KIB + 10 } });
    const refused = await raw(second, 'POST', `/v1/mailboxes/${madeUp(9)}/envelopes`, { body: new Uint8Array(100) });
    expect([refused.status, errorCode(refused)]).toEqual([507, 'ERR_RELAY_STORAGE_FULL']);
  });

  it('deletes envelopes nobody collected within the expiry, and frees their bytes', async () => {
    const owner = (await generateIdentityKeys()).signing;
    const mailbox = mailboxId(owner.publicKey);
    const dir = await tempDir();
    const r = await relay({ dir, limits: { envelopeTtlSeconds: 1, maxStorageBytes: 2 * KIB } });
    const sender = client(r);
    await sender.send(mailbox, new Uint8Array(KIB));
    await sender.send(mailbox, new Uint8Array(KIB));
    const reader = client(r, { mailboxKeys: [owner] });
    expect(await reader.list(mailbox)).toHaveLength(2);
    // The sweep runs every TTL (here 1 s): wait for it, not for a fixed time.
    while ((await reader.list(mailbox)).length > 0) await new Promise((done) => setTimeout(done, 200));
    expect(await storedFiles(dir)).toBe(0);
    await sender.send(mailbox, new Uint8Array(2 * KIB));
  });
});
