/**
 * A private redis-server for the tests: a free loopback port, a temporary directory, stopped
 * afterwards. By default with the settings the Redis transport requires (AOF, `appendfsync
 * always`, `noeviction`); `args` override them. .ci/run installs the `redis-server` Debian package.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A running redis-server. */
export interface TestRedisServer {
  url: string;
  stop(): Promise<void>;
}

/** A free loopback TCP port (free when asked: callers retry if it was taken meanwhile). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function assertInstalled(): void {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error('redis-server is not installed: `apt-get install redis-server` (.ci/run does this)');
  }
}

/** Start redis-server; retries with another port if the chosen one was taken meanwhile. */
export async function startRedisServer(args: readonly string[] = []): Promise<TestRedisServer> {
  assertInstalled();
  const dir = await mkdtemp(join(tmpdir(), 'lintas-redis-'));
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (await ready(child)) {
      return {
        url: `redis://127.0.0.1:${port}`,
        stop: async () => {
          if (child.exitCode === null) {
            const exited = new Promise((r) => child.once('exit', r));
            child.kill('SIGTERM');
            // A replica in the middle of a sync may not act on SIGTERM promptly.
            const force = setTimeout(() => child.kill('SIGKILL'), 5000);
            await exited;
            clearTimeout(force);
          }
          await rm(dir, { recursive: true, force: true });
        },
      };
    }
  }
  await rm(dir, { recursive: true, force: true });
  throw new Error('redis-server did not start');
}

/** Resolves true once redis logs that it accepts connections, false if it exits first (or after 15 s). */
export function ready(child: ChildProcess): Promise<boolean> {
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

/** A running Redis Cluster of three masters (no replicas). */
export interface TestRedisCluster {
  /** `host:port` of each master. */
  nodes: string[];
  stop(): Promise<void>;
}

/** Start three cluster-enabled redis-servers and join them with `redis-cli --cluster create`. */
export async function startRedisCluster(): Promise<TestRedisCluster> {
  const servers: TestRedisServer[] = [];
  try {
    for (let i = 0; i < 3; i++) servers.push(await startRedisServer(['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '5000']));
    const nodes = servers.map((s) => new URL(s.url).host);
    execFileSync('redis-cli', ['--cluster', 'create', ...nodes, '--cluster-yes'], { stdio: 'ignore', timeout: 30_000 });
    // Every node must agree that all slots are covered before clients are pointed at it.
    for (const node of nodes) {
      const [host, port] = node.split(':');
      for (let i = 0; ; i++) {
        const info = execFileSync('redis-cli', ['-h', host!, '-p', port!, 'CLUSTER', 'INFO']).toString();
        if (info.includes('cluster_state:ok')) break;
        if (i > 200) throw new Error(`the test cluster did not become ready: ${info}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    return { nodes, stop: async () => void (await Promise.all(servers.map((s) => s.stop()))) };
  } catch (e) {
    await Promise.all(servers.map((s) => s.stop()));
    throw e;
  }
}

/** Start a Redis Sentinel that monitors the master on `masterPort` as `mymaster` (quorum 1). */
export async function startRedisSentinel(masterPort: number): Promise<TestRedisServer> {
  const dir = await mkdtemp(join(tmpdir(), 'lintas-sentinel-'));
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const conf = join(dir, 'sentinel.conf'); // Sentinel rewrites its configuration file
    await writeFile(conf, `port ${port}\nbind 127.0.0.1\ndir ${dir}\nsentinel monitor mymaster 127.0.0.1 ${masterPort} 1\n`);
    const child = spawn('redis-server', [conf, '--sentinel'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const up = await new Promise<boolean>((resolve) => {
      let out = '';
      const timer = setTimeout(() => resolve(false), 15_000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('+monitor master')) {
          clearTimeout(timer);
          resolve(true);
        }
      });
      child.once('exit', () => resolve(false));
    });
    if (up) {
      return {
        url: `redis://127.0.0.1:${port}`,
        stop: async () => {
          if (child.exitCode === null) {
            const exited = new Promise((r) => child.once('exit', r));
            child.kill('SIGKILL');
            await exited;
          }
          await rm(dir, { recursive: true, force: true });
        },
      };
    }
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  await rm(dir, { recursive: true, force: true });
  throw new Error('redis-server --sentinel did not start');
}
