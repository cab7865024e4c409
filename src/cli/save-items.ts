/**
 * Where the items of an opened bundle go (`open`, `receive`; docs/CLI.md): streamed to a hidden
 * temporary folder and moved into place only after every item and the envelope signature
 * verified (SPEC 6.7: nothing is acted on before the end of the stream), or, without a folder,
 * small text items kept for printing and everything else read through and verified without
 * being kept. Memory stays bounded whatever the size; an interrupt removes the decrypted,
 * unverified plaintext before anything else.
 */
import { createWriteStream, mkdirSync, openSync, renameSync } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { finished } from 'node:stream/promises';
import type { OpenedBundle } from '../bundle/index.js';
import { usageError } from './options.js';
import { itemOutputPath, WRITE_BUFFER_BYTES } from './files.js';
import type { CommandContext } from './context.js';
import { ProgressBar } from './progress.js';

/** Text items up to this size are printed by `open` without -o; larger ones must be saved. */
export const PRINTABLE_TEXT_BYTES = 8 << 20;

/** One saved item. */
export interface SavedItem {
  name: string;
  mediaType: string;
  size: number;
  sha256: Uint8Array;
  path: string;
}

/**
 * Read every item of an opened bundle into `dir`: each streams to a hidden temporary folder and
 * is moved into place only after the last item and the envelope signature verified, so a
 * tampered bundle leaves nothing behind.
 * `beforeCommit` runs once everything verified and before anything is moved into place; what it
 * throws (e.g. `open --strict` refusing a trust warning) leaves nothing behind.
 * @throws {LintasError} `ERR_USAGE` if an item's file exists and `force` is not set;
 *   `ERR_BUNDLE_MALFORMED` for an item name that would not land directly in `dir`; the codes of
 *   {@link OpenedBundle.items}; what `beforeCommit` throws; `InterruptedError` after a signal.
 */
export async function saveItems(ctx: CommandContext, bundle: OpenedBundle, dir: string, options: { force: boolean; beforeCommit?: () => void }): Promise<SavedItem[]> {
  await mkdir(dir, { recursive: true });
  const targets = bundle.manifest.items.map((item) => itemOutputPath(dir, item.name));
  if (!options.force) {
    for (const t of targets) {
      const exists = await stat(t).then(
        () => true,
        () => false,
      );
      if (exists) throw usageError(`${t} already exists; choose another folder or pass --force`);
    }
  }
  const tmp = join(dir, `.lintas-open-${randomBytes(6).toString('hex')}`);
  // Registered, then created, in one synchronous step: a signal cannot fall in between.
  const release = ctx.interruption.track(tmp, 'plaintext');
  mkdirSync(tmp, { mode: 0o700 });
  const total = bundle.manifest.items.reduce((n, i) => n + i.size, 0);
  const bar = new ProgressBar(ctx.io, 'Opening', total);
  try {
    let done = 0;
    const saved: SavedItem[] = [];
    const parts: string[] = [];
    for await (const item of bundle.items()) {
      ctx.interruption.throwIfInterrupted();
      const part = join(tmp, String(item.index));
      parts.push(part);
      const out = createWriteStream(part, { fd: openSync(part, 'wx', 0o600), highWaterMark: WRITE_BUFFER_BYTES });
      try {
        for await (const c of ctx.interruption.guard(item.stream())) {
          done += c.length;
          bar.update(done);
          if (!out.write(c)) await new Promise<void>((r) => out.once('drain', () => r()));
        }
      } finally {
        out.end();
        await finished(out);
      }
      saved.push({ name: item.name, mediaType: item.mediaType, size: item.size, sha256: item.sha256, path: targets[item.index]! });
    }
    bar.finish();
    // items() ended without error: every item and the envelope signature verified. The moves
    // are synchronous so an interrupt sees either the temporary folder or the finished items.
    options.beforeCommit?.();
    ctx.interruption.throwIfInterrupted();
    for (const [i, s] of saved.entries()) renameSync(parts[i]!, s.path);
    return saved;
  } finally {
    bar.finish();
    await rm(tmp, { recursive: true, force: true });
    release();
  }
}

/** An item read by `open` without -o. */
export interface ReadItem {
  name: string;
  mediaType: string;
  size: number;
  /** The verified text, for text items up to {@link PRINTABLE_TEXT_BYTES}; null otherwise. */
  text: string | null;
}

/**
 * Read every item, keeping only small text items (to print them once everything verified) and
 * reading the others through, so they are verified but never held in memory.
 * @throws {LintasError} the codes of {@link OpenedBundle.items}; `InterruptedError` after a signal.
 */
export async function readItemsForPrinting(ctx: CommandContext, bundle: OpenedBundle): Promise<ReadItem[]> {
  const total = bundle.manifest.items.reduce((n, i) => n + i.size, 0);
  const bar = new ProgressBar(ctx.io, 'Verifying', total);
  const read: ReadItem[] = [];
  let done = 0;
  try {
    for await (const item of bundle.items()) {
      const keep = isText(item.mediaType) && item.size <= PRINTABLE_TEXT_BYTES;
      const parts: Uint8Array[] = [];
      for await (const c of ctx.interruption.guard(item.stream())) {
        done += c.length;
        bar.update(done);
        if (keep) parts.push(c);
      }
      read.push({ name: item.name, mediaType: item.mediaType, size: item.size, text: keep ? new TextDecoder().decode(Buffer.concat(parts)) : null });
    }
  } finally {
    bar.finish();
  }
  return read;
}

/** Media types `open` prints as text. */
export function isText(mediaType: string): boolean {
  return /^text\//.test(mediaType) || mediaType === 'application/json' || mediaType.startsWith('application/stix+json');
}
