/**
 * When does lintas/node's worker pool pay? Seal+open pairs per second on one thread against a
 * pool (default 2 workers), in interleaved rounds (one thread, then the pool, order alternating),
 * the median of the rounds counting; the load average is printed at start and end because
 * other processes on the machine take cores from the pool first.
 *
 *   npx tsx bench/worker-pool.ts                     1 KiB pairs, then the crossover tables
 *   npx tsx bench/worker-pool.ts --rounds 9 --pairs 400 --workers 2
 *
 * Tables: (1) 1 KiB pairs, batches of 256: the issue 17 target (>= 3,600 pairs/s with 2
 * workers); (2) 1 KiB, by batch size: below which batch one thread wins; (3) batches of 64, by
 * payload size: above which size the pool stops paying. Results: docs/PERFORMANCE.md, "When
 * the worker pool pays".
 */
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { pairMakers, type PairMakers, type PairRate } from './pool-pairs.js';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '7' },
    pairs: { type: 'string', default: '512' },
    workers: { type: 'string', default: '2' },
    quick: { type: 'boolean', default: false },
  },
});
const rounds = Number(args.rounds);
const pairs = Number(args.pairs);
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const median = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1]!;
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
const KiB = 1024;

const makers = await pairMakers(await import('../src/node.js'), Number(args.workers));
console.log(`# lintas worker pool: ${makers.workers} workers, Node ${process.versions.node}`);
console.log(`load average at start: ${load()}`);

/** Interleaved rounds of one thread and the pool on the same payload; medians and the median ratio. */
interface Comparison {
  single: number;
  pool: number;
  ratio: number;
  singleCpu: number;
  poolCpu: number;
}

async function compare(m: PairMakers, payload: Uint8Array, n: number, batch: number): Promise<Comparison> {
  await m.single(payload, Math.min(n, 50)); // warm-up, both sides
  await m.pooled(payload, Math.min(n, 4 * batch), batch);
  const single: PairRate[] = [];
  const pool: PairRate[] = [];
  for (let r = 0; r < rounds; r++) {
    if (r % 2) {
      pool.push(await m.pooled(payload, n, batch));
      single.push(await m.single(payload, n));
    } else {
      single.push(await m.single(payload, n));
      pool.push(await m.pooled(payload, n, batch));
    }
  }
  return {
    single: median(single.map((r) => r.perSecond)),
    pool: median(pool.map((r) => r.perSecond)),
    ratio: median(pool.map((p, i) => p.perSecond / single[i]!.perSecond)),
    singleCpu: median(single.map((r) => r.cpuPerPair)),
    poolCpu: median(pool.map((r) => r.cpuPerPair)),
  };
}

// The last columns are the load-independent reading: CPU per pair (all threads), and the rate
// that CPU cost allows on free cores (one core for one thread, min(workers, cores) for the pool).
const cores = Math.min(makers.workers, availableParallelism());
const row = (label: string, c: Comparison) =>
  `| ${label} | ${fmt(c.single)} | ${fmt(c.pool)} | ${c.ratio.toFixed(2)}x | ${fmt(c.singleCpu)} / ${fmt(c.poolCpu)} | ${fmt(1e6 / c.singleCpu)} / ${fmt((cores * 1e6) / c.poolCpu)} |`;
const header = (first: string) =>
  `| ${first} | 1 thread, pairs/s | pool of ${makers.workers}, pairs/s | pool / 1 thread (median of rounds) | CPU us per pair, 1 thread / pool | free-core rate from CPU, 1 thread / pool on ${cores} cores |\n|---|---|---|---|---|---|`;

try {
  const kib = new Uint8Array(KiB).map((_, i) => (i * 31) & 0xff);
  console.log(`\n## 1 KiB seal+open pairs, batches of 256, ${rounds} interleaved rounds of ${pairs} pairs\n`);
  console.log(header('payload'));
  console.log(row('1 KiB', await compare(makers, kib, pairs, 256)));

  if (!args.quick) {
    console.log('\n## By batch size (1 KiB payloads)\n');
    console.log(header('batch'));
    for (const batch of [1, 2, 4, 8, 16, 64]) console.log(row(String(batch), await compare(makers, kib, Math.max(64, Math.min(pairs, batch * 16)), batch)));

    console.log('\n## By payload size (batches of 64)\n');
    console.log(header('payload'));
    for (const size of [16 * KiB, 64 * KiB, 256 * KiB, 1024 * KiB]) {
      const payload = new Uint8Array(size).fill(5);
      console.log(row(`${size / KiB} KiB`, await compare(makers, payload, Math.max(64, Math.round((pairs * KiB) / size)), 64)));
    }
  }
} finally {
  await makers.close();
  console.log(`\nload average at end: ${load()}`);
}
