/**
 * Seal+open pairs per second, on one thread and through lintas/node's worker pool, for
 * bench/worker-pool.ts and for bench/run.ts (which uses it when `createWorkerPool` exists).
 *
 * A "pair" is one payload sealed to one X25519 recipient, signed, then opened and verified: the
 * small-message row of bench/run.ts. One thread runs them one after the other; the pool seals a
 * batch, then opens it (each phase spread over the workers), as a sender and a receiver of many
 * envelopes would.
 */
import type * as LintasNode from '../src/node.js';

type Lintas = typeof LintasNode;

/**
 * A run's rate: pairs per second of wall clock, and microseconds of CPU per pair summed over
 * every thread of the process (process.cpuUsage), which a busy machine inflates far less than
 * wall time: `cores * 1e6 / cpuPerPair` is the rate the run would reach on that many free cores.
 */
export interface PairRate {
  perSecond: number;
  cpuPerPair: number;
}

/** The parties and the two ways of making pairs. */
export interface PairMakers {
  /** `pairs` pairs of `payload` on this thread. */
  single(payload: Uint8Array, pairs: number): Promise<PairRate>;
  /** `pairs` pairs of `payload` through the pool, in batches of `batch`. */
  pooled(payload: Uint8Array, pairs: number, batch: number): Promise<PairRate>;
  /** The pool's worker count. */
  workers: number;
  close(): Promise<void>;
}

/** Start a pool of `workers` threads with fixed sender and recipient keys. */
export async function pairMakers(lintas: Lintas, workers: number): Promise<PairMakers> {
  await lintas.cryptoReady();
  const sender = await lintas.identityKeysFromSeed(new Uint8Array(32).fill(1));
  const recipient = await lintas.identityKeysFromSeed(new Uint8Array(32).fill(2));
  const sealOptions = { recipients: [recipient.x25519], sender: sender.signing };
  const openOptions = { keys: [recipient.x25519], trustedSenders: [sender.signing.publicKey] };
  const pool = await lintas.createWorkerPool({ workers, sender: sender.signing, keys: [recipient.x25519] });
  const trusted = { trustedSenders: [sender.signing.publicKey] };
  return {
    workers,
    async single(payload, pairs) {
      const start = performance.now();
      const cpu = process.cpuUsage();
      for (let i = 0; i < pairs; i++) {
        const opened = await lintas.open(await lintas.seal(payload, sealOptions), openOptions);
        if (opened.payload.length !== payload.length) throw new Error('the payload did not survive the round trip');
      }
      return rate(pairs, start, cpu);
    },
    async pooled(payload, pairs, batch) {
      const start = performance.now();
      const cpu = process.cpuUsage();
      for (let done = 0; done < pairs; done += batch) {
        const n = Math.min(batch, pairs - done);
        const envelopes = await pool.seal(Array.from({ length: n }, () => ({ payload, recipients: sealOptions.recipients })));
        for (const r of await pool.open(envelopes, trusted)) {
          if (!r.ok || r.opened.payload.length !== payload.length) throw new Error('the payload did not survive the round trip');
        }
      }
      return rate(pairs, start, cpu);
    },
    close: () => pool.close(),
  };
}

function rate(pairs: number, start: number, cpu0: NodeJS.CpuUsage): PairRate {
  const cpu = process.cpuUsage(cpu0);
  return { perSecond: pairs / ((performance.now() - start) / 1000), cpuPerPair: (cpu.user + cpu.system) / pairs };
}
