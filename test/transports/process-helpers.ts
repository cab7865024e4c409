/** Running TypeScript fixtures as separate processes, for tests that kill and restart them. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** A child process running a TypeScript file through tsx, with its stdout as lines. */
export interface Worker {
  readonly child: ChildProcess;
  /** Every stdout line so far. */
  readonly lines: string[];
  /** Resolves with the first line (from now or earlier) matching `predicate`. */
  waitForLine(predicate: (line: string) => boolean, what: string): Promise<string>;
  /** Resolves when the process has exited. */
  readonly exited: Promise<number | null>;
}

const DEADLINE_MS = 30_000;

/** Start `node --import tsx <script> ...args`. */
export function startWorker(script: string, args: string[], env: NodeJS.ProcessEnv = {}): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  return workerOf(child, `worker ${script}`);
}

/** Follow a spawned child's stdout lines and exit as a {@link Worker}; `label` names it in errors. */
export function workerOf(child: ChildProcess, label: string): Worker {
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const w of [...waiters]) w();
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => {
    for (const w of [...waiters]) w();
    resolve(code);
  }));
  return {
    child,
    lines,
    exited,
    waitForLine(predicate, what) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => done(new Error(`${label}: no "${what}" within ${DEADLINE_MS} ms; stderr: ${stderr}`)), DEADLINE_MS);
        const check = (): void => {
          const line = lines.find(predicate);
          if (line !== undefined) done(null, line);
          else if (child.exitCode !== null || child.signalCode !== null) done(new Error(`${label} exited before "${what}"; stderr: ${stderr}`));
        };
        const done = (err: Error | null, line?: string): void => {
          clearTimeout(timer);
          waiters.delete(check);
          if (err) reject(err);
          else resolve(line!);
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** Kill a worker (if still running) and wait for it to exit. */
export async function stopWorker(worker: Worker, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill(signal);
  await worker.exited;
}

/** Poll `condition` every 20 ms until it holds; fails after 30 s instead of hanging. */
export async function waitUntil(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !condition(); waited += 20) {
    if (waited >= DEADLINE_MS) throw new Error(`${what}: not reached within ${DEADLINE_MS} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
