/**
 * Run an example the way a user does (`npx tsx examples/X.ts`): a separate Node process with
 * tsx, from the repository root, its stdout and stderr collected and its exit code returned.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** What one run of an example printed and how it ended. */
export interface ExampleRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout split into lines, without the trailing empty one. */
  lines: string[];
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEADLINE_MS = 60_000;

/** Run `node --import tsx examples/<file> ...args` in the repository root. */
export function runExample(file: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<ExampleRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `examples/${file}`, ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`examples/${file} did not finish within ${DEADLINE_MS} ms; stdout: ${stdout}; stderr: ${stderr}`));
    }, DEADLINE_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, lines: stdout.split('\n').filter((l, i, all) => i < all.length - 1 || l !== '') });
    });
  });
}

/**
 * The one line starting with `prefix` (and containing `containing`, if given); fails with the
 * whole output if there is none or several.
 */
export function lineStartingWith(run: ExampleRun, prefix: string, containing = ''): string {
  const found = run.lines.filter((l) => l.startsWith(prefix) && l.includes(containing));
  if (found.length !== 1) throw new Error(`expected one line starting with "${prefix}", found ${found.length} in:\n${run.stdout}\nstderr: ${run.stderr}`);
  return found[0]!;
}
