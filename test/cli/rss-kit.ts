/**
 * Peak memory of one `lintas` process: the CLI script is started through a small wrapper that
 * records the process's VmHWM (Linux's peak resident set size, from /proc/self/status) when it
 * exits, normally or through process.exit() on a signal. A structural bound (tens of MiB for a
 * file of GiBs means nothing is held whole), not a timing. Used by test/cli/large-files.test.ts
 * and bench/cli-rss.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Cli, CliRun } from './cli-kit.js';

/** True where peak RSS can be read (Linux). */
export const CAN_MEASURE_RSS = process.platform === 'linux';

/** A CLI run with its peak RSS in bytes. */
export interface MeasuredRun extends CliRun {
  peakRss: number;
}

/** Options for a measured run. */
export interface MeasuredOptions {
  /** Given to stdin as a stream: a file path piped in. */
  stdinFile?: string;
  cwd?: string;
  /** Extra environment variables. */
  env?: NodeJS.ProcessEnv;
}

/** Start `lintas ...args --home HOME` through the measuring wrapper; `done` resolves with the run and its peak RSS. */
export async function startMeasured(cli: Cli, args: string[], options: MeasuredOptions = {}): Promise<{ child: ChildProcess; done: Promise<MeasuredRun> }> {
  const dir = await mkdtemp(join(tmpdir(), 'lintas-rss-'));
  const wrapper = join(dir, 'wrapper.mjs');
  const out = join(dir, 'peak');
  await writeFile(
    wrapper,
    [
      "import { readFileSync, writeFileSync } from 'node:fs';",
      'process.on("exit", () => {',
      "  const m = /^VmHWM:\\s+(\\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));",
      `  writeFileSync(${JSON.stringify(out)}, String(m ? Number(m[1]) * 1024 : -1));`,
      '});',
      `await import(${JSON.stringify(pathToFileURL(cli.script).href)});`,
    ].join('\n'),
  );
  const child = spawn(process.execPath, [wrapper, ...args, '--home', cli.home], {
    env: cli.env(options.env),
    cwd: options.cwd ?? cli.home,
    stdio: [options.stdinFile ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  if (options.stdinFile) {
    const { createReadStream } = await import('node:fs');
    child.stdin!.on('error', () => {});
    createReadStream(options.stdinFile).pipe(child.stdin!);
  }
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout!.on('data', (d: Buffer) => stdout.push(d));
  child.stderr!.on('data', (d: Buffer) => stderr.push(d));
  const done = new Promise<MeasuredRun>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      void (async () => {
        const peak = Number(await readFile(out, 'utf8').catch(() => '-1'));
        await rm(dir, { recursive: true, force: true });
        const stdoutBytes = Buffer.concat(stdout);
        resolve({ code, stdout: stdoutBytes.toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8'), stdoutBytes, peakRss: peak });
      })().catch(reject);
    });
  });
  return { child, done };
}

/** Run `lintas ...args` to the end and measure its peak RSS. */
export async function runMeasured(cli: Cli, args: string[], options: MeasuredOptions = {}): Promise<MeasuredRun> {
  return (await startMeasured(cli, args, options)).done;
}
