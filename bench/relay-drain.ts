/**
 * Draining a relay mailbox with a backlog (issue 15, item 5): how many envelopes a second one
 * receiver leases, fetches and acknowledges, and how long one list and one lease take, at each
 * backlog size. Also the round trip of another mailbox's owner while 20 long polls wait.
 *
 *   npx tsx bench/relay-drain.ts                                  1k and 10k, this version
 *   npx tsx bench/relay-drain.ts --backlogs 1000,10000,50000
 *   npx tsx bench/relay-drain.ts --baseline /tmp/base/src         also the version in that src/
 *                                                                 (e.g. `git archive main src | tar -x -C /tmp/base`)
 *   npx tsx bench/relay-drain.ts --drain 2000                     envelopes drained per size (default 2000)
 *   npx tsx bench/relay-drain.ts --receivers 4                    receive loops draining together (default 1)
 *
 * The backlog is written straight into the relay's folder (one 256-byte file per envelope, named
 * as the relay names them) before the relay starts. Prints; asserts nothing.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';

const { values: args } = parseArgs({ options: { backlogs: { type: 'string' }, baseline: { type: 'string' }, drain: { type: 'string' }, receivers: { type: 'string' } } });
const receiverCount = Number(args.receivers ?? 1);
const backlogs = (args.backlogs ?? '1000,10000').split(',').map(Number);
const drain = Number(args.drain ?? 2000);
const self = fileURLToPath(import.meta.url);
const runs: [string, string][] = [['current', resolve(self, '../../src')]];
if (args.baseline) runs.unshift(['baseline', resolve(args.baseline)]);

console.log(`relay drain (node ${process.version}); ${drain} envelopes drained per backlog by ${receiverCount} receive loop(s)`);
for (const [name, src] of runs) {
  const lib = (await import(pathToFileURL(join(src, 'index.ts')).href)) as typeof import('../src/index.js');
  const node = (await import(pathToFileURL(join(src, 'node.ts')).href)) as typeof import('../src/node.js');
  for (const backlog of backlogs) {
    const dir = mkdtempSync(join(tmpdir(), 'lintas-bench-relay-'));
    try {
      const owner = (await lib.generateIdentityKeys()).signing;
      const mailbox = lib.mailboxId(owner.publicKey);
      const box = join(dir, 'mailboxes', mailbox);
      mkdirSync(box, { recursive: true });
      const body = randomBytes(256);
      const t0 = Date.now() - backlog;
      for (let i = 0; i < backlog; i++) {
        writeFileSync(join(box, `${String(t0 + i).padStart(15, '0')}-${String(i + 1).padStart(9, '0')}-${randomBytes(8).toString('hex')}`), body);
      }
      const started = performance.now();
      const relay = await node.startRelay({ dir, onWarning: () => {}, limits: { clientRate: { perSecond: 1e6, burst: 1e6 }, mailboxSendRate: { perSecond: 1e6, burst: 1e6 } } as never });
      const startMs = performance.now() - started;
      const receiver = new lib.RelayTransport({ url: relay.url, mailboxKeys: [owner] });
      let t = performance.now();
      await receiver.list(mailbox); // opens the session too
      t = performance.now();
      const listed = (await receiver.list(mailbox)).length;
      const listMs = performance.now() - t;
      let n = 0;
      const loops = Array.from({ length: receiverCount }, () => new lib.RelayTransport({ url: relay.url, mailboxKeys: [owner] }));
      t = performance.now();
      await Promise.all(
        loops.map(async (loop) => {
          for await (const d of loop.receive(mailbox, { untilEmpty: true })) {
            if (n >= drain) break;
            n++;
            await d.ack();
          }
        }),
      );
      await Promise.all(loops.map((loop) => loop.close()));
      const seconds = (performance.now() - t) / 1000;
      console.log(
        `${name.padEnd(8)} backlog ${String(backlog).padStart(6)}: start ${startMs.toFixed(0).padStart(6)} ms, list of ${listed} ${listMs.toFixed(1).padStart(7)} ms, drained ${n} at ${(n / seconds).toFixed(0).padStart(5)}/s`,
      );
      await receiver.close();
      await relay.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
