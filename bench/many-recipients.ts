/**
 * 1 KiB sealed, signed, to many X25519 recipients (1,000 by default), on one thread: the
 * per-recipient cost of sealing (issue 17), for profiling and for comparing two versions of
 * lintas on a busy machine, as `small-messages.ts` does for one recipient:
 *
 *   npx tsx bench/many-recipients.ts                  CPU ms per seal, 5 rounds
 *   node --cpu-prof --import tsx bench/many-recipients.ts   the same, with a CPU profile
 *   git archive <commit> src | tar -x -C /tmp/base && ln -s "$PWD/node_modules" /tmp/base/
 *   npx tsx bench/many-recipients.ts --baseline /tmp/base/src     A/B against that commit
 *
 * With `--baseline`, both versions run in this one process, alternating round by round, and
 * the per-round ratio is printed. CPU time (process.cpuUsage), not wall time. Every round also
 * opens one envelope as the last recipient, so that a seal that no longer opens fails loudly.
 * Options: --recipients N (default 1000), --seals N per round (default 10), --rounds N
 * (default 5; 12 or more with --baseline).
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const { values: args } = parseArgs({
  options: {
    baseline: { type: 'string' },
    recipients: { type: 'string', default: '1000' },
    seals: { type: 'string', default: '10' },
    rounds: { type: 'string' },
  },
});
const n = Number(args.recipients);
const seals = Number(args.seals);
const rounds = Number(args.rounds ?? (args.baseline ? 12 : 5));

type Lintas = typeof import('../src/index.js');
type Seal = (payload: Uint8Array) => Promise<Uint8Array>;

async function sealerOf(lintas: Lintas): Promise<{ seal: Seal; check: (envelope: Uint8Array) => Promise<void> }> {
  await lintas.cryptoReady();
  const sender = await lintas.identityKeysFromSeed(new Uint8Array(32).fill(1));
  const crowd = [];
  for (let i = 0; i < n; i++) crowd.push(await lintas.identityKeysFromSeed(new Uint8Array(32).fill(2).map((b, j) => (j < 4 ? (i >> (8 * j)) & 0xff : b))));
  const sealOptions = { recipients: crowd.map((c) => c.x25519), sender: sender.signing };
  const last = crowd[n - 1]!.x25519;
  return {
    seal: (payload) => lintas.seal(payload, sealOptions),
    check: async (envelope) => {
      const opened = await lintas.open(envelope, { keys: [last], trustedSenders: [sender.signing.publicKey] });
      if (opened.payload.length !== 1024) throw new Error('the payload did not survive the round trip');
    },
  };
}

/** CPU milliseconds per seal over `seals` seals. */
async function measure(s: { seal: Seal; check: (e: Uint8Array) => Promise<void> }, payload: Uint8Array): Promise<number> {
  const cpu0 = process.cpuUsage();
  let envelope: Uint8Array | null = null;
  for (let i = 0; i < seals; i++) envelope = await s.seal(payload);
  const cpu = process.cpuUsage(cpu0);
  await s.check(envelope!);
  return (cpu.user + cpu.system) / seals / 1000;
}

const median = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1]!;

const payload = new Uint8Array(1024).map((_, i) => (i * 31) & 0xff);
const current = await sealerOf(await import('../src/index.js'));
const baseline = args.baseline ? await sealerOf((await import(pathToFileURL(resolve(args.baseline, 'index.ts')).href)) as Lintas) : null;

// Warm-up: JIT, libsodium, the recipients' kept public keys.
for (let i = 0; i < 3; i++) {
  await current.seal(payload);
  await baseline?.seal(payload);
}

const cur: number[] = [];
const base: number[] = [];
for (let r = 0; r < rounds; r++) {
  const order: [typeof current, number[]][] = baseline ? (r % 2 ? [[baseline, base], [current, cur]] : [[current, cur], [baseline, base]]) : [[current, cur]];
  for (const [s, out] of order) {
    const ms = await measure(s, payload);
    out.push(ms);
    if (!baseline) console.log(`round ${r + 1}: ${ms.toFixed(1)} ms of CPU per seal to ${n} recipients = ${((ms * 1000) / n).toFixed(0)} us per recipient`);
  }
}
console.log(`current:  median ${median(cur).toFixed(1)} ms of CPU per seal to ${n} recipients = ${((median(cur) * 1000) / n).toFixed(0)} us per recipient`);
if (baseline) {
  const ratios = base.map((b, i) => b / cur[i]!);
  console.log(`baseline: median ${median(base).toFixed(1)} ms of CPU per seal to ${n} recipients = ${((median(base) * 1000) / n).toFixed(0)} us per recipient`);
  console.log(`speed-up (baseline / current CPU time), per round: ${ratios.map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`median speed-up: ${median(ratios).toFixed(3)}x`);
}
