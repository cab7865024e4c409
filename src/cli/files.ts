/**
 * Reading small command inputs (key cards, STIX) and writing output without ever leaving a
 * half-written file: output goes to a temporary name in the same folder and is renamed into
 * place only when complete. Large inputs (envelopes, files to seal) are streamed instead, see
 * input-source.ts.
 */
import { createWriteStream, openSync, renameSync } from 'node:fs';
import { open, readFile, rm, stat } from 'node:fs/promises';
import path, { basename, dirname, join, posix, win32 } from 'node:path';
import { randomBytes } from 'node:crypto';
import { finished } from 'node:stream/promises';
import { LintasError } from '../errors/index.js';
import { itemNameProblem } from '../bundle/manifest.js';
import type { CliIo } from './terminal.js';
import { usageError } from './options.js';
import { formatBytes } from './terminal.js';
import type { Interruption, TemporaryKind } from './interruption.js';

/**
 * What a file being written may buffer before the writer waits for it to drain. Node's default
 * (16 KiB) made every 64 KiB plaintext piece wait for its own write to finish before the next
 * was decrypted, leaving `open`'s thread idle half the time (docs/PERFORMANCE.md, "The CLI on
 * large files"); 1 MiB lets decryption and writing overlap at a bounded cost in memory.
 */
export const WRITE_BUFFER_BYTES = 1 << 20;

/**
 * The whole of a small file, or of stdin for "-" or no path, refused above `limit` bytes (a
 * file by its size, before reading it).
 * @throws {LintasError} `ERR_USAGE` above the limit; file system errors as Node reports them.
 */
export async function readInput(io: CliIo, path: string | undefined, limit: number): Promise<Uint8Array> {
  const tooLarge = (what: string): Error => usageError(`${what} is larger than ${formatBytes(limit)}, the most this input may be`);
  if (path !== undefined && path !== '-') {
    if ((await stat(path)).size > limit) throw tooLarge(path);
    return new Uint8Array(await readFile(path));
  }
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of io.stdin) {
    const b = typeof c === 'string' ? Buffer.from(c) : (c as Buffer);
    n += b.length;
    if (n > limit) throw tooLarge('stdin');
    parts.push(b);
  }
  return new Uint8Array(Buffer.concat(parts));
}

/**
 * Where an item named `name` is saved in `dir`: directly inside it, on every OS. Item names are
 * single file names by SPEC 12.3, which the reader already enforced; this is a second lock on
 * the door, so a bug there cannot write elsewhere. The name must be one component under both
 * POSIX and Windows path rules (no "/" or "\\", no drive as in "D:x", not "." or ".."), and the
 * joined path is checked with the rules of `paths` (the running OS unless a test passes
 * `path.win32` or `path.posix`).
 * @throws {@link LintasError} `ERR_BUNDLE_MALFORMED` if it would not land directly in `dir`.
 */
export function itemOutputPath(dir: string, name: string, paths: typeof posix = path): string {
  const refuse = (why: string) => new LintasError('ERR_BUNDLE_MALFORMED', `Item name "${name}" ${why}; nothing was saved`);
  const problem = itemNameProblem(name);
  if (problem !== null) throw refuse(problem);
  for (const p of [posix, win32]) {
    if (p.isAbsolute(name) || p.basename(name) !== name || name === '.' || name === '..') throw refuse('is not a plain file name');
  }
  const target = paths.resolve(dir, name);
  if (paths.dirname(target) !== paths.resolve(dir) || paths.basename(target) !== name) throw refuse('does not stay inside the output folder');
  return target;
}

/** A temporary name beside `path`, so the final rename stays on one file system. */
export function temporaryPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.part`);
}

/** Where {@link writeOutput} registers its temporary file, so an interrupt removes it. */
export interface OutputTracking {
  interruption: Interruption;
  kind: TemporaryKind;
}

/**
 * Write `chunks` to `path` atomically (temporary file, fsync, rename), or to stdout for "-" or
 * no path. If the chunks throw, or the command is interrupted, the temporary file is removed
 * and nothing appears at `path`.
 */
export async function writeOutput(
  io: CliIo,
  path: string | undefined,
  chunks: AsyncIterable<Uint8Array> | Uint8Array | string,
  tracking?: OutputTracking,
): Promise<void> {
  const given = typeof chunks === 'string' ? [new TextEncoder().encode(chunks)] : chunks instanceof Uint8Array ? [chunks] : chunks;
  const source = tracking ? tracking.interruption.guard(toAsync(given)) : given;
  if (path === undefined || path === '-') {
    for await (const c of source) if (!io.stdout.write(c)) await new Promise<void>((r) => io.stdout.once('drain', () => r()));
    return;
  }
  const tmp = temporaryPathFor(path);
  // Registered, then created in one synchronous step: a signal cannot fall in between.
  const release = tracking?.interruption.track(tmp, tracking.kind) ?? (() => {});
  try {
    const out = createWriteStream(tmp, { fd: openSync(tmp, 'wx', 0o600), highWaterMark: WRITE_BUFFER_BYTES });
    try {
      for await (const c of source) if (!out.write(c)) await new Promise<void>((r) => out.once('drain', () => r()));
    } finally {
      out.end();
      await finished(out);
    }
    const handle = await open(tmp, 'r');
    await handle.sync();
    await handle.close();
    tracking?.interruption.throwIfInterrupted();
    renameSync(tmp, path);
    release();
  } catch (e) {
    await rm(tmp, { force: true });
    release();
    throw e;
  }
}

async function* toAsync(chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield* chunks;
}
