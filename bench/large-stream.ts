/**
 * The 1 GiB streamed runs, each in a child process of its own so that its peak RSS is its
 * alone, not left over from other measurements.
 * The child (`large-child.ts`) is bundled with esbuild and run by plain node, as an application
 * would ship it, so the TypeScript loader's own memory (about 40 MiB) is not counted.
 * Ciphertext goes to a RAM-backed directory where there is one (/dev/shm): this VM's disk
 * writes at about 400 MB/s, which would otherwise decide every figure.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { bundleForNode } from './bundle-for-node.js';
import type { ThreadTimes } from './machine.js';

/**
 * The streamed contenders: the reference lines of `references.ts` (`io`, `one-core`, `two-core`,
 * `two-core-checkpoints`), the AEAD alone (`native`), lintas, age, and OpenPGP.js in its AEAD and
 * default setups.
 */
export type LargeContender = 'io' | 'one-core' | 'two-core' | 'two-core-checkpoints' | 'native' | 'lintas' | 'age' | 'openpgp' | 'openpgp-default';
export type LargeOp = 'encrypt' | 'decrypt' | 'idle';

/** What the child prints. */
export interface LargeResult {
  seconds: number;
  bytes: number;
  /** Peak resident set size of the child process, in bytes. */
  peakRss: number;
  /**
   * CPU seconds stolen from this machine's cores by the hypervisor while the run ran (all cores,
   * `machine.ts`); absent where unknown, or from a child of a commit before it was measured.
   */
  stolen?: number;
  /**
   * The child's main thread over the run (`machine.ts`): seconds on a core and seconds runnable
   * but waiting for one; absent where unknown, or from a child of a commit before it was measured.
   */
  mainThread?: ThreadTimes;
  /** Minor page faults of the child over the run, all threads (absent as above). */
  minorFaults?: number;
  /** System CPU seconds of the child over the run, all threads (absent as above). */
  systemSeconds?: number;
}

/** What the parent adds: the child's CPU time. */
export interface LargeRun extends LargeResult {
  /** CPU seconds of the child process, user + system, all its threads. */
  cpu: number;
}

/**
 * Bundle the child once into `dir`; returns the path of its entry script. `entry` is another
 * tree's `bench/large-child.ts` when an older commit of lintas is measured (`checkpoints.ts`).
 */
export async function bundleLargeChild(dir: string, entry = fileURLToPath(new URL('./large-child.ts', import.meta.url))): Promise<string> {
  const outdir = join(dir, 'child');
  await bundleForNode([entry], outdir);
  return join(outdir, 'large-child.mjs');
}

/** Where the 1 GiB ciphertexts go: RAM-backed if possible. */
export function largeFileDir(): string {
  return mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'lintas-bench-'));
}

/**
 * Run one child and return what it measured, with its CPU time from bash's `times` builtin
 * (second line: the shell's children), which works for a child of any commit of lintas, and
 * which other load on a shared machine disturbs far less than wall time.
 */
export async function runLarge(child: string, name: LargeContender, op: LargeOp, bytes: number, keysPath: string, file: string): Promise<LargeRun> {
  const { stdout } = await promisify(execFile)('bash', ['-c', '"$0" "$@" && echo && times', process.execPath, child, name, op, String(bytes), keysPath, file], {
    maxBuffer: 1 << 20,
    timeout: 20 * 60 * 1000,
  });
  const [json, , children] = stdout.trim().split('\n');
  const [user, system] = children!.trim().split(/\s+/);
  return { ...(JSON.parse(json!) as LargeResult), cpu: bashSeconds(user!) + bashSeconds(system!) };
}

/** "1m2.345s" as seconds. */
function bashSeconds(t: string): number {
  const m = /^(\d+)m([\d.]+)s$/.exec(t);
  if (!m) throw new Error(`unexpected output of bash times: ${t}`);
  return Number(m[1]) * 60 + Number(m[2]);
}
