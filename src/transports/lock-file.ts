/**
 * An inter-process lock on a file or folder (Node only): a lock file created with O_EXCL that
 * names its holder. Node has no flock(2), so a holder that dies keeps its lock file; the rule
 * that keeps a SIGKILLed holder from blocking forever (docs/TRANSPORTS.md, "Locks"):
 *
 * - on the same host, the lock is stale once its holder is gone: its pid no longer runs, or on
 *   Linux the machine rebooted since (another boot id) or the pid now belongs to another process
 *   (another start time in /proc/PID/stat), so a reused pid does not keep a dead holder alive;
 * - a holder on another host (a shared file system) cannot be asked: it refreshes the lock file's
 *   modification time while it holds it, and the lock is stale once that is older than
 *   `foreignStaleMs`;
 * - an empty or unreadable lock file (its writer died between create and write, or the machine
 *   lost power) is stale after 5 s.
 *
 * A stale lock is moved aside atomically and put back if what was moved is not the lock judged
 * stale, so two processes breaking it at once cannot remove a fresh lock.
 */
import { link, open, readFile, rename, stat, unlink, utimes } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { systemRandom } from '../crypto/random.js';
import { toHex } from '../envelope/hex.js';
import { isErrno } from './durable-file.js';

/** Who holds a lock, as written in the lock file. */
export interface LockHolder {
  pid: number;
  host: string;
  /** Linux boot id of the holder's machine, if known. */
  boot: string | null;
  /** Start time of the holder's process (clock ticks since boot, Linux), if known. */
  start: string | null;
  /** "hold": held until released (a running service); "operation": held for one short operation. */
  mode: 'hold' | 'operation';
  token: string;
}

/** Options of {@link LockFile.acquire}. */
export interface LockOptions {
  /** "hold" for a lock kept while a service runs, "operation" for one short operation. */
  mode: 'hold' | 'operation';
  /** How long to wait for a lock held for an operation. A lock held by a running service ("hold") fails at once. */
  timeoutMs: number;
  /** After how long without a refresh a lock held from another host counts as abandoned. */
  foreignStaleMs: number;
  /** The error for a lock that stays busy, given a description of its holder. */
  busy: (holder: string) => Error;
}

/** A lock file that is still empty (its writer was between create and write) gets this grace period. */
const EMPTY_LOCK_GRACE_MS = 5_000;

/** An acquired lock; {@link LockFile.release} it. */
export class LockFile {
  private refresh: ReturnType<typeof setInterval> | null = null;

  private constructor(
    /** The lock file. */
    readonly path: string,
    private readonly holder: LockHolder,
  ) {}

  /**
   * Take the lock file `path`, waiting while another process holds it for an operation, breaking
   * it if its holder is gone.
   * @throws whatever `options.busy` returns, if a live process holds it (for a "hold" lock, at
   *   once; for an operation lock, after `timeoutMs`).
   */
  static async acquire(path: string, options: LockOptions): Promise<LockFile> {
    const holder: LockHolder = { pid: process.pid, host: hostname(), boot: bootId(), start: startTime(process.pid), mode: options.mode, token: toHex(systemRandom(16)) };
    const content = JSON.stringify(holder);
    const deadline = Date.now() + options.timeoutMs;
    let wait = 1;
    for (;;) {
      if (await createExclusive(path, content)) {
        const lock = new LockFile(path, holder);
        if (options.mode === 'hold') {
          // Proves liveness to processes on other hosts, which cannot check the pid (see above).
          lock.refresh = setInterval(() => void utimes(path, new Date(), new Date()).catch(() => {}), Math.max(1000, options.foreignStaleMs / 4));
          lock.refresh.unref();
        }
        return lock;
      }
      const found = await inspect(path, options.foreignStaleMs);
      if (found.stale) {
        await breakStale(path, found.content);
        continue;
      }
      if (found.content === null) continue; // released meanwhile
      if (found.holder?.mode === 'hold' || Date.now() >= deadline) {
        const who = found.holder ? `process ${found.holder.pid} on ${found.holder.host}` : 'another process';
        throw options.busy(`${who} (lock file ${path})`);
      }
      await new Promise((r) => setTimeout(r, wait));
      wait = Math.min(wait * 2, 50);
    }
  }

  /** Remove the lock file if it is still ours (it may have been broken as stale and taken by someone else). */
  async release(): Promise<void> {
    if (this.refresh) clearInterval(this.refresh);
    this.refresh = null;
    const content = await readFile(this.path, 'utf8').catch(() => null);
    if (content === null) return;
    try {
      if ((JSON.parse(content) as LockHolder).token !== this.holder.token) return;
    } catch {
      return;
    }
    await unlink(this.path).catch(() => undefined);
  }
}

/** Create `path` with `content` if it does not exist; false if it does. */
async function createExclusive(path: string, content: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, 'wx', 0o600);
  } catch (e) {
    if (isErrno(e, 'EEXIST')) return false;
    throw e;
  }
  try {
    await handle.writeFile(content);
  } catch (e) {
    // A full disk creates the file but not its contents. The file is ours (O_EXCL): remove it,
    // or every later attempt would wait out the empty-lock grace period first.
    await handle.close().catch(() => undefined);
    await unlink(path).catch(() => undefined);
    throw e;
  }
  await handle.close();
  return true;
}

/** Read the lock file and decide whether its holder is gone. */
async function inspect(path: string, foreignStaleMs: number): Promise<{ stale: boolean; content: string | null; holder: LockHolder | null }> {
  let content: string;
  let mtime: number;
  try {
    const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    content = text;
    mtime = info.mtimeMs;
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return { stale: false, content: null, holder: null };
    throw e;
  }
  const holder = parseHolder(content);
  const age = Date.now() - mtime;
  if (holder === null) return { stale: age > EMPTY_LOCK_GRACE_MS, content, holder };
  if (holder.host !== hostname()) return { stale: age > foreignStaleMs, content, holder };
  return { stale: !holderRuns(holder), content, holder };
}

function parseHolder(content: string): LockHolder | null {
  try {
    const h = JSON.parse(content) as LockHolder;
    if (!Number.isSafeInteger(h.pid) || typeof h.host !== 'string' || typeof h.token !== 'string') return null;
    return { pid: h.pid, host: h.host, boot: typeof h.boot === 'string' ? h.boot : null, start: typeof h.start === 'string' ? h.start : null, mode: h.mode === 'hold' ? 'hold' : 'operation', token: h.token };
  } catch {
    return null;
  }
}

/** True if the process that wrote `holder` (on this host) still runs. */
function holderRuns(holder: LockHolder): boolean {
  const boot = bootId();
  if (holder.boot !== null && boot !== null && holder.boot !== boot) return false;
  try {
    process.kill(holder.pid, 0);
  } catch (e) {
    if (!isErrno(e, 'EPERM')) return false; // EPERM: it runs, as another user
  }
  const start = startTime(holder.pid);
  return holder.start === null || start === null || holder.start === start;
}

/**
 * Remove a stale lock without removing a fresh one that replaced it in the meantime: move it
 * aside atomically, and put it back if what was moved is not the lock judged stale.
 */
async function breakStale(path: string, staleContent: string | null): Promise<void> {
  if (staleContent === null) return;
  const aside = `${path}.stale-${process.pid}-${toHex(systemRandom(6))}`;
  try {
    await rename(path, aside);
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return;
    throw e;
  }
  const moved = await readFile(aside, 'utf8').catch(() => null);
  if (moved !== staleContent) await link(aside, path).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
}

/** This machine's boot id (Linux), or null. */
function bootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return null;
  }
}

/** When process `pid` started, in clock ticks since boot (field 22 of /proc/PID/stat, Linux), or null. */
function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces: count fields after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}
