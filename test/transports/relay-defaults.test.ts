/**
 * Issue 15 items 5 and 7: the shipped defaults carry a busy agency (hundreds of envelopes a
 * second into one mailbox, no 429), every limit can be set from `lintas relay start`, and the
 * per-mailbox index hands out envelopes in arrival order whatever the backlog.
 */
import { describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { envelopeBytes, generateIdentityKeys, mailboxId, RelayTransport } from '../../src/index.js';
import { startRelay } from '../../src/node.js';
import { MailboxIndex } from '../../src/transports/relay/mailbox-index.js';
import { RELAY_LIMIT_OPTIONS, relayLimitsFrom } from '../../src/cli/relay-limit-options.js';
import { client, raw, relay, tempDir } from '../adversarial/relay-kit.js';
import { cryptoReady } from '../../src/crypto/sodium.js';

describe('relay defaults', () => {
  it('take 450 envelopes into one mailbox from one sender as fast as it sends them, and give them back, without a single 429', async () => {
    const owner = (await generateIdentityKeys()).signing;
    const mailbox = mailboxId(owner.publicKey);
    const r = await startRelay({ dir: await tempDir(), onWarning: () => {} }); // the shipped defaults
    try {
      // As fast as 16 parallel connections go (the default per-address connection cap is 256).
      const statuses: number[] = [];
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < 450) {
          const i = next++;
          statuses.push((await raw(r, 'POST', `/v1/mailboxes/${mailbox}/envelopes`, { body: new Uint8Array([i & 255]) })).status);
        }
      };
      await Promise.all(Array.from({ length: 16 }, worker));
      expect(statuses.filter((s) => s !== 201)).toEqual([]);
      const refused: number[] = [];
      const counting: typeof fetch = async (input, init) => {
        const res = await fetch(input, init);
        if (res.status === 429) refused.push(res.status);
        return res;
      };
      const receiver = new RelayTransport({ url: r.url, mailboxKeys: [owner], fetch: counting });
      let n = 0;
      for await (const d of receiver.receive(mailbox, { untilEmpty: true })) {
        n++;
        await d.ack();
      }
      await receiver.close();
      expect(n).toBe(450);
      expect(refused).toEqual([]);
      expect(r.limits.mailboxSendRate.perSecond).toBeGreaterThanOrEqual(200);
    } finally {
      await r.close();
    }
  });

  it('every limit of the relay has a relay start option', async () => {
    const values: Record<string, string | string[]> = {};
    for (const [name, spec] of Object.entries(RELAY_LIMIT_OPTIONS)) values[name] = spec.multiple ? ['10.0.0.1'] : name.endsWith('rate') ? '300:600' : name.includes('storage') ? '2GiB' : '90';
    values['idle-timeout'] = '120';
    const set = relayLimitsFrom({ values, positionals: [] });
    const r = await startRelay({ dir: await tempDir(), ...set });
    try {
      // --max-envelope sets maxEnvelopeBytes (the large-envelope options, docs/CLI.md).
      expect(Object.keys(set.limits!).sort()).toEqual(Object.keys(r.limits).filter((k) => k !== 'maxEnvelopeBytes').sort());
      expect(r.limits.mailboxSendRate).toEqual({ perSecond: 300, burst: 600 });
      expect(r.limits.maxStorageBytes).toBe(2 * 1024 ** 3);
      expect(r.limits.envelopeTtlSeconds).toBe(90);
      expect(r.limits.maxLongPollMs).toBe(90_000);
      expect(set).toMatchObject({ leaseMs: 90_000, sessionTtlSeconds: 90, challengeTtlSeconds: 90, trustedProxies: ['10.0.0.1'] });
    } finally {
      await r.close();
    }
    expect(() => relayLimitsFrom({ values: { 'send-rate': 'fast' }, positionals: [] })).toThrow(expect.objectContaining({ code: 'ERR_USAGE' }));
    expect(() => relayLimitsFrom({ values: { 'envelope-ttl': '3 weeks' }, positionals: [] })).toThrow(expect.objectContaining({ code: 'ERR_USAGE' }));
    expect(relayLimitsFrom({ values: { 'envelope-ttl': '14d', 'key-rate': '50' }, positionals: [] }).limits).toEqual({ envelopeTtlSeconds: 14 * 86_400, keyRate: { perSecond: 50, burst: 100 } });
  });
});

describe('relay mailbox index', () => {
  const entry = (i: number): { id: string; size: number; sender: null; storedAtMs: number } => ({
    id: `${String(1_000 + i).padStart(15, '0')}-${String(i).padStart(9, '0')}-${'0'.repeat(16)}`,
    size: i,
    sender: null,
    storedAtMs: 1_000 + i,
  });

  it('leases in arrival order, skips removed ones, and puts lapsed leases back before newer mail', async () => {
    await cryptoReady();
    const index = new MailboxIndex();
    for (let i = 0; i < 10; i++) index.add(entry(i));
    const first = index.lease(3, 100, 0).map((g) => g.entry.size);
    expect(first).toEqual([0, 1, 2]);
    index.remove(entry(3).id);
    expect(index.lease(2, 100, 0).map((g) => g.entry.size)).toEqual([4, 5]);
    index.remove(entry(1).id); // acknowledged while leased
    // At t=100 the leases on 0, 2, 4 and 5 lapse: they come back first, oldest first.
    expect(index.lease(6, 100, 100).map((g) => g.entry.size)).toEqual([0, 2, 4, 5, 6, 7]);
    expect(index.lease(6, 100, 100).map((g) => g.entry.size)).toEqual([8, 9]);
    expect(index.count).toBe(8);
    expect([...index.olderThan(1_005)].map((e) => e.size)).toEqual([0, 2, 4]);
  });

  it('renewal keeps a lease; an unknown token renews nothing', async () => {
    await cryptoReady();
    const index = new MailboxIndex();
    index.add(entry(0));
    const [g] = index.lease(1, 100, 0);
    expect(index.heldLease(entry(0).id, 'nope', 50)).toBeUndefined();
    index.heldLease(entry(0).id, g!.lease.token, 50)!.expiresAtMs = 150;
    expect(index.lease(1, 100, 120)).toEqual([]);
    expect(index.lease(1, 100, 150).map((x) => x.entry.size)).toEqual([0]);
  });

  it('keeps an envelope whose upload finished after its mailbox was emptied', async () => {
    const owner = (await generateIdentityKeys()).signing;
    const mailbox = mailboxId(owner.publicKey);
    const r = await relay();
    await client(r).send(mailbox, new Uint8Array([1]));
    let finish!: () => void;
    const held = new Promise<void>((done) => (finish = done));
    let started!: () => void;
    const uploading = new Promise<void>((done) => (started = done));
    const slow = async function* (): AsyncGenerator<Uint8Array> {
      yield new Uint8Array([2]);
      started();
      await held;
      yield new Uint8Array([3]);
    };
    const sending = client(r).send(mailbox, slow());
    await uploading;
    const reader = client(r, { mailboxKeys: [owner] });
    for await (const d of reader.receive(mailbox, { untilEmpty: true })) await d.ack(); // empties the mailbox
    finish();
    await sending;
    expect((await reader.list(mailbox)).map((e) => e.size)).toEqual([2]);
  });

  it('is rebuilt at start: an envelope stored by a relay that died before indexing it is there, in order; a half upload is not', async () => {
    const dir = await tempDir();
    const owner = (await generateIdentityKeys()).signing;
    const mailbox = mailboxId(owner.publicKey);
    const first = await relay({ dir });
    await client(first).send(mailbox, new Uint8Array([1]));
    await client(first).send(mailbox, new Uint8Array([2]));
    await first.close();
    // As if the relay had died right after renaming a third into place, before its index (or the sender) heard of it.
    await writeFile(join(dir, 'mailboxes', mailbox, `${String(Date.now() + 1000).padStart(15, '0')}-000000009-${'a'.repeat(16)}`), new Uint8Array([3]));
    await writeFile(join(dir, 'tmp', `${String(Date.now()).padStart(15, '0')}-000000010-${'b'.repeat(16)}`), new Uint8Array([4]));
    const second = await relay({ dir });
    const reader = client(second, { mailboxKeys: [owner] });
    expect((await reader.list(mailbox)).map((e) => e.size)).toEqual([1, 1, 1]);
    const got: number[] = [];
    for await (const d of reader.receive(mailbox, { untilEmpty: true })) {
      got.push(...(await envelopeBytes(d.envelope)));
      await d.ack();
    }
    expect(got).toEqual([1, 2, 3]);
    expect(await reader.list(mailbox)).toEqual([]);
  });
});
