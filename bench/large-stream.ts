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
import { build } from 'esbuild';

export type LargeContender = 'native' | 'lintas' | 'age' | 'openpgp';
export type LargeOp = 'encrypt' | 'decrypt' | 'idle';

export interface LargeResult {
  seconds: number;
  bytes: number;
  /** Peak resident set size of the child process, in bytes. */
  peakRss: number;
}

/** Bundle the child once into `dir`; returns the path of its entry script. */
export async function bundleLargeChild(dir: string): Promise<string> {
  const outdir = join(dir, 'child');
  await build({
    entryPoints: [fileURLToPath(new URL('./large-child.ts', import.meta.url))],
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outExtension: { '.js': '.mjs' },
    // Some dependencies still call require() for Node built-ins.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    logLevel: 'error',
  });
  return join(outdir, 'large-child.mjs');
}

/** Where the 1 GiB ciphertexts go: RAM-backed if possible. */
export function largeFileDir(): string {
  return mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'lintas-bench-'));
}

/** Run one child and return what it measured. */
export async function runLarge(child: string, name: LargeContender, op: LargeOp, bytes: number, keysPath: string, file: string): Promise<LargeResult> {
  const { stdout } = await promisify(execFile)(process.execPath, [child, name, op, String(bytes), keysPath, file], {
    maxBuffer: 1 << 20,
    timeout: 20 * 60 * 1000,
  });
  return JSON.parse(stdout) as LargeResult;
}
