/**
 * When does lintas/node's worker pool pay? Seal+open pairs per second on one thread against a
 * pool (default 2 workers), in interleaved rounds (one thread, then the pool, order alternating),
 * the median of the rounds counting; the load average is printed at start and end because
 * other processes on the machine take cores from the pool first.
 *
 *   npx tsx bench/worker-pool.ts                     1 KiB pairs, then the crossover tables
 *   npx tsx bench/worker-pool.ts --rounds 9 --pairs 400 --workers 2
 *   npx tsx bench/worker-pool.ts --versus --rounds 15 [--baseline /tmp/old]
 *
 * --versus: only the pool against the application-side pool of bench/run.ts (two threads of
 * unchanged lintas, bench/app-side-pool.ts) in run.ts's shape (128 pairs per call as 4 chains of
 * seal(32) then open(32)), interleaved in the same rounds, with per-round ratios; the pool from
 * src (tsx in its workers) and bundled as the package ships it; the app-side pool looping, and
 * handing its payloads and envelopes back as the pool does (app-side-pool.ts); --baseline DIR
 * adds the pool of another checkout's src/ (e.g. `git archive main src | tar -x -C DIR` with
 * node_modules linked beside it) to the same rounds, for an A/B of a change to src/pool.
 * Tables: (1) 1 KiB pairs, batches of 256: the issue 17 target (>= 3,600 pairs/s with 2
 * workers); (2) 1 KiB, by batch size: below which batch one thread wins; (3) batches of 64, by
 * payload size: above which size the pool stops paying. Results: docs/PERFORMANCE.md, "When
 * the worker pool pays".
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance as perfHooks } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { pairMakers, type PairMakers, type PairRate } from './pool-pairs.js';
import { appSidePool } from './app-side-pool.js';
import { poolBatch, POOL_BATCH } from './pool-batch.js';
import { bundledLintasNode } from './bundle-for-node.js';
import { fmtPercent, fmtSpread, roundRatios, spread } from './measure.js';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '7' },
    pairs: { type: 'string', default: '512' },
    workers: { type: 'string', default: '2' },
    quick: { type: 'boolean', default: false },
    versus: { type: 'boolean', default: false },
    baseline: { type: 'string' },
    'sample-ms': { type: 'string', default: '600' },
  },
});
const rounds = Number(args.rounds);
const pairs = Number(args.pairs);
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const median = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1]!;
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
const KiB = 1024;

if (args.versus) {
  await versus();
  process.exit(0);
}

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

/**
 * The pool (and a baseline checkout's pool) against the app-side pool, in bench/run.ts's shape,
 * in the same interleaved rounds; each round's order rotates. Rates are pairs per second of wall
 * clock; CPU is microseconds per pair over every thread of the process (both pools run in it).
 */
async function versus(): Promise<void> {
  const seeds = { sender: '01'.repeat(32), recipient: '02'.repeat(32) };
  const payload = new Uint8Array(KiB).map((_, i) => (i * 31) & 0xff);
  type Lintas = typeof import('../src/node.js');
  const trees: [string, Lintas][] = [['pool', await import('../src/node.js')]];
  const bundleDir = mkdtempSync(join(tmpdir(), 'lintas-pool-bundle-'));
  trees.push(['pool, bundled as shipped', (await bundledLintasNode(bundleDir)) as unknown as Lintas]);
  if (args.baseline) trees.push(['baseline pool', (await import(`${args.baseline}/src/node.ts`)) as Lintas]);
  const items: { name: string; run: () => Promise<unknown> }[] = [];
  const closers: (() => Promise<void>)[] = [];
  for (const [name, lintas] of trees) {
    await lintas.cryptoReady();
    const sender = await lintas.identityKeysFromSeed(Buffer.from(seeds.sender, 'hex'));
    const recipient = await lintas.identityKeysFromSeed(Buffer.from(seeds.recipient, 'hex'));
    const pool = await lintas.createWorkerPool({ workers: Number(args.workers), sender: sender.signing, keys: [recipient.x25519] });
    closers.push(() => pool.close());
    items.push({ name, run: poolBatch(pool, payload, recipient.x25519, sender.signing.publicKey) });
  }
  const app = await appSidePool(seeds, Number(args.workers));
  closers.push(() => app.close());
  items.push({ name: 'app-side pool', run: () => app.run(POOL_BATCH) });
  items.push({ name: 'app-side pool, handing back', run: () => app.runHandingBack(POOL_BATCH, payload) });
  console.log(`# pool vs app-side pool, ${args.workers} workers, ${rounds} rounds of ~${args['sample-ms']} ms each, Node ${process.versions.node}`);
  console.log(`load average at start: ${load()}`);
  try {
    const sampleMs = Number(args['sample-ms']);
    const plan: { item: (typeof items)[number]; reps: number; rate: number[]; cpu: number[]; main: number[] }[] = [];
    for (const item of items) {
      for (let i = 0; i < 3; i++) await item.run(); // warm-up
      const t = performance.now();
      await item.run();
      plan.push({ item, reps: Math.max(1, Math.round(sampleMs / (performance.now() - t))), rate: [] as number[], cpu: [] as number[], main: [] as number[] });
    }
    for (let round = 0; round < rounds; round++) {
      const order = plan.map((_, i) => plan[(i + round) % plan.length]!);
      for (const p of order) {
        const cpu0 = process.cpuUsage();
        const elu0 = perfHooks.eventLoopUtilization();
        const t = performance.now();
        for (let i = 0; i < p.reps; i++) await p.item.run();
        const cpu = process.cpuUsage(cpu0);
        const elu = perfHooks.eventLoopUtilization(elu0);
        p.rate.push((POOL_BATCH * p.reps) / ((performance.now() - t) / 1000));
        p.cpu.push((cpu.user + cpu.system) / (POOL_BATCH * p.reps));
        p.main.push(elu.utilization);
      }
    }
    const app = plan.find((p) => p.item.name === 'app-side pool')!;
    // The calling thread's share of one core (its event loop's utilization): the work of moving
    // items and results across threads, which the app-side pool (one message per run) does not do,
    // taken from the same cores as the workers when there are no more cores than workers.
    console.log('\n| line | pairs/s median (min-max) | share of the app-side pool, per round | CPU us per pair | calling thread busy (share of a core) |\n|---|---|---|---|---|');
    for (const p of plan) {
      const share = p === app ? '' : fmtSpread(spread(roundRatios(p.rate, app.rate)), fmtPercent);
      console.log(`| ${p.item.name} | ${fmtSpread(spread(p.rate), (x) => fmt(x))} | ${share} | ${fmt(median(p.cpu))} | ${fmtPercent(median(p.main))} |`);
    }
    const baseline = plan.find((p) => p.item.name === 'baseline pool');
    if (baseline) console.log(`\npool / baseline pool per round: ${fmtSpread(spread(roundRatios(plan[0]!.rate, baseline.rate)), fmtPercent)}`);
  } finally {
    for (const close of closers) await close();
    rmSync(bundleDir, { recursive: true, force: true });
    console.log(`\nload average at end: ${load()}`);
  }
}
