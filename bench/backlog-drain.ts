/**
 * The drain measurement bench/redis-drain.ts and bench/nats-drain.ts share (issue 15): for each
 * backlog, a new mailbox filled by 16 concurrent senders, then received and acked by one receive
 * loop with reads of one envelope (`batchSize: 1`), in batches of 32 with each ack awaited, and
 * in batches of 32 with acks not awaited one by one (up to 256 in flight; `ack()` still resolves
 * only once the server confirmed). Prints one line per run.
 */
import type { Transport } from '../src/index.js';

/**
 * Drain `backlogs` of `envelope` through transports from `make(batchSize)`, printing
 * "`label`: backlog N, batchSize B[, acks pipelined]: R envelopes/s received and acked".
 */
export async function drainBacklogs(label: string, backlogs: number[], envelope: Uint8Array, make: (batchSize: number) => Transport): Promise<void> {
  for (const backlog of backlogs) {
    for (const [batchSize, pipelined] of [[1, false], [32, false], [32, true]] as const) {
      const mailbox = Array.from({ length: 64 }, () => '0123456789abcdef'[Math.floor(Math.random() * 16)]).join('');
      const t = make(batchSize);
      await Promise.all(
        Array.from({ length: 16 }, async (_, w) => {
          for (let i = w; i < backlog; i += 16) await t.send(mailbox, envelope);
        }),
      );
      const start = process.hrtime.bigint();
      let n = 0;
      const acks: Promise<void>[] = [];
      for await (const d of t.receive(mailbox, { untilEmpty: true })) {
        if (pipelined) acks.push(d.ack());
        else await d.ack();
        n++;
        if (acks.length >= 256) await Promise.all(acks.splice(0));
      }
      await Promise.all(acks);
      const s = Number(process.hrtime.bigint() - start) / 1e9;
      if (n !== backlog) throw new Error(`drained ${n} of ${backlog}`);
      console.log(`${label}: backlog ${backlog.toLocaleString('en')}, batchSize ${batchSize}${pipelined ? ', acks pipelined' : ''}: ${Math.round(n / s).toLocaleString('en')} envelopes/s received and acked (${s.toFixed(2)} s)`);
      await t.close();
    }
  }
}
