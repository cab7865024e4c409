/**
 * The relay's durable storage: one directory per mailbox, one file per envelope.
 *
 *   <dir>/tmp/<id>                uploads in progress (emptied at start-up: a crash left them)
 *   <dir>/mailboxes/<mailbox>/<id> stored envelopes, ids sort in arrival order
 *
 * An envelope is written under tmp/, fsynced, renamed into its mailbox and the mailbox directory
 * fsynced before {@link RelayFileStore.put} resolves, so a relay that answered 201 keeps the
 * envelope through a crash or power loss. One relay process per directory.
 */
import { mkdir, open, readdir, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileHandle } from 'node:fs/promises';
import { isErrno, syncDirectory, writeFileDurably } from '../durable-file.js';
import { STORED_NAME_PATTERN, StoredNameSource } from '../stored-name.js';

/** One stored envelope. */
export interface StoredEnvelopeInfo {
  id: string;
  size: number;
}

/** File-backed envelope storage for the relay. */
export class RelayFileStore {
  private readonly names = new StoredNameSource();
  private readonly counts = new Map<string, number>();

  private constructor(private readonly dir: string) {}

  /** Open (creating if needed) the store in `dir` and discard uploads a crash interrupted. */
  static async open(dir: string): Promise<RelayFileStore> {
    await rm(join(dir, 'tmp'), { recursive: true, force: true });
    await mkdir(join(dir, 'tmp'), { recursive: true });
    await mkdir(join(dir, 'mailboxes'), { recursive: true });
    await syncDirectory(dir);
    return new RelayFileStore(dir);
  }

  /** Store an envelope durably; resolves with its id once it is on disk. */
  async put(mailbox: string, chunks: AsyncIterable<Uint8Array>): Promise<string> {
    const box = join(this.dir, 'mailboxes', mailbox);
    const created = await mkdir(box, { recursive: true });
    if (created !== undefined) await syncDirectory(join(this.dir, 'mailboxes'));
    const id = this.names.next();
    await writeFileDurably(join(this.dir, 'tmp', id), join(box, id), chunks);
    const n = this.counts.get(mailbox);
    if (n !== undefined) this.counts.set(mailbox, n + 1);
    return id;
  }

  /** The ids of the mailbox's envelopes, oldest first (one directory read, no stat). */
  async ids(mailbox: string): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(join(this.dir, 'mailboxes', mailbox));
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return [];
      throw e;
    }
    const ids = names.filter((n) => STORED_NAME_PATTERN.test(n)).sort();
    this.counts.set(mailbox, ids.length);
    return ids;
  }

  /** The size of a stored envelope; null if it is gone. */
  async size(mailbox: string, id: string): Promise<number | null> {
    try {
      return (await stat(join(this.dir, 'mailboxes', mailbox, id))).size;
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return null;
      throw e;
    }
  }

  /** The mailbox's envelopes with their sizes, oldest first. */
  async list(mailbox: string): Promise<StoredEnvelopeInfo[]> {
    const out: StoredEnvelopeInfo[] = [];
    for (const id of await this.ids(mailbox)) {
      const size = await this.size(mailbox, id);
      if (size !== null) out.push({ id, size }); // null: removed while listing
    }
    return out;
  }

  /** How many envelopes the mailbox holds. */
  async count(mailbox: string): Promise<number> {
    return this.counts.get(mailbox) ?? (await this.ids(mailbox)).length;
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

  /** Delete a stored envelope durably; false if it did not exist. */
  async remove(mailbox: string, id: string): Promise<boolean> {
    const box = join(this.dir, 'mailboxes', mailbox);
    try {
      await unlink(join(box, id));
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return false;
      throw e;
    }
    await syncDirectory(box);
    const n = this.counts.get(mailbox);
    if (n !== undefined) this.counts.set(mailbox, Math.max(0, n - 1));
    return true;
  }
}
