/**
 * What the signed checkpoints (SPEC 5.5-5.7: one Ed25519 signature per 4 MiB window, and a
 * reader that holds a window until its checkpoint verifies) cost against a baseline commit of
 * lintas, e.g. the last one with a single signature at the end of the payload:
 *
 *   npx tsx bench/checkpoints.ts --baseline <git ref> [--mib 1024] [--rounds 2]
 *
 * Both trees run the same streamed seal+sign and open+verify of the payload in child processes
 * (`large-stream.ts`: bundled, run by plain node, ciphertext in /dev/shm), interleaved round by
 * round so that other load on the machine hits both alike; the faster run of each counts and
 * the higher peak RSS. Each run also reports the CPU time its process used (user + system, all
 * threads: the bash `times` builtin), which other load on a shared machine disturbs far less
 * than wall time. The baseline tree is exported with `git archive` into a temporary
 * directory and shares this checkout's node_modules.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { makeBenchKeys } from './other-libraries.js';
import type { LargeResult } from './large-stream.js';

type LargeStream = typeof import('./large-stream.js');

interface Run extends LargeResult {
  /** CPU seconds of the child process, user + system. */
  cpu: number;
}

/** `runLarge`, with the child's CPU time from bash's `times` (its second line: children). */
async function runTimed(child: string, op: 'encrypt' | 'decrypt', bytes: number, keysPath: string, file: string): Promise<Run> {
  const { stdout } = await promisify(execFile)('bash', ['-c', '"$0" "$@" && echo && times', process.execPath, child, 'lintas', op, String(bytes), keysPath, file], {
    maxBuffer: 1 << 20,
    timeout: 20 * 60 * 1000,
  });
  const [json, , children] = stdout.trim().split('\n');
  const seconds = (t: string) => Number(/(\d+)m([\d.]+)s/.exec(t)![1]) * 60 + Number(/(\d+)m([\d.]+)s/.exec(t)![2]);
  const [user, system] = children!.trim().split(/\s+/);
  return { ...(JSON.parse(json!) as LargeResult), cpu: seconds(user!) + seconds(system!) };
}

const MiB = 1024 * 1024;

function option(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? process.argv[i + 1] : fallback;
  if (value === undefined) throw new Error(`--${name} is required`);
  return value;
}

const baseline = option('baseline');
const bytes = Number(option('mib', '1024')) * MiB;
const rounds = Number(option('rounds', '2'));
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const work = mkdtempSync(join(tmpdir(), 'lintas-checkpoints-'));
try {
  const baseTree = join(work, 'baseline');
  execFileSync('sh', ['-c', `mkdir -p "${baseTree}" && git -C "${root}" archive "${baseline}" src bench package.json | tar -x -C "${baseTree}"`]);
  symlinkSync(join(root, 'node_modules'), join(baseTree, 'node_modules'));
  const trees: { name: string; stream: LargeStream; child: string }[] = [];
  for (const [name, dir] of [
    ['baseline', baseTree],
    ['this tree', root],
  ] as const) {
    const stream = (await import(pathToFileURL(join(dir, 'bench', 'large-stream.ts')).href)) as LargeStream;
    trees.push({ name, stream, child: await stream.bundleLargeChild(join(work, name.replace(' ', '-'))) });
  }
  const keysPath = join(work, 'keys.json');
  writeFileSync(keysPath, JSON.stringify(await makeBenchKeys()));
  const fileDir = trees[1]!.stream.largeFileDir();
  const best = new Map<string, { encrypt: Run; decrypt: Run }>();
  const better = (a: Run | undefined, b: Run): Run =>
    a ? { ...(a.seconds <= b.seconds ? a : b), cpu: Math.min(a.cpu, b.cpu), peakRss: Math.max(a.peakRss, b.peakRss) } : b;
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const t of trees) {
        process.stderr.write(`  ... ${t.name}, ${bytes / MiB} MiB, round ${round} of ${rounds}\n`);
        const file = join(fileDir, 'payload.lintas');
        const encrypt = await runTimed(t.child, 'encrypt', bytes, keysPath, file);
        const decrypt = await runTimed(t.child, 'decrypt', bytes, keysPath, file);
        rmSync(file, { force: true });
        const b = best.get(t.name);
        best.set(t.name, { encrypt: better(b?.encrypt, encrypt), decrypt: better(b?.decrypt, decrypt) });
      }
    }
  } finally {
    rmSync(fileDir, { recursive: true, force: true });
  }
  const rate = (r: LargeResult) => bytes / MiB / r.seconds;
  console.log(`| ${bytes / MiB} MiB streamed | seal+sign MiB/s | open+verify MiB/s | CPU s seal / open | peak RSS seal / open (MiB) |`);
  console.log('|---|---:|---:|---:|---:|');
  for (const [name, r] of best) {
    const rss = `${(r.encrypt.peakRss / MiB).toFixed(0)} / ${(r.decrypt.peakRss / MiB).toFixed(0)}`;
    console.log(`| ${name} | ${rate(r.encrypt).toFixed(0)} | ${rate(r.decrypt).toFixed(0)} | ${r.encrypt.cpu.toFixed(2)} / ${r.decrypt.cpu.toFixed(2)} | ${rss} |`);
  }
  const base = best.get('baseline')!;
  const ours = best.get('this tree')!;
  const pct = (b: number, o: number) => `${((o / b - 1) * 100).toFixed(1)}%`;
  console.log(`\nAdded by checkpoints, wall time: seal+sign ${pct(base.encrypt.seconds, ours.encrypt.seconds)}, open+verify ${pct(base.decrypt.seconds, ours.decrypt.seconds)}`);
  console.log(`Added by checkpoints, CPU time:  seal+sign ${pct(base.encrypt.cpu, ours.encrypt.cpu)}, open+verify ${pct(base.decrypt.cpu, ours.decrypt.cpu)}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
