/**
 * Run the `lintas` command as a user would: a separate Node process with real stdin, stdout,
 * stderr and exit code. The CLI is bundled once per test file with esbuild, the way tsup builds
 * dist/cli.js, into node_modules/.cache so that `import('redis')` resolves as in an install.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { KEYRING_KDF_MINIMUM, KeyRing } from '../../src/index.js';
import { FileKeyRingStorage } from '../../src/node.js';

const ROOT = resolve(import.meta.dirname, '../..');
/** A CLI bundle this old belongs to a test run that has ended. */
const STALE_BUNDLE_MS = 60 * 60 * 1000;

/**
 * Bundle src/cli/bin.ts to a runnable file; returns its path. One is made per test file, and
 * vitest kills its workers, so they cannot remove theirs: bundles older than an hour (no test
 * file runs that long) are removed first, or they pile up in node_modules/.cache by the hundred.
 */
export async function buildCli(): Promise<string> {
  const dir = join(ROOT, 'node_modules', '.cache', 'lintas-cli-test');
  await mkdir(dir, { recursive: true });
  for (const name of await readdir(dir)) {
    const path = join(dir, name);
    const made = await stat(path).then((s) => s.mtimeMs, () => Date.now());
    if (Date.now() - made > STALE_BUNDLE_MS) await rm(path, { force: true });
  }
  const out = join(dir, `cli-${process.pid}-${Math.random().toString(36).slice(2)}.mjs`);
  await build({
    entryPoints: [join(ROOT, 'src/cli/bin.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: out,
    packages: 'external',
    logLevel: 'error',
  });
  return out;
}

/** What one run of the CLI did. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  stdoutBytes: Buffer;
}

/** Options for one run. */
export interface RunOptions {
  input?: string | Uint8Array;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Extra file descriptors (index 3 onward) as strings written to pipes. */
  fds?: string[];
}

/** A CLI bound to one lintas home and passphrase. */
export class Cli {
  constructor(
    readonly script: string,
    readonly home: string,
    /** null: no LINTAS_PASSPHRASE at all. */
    readonly passphrase: string | null = 'correct horse battery',
  ) {}

  /** The environment every run gets: no inherited LINTAS_* variables, the passphrase if set. */
  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: this.home, LANG: 'C.UTF-8' };
    if (this.passphrase !== null) env.LINTAS_PASSPHRASE = this.passphrase;
    return { ...env, ...extra };
  }

  /** Run `lintas ...args --home HOME`. */
  run(args: string[], options: RunOptions = {}): Promise<CliRun> {
    return runCli(this.script, [...args, '--home', this.home], { ...options, env: this.env(options.env) });
  }

  /** Run and parse stdout as JSON (adds --json). */
  async json<T = any>(args: string[], options: RunOptions = {}): Promise<{ run: CliRun; value: T }> {
    const run = await this.run([...args, '--json'], options);
    let value: T;
    try {
      value = JSON.parse(run.stdout) as T;
    } catch {
      throw new Error(`lintas ${args.join(' ')} printed no JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
    }
    return { run, value };
  }

  /** Start a long-running command (relay, receive --follow). */
  spawn(args: string[], options: RunOptions = {}): ChildProcess {
    return collect(
      spawn(process.execPath, [this.script, ...args, '--home', this.home], {
        env: this.env(options.env),
        cwd: options.cwd ?? this.home,
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
  }
}

/**
 * Give a test home a key ring at Argon2id's floor cost (KEYRING_KDF_MINIMUM) before its first
 * command, so that the hundreds of commands the CLI suites run do not each spend the default
 * 64 MiB hash: the test suite's time, not its coverage. Only this test kit does it, through the
 * library; the CLI itself always creates key rings at the default cost (test/cli/basics.test.ts
 * creates its own that way), and warns on stderr about a key ring below it.
 */
export async function cheapKeyRing(cli: Cli): Promise<void> {
  if (cli.passphrase === null) throw new Error('cheapKeyRing needs a Cli with a passphrase');
  await mkdir(cli.home, { recursive: true });
  const ring = await KeyRing.create(new FileKeyRingStorage(join(cli.home, 'keyring.lintas')), { passphrase: cli.passphrase, kdf: KEYRING_KDF_MINIMUM });
  ring.close();
}

/** Run the CLI script with arguments; never rejects for a non-zero exit. */
export function runCli(script: string, args: string[], options: RunOptions = {}): Promise<CliRun> {
  const stdio: ('pipe' | 'ignore')[] = ['pipe', 'pipe', 'pipe', ...(options.fds ?? []).map(() => 'pipe' as const)];
  const child = spawn(process.execPath, [script, ...args], { env: options.env ?? { PATH: process.env.PATH }, cwd: options.cwd, stdio });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on('data', (d: Buffer) => out.push(d));
  child.stderr!.on('data', (d: Buffer) => err.push(d));
  (options.fds ?? []).forEach((text, i) => {
    const pipe = child.stdio[3 + i] as NodeJS.WritableStream;
    pipe.end(text);
  });
  child.stdin!.on('error', () => {}); // the CLI may exit before reading stdin
  child.stdin!.end(options.input ?? '');
  return new Promise((resolvePromise, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      const stdoutBytes = Buffer.concat(out);
      resolvePromise({ code, stdout: stdoutBytes.toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), stdoutBytes });
    });
  });
}

/** A temporary working folder, removed by the returned function. */
export async function workFolder(prefix: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `lintas-cli-${prefix}-`));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Everything a spawned process printed so far (stdout and stderr, in arrival order). */
const printed = new WeakMap<ChildProcess, { text: string }>();

/** Start collecting a spawned process's output at once, so nothing printed between two waits is lost. */
function collect(child: ChildProcess): ChildProcess {
  const record = { text: '' };
  printed.set(child, record);
  const onData = (d: Buffer): void => {
    record.text += d.toString();
    child.emit('lintas-output');
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  return child;
}

/**
 * Wait until a process started by {@link Cli.spawn} has printed something matching `pattern`
 * (searched in everything it printed since it started); returns the match.
 */
export function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs = 60_000): Promise<string> {
  const record = printed.get(child);
  if (!record) throw new Error('waitForOutput needs a process started by Cli.spawn');
  return new Promise((resolvePromise, reject) => {
    const check = (): boolean => {
      const m = pattern.exec(record.text);
      if (!m) return false;
      done();
      resolvePromise(m[0]);
      return true;
    };
    const onExit = (code: number | null): void => {
      if (check()) return;
      done();
      reject(new Error(`exited with ${code} before printing ${pattern}; output:\n${record.text}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`timed out waiting for ${pattern}; output so far:\n${record.text}`));
    }, timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      child.off('lintas-output', check);
      child.off('exit', onExit);
    };
    if (check()) return;
    child.on('lintas-output', check);
    child.once('exit', onExit);
  });
}

/** Two agencies with key rings that know each other: BIN (intelligence) and POLRI (police). */
export async function twoAgencies(script: string, root: string): Promise<{ bin: Cli; polri: Cli; binFingerprint: string; polriFingerprint: string }> {
  const bin = new Cli(script, join(root, 'bin-home'));
  const polri = new Cli(script, join(root, 'polri-home'));
  await Promise.all([cheapKeyRing(bin), cheapKeyRing(polri)]);
  await expectOk(bin.run(['identity', 'create', 'bin', '--org', 'Badan Intelijen Negara', '--country', 'ID']));
  await expectOk(polri.run(['identity', 'create', 'polri', '--org', 'Kepolisian Negara Republik Indonesia', '--country', 'ID']));
  await expectOk(bin.run(['identity', 'export', 'bin', '-o', join(root, 'bin.card')]));
  await expectOk(polri.run(['identity', 'export', 'polri', '-o', join(root, 'polri.card')]));
  const binFingerprint = (await bin.json(['card', 'show', join(root, 'bin.card')])).value[0].fingerprint as string;
  const polriFingerprint = (await bin.json(['card', 'show', join(root, 'polri.card')])).value[0].fingerprint as string;
  await expectOk(bin.run(['contact', 'import', join(root, 'polri.card'), '--name', 'polri', '--fingerprint', polriFingerprint, '--group', 'police']));
  await expectOk(polri.run(['contact', 'import', join(root, 'bin.card'), '--name', 'bin', '--fingerprint', binFingerprint]));
  return { bin, polri, binFingerprint, polriFingerprint };
}

/** Fail with the command's output when it did not exit 0. */
export async function expectOk(run: Promise<CliRun>): Promise<CliRun> {
  const r = await run;
  if (r.code !== 0) throw new Error(`exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}
