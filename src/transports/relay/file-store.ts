/**
 * The relay's durable storage: one directory per mailbox, one file per envelope.
 *
 *   <dir>/tmp/<id>                uploads in progress (emptied at start-up: a crash left them)
 *   <dir>/mailboxes/<mailbox>/<id> stored envelopes, ids sort in arrival order
 *
 * An envelope is written under tmp/, fsynced, renamed into its mailbox and the mailbox directory
 * fsynced before {@link RelayFileStore.put} resolves, so a relay that answered 201 keeps the
 * envelope through a crash or power loss. One relay process per directory. The folder is read
 * once, at start-up ({@link RelayFileStore.scan}); after that the relay answers from its index
 * (mailbox-index.ts).
 */
import { readFile } from 'node:fs';
import { mkdir, open, readdir, rm, stat, unlink } from 'node:fs/promises';
import { promisify } from 'node:util';
import { join } from 'node:path';
import type { FileHandle } from 'node:fs/promises';
import { isMailboxId } from '../mailbox.js';
import { isErrno, syncDirectory, writeFileDurably } from '../durable-file.js';
import { STORED_NAME_PATTERN } from '../stored-name.js';

const readFileAsync = promisify(readFile);

/** One stored envelope found by {@link RelayFileStore.scan}. */
export interface ScannedEnvelope {
  mailbox: string;
  id: string;
  size: number;
  /** Arrival time (unix ms) read from the id. */
  storedAtMs: number;
}

/** File-backed envelope storage for the relay. */
export class RelayFileStore {
  private constructor(private readonly dir: string) {}

  /** Open (creating if needed) the store in `dir` and discard uploads a crash interrupted. */
  static async open(dir: string): Promise<RelayFileStore> {
    await rm(join(dir, 'tmp'), { recursive: true, force: true });
    await mkdir(join(dir, 'tmp'), { recursive: true });
    await mkdir(join(dir, 'mailboxes'), { recursive: true });
    await syncDirectory(dir);
    return new RelayFileStore(dir);
  }

  /** Every stored envelope, each mailbox's in arrival order (read once, at start-up). */
  async *scan(): AsyncGenerator<ScannedEnvelope> {
    for (const mailbox of await readdir(join(this.dir, 'mailboxes'))) {
      if (!isMailboxId(mailbox)) continue;
      const ids = (await readdir(join(this.dir, 'mailboxes', mailbox))).filter((n) => STORED_NAME_PATTERN.test(n)).sort();
      for (const id of ids) {
        const size = await this.size(mailbox, id);
        if (size !== null) yield { mailbox, id, size, storedAtMs: Number(id.slice(0, 15)) };
      }
    }
  }

  /** Store an envelope durably under `id`; resolves with its size once it is on disk. */
  async put(mailbox: string, id: string, chunks: AsyncIterable<Uint8Array>): Promise<number> {
    const box = join(this.dir, 'mailboxes', mailbox);
    const created = await mkdir(box, { recursive: true });
    if (created !== undefined) await syncDirectory(join(this.dir, 'mailboxes'));
    return writeFileDurably(join(this.dir, 'tmp', id), join(box, id), chunks);
  }

  /** Open a stored envelope for reading; null if it does not exist. */
  async open(mailbox: string, id: string): Promise<{ handle: FileHandle; size: number } | null> {
    try {
      const handle = await open(join(this.dir, 'mailboxes', mailbox, id), 'r');
      return { handle, size: (await handle.stat()).size };
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return null;
      throw e;
    }
  }

  /**
   * Read a whole stored envelope (small ones, for a fetch or inline in a lease answer); null if it
   * does not exist. With the callback `readFile`: fs/promises' took about 120 us of CPU per
   * 256-byte file here, this about 80 us (one read per envelope a receiver drains).
   */
  async read(mailbox: string, id: string): Promise<Uint8Array | null> {
    try {
      return await readFileAsync(join(this.dir, 'mailboxes', mailbox, id));
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return null;
      throw e;
    }
  }

  /**
   * Delete a stored envelope; false if it did not exist. The directory is not fsynced: after a
   * power loss an acknowledged envelope may come back and be delivered again, which delivery
   * (at least once) and the receiver's replay guard allow, while an fsync per acknowledgement
   * cost about 1.2 ms of every delivery's round trip (docs/TRANSPORTS.md 3.3, "Storage").
   */
  async remove(mailbox: string, id: string): Promise<boolean> {
    try {
      await unlink(join(this.dir, 'mailboxes', mailbox, id));
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return false;
      throw e;
    }
    return true;
  }

  private async size(mailbox: string, id: string): Promise<number | null> {
    try {
      return (await stat(join(this.dir, 'mailboxes', mailbox, id))).size;
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return null;
      throw e;
    }
  }
}
