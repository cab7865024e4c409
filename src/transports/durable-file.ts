/**
 * Writing a file so that once the call resolves, it survives a crash or power loss: write to a
 * temporary name, fsync the file, rename it into place (atomic on POSIX file systems, so readers
 * never see a partial file), then fsync the directory so the rename itself is on disk.
 */
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Stream `chunks` into `tmpPath`, then make it durable at `finalPath`. Both paths must be on
 * the same file system. On any failure the temporary file is removed and the error rethrown;
 * `finalPath` then does not exist.
 */
export async function writeFileDurably(tmpPath: string, finalPath: string, chunks: AsyncIterable<Uint8Array>): Promise<number> {
  let written = 0;
  const handle = await open(tmpPath, 'wx');
  try {
    for await (const chunk of chunks) {
      let off = 0;
      while (off < chunk.length) {
        const { bytesWritten } = await handle.write(chunk, off, chunk.length - off);
        off += bytesWritten;
      }
      written += chunk.length;
    }
    await handle.sync();
  } catch (e) {
    await handle.close().catch(() => {});
    await unlink(tmpPath).catch(() => {});
    throw e;
  }
  await handle.close();
  try {
    await rename(tmpPath, finalPath);
  } catch (e) {
    await unlink(tmpPath).catch(() => {});
    throw e;
  }
  await syncDirectory(dirname(finalPath));
  return written;
}

/**
 * fsync a directory, making renames and unlinks in it durable. Platforms that cannot open a
 * directory for syncing (Windows) make directory updates durable by themselves; they are skipped.
 */
export async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
  } catch (e) {
    if (isErrno(e, 'EISDIR') || isErrno(e, 'EPERM') || isErrno(e, 'EACCES')) return;
    throw e;
  }
  try {
    await handle.sync();
  } catch (e) {
    if (!isErrno(e, 'EINVAL') && !isErrno(e, 'EPERM')) throw e;
  } finally {
    await handle.close();
  }
}

/** True if `e` is a Node system error with the given errno code. */
export function isErrno(e: unknown, code: string): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === code;
}

/**
 * Write all of `bytes` at `position` (null: at the end of a file opened for appending). A write
 * may store fewer bytes than asked (a full disk): the rest is written again, and a write that
 * stores nothing throws instead of looping forever.
 */
export async function writeAll(handle: FileHandle, bytes: Uint8Array, position: number | null): Promise<void> {
  for (let off = 0; off < bytes.length; ) {
    const { bytesWritten } = await handle.write(bytes, off, bytes.length - off, position === null ? null : position + off);
    if (bytesWritten <= 0) throw new Error('the file system accepted no bytes (disk full?)');
    off += bytesWritten;
  }
}
