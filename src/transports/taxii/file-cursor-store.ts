/**
 * Receivers' TAXII cursors on disk (Node): one JSON file per collection in a folder, written
 * durably (temporary file, fsync, rename, fsync of the folder) before `save` resolves, so an
 * acknowledgement survives a crash. The folder is locked while a store uses it: a second
 * process on the same folder is refused with `ERR_TAXII_CURSOR_LOCKED`, because two processes
 * would hand the same envelope to two receivers (leases are kept in memory, per process).
 */
import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { LintasError } from '../../errors/index.js';
import { sha256 } from '../../crypto/hash.js';
import { utf8 } from '../../crypto/bytes.js';
import { writeFileDurably } from '../durable-file.js';
import type { TaxiiCursorState, TaxiiCursorStore } from './cursor.js';

const LOCK_FILE = 'taxii-cursors.lock';

/**
 * A {@link TaxiiCursorStore} in a folder. Call {@link FileTaxiiCursorStore.close} when done, to
 * release the folder's lock. A lock left by a process that died (same host, its pid gone) is
 * taken over; a lock from another host is never taken over: remove it by hand once that host's
 * receiver is stopped.
 */
export class FileTaxiiCursorStore implements TaxiiCursorStore {
  private locked: Promise<void> | null = null;
  private closed = false;

  /** @param dir The folder for the cursor files (created if missing). */
  constructor(private readonly dir: string) {
    if (typeof dir !== 'string' || dir.length === 0) throw new TypeError('dir must be a folder path');
  }

  /**
   * @inheritDoc
   * @throws {@link LintasError} `ERR_TAXII_CURSOR_LOCKED` if another live process holds the
   * folder; `ERR_TRANSPORT_UNAVAILABLE` naming the file if a cursor file is damaged.
   */
  async load(key: string): Promise<TaxiiCursorState | null> {
    await this.lock();
    const file = this.fileOf(key);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    try {
      const state = JSON.parse(text) as TaxiiCursorState;
      if (state === null || typeof state !== 'object' || (state.floor !== null && typeof state.floor !== 'string') || typeof state.done !== 'object' || state.done === null) {
        throw new Error('not a cursor');
      }
      return state;
    } catch (cause) {
      throw new LintasError('ERR_TRANSPORT_UNAVAILABLE', `The TAXII cursor file ${file} is damaged; restore it from a backup, or delete it to receive the whole collection again (the replay guard drops what was already processed)`, { cause });
    }
  }

  /** @inheritDoc */
  async save(key: string, state: TaxiiCursorState): Promise<void> {
    await this.lock();
    const file = this.fileOf(key);
    const tmp = `${file}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}.tmp`;
    const bytes = utf8(JSON.stringify(state));
    await writeFileDurably(tmp, file, (async function* () {
      yield bytes;
    })());
  }

  /** Release the folder's lock. Idempotent; the store cannot be used afterwards. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.locked === null) return;
    try {
      await this.locked;
    } catch {
      return; // never held it
    }
    await unlink(join(this.dir, LOCK_FILE)).catch(() => {});
  }

  private fileOf(key: string): string {
    const h = Array.from(sha256(utf8(key)).subarray(0, 16), (x) => x.toString(16).padStart(2, '0')).join('');
    return join(this.dir, `${h}.cursor.json`);
  }

  private lock(): Promise<void> {
    if (this.closed) return Promise.reject(new LintasError('ERR_TRANSPORT_CLOSED', 'This TAXII cursor store was closed'));
    this.locked ??= this.takeLock();
    this.locked.catch(() => (this.locked = null));
    return this.locked;
  }

  private async takeLock(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const path = join(this.dir, LOCK_FILE);
    const me = JSON.stringify({ pid: process.pid, host: hostname() });
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const h = await open(path, 'wx');
        await h.writeFile(me);
        await h.sync();
        await h.close();
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      let holder: { pid?: unknown; host?: unknown } = {};
      try {
        holder = JSON.parse(await readFile(path, 'utf8')) as typeof holder;
      } catch {
        // An empty or torn lock file: its writer died while creating it.
      }
      const alive = typeof holder.pid === 'number' && (holder.host !== hostname() || processAlive(holder.pid));
      if (alive) {
        throw new LintasError(
          'ERR_TAXII_CURSOR_LOCKED',
          `Another receiver (pid ${String(holder.pid)} on ${String(holder.host)}) uses the TAXII cursor folder ${this.dir}; stop it, or give this receiver its own folder`,
        );
      }
      await unlink(path).catch(() => {}); // the holder died: take the lock over
    }
    throw new LintasError('ERR_TAXII_CURSOR_LOCKED', `Could not lock the TAXII cursor folder ${this.dir}; another receiver is starting at the same time`);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
