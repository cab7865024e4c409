import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DropFolderTransport, envelopeBytes } from '../../src/node.js';
import { randomMailbox, runTransportConformance } from './conformance.js';
import { startWorker, stopWorker, waitUntil, type Worker } from './process-helpers.js';

const LEASE_MS = 1000;

runTransportConformance('drop folder', async () => {
  const root = await mkdtemp(join(tmpdir(), 'lintas-drop-'));
  return {
    connect: async () => new DropFolderTransport({ root, leaseMs: LEASE_MS, pollIntervalMs: 20, maxEnvelopeBytes: 16 * 1024 * 1024 }),
    dispose: () => rm(root, { recursive: true, force: true }),
    ordering: 'fifo',
    leaseMs: LEASE_MS,
    maxEnvelopeBytes: 16 * 1024 * 1024,
  };
});

describe('drop folder with several processes', () => {
  const worker = fileURLToPath(new URL('./fixtures/drop-folder-worker.ts', import.meta.url));
  let root: string;
  const workers: Worker[] = [];

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'lintas-drop-mp-'));
  });
  afterEach(async () => {
    for (const w of workers.splice(0)) await stopWorker(w, 'SIGKILL');
    await rm(root, { recursive: true, force: true });
  });

  it('delivers every envelope exactly once with three sender and three receiver processes', async () => {
    const mailbox = randomMailbox();
    const receivers = [0, 1, 2].map(() => startWorker(worker, ['receive', root, mailbox, String(LEASE_MS * 10)]));
    workers.push(...receivers);
    const senders = ['a', 'b', 'c'].map((tag) => startWorker(worker, ['send', root, mailbox, '25', tag]));
    workers.push(...senders);
    for (const s of senders) await s.waitForLine((l) => l === 'sent', 'sent');
    const got = (): string[] => receivers.flatMap((r) => r.lines.filter((l) => l.startsWith('got ')).map((l) => l.slice(4)));
    await waitUntil(() => new Set(got()).size >= 75, 'all 75 envelopes received');
    for (const r of receivers) await stopWorker(r);
    const all = got();
    expect(all.length).toBe(75);
    expect(new Set(all).size).toBe(75);
    for (const tag of ['a', 'b', 'c']) for (let i = 0; i < 25; i++) expect(all).toContain(`${tag}-${i}`);
    // Each receiver saw one sender's envelopes in that sender's order.
    for (const r of receivers) {
      const mine = r.lines.filter((l) => l.startsWith('got ')).map((l) => l.slice(4));
      for (const tag of ['a', 'b', 'c']) {
        const seq = mine.filter((m) => m.startsWith(`${tag}-`)).map((m) => Number(m.slice(2)));
        expect(seq).toEqual([...seq].sort((x, y) => x - y));
      }
    }
  });

  it('redelivers the envelope of a receiver process killed before ack, to another process', async () => {
    const mailbox = randomMailbox();
    const sender = new DropFolderTransport({ root });
    await sender.send(mailbox, new TextEncoder().encode('survives a crash'));
    const holder = startWorker(worker, ['hold', root, mailbox, String(LEASE_MS)]);
    workers.push(holder);
    const heldId = (await holder.waitForLine((l) => l.startsWith('held '), 'held')).slice(5);
    // While the holder lives, nobody else gets it.
    const other = new DropFolderTransport({ root, leaseMs: LEASE_MS, pollIntervalMs: 20 });
    await new Promise((r) => setTimeout(r, LEASE_MS * 2));
    expect(await countAvailable(other, mailbox)).toBe(0);
    await stopWorker(holder, 'SIGKILL');
    let redelivered: { id: string; text: string } | null = null;
    for await (const d of other.receive(mailbox)) {
      redelivered = { id: d.id, text: new TextDecoder().decode(await envelopeBytes(d.envelope)) };
      await d.ack();
      break;
    }
    expect(redelivered).toEqual({ id: heldId, text: 'survives a crash' });
    await other.close();
    await sender.close();
  });

  it('removes files a dead sender left in tmp/, and ignores foreign files', async () => {
    const mailbox = randomMailbox();
    const t = new DropFolderTransport({ root, staleTempMs: 1 });
    await t.send(mailbox, new Uint8Array([1]));
    await writeFile(join(root, mailbox, 'tmp', 'half-written'), 'x');
    await writeFile(join(root, mailbox, 'new', 'README.txt'), 'not an envelope');
    await new Promise((r) => setTimeout(r, 5));
    let n = 0;
    for await (const d of t.receive(mailbox, { untilEmpty: true })) {
      n++;
      await d.ack();
    }
    expect(n).toBe(1);
    expect(await readdir(join(root, mailbox, 'tmp'))).toEqual([]);
    expect(await readdir(join(root, mailbox, 'new'))).toEqual(['README.txt']);
    await t.close();
  });
});

describe('drop folder index (issue 15, item 5)', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'lintas-drop-idx-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** Put envelope files into `new/` as another process (or a sender that died before its index heard of it) would. */
  async function drop(mailbox: string, texts: string[], startMs = Date.now()): Promise<string[]> {
    await mkdir(join(root, mailbox, 'new'), { recursive: true });
    await mkdir(join(root, mailbox, 'cur'), { recursive: true });
    const names: string[] = [];
    for (const [i, text] of texts.entries()) {
      const name = storedName(startMs + i, i + 1);
      await writeFile(join(root, mailbox, 'new', name), text);
      names.push(name);
    }
    return names;
  }

  async function drainAll(t: DropFolderTransport, mailbox: string, ids: string[], texts: string[]): Promise<void> {
    for await (const d of t.receive(mailbox, { untilEmpty: true })) {
      ids.push(d.id);
      texts.push(new TextDecoder().decode(await envelopeBytes(d.envelope)));
      await d.ack();
    }
  }

  it('sees files another process writes after its first read, while it waits and once it is idle', async () => {
    const mailbox = randomMailbox();
    await drop(mailbox, ['before']);
    const t = new DropFolderTransport({ root, pollIntervalMs: 5 });
    const got: string[] = [];
    const done = (async () => {
      for await (const d of t.receive(mailbox)) {
        got.push(new TextDecoder().decode(await envelopeBytes(d.envelope)));
        await d.ack();
        if (got.length === 3) break;
      }
    })();
    await waitUntil(() => got.length === 1, 'the first envelope');
    // Straight after the read that found new/ empty: a file arriving within the same timestamp tick must not be missed.
    await drop(mailbox, ['right after']);
    await waitUntil(() => got.length === 2, 'the file written right after an empty read');
    await new Promise((r) => setTimeout(r, 1200)); // new/ has settled: polls now check its timestamps only
    await drop(mailbox, ['after a quiet second']);
    await done;
    expect(got).toEqual(['before', 'right after', 'after a quiet second']);
    await t.close();
  });

  it('never gives one envelope to two receivers whose indexes were read at the same time', async () => {
    const mailbox = randomMailbox();
    const texts = Array.from({ length: 300 }, (_, i) => `e${i}`);
    await drop(mailbox, texts);
    const a = new DropFolderTransport({ root, leaseMs: 60_000 });
    const b = new DropFolderTransport({ root, leaseMs: 60_000 });
    const got: { a: string[]; b: string[] } = { a: [], b: [] };
    await Promise.all([drainAll(a, mailbox, [], got.a), drainAll(b, mailbox, [], got.b)]);
    const all = [...got.a, ...got.b];
    expect(all.length).toBe(300);
    expect(new Set(all)).toEqual(new Set(texts));
    // Each receiver still sees its share in send order (FIFO for one sender).
    for (const mine of [got.a, got.b]) expect(mine).toEqual([...mine].sort((x, y) => Number(x.slice(1)) - Number(y.slice(1))));
    await Promise.all([a.close(), b.close()]);
  });

  it('skips what another receiver took after its index was read, without delivering it twice', async () => {
    const mailbox = randomMailbox();
    await drop(mailbox, Array.from({ length: 40 }, (_, i) => `e${i}`));
    const a = new DropFolderTransport({ root, leaseMs: 60_000 });
    const b = new DropFolderTransport({ root, leaseMs: 60_000 });
    const fromA: string[] = [];
    const itA = a.receive(mailbox, { untilEmpty: true })[Symbol.asyncIterator]();
    const first = await itA.next(); // A has read all 40 names
    fromA.push(new TextDecoder().decode(await envelopeBytes(first.value!.envelope)));
    await first.value!.ack();
    const fromB: string[] = [];
    await drainAll(b, mailbox, [], fromB); // B takes the other 39
    for (let r = await itA.next(); !r.done; r = await itA.next()) fromA.push(new TextDecoder().decode(await envelopeBytes(r.value.envelope)));
    expect(fromA).toEqual(['e0']);
    expect(fromB.length).toBe(39);
    await drop(mailbox, ['later'], Date.now() + 1000);
    const later: string[] = [];
    await drainAll(a, mailbox, [], later);
    expect(later).toEqual(['later']);
    await Promise.all([a.close(), b.close()]);
  });

  it('takes a lease another receiver let lapse before the rest of a backlog, while draining', async () => {
    const mailbox = randomMailbox();
    await drop(mailbox, Array.from({ length: 20 }, (_, i) => `e${i}`), Date.now());
    // A receiver that died holding the oldest envelope: its lease ran out a second ago.
    const base = storedName(Date.now() - 60_000, 1);
    await writeFile(join(root, mailbox, 'cur', `${base}.lease-${Date.now() - 1000}-${randomBytes(8).toString('hex')}`), 'orphaned');
    const t = new DropFolderTransport({ root });
    const ids: string[] = [];
    const texts: string[] = [];
    await drainAll(t, mailbox, ids, texts);
    expect(texts[0]).toBe('orphaned');
    expect(ids[0]).toBe(base);
    expect(texts.length).toBe(21);
    await t.close();
  });

  it('a restarted receiver rebuilds its index from the folder: the rest of the backlog, and the lease the old one held once it lapses', async () => {
    const mailbox = randomMailbox();
    await drop(mailbox, Array.from({ length: 30 }, (_, i) => `e${i}`));
    const first = new DropFolderTransport({ root, leaseMs: 60_000 });
    const seen: string[] = [];
    for await (const d of first.receive(mailbox, { untilEmpty: true })) {
      seen.push(new TextDecoder().decode(await envelopeBytes(d.envelope)));
      if (seen.length === 10) break; // "crashes" holding e9, unacked
      await d.ack();
    }
    await first.close();
    const second = new DropFolderTransport({ root });
    const rest: string[] = [];
    await drainAll(second, mailbox, [], rest);
    expect(rest).toEqual(Array.from({ length: 20 }, (_, i) => `e${i + 10}`)); // e9 is still leased
    // Let the minute pass: the lease's expiry is in its name, so renaming it to a past expiry is what time would do.
    const [held] = await readdir(join(root, mailbox, 'cur'));
    const m = /^(.*)\.lease-\d+-([0-9a-f]{16})$/.exec(held!)!;
    await rename(join(root, mailbox, 'cur', held!), join(root, mailbox, 'cur', `${m[1]}.lease-${Date.now() - 1}-${m[2]}`));
    const again: string[] = [];
    await drainAll(second, mailbox, [], again);
    expect(again).toEqual(['e9']);
    await second.close();
  });

  it('delivers its own sends to its waiting receive loop without waiting for a poll', async () => {
    const mailbox = randomMailbox();
    const t = new DropFolderTransport({ root, pollIntervalMs: 3_600_000 });
    const got: string[] = [];
    const done = (async () => {
      for await (const d of t.receive(mailbox)) {
        got.push(new TextDecoder().decode(await envelopeBytes(d.envelope)));
        await d.ack();
        if (got.length === 2) break;
      }
    })();
    await new Promise((r) => setTimeout(r, 50)); // the loop found nothing and waits (for an hour)
    await t.send(mailbox, new TextEncoder().encode('one'));
    await t.send(mailbox, new TextEncoder().encode('two'));
    await done;
    expect(got).toEqual(['one', 'two']);
    await t.close();
  });
});

function storedName(ms: number, sequence: number): string {
  return `${String(ms).padStart(15, '0')}-${String(sequence).padStart(9, '0')}-${randomBytes(8).toString('hex')}`;
}

async function countAvailable(t: DropFolderTransport, mailbox: string): Promise<number> {
  let n = 0;
  for await (const _ of t.receive(mailbox, { untilEmpty: true })) n++;
  return n;
}
