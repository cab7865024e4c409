/**
 * A redis-server that the fault tests can kill and start again on the same port and data
 * directory, with the persistence docs/TRANSPORTS.md recommends (AOF, `appendfsync always`).
 * test/transports/redis-server.ts runs one without persistence for the functional tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort, ready } from '../transports/redis-server.js';

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

