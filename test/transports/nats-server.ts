/**
 * Private nats-server processes for the tests: JetStream in a temporary directory, free
 * loopback ports, stopped afterwards; one server, or a three-node cluster with routes. .ci/run
 * installs the `nats-server` Debian package (test/setup/services.ts does when it is missing).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './redis-server.js';

/** A running nats-server. */
export interface TestNatsServer {
  /** `nats://127.0.0.1:PORT` */
  url: string;
  port: number;
  /** Kill it (SIGKILL by default) without removing its storage, so it can be started again. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Start it again on the same port and storage after {@link kill}. */
  restart(): Promise<void>;
  /** Stop it and remove its storage. */
  stop(): Promise<void>;
  /** What it has logged since it was last started (the last 1 MiB). */
  log(): string;
}

function assertInstalled(): void {
  try {
    execFileSync('nats-server', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error('nats-server is not installed: `apt-get install nats-server` (.ci/run does this)');
  }
}

/**
 * Start nats-server with JetStream. `config` is added to the generated configuration file
 * (accounts, authorization, max_payload, leafnodes, ...); `port` and `name` are chosen here;
 * `domain` is the JetStream domain.
 */
export async function startNatsServer(config = '', options: { port?: number; dir?: string; name?: string; domain?: string } = {}): Promise<TestNatsServer> {
  assertInstalled();
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'lintas-nats-')));
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = options.port ?? (await freePort());
    const name = options.name ?? `lintas-test-${port}`;
    const file = join(dir, 'nats.conf');
    await writeFile(file, `server_name: ${name}\nlisten: 127.0.0.1:${port}\njetstream { store_dir: "${join(dir, 'js')}"${options.domain ? `, domain: ${options.domain}` : ''} }\n${config}\n`);
    let output = '';
    const record = (c: ChildProcess): ChildProcess => {
      output = '';
      const add = (d: Buffer): void => {
        output = (output + d.toString()).slice(-(1 << 20));
      };
      c.stdout!.on('data', add);
      c.stderr!.on('data', add); // nats-server logs to stderr
      return c;
    };
    let child = record(spawn('nats-server', ['-c', file], { stdio: ['ignore', 'pipe', 'pipe'] }));
    if (await ready(child)) {
      const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((r) => child.once('exit', r));
        child.kill(signal);
        const force = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(force);
      };
      return {
        url: `nats://127.0.0.1:${port}`,
        port,
        kill,
        restart: async () => {
          child = record(spawn('nats-server', ['-c', file], { stdio: ['ignore', 'pipe', 'pipe'] }));
          if (!(await ready(child))) throw new Error('nats-server did not start again');
        },
        stop: async () => {
          await kill('SIGTERM');
          if (options.dir === undefined) await rm(dir, { recursive: true, force: true });
        },
        log: () => output,
      };
    }
    if (options.port !== undefined) break;
  }
  if (options.dir === undefined) await rm(dir, { recursive: true, force: true });
  throw new Error('nats-server did not start');
}

/** Resolves true once nats-server logs "Server is ready", false if it exits first (or after 15 s). */
function ready(child: ChildProcess): Promise<boolean> {
  return new Promise((resolve) => {
    let out = '';
    const timer = setTimeout(() => finish(false), 15_000);
    const finish = (ok: boolean): void => {
      clearTimeout(timer);
      if (!ok && child.exitCode === null) child.kill('SIGKILL');
      resolve(ok);
    };
    const read = (d: Buffer): void => {
      out += d.toString();
      if (out.includes('Server is ready')) finish(true);
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read); // nats-server logs to stderr
    child.once('exit', () => finish(false));
  });
}

/** A running three-node JetStream cluster. */
export interface TestNatsCluster {
  servers: TestNatsServer[];
  /** Every client URL, for `connect({ servers })`. */
  urls: string[];
  stop(): Promise<void>;
}

/** Start three nats-servers joined by cluster routes, each with JetStream (so R3 streams can be placed). */
export async function startNatsCluster(): Promise<TestNatsCluster> {
  assertInstalled();
  const ports = await Promise.all([0, 1, 2].map(() => freePort()));
  const routePorts = await Promise.all([0, 1, 2].map(() => freePort()));
  const dirs = await Promise.all([0, 1, 2].map(() => mkdtemp(join(tmpdir(), 'lintas-nats-cluster-'))));
  const routes = routePorts.map((p) => `nats-route://127.0.0.1:${p}`).join(', ');
  const servers: TestNatsServer[] = [];
  try {
    // All three start at once: JetStream waits for its peers before it reports ready.
    servers.push(
      ...(await Promise.all(
        [0, 1, 2].map((i) =>
          startNatsServer(`cluster { name: lintas-test, listen: 127.0.0.1:${routePorts[i]}, routes: [${routes}] }`, { port: ports[i]!, dir: dirs[i]!, name: `n${i}` }),
        ),
      )),
    );
  } catch (e) {
    await Promise.all(servers.map((s) => s.stop()));
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
    throw e;
  }
  return {
    servers,
    urls: servers.map((s) => s.url),
    stop: async () => {
      await Promise.all(servers.map((s) => s.stop()));
      await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
    },
  };
}
