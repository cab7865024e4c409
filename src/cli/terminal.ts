/**
 * Everything the CLI does with the terminal and the process's standard streams: passphrase
 * input without echo, plain and JSON output (the progress bar is in progress.ts).
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { LintasError } from '../errors/index.js';
import type { SignalSource } from './interruption.js';

/** The process streams and environment a command runs against (real ones, or fakes in tests). */
export interface CliIo {
  stdin: NodeJS.ReadStream | NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** SIGINT and SIGTERM, and exiting on them (docs/CLI.md, "Interrupting a command"); absent in tests run in-process. */
  signals?: SignalSource;
}

/** The real process streams. */
export function processIo(): CliIo {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, signals: process };
}

/** Where a passphrase may come from, in order of precedence (docs/CLI.md). */
export interface PassphraseSources {
  /** `--passphrase-fd N`: read the first line from an inherited file descriptor. */
  fd?: number;
  /** `--passphrase-file PATH`: read the first line of a file. */
  file?: string;
  /** The environment variable to read (default LINTAS_PASSPHRASE; a new passphrase: LINTAS_NEW_PASSPHRASE). */
  env?: string;
}

/**
 * Get the key ring passphrase: from --passphrase-fd, --passphrase-file, the LINTAS_PASSPHRASE
 * environment variable, or a no-echo prompt when stdin is a terminal. Never echoed or logged.
 * @throws {LintasError} ERR_USAGE_NO_PASSPHRASE when none is available (e.g. in a script).
 */
export async function readPassphrase(io: CliIo, sources: PassphraseSources, prompt: string): Promise<string> {
  if (sources.fd !== undefined) return firstLine(await readAll(createReadStream('', { fd: sources.fd, autoClose: false })));
  if (sources.file !== undefined) return firstLine(await readFile(sources.file));
  const fromEnv = io.env[sources.env ?? 'LINTAS_PASSPHRASE'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const stdin = io.stdin as NodeJS.ReadStream;
  if (stdin.isTTY && typeof stdin.setRawMode === 'function') return promptNoEcho(stdin, io.stderr, prompt);
  throw new LintasError(
    'ERR_USAGE_NO_PASSPHRASE',
    'A key ring passphrase is needed: set LINTAS_PASSPHRASE, or pass --passphrase-fd N or --passphrase-file PATH',
  );
}

function firstLine(bytes: Uint8Array): string {
  const text = new TextDecoder().decode(bytes);
  const nl = text.search(/\r?\n/);
  return nl === -1 ? text : text.slice(0, nl);
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(parts);
}

function promptNoEcho(stdin: NodeJS.ReadStream, out: NodeJS.WritableStream, prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    out.write(prompt);
    stdin.setRawMode(true);
    stdin.resume();
    let answer = '';
    const onData = (buf: Buffer): void => {
      for (const ch of buf.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(null);
        if (ch === '\u0003') return done(new LintasError('ERR_USAGE_CANCELLED', 'Cancelled at the passphrase prompt'));
        if (ch === '\u007f' || ch === '\b') answer = answer.slice(0, -1);
        else answer += ch;
      }
    };
    const done = (err: Error | null): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      out.write('\n');
      if (err) reject(err);
      else resolve(answer);
    };
    stdin.on('data', onData);
  });
}

/** Human-readable byte count. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}
