/**
 * A persistent {@link ReplayGuard}: an append-only log of envelope ids, fsynced after every
 * append, loaded into memory when opened (Node only).
 *
 * File: "LNTSRPL1" (8 bytes), then 20-byte records: envelope id (16) || first 4 bytes of
 * SHA-256("lintas/v1 replay log" || 0x00 || id). A record torn by a crash can only be the last
 * one, and its id was never acknowledged (remember resolves after the fsync, the ack comes
 * after that), so it is dropped; any other damage is reported, never silently forgotten.
 * The log grows by 20 bytes per envelope. One process per log file.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { LintasError } from '../errors/index.js';
import { concatBytes, utf8 } from '../crypto/bytes.js';
import { sha256 } from '../crypto/hash.js';
import { toHex } from '../envelope/hex.js';
import { isErrno, syncDirectory } from './durable-file.js';
import { checkEnvelopeId, type ReplayGuard } from './replay-guard.js';

const MAGIC = utf8('LNTSRPL1');
const ID_BYTES = 16;
const CHECK_BYTES = 4;
const RECORD_BYTES = ID_BYTES + CHECK_BYTES;
const CHECK_CONTEXT = utf8('lintas/v1 replay log');

function check(id: Uint8Array): Uint8Array {
  return sha256(concatBytes(CHECK_CONTEXT, new Uint8Array([0]), id)).subarray(0, CHECK_BYTES);
}

/** A {@link ReplayGuard} backed by an fsynced append-only file. Envelope ids must be 16 bytes. */
export class FileReplayGuard implements ReplayGuard {
  private readonly seen = new Set<string>();
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  /** Where the next record goes: the end of the last valid record. */
  private end = MAGIC.length;

  private constructor(private readonly handle: FileHandle) {}

  /**
   * Open the log at `path`, creating it if missing, and load every id.
   * @throws {@link LintasError} `ERR_REPLAY_LOG_CORRUPT` if the file is not a replay log or damaged
   * before its last record.
   */
  static async open(path: string): Promise<FileReplayGuard> {
    if (typeof path !== 'string' || path.length === 0) throw new TypeError('path must be a file path');
    let handle: FileHandle;
    let created = false;
    try {
      handle = await open(path, 'r+');
    } catch (e) {
      if (!isErrno(e, 'ENOENT')) throw e;
      handle = await open(path, 'wx+');
      created = true;
    }
    try {
      const guard = new FileReplayGuard(handle);
      if (created) {
        await handle.write(MAGIC, 0, MAGIC.length, 0);
        await handle.sync();
        await syncDirectory(dirname(path));
      } else {
        await guard.load(path);
      }
      return guard;
    } catch (e) {
      await handle.close();
      throw e;
    }
  }

  private async load(path: string): Promise<void> {
    const data = await this.handle.readFile();
    const corrupt = (what: string): LintasError =>
      new LintasError('ERR_REPLAY_LOG_CORRUPT', `The replay log ${path} is ${what}; restore it from a backup (deleting it would let old envelopes be replayed)`);
    if (data.length < MAGIC.length) {
      if (data.length === 0 || MAGIC.subarray(0, data.length).every((b, i) => b === data[i])) {
        // Created, then crashed before the header was durable: nothing was ever remembered in it.
        await this.handle.truncate(0);
        await this.handle.write(MAGIC, 0, MAGIC.length, 0);
        await this.handle.sync();
        this.end = MAGIC.length;
        return;
      }
      throw corrupt('not a lintas replay log');
    }
    if (!MAGIC.every((b, i) => b === data[i])) throw corrupt('not a lintas replay log');
    const records = Math.floor((data.length - MAGIC.length) / RECORD_BYTES);
    let validEnd = MAGIC.length;
    for (let r = 0; r < records; r++) {
      const off = MAGIC.length + r * RECORD_BYTES;
      const id = data.subarray(off, off + ID_BYTES);
      const sum = data.subarray(off + ID_BYTES, off + RECORD_BYTES);
      if (!check(id).every((b, i) => b === sum[i])) {
        if (r === records - 1 && off + RECORD_BYTES === data.length) break; // torn last record
        throw corrupt('damaged');
      }
      this.seen.add(toHex(id));
      validEnd = off + RECORD_BYTES;
    }
    if (validEnd !== data.length) {
      await this.handle.truncate(validEnd);
      await this.handle.sync();
    }
    this.end = validEnd;
  }

  /** @inheritdoc */
  async has(envelopeId: Uint8Array): Promise<boolean> {
    checkEnvelopeId(envelopeId);
    return this.seen.has(toHex(envelopeId));
  }

  /**
   * @inheritdoc
   * @throws {RangeError} unless the id is 16 bytes (the envelope id length of format v1).
   * @throws {@link LintasError} `ERR_TRANSPORT_CLOSED` after {@link FileReplayGuard.close}.
   */
  async remember(envelopeId: Uint8Array): Promise<void> {
    checkEnvelopeId(envelopeId);
    if (envelopeId.length !== ID_BYTES) throw new RangeError(`envelopeId must be ${ID_BYTES} bytes`);
    const key = toHex(envelopeId);
    const record = concatBytes(envelopeId, check(envelopeId));
    // Appends are serialised so records never interleave and each fsync covers its own record.
    const done = this.queue.then(async () => {
      if (this.closed) throw new LintasError('ERR_TRANSPORT_CLOSED', 'The replay log was closed; open it again');
      if (this.seen.has(key)) return;
      await this.handle.write(record, 0, record.length, this.end);
      await this.handle.datasync();
      this.end += RECORD_BYTES;
      this.seen.add(key);
    });
    this.queue = done.catch(() => {});
    return done;
  }

  /** Number of ids remembered. */
  get size(): number {
    return this.seen.size;
  }

  /** Close the file. Later calls to remember reject. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    await this.handle.close();
  }
}
