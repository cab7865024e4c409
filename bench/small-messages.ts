/**
 * The small-message loop of issue 7 on its own: 1 KiB sealed to one X25519 recipient, signed,
 * then opened and verified, one pair after the other on one thread. For profiling and for
 * comparing two versions of lintas on a busy machine, where wall-clock rates mean little:
 *
 *   npx tsx bench/small-messages.ts                  pairs per CPU-second and per second, 5 rounds
 *   node --cpu-prof --import tsx bench/small-messages.ts    the same, with a CPU profile
 *   git archive <commit> src | tar -x -C /tmp/base && ln -s "$PWD/node_modules" /tmp/base/
 *   npx tsx bench/small-messages.ts --baseline /tmp/base/src     A/B against that commit
 *
 * With `--baseline`, both versions run in this one process, alternating round by round (same
 * load, same JIT, same libsodium), and the per-round ratio is printed: the figure to trust on a
 * shared machine. CPU time (process.cpuUsage) rather than wall time, so that time the process
 * spends waiting for a core does not count. Options: --pairs N per round (default 500),
 * --rounds N (default 5; 12 or more with --baseline).
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const { values: args } = parseArgs({
  options: {
    baseline: { type: 'string' },
    pairs: { type: 'string', default: '500' },
    rounds: { type: 'string' },
  },
});
const pairs = Number(args.pairs);
const rounds = Number(args.rounds ?? (args.baseline ? 12 : 5));

type Lintas = typeof import('../src/index.js');
type Pair = (payload: Uint8Array) => Promise<void>;

async function pairOf(lintas: Lintas): Promise<Pair> {
  await lintas.cryptoReady();
  const sender = await lintas.identityKeysFromSeed(new Uint8Array(32).fill(1));
  const recipient = await lintas.identityKeysFromSeed(new Uint8Array(32).fill(2));
  // Long-lived option objects and keys, as an application that sends and receives many messages has.
  const sealOptions = { recipients: [recipient.x25519], sender: sender.signing };
  const openOptions = { keys: [recipient.x25519], trustedSenders: [sender.signing.publicKey] };
  return async (payload) => {
    const opened = await lintas.open(await lintas.seal(payload, sealOptions), openOptions);
    if (opened.payload.length !== payload.length) throw new Error('the payload did not survive the round trip');
  };
}

/** CPU microseconds per pair over `pairs` pairs, and wall microseconds. */
async function measure(pair: Pair, payload: Uint8Array): Promise<{ cpu: number; wall: number }> {
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  for (let i = 0; i < pairs; i++) await pair(payload);
  const cpu = process.cpuUsage(cpu0);
  return { cpu: (cpu.user + cpu.system) / pairs, wall: ((performance.now() - wall0) * 1000) / pairs };
}

const median = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1]!;
const perSecond = (us: number): string => Math.round(1e6 / us).toLocaleString('en-US');

const payload = new Uint8Array(1024).map((_, i) => (i * 31) & 0xff);
const current = await pairOf(await import('../src/index.js'));
const baseline = args.baseline ? await pairOf((await import(pathToFileURL(resolve(args.baseline, 'index.ts')).href)) as Lintas) : null;

// Warm-up: JIT, libsodium, and the recipient key's first uses.
for (let i = 0; i < 200; i++) {
  await current(payload);
  await baseline?.(payload);
}

const cur: number[] = [];
const base: number[] = [];
for (let r = 0; r < rounds; r++) {
  // Alternate which goes first, so neither always follows the other's garbage.
  const order: [Pair, number[]][] = baseline ? (r % 2 ? [[baseline, base], [current, cur]] : [[current, cur], [baseline, base]]) : [[current, cur]];
  for (const [pair, out] of order) {
    const m = await measure(pair, payload);
    out.push(m.cpu);
    if (!baseline) console.log(`round ${r + 1}: ${perSecond(m.cpu)} pairs per CPU-second, ${perSecond(m.wall)} pairs per second`);
  }
}
console.log(`current:  median ${median(cur).toFixed(0)} us of CPU per pair = ${perSecond(median(cur))} pairs per CPU-second`);
if (baseline) {
  const ratios = base.map((b, i) => b / cur[i]!);
  console.log(`baseline: median ${median(base).toFixed(0)} us of CPU per pair = ${perSecond(median(base))} pairs per CPU-second`);
  console.log(`speed-up (baseline / current CPU time), per round: ${ratios.map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`median speed-up: ${median(ratios).toFixed(3)}x`);
}
