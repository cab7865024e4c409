/**
 * lintas's streamed seal+sign and open+verify of a large payload against the two-core limit of
 * a signed format built from the same primitives, in the same process, rounds interleaved
 * (issue 17):
 *
 *   npx tsx bench/stream-profile.ts [--mib 1024] [--rounds 5]
 *
 * The two-core limit is ChaCha20-Poly1305 and file I/O on this thread while another thread
 * hashes as many bytes with SHA-256, both at once: the bench's raw native path (`nativeChaCha`
 * in contenders.ts: 64 KiB chunks, counter nonces, a 1 MiB write buffer, 1 MiB reads) beside a
 * worker hashing in 64 KiB updates. Running them together matters on two cores: the garbage
 * collector's and libuv's threads need CPU too, in the limit as in lintas. Nothing a signed
 * format needs on top (header, per-window hashes, checkpoints, handing the bytes to the hash
 * thread) is in the limit.
 *
 * Each round measures, in this order, the limit's seal, lintas seal, the limit's open, lintas
 * open and SHA-256 alone, and reports lintas's ratio to the limit per round; the summary is the
 * median over rounds. CPU time is `process.cpuUsage()` (all threads of this process) and, on
 * Linux, the main thread's alone from /proc: other load on a shared machine disturbs both far
 * less than wall time. Files go to /dev/shm where there is one. Load averages are printed at
 * start, per round and at the end.
 */
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { cryptoReady, generateIdentityKeys } from '../src/index.js';
import { lintasContender, nativeChaCha, RAW_CHUNK } from './contenders.js';
import { largeFileDir } from './large-stream.js';

const MiB = 1024 * 1024;

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

const bytes = Number(option('mib', '1024')) * MiB;
const rounds = Number(option('rounds', '5'));

/** The payload, 1 MiB at a time: the same random piece over and over (as `large-child.ts`). */
async function* payload(): AsyncGenerator<Uint8Array> {
  const piece = new Uint8Array(MiB);
  for (let off = 0; off < MiB; off += 65536) crypto.getRandomValues(piece.subarray(off, off + 65536));
  for (let left = bytes; left > 0; left -= piece.length) yield left >= piece.length ? piece : piece.subarray(0, left);
}

interface Sample {
  wall: number;
  /** CPU seconds of the whole process (every thread). */
  cpu: number;
  /** CPU seconds of the main thread alone (Linux; else the whole process). */
  main: number;
}

/**
 * CPU seconds of this process's main thread, from /proc (utime + stime in clock ticks, 100 per
 * second on Linux): Node 20 has no per-thread CPU clock. Null where /proc is missing.
 */
function mainThreadCpu(): number | null {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

async function measure(run: () => Promise<unknown>): Promise<Sample> {
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadCpu();
  const t0 = performance.now();
  await run();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(cpu0);
  const cpu = (c.user + c.system) / 1e6;
  const main1 = mainThreadCpu();
  return { wall, cpu, main: main0 === null || main1 === null ? cpu : main1 - main0 };
}

/** SHA-256 of the payload in 64 KiB updates, on this thread: what the second core must do. */
async function hashAlone(): Promise<void> {
  const h = createHash('sha256');
  for await (const piece of payload()) for (let off = 0; off < piece.length; off += RAW_CHUNK) h.update(piece.subarray(off, off + RAW_CHUNK));
  h.digest();
}

/**
 * A thread that hashes as many bytes as the payload holds, in 64 KiB updates, when asked: the
 * second core of the limit, run at the same time as the raw path so that both compete with the
 * garbage collector's and libuv's threads for the two cores, as lintas's threads do. It hashes
 * bytes of its own (handing the payload over is a cost of the implementation, not of the limit).
 */
const HASHER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const piece = new Uint8Array(65536).fill(7);
parentPort.on('message', (bytes) => {
  const h = createHash('sha256');
  for (let left = bytes; left > 0; left -= piece.length) h.update(left >= piece.length ? piece : piece.subarray(0, left));
  h.digest();
  parentPort.postMessage('done');
});
`;
const hasher = new Worker(HASHER_SOURCE, { eval: true, execArgv: [] });
hasher.unref();

/** The two-core limit: `main` (raw AEAD + I/O) on this thread while the hasher hashes as much. */
async function withHashThread(main: () => Promise<unknown>): Promise<void> {
  const hashed = new Promise((resolve) => hasher.once('message', resolve));
  hasher.postMessage(bytes);
  await main();
  await hashed;
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

await cryptoReady();
const sender = await generateIdentityKeys();
const recipient = await generateIdentityKeys();
const lintas = lintasContender({ sender, recipient }, recipient.x25519);
const raw = nativeChaCha();
const dir = largeFileDir();
const rawFile = join(dir, 'raw.bin');
const lintasFile = join(dir, 'payload.lintas');
const rate = (s: Sample) => (bytes / MiB / s.wall).toFixed(0);

console.log(`${bytes / MiB} MiB streamed, ${rounds} rounds; load average at start: ${load()}`);
console.log(
  '| round | limit seal MiB/s | lintas seal MiB/s | seal / limit (wall) | seal / limit (CPU) | limit open MiB/s | lintas open MiB/s | open / limit (wall) | open / limit (CPU) | ' +
    'CPU s lintas seal / open (main + other threads) | CPU s limit seal / open | CPU s SHA-256 alone | load |',
);
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---|');
const ratios = { seal: [] as number[], open: [] as number[], sealCpu: [] as number[], openCpu: [] as number[], sealMain: [] as number[], openMain: [] as number[] };
try {
  for (let round = 1; round <= rounds; round++) {
    const limitSeal = await measure(() => withHashThread(() => raw.encryptToFile!(payload(), rawFile)));
    const lintasSeal = await measure(() => lintas.encryptToFile!(payload(), lintasFile));
    const limitOpen = await measure(() => withHashThread(() => raw.decryptFile!(rawFile)));
    const lintasOpen = await measure(async () => {
      const n = await lintas.decryptFile!(lintasFile);
      if (n !== bytes) throw new Error(`lintas opened ${n} bytes, expected ${bytes}`);
    });
    const hash = await measure(hashAlone);
    ratios.seal.push(limitSeal.wall / lintasSeal.wall);
    ratios.open.push(limitOpen.wall / lintasOpen.wall);
    // From CPU time, which load disturbs less: the whole process's CPU time (every thread: main,
    // hash, garbage collector, libuv) of the limit against lintas's, since two cores are shared.
    ratios.sealCpu.push(limitSeal.cpu / lintasSeal.cpu);
    ratios.openCpu.push(limitOpen.cpu / lintasOpen.cpu);
    ratios.sealMain.push(lintasSeal.main / limitSeal.main);
    ratios.openMain.push(lintasOpen.main / limitOpen.main);
    const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
    const cpu = (s: Sample) => `${s.main.toFixed(2)} + ${(s.cpu - s.main).toFixed(2)}`;
    console.log(
      `| ${round} | ${rate(limitSeal)} | ${rate(lintasSeal)} | ${pct(ratios.seal.at(-1)!)} | ${pct(ratios.sealCpu.at(-1)!)} | ${rate(limitOpen)} | ${rate(lintasOpen)} | ${pct(ratios.open.at(-1)!)} | ${pct(ratios.openCpu.at(-1)!)} | ` +
        `${cpu(lintasSeal)} / ${cpu(lintasOpen)} | ${cpu(limitSeal)} / ${cpu(limitOpen)} | ${hash.cpu.toFixed(2)} | ${load()} |`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
console.log(`\nMedian of ${rounds} rounds: seal+sign at ${pct(median(ratios.seal))} of the two-core limit, open+verify at ${pct(median(ratios.open))}.`);
console.log(`From CPU time (the limit's, all threads, over lintas's): seal+sign ${pct(median(ratios.sealCpu))}, open+verify ${pct(median(ratios.openCpu))}.`);
console.log(`lintas's main thread against the raw AEAD + I/O thread's: seal+sign ${pct(median(ratios.sealMain))}, open+verify ${pct(median(ratios.openMain))} of its CPU time.`);
console.log(`Load average at end: ${load()}`);
