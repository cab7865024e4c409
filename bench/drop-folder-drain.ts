/**
 * Draining a drop folder mailbox with a backlog (issue 15, item 5): how long the first claim
 * takes (it reads the folder), and how many envelopes a second one receiver claims, reads and
 * acknowledges, at each backlog size.
 *
 *   npx tsx bench/drop-folder-drain.ts                               1k, 10k and 50k, this version
 *   npx tsx bench/drop-folder-drain.ts --backlogs 1000,100000
 *   npx tsx bench/drop-folder-drain.ts --baseline /tmp/base/src      also the version in that src/,
 *                                     interleaved (e.g. `git archive <commit> src | tar -x -C /tmp/base`
 *                                     and `ln -s $PWD/node_modules /tmp/base/node_modules`)
 *   npx tsx bench/drop-folder-drain.ts --drain 2000                  envelopes drained per run (default 2000)
 *
 * The backlog is written straight into `new/` (one 256-byte file per envelope, named as senders
 * name them) and topped up between runs, so each version starts from the same backlog. Prints;
 * asserts nothing.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';

const { values: args } = parseArgs({ options: { backlogs: { type: 'string' }, baseline: { type: 'string' }, drain: { type: 'string' } } });
const backlogs = (args.backlogs ?? '1000,10000,50000').split(',').map(Number);
const drain = Number(args.drain ?? 2000);
const self = fileURLToPath(import.meta.url);
const versions: [string, string][] = [['current', resolve(self, '../../src')]];
if (args.baseline) versions.unshift(['baseline', resolve(args.baseline)]);
const libs = await Promise.all(
  versions.map(async ([name, src]) => ({
    name,
    lib: (await import(pathToFileURL(join(src, 'index.ts')).href)) as typeof import('../src/index.js'),
    node: (await import(pathToFileURL(join(src, 'node.ts')).href)) as typeof import('../src/node.js'),
  })),
);

console.log(`drop folder drain (node ${process.version}); up to ${drain} envelopes drained per run by 1 receive loop`);
const body = randomBytes(256);
let sequence = 0;
/** Write `count` envelope files into `dir/new/`, named as a sender names them. */
function fill(dir: string, count: number): void {
  const t0 = Date.now() - count;
  for (let i = 0; i < count; i++) {
    sequence++;
    writeFileSync(join(dir, 'new', `${String(t0 + i).padStart(15, '0')}-${String(sequence % 1e9).padStart(9, '0')}-${randomBytes(8).toString('hex')}`), body);
  }
}

for (const backlog of backlogs) {
  const root = mkdtempSync(join(tmpdir(), 'lintas-bench-drop-'));
  try {
    const owner = (await libs[0]!.lib.generateIdentityKeys()).signing;
    const mailbox = libs[0]!.lib.mailboxId(owner.publicKey);
    const dir = join(root, mailbox);
    for (const sub of ['tmp', 'new', 'cur']) mkdirSync(join(dir, sub), { recursive: true });
    fill(dir, backlog);
    for (const { name, node } of libs) {
      execFileSync('sync'); // write back the fill first, so no version is measured during another's writeback
      const receiver = new node.DropFolderTransport({ root });
      let n = 0;
      let firstMs = 0;
      const t = performance.now();
      for await (const d of receiver.receive(mailbox, { untilEmpty: true })) {
        if (n === 0) firstMs = performance.now() - t;
        n++;
        await d.ack();
        if (n >= drain) break;
      }
      const seconds = (performance.now() - t) / 1000;
      await receiver.close();
      console.log(
        `${name.padEnd(8)} backlog ${String(backlog).padStart(6)}: first claim ${firstMs.toFixed(1).padStart(7)} ms, drained ${n} at ${(n / seconds).toFixed(0).padStart(5)}/s (${((seconds * 1000) / n).toFixed(2)} ms each)`,
      );
      fill(dir, n); // back to the same backlog for the next version
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
