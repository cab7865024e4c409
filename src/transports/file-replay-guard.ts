/**
 * A persistent {@link ReplayGuard} (Node only): an append-only log of fixed-size records, fsynced
 * after every append, indexed in memory by a compact hash table ({@link ReplayTable}), compacted
 * as ids leave their replay window, and locked against other processes (docs/TRANSPORTS.md,
 * "Replay protection"). A {@link ReservingReplayGuard}: a shared log keeps reservations in small
 * files beside it ({@link ReservationFiles}), used under the same lock; an exclusive one in memory.
 *
 * File (format 2): a 44-byte header "LNTSRPL2" (8) || tag key (32 random bytes) || check (4),
 * then 28-byte records: tag (16) || keep-until (8, unix seconds, big-endian; all ones: forever)
 * || check (4). The tag is the first 16 bytes of HMAC-SHA-256(tag key, "lintas/v1 replay tag" ||
 * 0x00 || id): a keyed hash, so ids chosen by an attacker cannot crowd one slot of the table, and
 * the file does not list the ids. The check is FNV-1a (32-bit) of the bytes before it; it only
 * detects torn writes (the file is not protected against someone who can write to it).
 *
 * Crash and full-disk rules: a record is written whole (short writes continued) and fdatasynced
 * before `remember` resolves; if that fails `remember` rejects and the next record overwrites the
 * partial one. On open, a record whose check fails (torn by a crash, or a gap a full disk left
 * in a format-1 log) was never acknowledged: it is dropped and the log rewritten without it,
 * never a reason to refuse to start. Format-1 logs ("LNTSRPL1", ids kept forever) are converted.
 *
 * Compaction (SPEC 10.7): each id is kept until the time given to `remember` (the receive loop
 * passes the end of the envelope's replay window, after which the envelope is refused as too old)
 * plus {@link REPLAY_CLOCK_MARGIN_SECONDS}. When the log has twice as many records as after the
 * last compaction, ids past their time are dropped by rewriting the log (temporary file, fsync,
 * rename), so the file, the memory and the time to open it are bounded by the ids of one window.
 */
import { open, readdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { LintasError } from '../errors/index.js';
import { concatBytes, utf8 } from '../crypto/bytes.js';
import { hmacSha256, sha256 } from '../crypto/hash.js';
import { systemRandom } from '../crypto/random.js';
import { cryptoReady } from '../crypto/sodium.js';
import { toHex } from '../envelope/hex.js';
import { isErrno, syncDirectory, writeAll, writeFileDurably } from './durable-file.js';
import { LockFile } from './lock-file.js';
import { ReplayTable } from './replay-table.js';
import {
  checkEnvelopeId,
  checkHoldMs,
  checkKeepUntil,
  checkReservationToken,
  REPLAY_CLOCK_MARGIN_SECONDS,
  type ReplayReservation,
  type ReservingReplayGuard,
} from './replay-guard.js';
import { ReservationFiles, ReservationMemory, type ReservationStore } from './reservation-files.js';

const MAGIC = utf8('LNTSRPL2');
const MAGIC_V1 = utf8('LNTSRPL1');
const KEY_BYTES = 32;
const CHECK_BYTES = 4;
const HEADER_BYTES = MAGIC.length + KEY_BYTES + CHECK_BYTES;
const ID_BYTES = 16;
const TAG_BYTES = 16;
const RECORD_BYTES = TAG_BYTES + 8 + CHECK_BYTES;
const V1_RECORD_BYTES = ID_BYTES + 4;
const TAG_CONTEXT = utf8('lintas/v1 replay tag');
const V1_CHECK_CONTEXT = utf8('lintas/v1 replay log');
/** Below this many records a log is not worth compacting during operation. */
const MIN_COMPACT_RECORDS = 256;
/** Records read per chunk when scanning (~1 MiB). */
const SCAN_RECORDS = 37_449;
const FOREVER_WORD = 0xffffffff;
/** Reservations not renewed for this long are swept on open: no hold is longer (checkHoldMs). */
const RESERVATION_SWEEP_MS = 86_400_000;

/** Options of {@link FileReplayGuard.open}. */
export interface FileReplayGuardOptions {
  /**
   * "exclusive" (default): this process holds the log's lock file from `open` to `close`; another
   * process opening the log gets `ERR_REPLAY_LOG_LOCKED`. "shared": every `has` and `remember`
   * takes the lock for that one operation and first reads what other processes appended, so
   * several receivers (all "shared") can use one log on one file system.
   */
  sharing?: 'exclusive' | 'shared';
  /** How long an operation waits for another process's operation lock, in ms. Default 10 000. */
  lockTimeoutMs?: number;
  /**
   * After how long a lock held from another host (a shared file system, where its process cannot
   * be checked) counts as abandoned unless its holder refreshes it, in ms. Default 120 000.
   */
  foreignLockStaleMs?: number;
}

/** FNV-1a, 32-bit, of `bytes[from..to)`: detects torn writes, nothing more. */
function fnv1a(bytes: Uint8Array, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

function v1Check(id: Uint8Array): Uint8Array {
  return sha256(concatBytes(V1_CHECK_CONTEXT, new Uint8Array([0]), id)).subarray(0, 4);
}

interface Scan {
  /** End of the last valid record. */
  end: number;
  /** Valid records. */
  records: number;
  /** Invalid records before `end`. */
  damaged: number;
  /** Valid records past their time. */
  expired: number;
}

/**
 * A {@link ReplayGuard} backed by an fsynced, compacted log file (see the module comment).
 * Envelope ids must be 16 bytes (the replay keys of `receiveEnvelopes` are).
 * @example
 * ```ts
 * import { mkdtemp, rm } from 'node:fs/promises';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { FileReplayGuard } from 'lintas/node';
 *
 * const dir = await mkdtemp(join(tmpdir(), 'replay-'));
 * const guard = await FileReplayGuard.open(join(dir, 'replay.log'));
 * const id = new Uint8Array(16).fill(7);
 * await guard.remember(id, new Date(Date.now() + 30 * 86_400_000)); // kept 30 days (+1 day margin)
 * console.log(await guard.has(id)); // true
 * await guard.close();
 * await rm(dir, { recursive: true });
 * ```
 */
export class FileReplayGuard implements ReservingReplayGuard {
  private table = new ReplayTable();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private handle: FileHandle | null = null;
  private tagKey: Uint8Array = new Uint8Array(0);
  /** Where the next record goes: the end of the last valid record. */
  private end = HEADER_BYTES;
  /** Valid records in the file (also those past their time, until compaction). */
  private records = 0;
  /** Compact when the file has this many records. */
  private compactAt = MIN_COMPACT_RECORDS;
  private dropped = 0;
  private readonly reservations: ReservationStore;

  private constructor(
    private readonly path: string,
    private readonly lockPath: string,
    private readonly shared: boolean,
    private readonly lockTimeoutMs: number,
    private readonly foreignLockStaleMs: number,
    private lock: LockFile | null,
  ) {
    this.reservations = shared ? new ReservationFiles(`${path}.reserved`) : new ReservationMemory();
  }

  /**
   * Open the log at `path`, creating it if missing, and index every id in it.
   * @throws {TypeError | RangeError} for an invalid path or options.
   * @throws {@link LintasError} `ERR_REPLAY_LOG_LOCKED` if another live process holds the log
   *   (exclusive: at once; shared: after `lockTimeoutMs`); `ERR_REPLAY_LOG_CORRUPT` if the file
   *   is not a replay log or its header is damaged (damaged records are repaired, not fatal).
   */
  static async open(path: string, options: FileReplayGuardOptions = {}): Promise<FileReplayGuard> {
    if (typeof path !== 'string' || path.length === 0) throw new TypeError('path must be a file path');
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
    const sharing = options.sharing ?? 'exclusive';
    if (sharing !== 'exclusive' && sharing !== 'shared') throw new TypeError('options.sharing must be "exclusive" or "shared"');
    const lockTimeoutMs = checkMs(options.lockTimeoutMs, 'options.lockTimeoutMs', 10_000);
    const foreignLockStaleMs = checkMs(options.foreignLockStaleMs, 'options.foreignLockStaleMs', 120_000);
    await cryptoReady();
    const guard = new FileReplayGuard(path, `${path}.lock`, sharing === 'shared', lockTimeoutMs, foreignLockStaleMs, null);
    const lock = await guard.acquireLock(sharing === 'shared' ? 'operation' : 'hold');
    try {
      await guard.removeAbandonedTemps();
      await guard.load();
      if (guard.reservations instanceof ReservationFiles) await guard.reservations.sweep(RESERVATION_SWEEP_MS);
    } catch (e) {
      await guard.handle?.close().catch(() => undefined);
      await lock.release();
      throw e;
    }
    if (guard.shared) await lock.release();
    else guard.lock = lock;
    return guard;
  }

  /** Ids (tags) indexed, including those past their time that the next compaction drops. */
  get size(): number {
    return this.table.size;
  }

  /** Damaged records dropped when the log was opened or re-read (torn by a crash or a full disk). */
  get repairedRecords(): number {
    return this.dropped;
  }

  /**
   * @inheritdoc
   * @throws {RangeError} unless the id is 16 bytes.
   * @throws {@link LintasError} `ERR_TRANSPORT_CLOSED` after {@link FileReplayGuard.close};
   *   `ERR_REPLAY_LOG_LOCKED` (shared) if the lock stays busy.
   */
  async has(envelopeId: Uint8Array): Promise<boolean> {
    checkId(envelopeId);
    if (!this.shared) {
      if (this.closed) throw closedError();
      return this.table.has(this.tagOf(envelopeId), 0);
    }
    // The tag is computed after catching up: a log re-created by another process has another tag key.
    return this.serialised(async () => this.table.has(this.tagOf(envelopeId), 0));
  }

  /**
   * @inheritdoc
   * @throws {RangeError} unless the id is 16 bytes; {TypeError} for a `keepUntil` that is not a valid Date.
   * @throws {@link LintasError} `ERR_REPLAY_LOG_WRITE_FAILED` if the record could not be made
   *   durable (a full disk, an I/O error): nothing was remembered; `ERR_TRANSPORT_CLOSED` after
   *   {@link FileReplayGuard.close}; `ERR_REPLAY_LOG_LOCKED` (shared) if the lock stays busy.
   */
  async remember(envelopeId: Uint8Array, keepUntil?: Date): Promise<void> {
    checkId(envelopeId);
    const until = checkKeepUntil(keepUntil);
    await this.serialised(async () => {
      const tag = this.tagOf(envelopeId);
      if (this.table.has(tag, 0)) return this.endReservation(tag);
      const record = new Uint8Array(RECORD_BYTES);
      record.set(new Uint8Array(tag.buffer, tag.byteOffset, TAG_BYTES));
      encodeRecord(new DataView(record.buffer), 0, until);
      const handle = this.handle!;
      try {
        await writeAll(handle, record, this.end);
        await handle.datasync();
      } catch (e) {
        // Best effort: the next record is written at `end` anyway, and a torn tail is dropped on open.
        await handle.truncate(this.end).catch(() => undefined);
        throw new LintasError(
          'ERR_REPLAY_LOG_WRITE_FAILED',
          `Could not write the replay log ${this.path} (${e instanceof Error ? e.message : String(e)}); free space or fix the disk. The envelope was not acknowledged and will be delivered again`,
          { cause: e },
        );
      }
      this.end += RECORD_BYTES;
      this.records++;
      this.table.add(tag, 0, until);
      await this.endReservation(tag);
      if (this.records >= this.compactAt) await this.compactOrReload();
    });
  }

  /**
   * Reserve `envelopeId` for `token` for `holdMs` (see {@link ReservingReplayGuard}). Shared: a
   * file in `<path>.reserved/`, read and written under the log's lock, so receivers in several
   * processes on one log cannot both reserve an id; a hold has passed when the file was not
   * rewritten for `holdMs` by the file system's clock (keep shared logs on local disks).
   * Exclusive: in memory, since no other process can open the log.
   * @throws {RangeError | TypeError} for an invalid id, token or `holdMs`.
   * @throws {@link LintasError} `ERR_TRANSPORT_CLOSED` after {@link FileReplayGuard.close};
   *   `ERR_REPLAY_LOG_LOCKED` (shared) if the lock stays busy; the file system's errors.
   */
  async reserve(envelopeId: Uint8Array, token: string, holdMs: number): Promise<ReplayReservation> {
    checkId(envelopeId);
    checkReservationToken(token);
    checkHoldMs(holdMs);
    return this.serialised(async () => {
      const tag = this.tagOf(envelopeId);
      if (this.table.has(tag, 0)) return 'seen';
      const name = tagName(tag);
      const held = await this.reservations.get(name);
      // A damaged file (its writer died mid-write) holds nothing.
      if (held !== null && held.token !== null && held.token !== token && Date.now() - held.renewedAt < held.holdMs) return 'busy';
      await this.reservations.put(name, token, holdMs);
      return 'new';
    });
  }

  /**
   * Remove `token`'s reservation of `envelopeId`, if it still holds it; otherwise do nothing.
   * @throws as {@link FileReplayGuard.reserve}.
   */
  async release(envelopeId: Uint8Array, token: string): Promise<void> {
    checkId(envelopeId);
    checkReservationToken(token);
    await this.serialised(async () => {
      const name = tagName(this.tagOf(envelopeId));
      if ((await this.reservations.get(name))?.token === token) await this.reservations.remove(name);
    });
  }

  /** Close the file and release the lock. Later calls reject with `ERR_TRANSPORT_CLOSED`. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.catch(() => undefined);
    await this.handle?.close();
    await this.lock?.release();
  }

  /** A remembered id needs no reservation. Best effort: `reserve` answers 'seen' before reading one anyway. */
  private async endReservation(tag: DataView): Promise<void> {
    await this.reservations.remove(tagName(tag)).catch(() => undefined);
  }

  private tagOf(envelopeId: Uint8Array): DataView {
    const tag = hmacSha256(this.tagKey, concatBytes(TAG_CONTEXT, new Uint8Array([0]), envelopeId)).subarray(0, TAG_BYTES);
    return new DataView(tag.buffer, tag.byteOffset, TAG_BYTES);
  }

  /** Run `op` after the operations before it; shared: under the lock, after reading other processes' appends. */
  private serialised<T>(op: () => Promise<T>): Promise<T> {
    const done = this.queue.then(async () => {
      if (this.closed) throw closedError();
      if (!this.shared) return op();
      const lock = await this.acquireLock('operation');
      try {
        await this.catchUp();
        return await op();
      } finally {
        await lock.release();
      }
    });
    this.queue = done.catch(() => undefined);
    return done;
  }

  private acquireLock(mode: 'hold' | 'operation'): Promise<LockFile> {
    return LockFile.acquire(this.lockPath, {
      mode,
      timeoutMs: this.lockTimeoutMs,
      foreignStaleMs: this.foreignLockStaleMs,
      busy: (who) =>
        new LintasError(
          'ERR_REPLAY_LOG_LOCKED',
          `The replay log ${this.path} is in use by ${who}; stop that receiver, or open the log with sharing "shared" in every receiver`,
        ),
    });
  }

  /** Open (or create) the file and index it from scratch. Called under the lock. */
  private async load(compact = true): Promise<void> {
    await this.handle?.close();
    this.handle = null;
    let handle: FileHandle;
    try {
      handle = await open(this.path, 'r+');
    } catch (e) {
      if (!isErrno(e, 'ENOENT')) throw e;
      await this.create();
      handle = await open(this.path, 'r+');
    }
    this.handle = handle;
    const size = (await handle.stat()).size;
    const head = new Uint8Array(Math.min(size, HEADER_BYTES));
    await handle.read(head, 0, head.length, 0);
    const isPrefixOf = (magic: Uint8Array): boolean => head.length < magic.length && head.every((b, i) => b === magic[i]);
    if (size < MAGIC.length && (isPrefixOf(MAGIC) || isPrefixOf(MAGIC_V1))) {
      // A format-1 log created, then cut off by a crash before its header was durable: nothing
      // was ever remembered in it. (Format 2 logs are created whole by a rename.)
      await handle.close();
      this.handle = null;
      await unlink(this.path);
      return this.load(compact);
    }
    if (startsWith(head, MAGIC_V1)) return this.convertV1(size);
    if (!startsWith(head, MAGIC)) throw this.corrupt('not a lintas replay log');
    if (size < HEADER_BYTES || fnv1a(head, 0, HEADER_BYTES - CHECK_BYTES) !== new DataView(head.buffer).getUint32(HEADER_BYTES - CHECK_BYTES)) {
      throw this.corrupt('damaged (its header)');
    }
    this.tagKey = head.slice(MAGIC.length, MAGIC.length + KEY_BYTES);
    this.table = new ReplayTable(Math.floor((size - HEADER_BYTES) / RECORD_BYTES));
    this.end = HEADER_BYTES;
    this.records = 0;
    const scan = await this.scan(size);
    if (compact && (scan.damaged > 0 || (scan.expired > 0 && scan.expired * 4 >= scan.records))) await this.compactOrReload();
    else this.compactAt = Math.max(MIN_COMPACT_RECORDS, 2 * this.records);
  }

  /**
   * Index the records from `end` to `size`, then cut off a torn tail. A record that fails its
   * check is dropped (it was never acknowledged: see the module comment) and counted.
   */
  private async scan(size: number): Promise<Scan> {
    const handle = this.handle!;
    const now = nowSeconds();
    const result: Scan = { end: this.end, records: 0, damaged: 0, expired: 0 };
    let pendingDamage = 0;
    const chunk = new Uint8Array(SCAN_RECORDS * RECORD_BYTES);
    const view = new DataView(chunk.buffer);
    for (let pos = this.end; pos + RECORD_BYTES <= size; ) {
      const want = Math.min(chunk.length, Math.floor((size - pos) / RECORD_BYTES) * RECORD_BYTES);
      const { bytesRead } = await handle.read(chunk, 0, want, pos);
      const whole = Math.floor(bytesRead / RECORD_BYTES) * RECORD_BYTES;
      if (whole === 0) break;
      for (let off = 0; off < whole; off += RECORD_BYTES) {
        const checkAt = off + RECORD_BYTES - CHECK_BYTES;
        if (fnv1a(chunk, off, checkAt) !== view.getUint32(checkAt)) {
          pendingDamage++;
          continue;
        }
        const until = decodeUntil(view, off + TAG_BYTES);
        if (this.table.add(view, off, until)) result.records++;
        if (until + REPLAY_CLOCK_MARGIN_SECONDS < now) result.expired++;
        result.damaged += pendingDamage;
        pendingDamage = 0;
        result.end = pos + off + RECORD_BYTES;
      }
      pos += whole;
    }
    this.dropped += result.damaged + pendingDamage;
    if (size > result.end) {
      await handle.truncate(result.end);
      await handle.datasync();
    }
    this.end = result.end;
    this.records += result.records;
    return result;
  }

  /** Shared: index what other processes appended, or re-read a log another process compacted. */
  private async catchUp(): Promise<void> {
    const [onDisk, ours] = await Promise.all([stat(this.path).catch(() => null), this.handle!.stat()]);
    if (onDisk === null || onDisk.ino !== ours.ino || onDisk.dev !== ours.dev) {
      if (onDisk === null) throw this.corrupt('gone (deleted while in use)');
      return this.load();
    }
    if (ours.size !== this.end) {
      const scan = await this.scan(ours.size);
      if (scan.damaged > 0) await this.compactOrReload();
    }
  }

  /** Rewrite the log with only the ids still inside their time. A failed rewrite leaves the old log, which is then re-read. */
  private async compactOrReload(): Promise<void> {
    const now = nowSeconds();
    const live = new ReplayTable();
    const tag = new DataView(new ArrayBuffer(TAG_BYTES));
    for (const slot of this.table.slots()) {
      const until = this.table.untilAt(slot);
      if (until + REPLAY_CLOCK_MARGIN_SECONDS < now) continue;
      this.table.tagAt(slot, tag, 0);
      live.add(tag, 0, until);
    }
    // Closed first: a file open elsewhere cannot be renamed over on Windows.
    await this.handle!.close();
    this.handle = null;
    try {
      await this.writeLog(this.tagKey, live);
    } catch {
      // The old log is complete, so nothing is lost: re-read whichever log is in place (the new
      // one if only the directory sync failed after the rename) and try again after more records.
      await this.load(false);
      return;
    }
    this.handle = await open(this.path, 'r+');
    this.table = live;
    this.records = live.size;
    this.end = HEADER_BYTES + live.size * RECORD_BYTES;
    this.compactAt = Math.max(MIN_COMPACT_RECORDS, 2 * live.size);
  }

  /** Write a complete log (header and `table`) durably in place of the current one. */
  private async writeLog(tagKey: Uint8Array, table: ReplayTable): Promise<void> {
    const header = new Uint8Array(HEADER_BYTES);
    header.set(MAGIC, 0);
    header.set(tagKey, MAGIC.length);
    new DataView(header.buffer).setUint32(HEADER_BYTES - CHECK_BYTES, fnv1a(header, 0, HEADER_BYTES - CHECK_BYTES));
    async function* chunks(): AsyncGenerator<Uint8Array> {
      yield header;
      let chunk = new Uint8Array(SCAN_RECORDS * RECORD_BYTES);
      let view = new DataView(chunk.buffer);
      let used = 0;
      for (const slot of table.slots()) {
        table.tagAt(slot, view, used);
        encodeRecord(view, used, table.untilAt(slot));
        used += RECORD_BYTES;
        if (used === chunk.length) {
          yield chunk;
          chunk = new Uint8Array(chunk.length);
          view = new DataView(chunk.buffer);
          used = 0;
        }
      }
      if (used > 0) yield chunk.subarray(0, used);
    }
    await writeFileDurably(this.tempPath(), this.path, chunks());
  }

  /** A new, empty log, created whole (header written and fsynced before it appears under its name). */
  private async create(): Promise<void> {
    await this.writeLog(systemRandom(KEY_BYTES), new ReplayTable());
  }

  /** Convert a format-1 log (bare ids, kept forever), dropping damaged records. */
  private async convertV1(size: number): Promise<void> {
    const data = new Uint8Array(size);
    await this.handle!.read(data, 0, size, 0);
    this.tagKey = systemRandom(KEY_BYTES);
    const table = new ReplayTable();
    for (let off = MAGIC_V1.length; off + V1_RECORD_BYTES <= size; off += V1_RECORD_BYTES) {
      const id = data.subarray(off, off + ID_BYTES);
      const sum = data.subarray(off + ID_BYTES, off + V1_RECORD_BYTES);
      if (!v1Check(id).every((b, i) => b === sum[i])) {
        this.dropped++;
        continue;
      }
      table.add(this.tagOf(id), 0, Infinity);
    }
    await this.writeLog(this.tagKey, table);
    await this.load();
  }

  private tempPath(): string {
    return `${this.path}.compact-${process.pid}-${toHex(systemRandom(6))}`;
  }

  /** Temporary logs of a compaction that a crash interrupted; only called under the lock, when no compaction runs. */
  private async removeAbandonedTemps(): Promise<void> {
    const prefix = `${basename(this.path)}.compact-`;
    const names = await readdir(dirname(this.path)).catch(() => [] as string[]);
    for (const name of names) if (name.startsWith(prefix)) await unlink(join(dirname(this.path), name)).catch(() => undefined);
    if (names.some((n) => n.startsWith(prefix))) await syncDirectory(dirname(this.path));
  }

  private corrupt(what: string): LintasError {
    return new LintasError('ERR_REPLAY_LOG_CORRUPT', `The replay log ${this.path} is ${what}; restore it from a backup (deleting it would let old envelopes be replayed)`);
  }
}

/** Complete the record whose tag is at `view[offset..offset+16]`: its time and check. */
function encodeRecord(view: DataView, offset: number, until: number): void {
  const at = offset + TAG_BYTES;
  if (until === Infinity) {
    view.setUint32(at, FOREVER_WORD);
    view.setUint32(at + 4, FOREVER_WORD);
  } else {
    view.setUint32(at, Math.floor(until / 2 ** 32));
    view.setUint32(at + 4, until % 2 ** 32);
  }
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  view.setUint32(offset + RECORD_BYTES - CHECK_BYTES, fnv1a(bytes, offset, offset + RECORD_BYTES - CHECK_BYTES));
}

function decodeUntil(view: DataView, offset: number): number {
  const hi = view.getUint32(offset);
  const lo = view.getUint32(offset + 4);
  return hi === FOREVER_WORD && lo === FOREVER_WORD ? Infinity : hi * 2 ** 32 + lo;
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  return bytes.length >= prefix.length && prefix.every((b, i) => b === bytes[i]);
}

/** The file name of a tag's reservation: its hex. */
function tagName(tag: DataView): string {
  return toHex(new Uint8Array(tag.buffer, tag.byteOffset, TAG_BYTES));
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function checkId(envelopeId: unknown): asserts envelopeId is Uint8Array {
  checkEnvelopeId(envelopeId);
  if (envelopeId.length !== ID_BYTES) throw new RangeError(`envelopeId must be ${ID_BYTES} bytes`);
}

function closedError(): LintasError {
  return new LintasError('ERR_TRANSPORT_CLOSED', 'The replay log was closed; open it again');
}

function checkMs(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number`);
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a non-negative number of milliseconds`);
  return value;
}
