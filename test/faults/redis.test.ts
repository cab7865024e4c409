/**
 * Redis killed with SIGKILL mid-stream and started again on the same port and data directory
 * (docs/SECURITY-TESTING.md, "Fault injection"), with the persistence docs/TRANSPORTS.md
 * recommends (AOF, `appendfsync always`). Three sender processes keep sending; receivers keep
 * receiving through clients that reconnect. Every envelope Redis acknowledged (XADD replied) is
 * processed after the restarts, none twice: sends retried after a lost reply store second
 * copies, and entries read or acknowledged just before the kill come back as pending entries,
 * and the replay guard drops both.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { mailboxId } from '../../src/index.js';
import { FileReplayGuard, RedisStreamsTransport } from '../../src/node.js';
import { stopWorker, type Worker } from '../transports/process-helpers.js';
import { drainOnce, expectExactlyOnce, keepReceiving, newTally, recipient, senderTally, startSenders, waitFor } from './delivery-kit.js';
import { startPersistentRedis, type RedisProcess } from './redis-process.js';
import { hasRedisServer } from '../setup/gaps.js';

const SENDERS = 3;
const PER_SENDER = 100;
const KILL_AT = [0.2, 0.45, 0.7]; // fractions of all envelopes acknowledged
const LEASE_MS = 1000;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'lintas-faults-redis-'));
  cleanups.push(() => rm(d, { recursive: true, force: true }));
  return d;
}

describe.skipIf(!hasRedisServer(import.meta.url))('Redis: restarted mid-stream', () => {
  it(`keeps every acknowledged envelope through ${KILL_AT.length} kills of redis-server while ${SENDERS} processes send, and processes none twice`, async () => {
    const redis: RedisProcess = await startPersistentRedis(await tempDir());
    cleanups.push(() => redis.stop());
    const { seedHex, keys } = await recipient();
    const mailbox = mailboxId(keys.signing.publicKey);
    // The app's client: reconnects every 50 ms; commands wait in its offline queue meanwhile.
    const client = createClient({ url: redis.url, socket: { reconnectStrategy: () => 50 } });
    client.on('error', () => {});
    await client.connect();
    cleanups.push(async () => client.isOpen && (await client.close()));
    const guard = await FileReplayGuard.open(join(await tempDir(), 'replay.log'));
    cleanups.push(() => guard.close());
    const tally = newTally();
    const connect = () => new RedisStreamsTransport({ client, leaseMs: LEASE_MS, pollIntervalMs: 20 });
    const receiving = keepReceiving(connect, mailbox, keys, guard, tally, 2);
    cleanups.push(() => receiving.stop());
    const senders: Worker[] = startSenders('redis', redis.url, seedHex, SENDERS, PER_SENDER, 4, [mailbox]);
    for (const w of senders) cleanups.push(() => stopWorker(w, 'SIGKILL'));
    const total = SENDERS * PER_SENDER;

    for (const fraction of KILL_AT) {
      await waitFor(() => senderTally(senders).acked.size >= fraction * total, `${fraction * 100}% acknowledged`, 60_000);
      await redis.kill();
      await new Promise((r) => setTimeout(r, 100 + Math.floor(Math.random() * 300)));
      await redis.restart();
    }
    await Promise.all(senders.map((w) => w.exited));
    const { acked, retries } = senderTally(senders);
    expect(acked.size).toBe(total);
    await waitFor(() => [...acked].every((n) => tally.handled.has(n)), 'every acknowledged envelope processed', 60_000);
    await receiving.stop();

    // Left now: second copies, and entries pending with a receiver the kill interrupted (they
    // come back once idle for a lease). All are refused as replays, none processed.
    await new Promise((r) => setTimeout(r, LEASE_MS + 100));
    const drain = connect();
    const rest = await drainOnce(drain, mailbox, keys, guard, tally);
    await drain.close();
    expect(rest.processed).toBe(0);
    const key = `lintas:mailbox:{${mailbox}}`;
    expect(await client.sendCommand(['XLEN', key])).toBe(0);
    expect(await client.sendCommand(['XPENDING', key, 'lintas', '-', '+', '10'])).toEqual([]);

    expectExactlyOnce(acked, tally, (n) => /^S\d-\d+$/.test(n));
    expect(tally.handled.size).toBe(total);
    console.info(`[faults] redis: ${KILL_AT.length} SIGKILLs of redis-server (AOF, appendfsync always), ${total} envelopes acknowledged and processed once, ` +
      `${retries} failed send attempts retried, ${tally.rejected.get('ERR_REPLAY_DETECTED') ?? 0} duplicate deliveries (second copies, reclaimed pending entries) dropped by the replay guard, ` +
      `receive loops restarted ${[...tally.restarts.values()].reduce((a, b) => a + b, 0)} times`);
  }, 180_000);
});
