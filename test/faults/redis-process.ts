/**
 * A redis-server that the fault tests can kill and start again on the same port and data
 * directory, with the persistence docs/TRANSPORTS.md recommends (AOF, `appendfsync always`).
 * test/transports/redis-server.ts runs one without persistence for the functional tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** A redis-server child of this process. */
export interface RedisProcess {
  readonly url: string;
  /** SIGKILL the server (a crash) and wait for it to exit. */
  kill(): Promise<void>;
  /** Start it again on the same port and directory. */
  restart(): Promise<void>;
  /** Stop it for good. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Start a persistent redis-server in `dir`. */
export async function startPersistentRedis(dir: string): Promise<RedisProcess> {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'];
  let child: ChildProcess | null = null;
  const start = async (): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      const c = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      if (await ready(c)) {
        child = c;
        return;
      }
      // Right after a kill the port can still be held for a moment: try again.
      if (attempt >= 20) throw new Error(`redis-server did not start on port ${port}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const halt = async (signal: NodeJS.Signals): Promise<void> => {
    const c = child;
    child = null;
    if (c === null || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill(signal);
    await exited;
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, kill: () => halt('SIGKILL'), restart: start, stop: () => halt('SIGTERM') };
}

/** Resolves true once redis accepts connections (after loading its AOF), false if it exits first. */
function ready(child: ChildProcess): Promise<boolean> {
  return new Promise((resolve) => {
    let out = '';
    const timer = setTimeout(() => finish(false), 15_000);
    const finish = (ok: boolean): void => {
      clearTimeout(timer);
      if (!ok && child.exitCode === null) child.kill('SIGKILL');
      resolve(ok);
    };
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) finish(true);
    });
    child.once('exit', () => finish(false));
  });
}
