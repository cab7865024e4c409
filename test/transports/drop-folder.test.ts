import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
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

async function countAvailable(t: DropFolderTransport, mailbox: string): Promise<number> {
  let n = 0;
  for await (const _ of t.receive(mailbox, { untilEmpty: true })) n++;
  return n;
}
