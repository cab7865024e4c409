/**
 * Copying a stream into a private temporary file (mode 0600, created exclusively), hashing it
 * on the way, in bounded memory. The file is registered with the interruption before it exists,
 * so a signal removes it (plaintext first), and it is removed if the copy fails. Used for stdin
 * before sealing (input-source.ts) and for received envelopes (envelope-files.ts).
 */
import { createWriteStream, openSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { createSha256 } from '../crypto/hash.js';
import type { Interruption, TemporaryKind } from './interruption.js';
import { WRITE_BUFFER_BYTES } from './files.js';

/** A spooled file: its size and SHA-256, and how to stop tracking or remove it. */
export interface SpooledFile {
  size: number;
  sha256: Uint8Array;
  /** Stop tracking the file as temporary (it was moved elsewhere on purpose). */
  release: () => void;
  /** Remove the file and stop tracking it (idempotent). */
  remove: () => Promise<void>;
}

/**
 * Copy `chunks` to `path`, a new file.
 * @param onChunk - Told each chunk and the byte count so far, after it was hashed.
 * @throws whatever reading `chunks` or writing the file throws; the file is then removed.
 */
export async function spoolToFile(
  path: string,
  kind: TemporaryKind,
  chunks: AsyncIterable<Uint8Array>,
  interruption: Interruption,
  onChunk: (chunk: Uint8Array, size: number) => void = () => {},
): Promise<SpooledFile> {
  const release = interruption.track(path, kind);
  const remove = async (): Promise<void> => {
    await rm(path, { force: true });
    release();
  };
  try {
    const out = createWriteStream(path, { fd: openSync(path, 'wx', 0o600), highWaterMark: WRITE_BUFFER_BYTES });
    const hash = createSha256();
    let size = 0;
    try {
      for await (const c of chunks) {
        hash.update(c);
        size += c.length;
        onChunk(c, size);
        if (!out.write(c)) await new Promise<void>((r) => out.once('drain', () => r()));
      }
    } finally {
      out.end();
      await finished(out);
    }
    return { size, sha256: hash.digest(), release, remove };
  } catch (e) {
    await remove();
    throw e;
  }
}
