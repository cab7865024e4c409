/**
 * Shared parts of the transport fault and load tests: sender processes (fixtures/sender.ts),
 * and receivers that run `receiveEnvelopes` with a persistent replay guard and start again after
 * a transport error, as a long-running service would, while counting how often the handler saw
 * each payload.
 */
import { expect } from 'vitest';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { identityKeysFromSeed, receiveEnvelopes, type IdentityKeys, type ReceiveEnvelopesResult, type ReplayGuard, type Transport } from '../../src/index.js';
import { startWorker, type Worker } from '../transports/process-helpers.js';

const SENDER = fileURLToPath(new URL('./fixtures/sender.ts', import.meta.url));

/** The recipient all senders seal to; sender processes derive its public keys from the seed. */
export async function recipient(): Promise<{ seedHex: string; keys: IdentityKeys }> {
  const seed = randomBytes(32);
  return { seedHex: seed.toString('hex'), keys: await identityKeysFromSeed(seed) };
}

/** Start sender processes; `tag` of sender k is `S<k>`. */
export function startSenders(kind: 'relay' | 'redis', url: string, seedHex: string, senders: number, perSender: number, lanes: number, mailboxes: string[]): Worker[] {
  return Array.from({ length: senders }, (_, k) => startWorker(SENDER, [kind, url, seedHex, String(perSender), `S${k}`, String(lanes), ...mailboxes]));
}

/** Payload names the senders saw acknowledged, and how many send attempts failed. */
export function senderTally(workers: Worker[]): { acked: Set<string>; retries: number } {
  const acked = new Set<string>();
  let retries = 0;
  for (const w of workers) {
    for (const l of w.lines) {
      if (l.startsWith('acked ')) acked.add(l.slice(6));
      else if (l.startsWith('retry ')) retries++;
    }
  }
  return { acked, retries };
}

/** What the receivers saw. */
export interface ReceiverTally {
  /** Payload name -> number of times the handler processed it (must never exceed 1). */
  handled: Map<string, number>;
  /** Rejection code -> count (ERR_REPLAY_DETECTED: a duplicate copy dropped by the replay guard). */
  rejected: Map<string, number>;
  /** Errors that ended a receive run (the transport went away), by code. */
  restarts: Map<string, number>;
}

export function newTally(): ReceiverTally {
  return { handled: new Map(), rejected: new Map(), restarts: new Map() };
}

const bump = (m: Map<string, number>, k: string): void => void m.set(k, (m.get(k) ?? 0) + 1);

/**
 * Run `receivers` receive loops on `mailbox` until stopped; each makes a new transport with
 * `connect()` and starts over after an error. `stop()` ends them and resolves once they ended.
 */
export function keepReceiving(connect: () => Transport, mailbox: string, keys: IdentityKeys, guard: ReplayGuard, tally: ReceiverTally, receivers = 1): { stop: () => Promise<void> } {
  const stopping = new AbortController();
  const one = async (): Promise<void> => {
    while (!stopping.signal.aborted) {
      const t = connect();
      try {
        await receiveEnvelopes(t, mailbox, {
          keys: [keys.x25519],
          replayGuard: guard,
          handler: (opened) => bump(tally.handled, new TextDecoder().decode(opened.payload)),
          onRejected: (r) => bump(tally.rejected, r.error.code),
          signal: stopping.signal,
        });
      } catch (e) {
        if (stopping.signal.aborted) break;
        bump(tally.restarts, (e as { code?: string }).code ?? String(e));
        await new Promise((r) => setTimeout(r, 50));
      } finally {
        await t.close();
      }
    }
  };
  const running = Promise.all(Array.from({ length: receivers }, one));
  return {
    stop: async () => {
      stopping.abort();
      await running;
    },
  };
}

/**
 * Receive what is left in `mailbox` once, until it is empty, into `tally`. Used after the
 * receivers stopped, when everything left should be a second copy: one processed here anyway
 * is counted 99 times, so {@link expectExactlyOnce} reports it.
 */
export function drainOnce(transport: Transport, mailbox: string, keys: IdentityKeys, guard: ReplayGuard, tally: ReceiverTally): Promise<ReceiveEnvelopesResult> {
  return receiveEnvelopes(transport, mailbox, {
    keys: [keys.x25519],
    replayGuard: guard,
    handler: (opened) => void tally.handled.set(new TextDecoder().decode(opened.payload), 99),
    onRejected: (r) => bump(tally.rejected, r.error.code),
    untilEmpty: true,
  });
}

/** Every acknowledged payload processed exactly once, nothing processed that was not sent. */
export function expectExactlyOnce(acked: Set<string>, tally: ReceiverTally, sent: (name: string) => boolean): void {
  const missing = [...acked].filter((n) => !tally.handled.has(n));
  expect(missing.slice(0, 10), `${missing.length} acknowledged envelopes never processed`).toEqual([]);
  const twice = [...tally.handled].filter(([, n]) => n > 1);
  expect(twice.slice(0, 10), `${twice.length} envelopes processed more than once`).toEqual([]);
  const unknown = [...tally.handled.keys()].filter((n) => !sent(n));
  expect(unknown.slice(0, 10)).toEqual([]);
}

/** Wait until `condition` holds, polling every 50 ms, for at most `ms`. */
export async function waitFor(condition: () => boolean, what: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
