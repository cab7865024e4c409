/**
 * The key ring on disk (Node only; exported from `lintas/node`). It never loses a saved
 * generation (docs/KEYRING.md, "Storage guarantees"):
 *
 * - a save writes a temp file in the same directory, fsyncs it, renames it over the key ring
 *   (atomic on POSIX file systems) and fsyncs the directory, so after a crash the file is either
 *   the old or the new generation, complete;
 * - the replaced generation is written the same way to `<path>.bak` first;
 * - saves take a lock file `<path>.lock` created with O_EXCL and holding the owner's pid and host;
 *   a lock whose owner process is gone (same host) is broken, so a killed writer does not block
 *   the key ring forever; inside the lock the save is a compare-and-swap, so a writer that read
 *   an older generation is told to reload instead of overwriting a newer one.
 *
 * Reads take no lock: a reader opens either the old or the new file, never a partial one.
 *
 * `<path>.seen` records the highest key ring generation opened or saved here, as one decimal
 * line, raised under the lock and never lowered, so a copy of an older generation put in place
 * of the key ring is recognised (docs/KEYRING.md, "Rollback").
 */
import { promises as fs, constants as fsConstants } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { LintasError } from '../errors/index.js';
import { checkGeneration, sameGeneration, type KeyRingStorage } from './storage.js';

/** Options of {@link FileKeyRingStorage}. */
export interface FileKeyRingStorageOptions {
  /** How long a save waits for another process's lock before ERR_KEYRING_LOCKED. Default 10,000 ms. */
  lockTimeoutMs?: number;
  /**
   * After how long a lock held by a process on another host (shared file system), whose
   * liveness cannot be checked, counts as abandoned. Default 120,000 ms.
   */
  foreignLockStaleMs?: number;
}

interface LockOwner {
  pid: number;
  host: string;
  token: string;
}

/** A lock file that is still empty (its writer was between create and write) gets this grace period. */
const EMPTY_LOCK_GRACE_MS = 5_000;

function isErrno(e: unknown, ...codes: string[]): boolean {
  return typeof e === 'object' && e !== null && codes.includes((e as NodeJS.ErrnoException).code ?? '');
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return isErrno(e, 'EPERM');
  }
}

async function readOrNull(path: string): Promise<Uint8Array | null> {
  try {
    const b = await fs.readFile(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return null;
    throw e;
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * A key ring stored in one file, with its previous generation in `<path>.bak`.
 * Put it on a local file system; on network file systems rename and fsync may not be atomic or
 * durable, and liveness of a lock holder on another host can only be guessed from its age.
 * Several processes may use one key ring file: saves are serialised by the lock file, and a
 * save that lost a race is retried by the key ring on the newer generation.
 * @example
 * ```ts
 * import { mkdtemp, rm } from 'node:fs/promises';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { KeyRing } from 'lintas';
 * import { FileKeyRingStorage } from 'lintas/node';
 *
 * const dir = await mkdtemp(join(tmpdir(), 'ring-'));
 * const storage = new FileKeyRingStorage(join(dir, 'agency.keyring'));
 * const passphrase = process.env.LINTAS_PASSPHRASE ?? 'correct horse battery staple';
 *
 * const ring = await KeyRing.create(storage, { passphrase });
 * await ring.createIdentity({ name: 'desk', organization: 'BIN', country: 'ID' });
 * ring.close();
 *
 * const again = await KeyRing.open(new FileKeyRingStorage(join(dir, 'agency.keyring')), { passphrase });
 * console.log(again.identities().map((i) => i.name)); // ["desk"]
 * again.close();
 * await rm(dir, { recursive: true });
 * ```
 */
export class FileKeyRingStorage implements KeyRingStorage {
  /** The key ring file. */
  readonly path: string;
  /** The previous generation. */
  readonly backupPath: string;
  /** The lock file held during saves. */
  readonly lockPath: string;
  /** The highest generation seen on this machine (docs/KEYRING.md, "Rollback"). */
  readonly seenPath: string;
  private readonly lockTimeoutMs: number;
  private readonly foreignLockStaleMs: number;

  /** @throws {TypeError | RangeError} for an invalid path or options. */
  constructor(path: string, options: FileKeyRingStorageOptions = {}) {
    if (typeof path !== 'string' || path.length === 0) throw new TypeError('path must be a non-empty string');
    this.path = path;
    this.backupPath = `${path}.bak`;
    this.lockPath = `${path}.lock`;
    this.seenPath = `${path}.seen`;
    this.lockTimeoutMs = options.lockTimeoutMs ?? 10_000;
    this.foreignLockStaleMs = options.foreignLockStaleMs ?? 120_000;
    for (const [k, v] of [['lockTimeoutMs', this.lockTimeoutMs], ['foreignLockStaleMs', this.foreignLockStaleMs]] as const) {
      if (typeof v !== 'number') throw new TypeError(`options.${k} must be a number`);
      if (!Number.isFinite(v) || v < 0) throw new RangeError(`options.${k} must be a non-negative number`);
    }
  }

  /** {@inheritDoc KeyRingStorage.load} */
  load(): Promise<Uint8Array | null> {
    return readOrNull(this.path);
  }

  /** {@inheritDoc KeyRingStorage.loadBackup} */
  loadBackup(): Promise<Uint8Array | null> {
    return readOrNull(this.backupPath);
  }

  /** {@inheritDoc KeyRingStorage.loadSeenGeneration} */
  async loadSeenGeneration(): Promise<number | null> {
    const bytes = await readOrNull(this.seenPath);
    if (bytes === null) return null;
    const m = /^(\d{1,15})\n?$/.exec(new TextDecoder().decode(bytes));
    if (!m) {
      throw new LintasError(
        'ERR_KEYRING_ROLLBACK',
        `${this.seenPath} (the record of the newest key ring generation seen here) is damaged, so an older key ring cannot be told from the current one; ` +
          'if you trust this key ring, open it with recovery (lintas keyring recover)',
      );
    }
    return Number(m[1]);
  }

  /**
   * Raise `<path>.seen` to `generation` (a lower or equal value changes nothing), under the lock,
   * so two processes never lower each other's record.
   * @throws {@link LintasError} `ERR_KEYRING_LOCKED` as {@link FileKeyRingStorage.save}.
   */
  async saveSeenGeneration(generation: number): Promise<void> {
    checkGeneration(generation);
    await fs.mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const owner = await this.acquireLock();
    const temp = this.tempName('.seen.tmp');
    try {
      const recorded = await this.loadSeenGeneration().catch(() => null);
      if (recorded !== null && recorded >= generation) return;
      await writeDurably(temp, new TextEncoder().encode(`${generation}\n`));
      await fs.rename(temp, this.seenPath);
      await syncDirectory(dirname(this.path));
    } finally {
      await fs.unlink(temp).catch(() => undefined);
      await this.releaseLock(owner);
    }
  }

  /**
   * {@inheritDoc KeyRingStorage.save}
   * @throws {@link LintasError} `ERR_KEYRING_LOCKED` if another live process holds the lock longer than `lockTimeoutMs`.
   */
  async save(next: Uint8Array, expected: Uint8Array | null): Promise<boolean> {
    if (!(next instanceof Uint8Array)) throw new TypeError('next must be a Uint8Array');
    await fs.mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const owner = await this.acquireLock();
    const temps: string[] = [];
    try {
      await this.removeAbandonedTemps();
      const current = await readOrNull(this.path);
      if (!sameGeneration(current, expected)) return false;
      if (current !== null) {
        const bakTemp = this.tempName('.bak.tmp');
        temps.push(bakTemp);
        await writeDurably(bakTemp, current);
        await fs.rename(bakTemp, this.backupPath);
      }
      const temp = this.tempName('.tmp');
      temps.push(temp);
      await writeDurably(temp, next);
      await fs.rename(temp, this.path);
      await syncDirectory(dirname(this.path));
      return true;
    } finally {
      for (const t of temps) await fs.unlink(t).catch(() => undefined);
      await this.releaseLock(owner);
    }
  }

  private tempName(kind: string): string {
    return `${this.path}${kind}-${process.pid}-${randomBytes(6).toString('hex')}`;
  }

  /** Temp files and set-aside locks of writers that died mid-save (their pid is gone); only called under the lock. */
  private async removeAbandonedTemps(): Promise<void> {
    const dir = dirname(this.path);
    const base = basename(this.path);
    let names: string[];
    try {
      names = await fs.readdir(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const m = /^(?:\.tmp|\.bak\.tmp|\.seen\.tmp|\.lock\.stale)-(\d+)-[0-9a-f]+$/.exec(name.startsWith(base) ? name.slice(base.length) : '');
      if (!m) continue;
      const pid = Number(m[1]);
      if (pid !== process.pid && !processAlive(pid)) await fs.unlink(join(dir, name)).catch(() => undefined);
    }
  }

  private async acquireLock(): Promise<LockOwner> {
    const owner: LockOwner = { pid: process.pid, host: hostname(), token: randomBytes(16).toString('hex') };
    const deadline = Date.now() + this.lockTimeoutMs;
    let wait = 5;
    for (;;) {
      try {
        const fh = await fs.open(this.lockPath, fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_WRONLY, 0o600);
        try {
          await fh.writeFile(JSON.stringify(owner));
          await fh.sync();
        } catch (e) {
          // A full disk creates the file but not its contents. The file is ours (O_EXCL): remove
          // it, or every later save would wait out the empty-lock grace period first.
          await fh.close().catch(() => undefined);
          await fs.unlink(this.lockPath).catch(() => undefined);
          throw e;
        }
        await fh.close();
        return owner;
      } catch (e) {
        if (!isErrno(e, 'EEXIST')) throw e;
      }
      const holder = await this.inspectLock();
      if (holder.stale) {
        await this.breakLock(holder.content);
        continue;
      }
      if (Date.now() >= deadline) {
        const who = holder.owner ? `process ${holder.owner.pid} on ${holder.owner.host}` : 'another process';
        throw new LintasError(
          'ERR_KEYRING_LOCKED',
          `The key ring is being saved by ${who}; try again. If no lintas process is running, delete ${this.lockPath}`,
        );
      }
      await sleep(wait);
      wait = Math.min(wait * 2, 100);
    }
  }

  /** Read the lock file and decide whether its owner is gone. */
  private async inspectLock(): Promise<{ stale: boolean; content: string | null; owner: LockOwner | null }> {
    let content: string;
    let mtime: number;
    try {
      const [text, stat] = await Promise.all([fs.readFile(this.lockPath, 'utf8'), fs.stat(this.lockPath)]);
      content = text;
      mtime = stat.mtimeMs;
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return { stale: false, content: null, owner: null }; // released meanwhile: retry
      throw e;
    }
    let owner: LockOwner | null = null;
    try {
      const parsed = JSON.parse(content) as LockOwner;
      if (Number.isSafeInteger(parsed.pid) && typeof parsed.host === 'string' && typeof parsed.token === 'string') owner = parsed;
    } catch {
      owner = null;
    }
    const age = Date.now() - mtime;
    if (owner === null) return { stale: age > EMPTY_LOCK_GRACE_MS, content, owner };
    if (owner.host === hostname()) return { stale: !processAlive(owner.pid), content, owner };
    return { stale: age > this.foreignLockStaleMs, content, owner };
  }

  /**
   * Remove a stale lock without removing a fresh one that replaced it in the meantime: move it
   * aside atomically, and put it back if what was moved is not the lock judged stale.
   */
  private async breakLock(staleContent: string | null): Promise<void> {
    if (staleContent === null) return;
    const aside = `${this.lockPath}.stale-${process.pid}-${randomBytes(6).toString('hex')}`;
    try {
      await fs.rename(this.lockPath, aside);
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return;
      throw e;
    }
    const moved = await fs.readFile(aside, 'utf8').catch(() => null);
    if (moved !== staleContent) await fs.link(aside, this.lockPath).catch(() => undefined);
    await fs.unlink(aside).catch(() => undefined);
  }

  private async releaseLock(owner: LockOwner): Promise<void> {
    const content = await fs.readFile(this.lockPath, 'utf8').catch(() => null);
    if (content === null) return;
    try {
      if ((JSON.parse(content) as LockOwner).token !== owner.token) return; // broken and re-taken by someone else
    } catch {
      return;
    }
    await fs.unlink(this.lockPath).catch(() => undefined);
  }
}

/** Write a new file and fsync it before it is renamed into place. */
async function writeDurably(path: string, bytes: Uint8Array): Promise<void> {
  const fh = await fs.open(path, fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_WRONLY, 0o600);
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** fsync a directory so a rename in it is durable. Windows cannot open directories; NTFS renames are journaled. */
async function syncDirectory(dir: string): Promise<void> {
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(dir, 'r');
  } catch (e) {
    if (process.platform === 'win32' || isErrno(e, 'EISDIR', 'EPERM')) return;
    throw e;
  }
  try {
    await fh.sync();
  } catch (e) {
    if (!isErrno(e, 'EINVAL', 'ENOTSUP', 'EISDIR', 'EPERM')) throw e;
  } finally {
    await fh.close();
  }
}
