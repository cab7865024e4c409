/**
 * Reading command input (a file, or stdin for "-") and writing output without ever leaving a
 * half-written file: output goes to a temporary name in the same folder and is renamed into
 * place only when complete (and, for opened envelopes, only after the signature verified).
 */
import { createWriteStream } from 'node:fs';
import { readFile, rename, rm, open } from 'node:fs/promises';
import path, { basename, dirname, join, posix, win32 } from 'node:path';
import { randomBytes } from 'node:crypto';
import { finished } from 'node:stream/promises';
import { LintasError } from '../errors/index.js';
import { itemNameProblem } from '../bundle/manifest.js';
import type { CliIo } from './terminal.js';
import { usageError } from './options.js';

/** The whole of a file, or of stdin for "-" or no path. */
export async function readInput(io: CliIo, path: string | undefined, limit = 1 << 30): Promise<Uint8Array> {
  if (path !== undefined && path !== '-') return new Uint8Array(await readFile(path));
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of io.stdin) {
    const b = typeof c === 'string' ? Buffer.from(c) : (c as Buffer);
    n += b.length;
    if (n > limit) throw usageError(`stdin is larger than ${limit} bytes; pass a file instead`);
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

/**
 * Write `chunks` to `path` atomically (temporary file, fsync, rename), or to stdout for "-" or
 * no path. If the chunks throw, the temporary file is removed and nothing appears at `path`.
 */
export async function writeOutput(io: CliIo, path: string | undefined, chunks: AsyncIterable<Uint8Array> | Uint8Array | string): Promise<void> {
  const source = typeof chunks === 'string' ? [new TextEncoder().encode(chunks)] : chunks instanceof Uint8Array ? [chunks] : chunks;
  if (path === undefined || path === '-') {
    for await (const c of source) if (!io.stdout.write(c)) await new Promise<void>((r) => io.stdout.once('drain', () => r()));
    return;
  }
  const tmp = temporaryPathFor(path);
  try {
    const out = createWriteStream(tmp, { flags: 'wx', mode: 0o600 });
    try {
      for await (const c of source) if (!out.write(c)) await new Promise<void>((r) => out.once('drain', () => r()));
    } finally {
      out.end();
      await finished(out);
    }
    const handle = await open(tmp, 'r');
    await handle.sync();
    await handle.close();
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
