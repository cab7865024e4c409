/**
 * The HTTP relay killed with SIGKILL under load (docs/SECURITY-TESTING.md, "Fault injection"):
 * three sender processes keep sending while the relay process is killed and restarted on the
 * same directory and port, three times. Senders retry a failed send with the same bytes, so an
 * envelope stored just before the kill, whose 201 never arrived, is stored twice. Every envelope
 * the relay acknowledged (201) must be processed after the restarts, and none twice: the
 * receiver's persistent replay guard drops the second copies.
 *
 * test/transports/relay-security.test.ts covers one kill with a leased envelope and a half
 * upload, with nothing sending at the time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mailboxId, RelayTransport } from '../../src/index.js';
import { FileReplayGuard } from '../../src/node.js';
import { startWorker, stopWorker, type Worker } from '../transports/process-helpers.js';
import { drainOnce, expectExactlyOnce, keepReceiving, newTally, recipient, senderTally, startSenders, waitFor } from './delivery-kit.js';

const RELAY = fileURLToPath(new URL('../transports/fixtures/relay-process.ts', import.meta.url));
const SENDERS = 3;
const PER_SENDER = 100;
const KILL_AT = [0.2, 0.45, 0.7]; // fractions of all envelopes acknowledged

const workers: Worker[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const w of workers.splice(0)) await stopWorker(w, 'SIGKILL');
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'lintas-faults-relay-'));
  dirs.push(d);
  return d;
}

async function startRelayProcess(dir: string, port: number): Promise<{ worker: Worker; url: string }> {
  const worker = startWorker(RELAY, [dir, String(port), '2000']);
  workers.push(worker);
  const url = (await worker.waitForLine((l) => l.startsWith('listening '), 'listening')).slice('listening '.length);
  return { worker, url };
}

describe('relay: killed under load', () => {
  it(`keeps every acknowledged envelope through ${KILL_AT.length} SIGKILLs while ${SENDERS} processes send, and processes none twice`, async () => {
    const dir = await tempDir();
    const { seedHex, keys } = await recipient();
    const mailbox = mailboxId(keys.signing.publicKey);
    let relay = await startRelayProcess(dir, 0);
    const url = relay.url;
    const port = Number(new URL(url).port);
    const guard = await FileReplayGuard.open(join(await tempDir(), 'replay.log'));
    const tally = newTally();
    const connect = () => new RelayTransport({ url, mailboxKeys: [keys.signing], longPollMs: 500 });
    const receiving = keepReceiving(connect, mailbox, keys, guard, tally);
    const senders = startSenders('relay', url, seedHex, SENDERS, PER_SENDER, 4, [mailbox]);
    workers.push(...senders);
    const total = SENDERS * PER_SENDER;

    for (const fraction of KILL_AT) {
      await waitFor(() => senderTally(senders).acked.size >= fraction * total, `${fraction * 100}% acknowledged`, 60_000);
      await stopWorker(relay.worker, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 100 + Math.floor(Math.random() * 300)));
      relay = await startRelayProcess(dir, port);
    }
    await Promise.all(senders.map((w) => w.exited));
    const { acked, retries } = senderTally(senders);
    expect(acked.size).toBe(total);
    await waitFor(() => [...acked].every((n) => tally.handled.has(n)), 'every acknowledged envelope processed', 60_000);
    await receiving.stop();

    // Whatever is still stored now are second copies of processed envelopes: refused, not processed.
    const drain = connect();
    const rest = await drainOnce(drain, mailbox, keys, guard, tally);
    expect(rest.processed).toBe(0);
    expect(await drain.list(mailbox)).toEqual([]);
    await drain.close();
    await guard.close();
    expect(await readdir(join(dir, 'tmp'))).toEqual([]);

    expectExactlyOnce(acked, tally, (n) => /^S\d-\d+$/.test(n));
    expect(tally.handled.size).toBe(total);
    expect(retries).toBeGreaterThan(0); // the kills did hit sends in progress
    console.info(`[faults] relay: ${KILL_AT.length} SIGKILLs, ${total} envelopes acknowledged and processed once, ${retries} failed send attempts retried, ` +
      `${tally.rejected.get('ERR_REPLAY_DETECTED') ?? 0} duplicate deliveries (retried sends stored twice, acks cut off) dropped by the replay guard, receiver restarted ${[...tally.restarts.values()].reduce((a, b) => a + b, 0)} times`);
  }, 180_000);
});
