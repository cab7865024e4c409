/**
 * A bounded load test on loopback (docs/SECURITY-TESTING.md, "Fault injection"): four sender
 * processes, eight sends in flight each, push tiny sealed envelopes through a relay process into
 * two mailboxes, while four receive loops (two per mailbox, one replay guard) open and process
 * them. Delivered must equal sent, with nothing processed twice and nothing left on the relay.
 *
 * LINTAS_LOAD_ENVELOPES sets the total (default 2,000, about 25 s on 2 cores; `npm run faults`
 * runs 10,000). No timing is asserted: the figures are printed for the report.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateIdentityKeys, mailboxId, RelayTransport } from '../../src/index.js';
import { FileReplayGuard } from '../../src/node.js';
import { startWorker, stopWorker, type Worker } from '../transports/process-helpers.js';
import { expectExactlyOnce, keepReceiving, newTally, recipient, senderTally, startSenders, waitFor } from './delivery-kit.js';

const RELAY = fileURLToPath(new URL('../transports/fixtures/relay-process.ts', import.meta.url));
const SENDERS = 4;
const LANES = 8;
const TOTAL = Number(process.env.LINTAS_LOAD_ENVELOPES ?? 2_000);
const PER_SENDER = Math.ceil(TOTAL / SENDERS);

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'lintas-faults-load-'));
  cleanups.push(() => rm(d, { recursive: true, force: true }));
  return d;
}

describe('load on loopback', () => {
  it(`delivers ${SENDERS * PER_SENDER} envelopes from ${SENDERS} sender processes through the relay, each processed once`, async () => {
    const dir = await tempDir();
    const relay: Worker = startWorker(RELAY, [dir, '0', '30000']);
    cleanups.push(() => stopWorker(relay, 'SIGKILL'));
    const url = (await relay.waitForLine((l) => l.startsWith('listening '), 'listening')).slice('listening '.length);
    const { seedHex, keys } = await recipient();
    const second = (await generateIdentityKeys()).signing; // owner of the second mailbox
    const owners = [keys.signing, second];
    const mailboxes = owners.map((k) => mailboxId(k.publicKey));
    const guard = await FileReplayGuard.open(join(await tempDir(), 'replay.log'));
    cleanups.push(() => guard.close());
    const tally = newTally();
    const receivers = mailboxes.map((m) =>
      keepReceiving(() => new RelayTransport({ url, mailboxKeys: owners, longPollMs: 1000 }), m, keys, guard, tally, 2),
    );
    cleanups.push(() => Promise.all(receivers.map((r) => r.stop())));

    const started = Date.now();
    const senders = startSenders('relay', url, seedHex, SENDERS, PER_SENDER, LANES, mailboxes);
    for (const w of senders) cleanups.push(() => stopWorker(w, 'SIGKILL'));
    await Promise.all(senders.map((w) => w.exited));
    const sendMs = Date.now() - started;
    const { acked, retries } = senderTally(senders);
    expect(acked.size).toBe(SENDERS * PER_SENDER);
    expect(retries).toBe(0); // nothing failed: no rate limit, no full mailbox, no error
    await waitFor(() => tally.handled.size >= acked.size, 'every envelope processed', 120_000);
    const totalMs = Date.now() - started;
    await Promise.all(receivers.map((r) => r.stop()));

    expectExactlyOnce(acked, tally, (n) => acked.has(n));
    expect(tally.handled.size).toBe(acked.size);
    expect(tally.rejected.size).toBe(0);
    expect(tally.restarts.size).toBe(0);
    const check = new RelayTransport({ url, mailboxKeys: owners });
    for (const m of mailboxes) expect(await check.list(m)).toEqual([]);
    await check.close();
    expect(await readdir(join(dir, 'tmp'))).toEqual([]);
    console.info(`[faults] load: ${acked.size} envelopes from ${SENDERS} sender processes (${LANES} in flight each) into ${mailboxes.length} mailboxes, ` +
      `all sent in ${(sendMs / 1000).toFixed(1)} s, all processed once after ${(totalMs / 1000).toFixed(1)} s (${Math.round(acked.size / (totalMs / 1000))} envelopes/s end to end)`);
  }, 600_000);
});
