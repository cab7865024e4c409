/**
 * What the signed checkpoints (SPEC 5.5-5.7: one Ed25519 signature per 4 MiB window, and a
 * reader that holds a window until its checkpoint verifies) cost against a baseline commit of
 * lintas, e.g. the last one with a single signature at the end of the payload (b04003f^):
 *
 *   npx tsx bench/checkpoints.ts --baseline <git ref> [--mib 1024] [--rounds 5]
 *
 * Both trees run the same streamed seal+sign and open+verify of the payload in child processes
 * (`large-stream.ts`: bundled, run by plain node, ciphertext in /dev/shm), interleaved round by
 * round so that other load on the machine hits both alike. The added cost is taken per round
 * (this tree's time over the baseline's, in the same round) and the median round reported with
 * the smallest and largest, for wall time and for each process's CPU time (user + system, all
 * threads), which other load on a shared machine disturbs far less. `npm run bench` measures
 * the same thing at 1 GiB in its own rounds; this script is for more rounds or other sizes.
 * The baseline tree is exported with `git archive` into a temporary directory and shares this
 * checkout's node_modules; any other change between the two commits counts too.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeBenchKeys } from './other-libraries.js';
import { bundleLargeChild, largeFileDir, runLarge, type LargeRun } from './large-stream.js';
import { fmtSpread, MiB, roundRatios, spread } from './measure.js';

function option(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? process.argv[i + 1] : fallback;
  if (value === undefined) throw new Error(`--${name} is required`);
  return value;
}

const baseline = option('baseline');
const bytes = Number(option('mib', '1024')) * MiB;
const rounds = Number(option('rounds', '5'));
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const work = mkdtempSync(join(tmpdir(), 'lintas-checkpoints-'));
try {
  const baseTree = join(work, 'baseline');
  execFileSync('sh', ['-c', `mkdir -p "${baseTree}" && git -C "${root}" archive "${baseline}" src bench package.json | tar -x -C "${baseTree}"`]);
  symlinkSync(join(root, 'node_modules'), join(baseTree, 'node_modules'));
  const trees = [
    { name: 'baseline', child: await bundleLargeChild(join(work, 'baseline-child'), join(baseTree, 'bench', 'large-child.ts')), runs: { encrypt: [] as LargeRun[], decrypt: [] as LargeRun[] } },
    { name: 'this tree', child: await bundleLargeChild(join(work, 'this-child')), runs: { encrypt: [] as LargeRun[], decrypt: [] as LargeRun[] } },
  ];
  const keysPath = join(work, 'keys.json');
  writeFileSync(keysPath, JSON.stringify(await makeBenchKeys()));
  const fileDir = largeFileDir();
  try {
    for (let round = 1; round <= rounds; round++) {
      // Alternate which tree goes first, so neither always runs after the other's garbage.
      for (const t of round % 2 ? trees : [...trees].reverse()) {
        process.stderr.write(`  ... ${t.name}, ${bytes / MiB} MiB, round ${round} of ${rounds}\n`);
        const file = join(fileDir, 'payload.lintas');
        t.runs.encrypt.push(await runLarge(t.child, 'lintas', 'encrypt', bytes, keysPath, file));
        t.runs.decrypt.push(await runLarge(t.child, 'lintas', 'decrypt', bytes, keysPath, file));
        rmSync(file, { force: true });
      }
    }
  } finally {
    rmSync(fileDir, { recursive: true, force: true });
  }
  const med = (xs: number[]) => spread(xs).median;
  console.log(`| ${bytes / MiB} MiB streamed, median of ${rounds} rounds | seal+sign MiB/s | open+verify MiB/s | CPU s seal / open | peak RSS seal / open, max (MiB) |`);
  console.log('|---|---:|---:|---:|---:|');
  for (const { name, runs } of trees) {
    const rate = (rs: LargeRun[]) => med(rs.map((r) => bytes / MiB / r.seconds)).toFixed(0);
    const rss = (rs: LargeRun[]) => (Math.max(...rs.map((r) => r.peakRss)) / MiB).toFixed(0);
    const cpu = (rs: LargeRun[]) => med(rs.map((r) => r.cpu)).toFixed(2);
    console.log(`| ${name} | ${rate(runs.encrypt)} | ${rate(runs.decrypt)} | ${cpu(runs.encrypt)} / ${cpu(runs.decrypt)} | ${rss(runs.encrypt)} / ${rss(runs.decrypt)} |`);
  }
  const [base, ours] = [trees[0]!.runs, trees[1]!.runs];
  const added = (op: 'encrypt' | 'decrypt', f: (r: LargeRun) => number) =>
    fmtSpread(spread(roundRatios(ours[op].map(f), base[op].map(f)).map((x) => x - 1)), (x) => `${(100 * x).toFixed(1)}%`);
  console.log(`\nAdded by checkpoints, per round, median (min-max): wall time seal+sign ${added('encrypt', (r) => r.seconds)}, open+verify ${added('decrypt', (r) => r.seconds)}`);
  console.log(`CPU time: seal+sign ${added('encrypt', (r) => r.cpu)}, open+verify ${added('decrypt', (r) => r.cpu)}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
