/**
 * Node.js storage for the audit log: one append-only file, fsynced after every append so an
 * entry that {@link AuditLog.record} acknowledged survives a crash or power loss.
 */
import { open, readFile, stat, truncate as truncateFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { syncDirectory, isErrno } from '../transports/durable-file.js';
import type { SigningKeyPair } from '../keys/recipient.js';
import { AuditLog, type AuditLogOptions, type AuditStore } from './log.js';
import { verifyAuditLog as verifyAuditLogBytes, type AuditVerification, type VerifyAuditLogOptions } from './verify.js';

/** An {@link AuditStore} in one file (created on the first append). */
export class FileAuditStore implements AuditStore {
  /**
   * @param path - The log file; created on the first append.
   * @throws {TypeError} if `path` is not a non-empty string.
   */
  constructor(
    /** The log file. */
    readonly path: string,
  ) {
    if (typeof path !== 'string' || path.length === 0) throw new TypeError('path must be a non-empty string');
  }

  /** The whole file; empty if it does not exist yet. */
  async read(): Promise<Uint8Array> {
    try {
      return new Uint8Array(await readFile(this.path));
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return new Uint8Array(0);
      throw e;
    }
  }

  /** Append with O_APPEND and fsync; fsync the directory too when this creates the file. */
  async append(bytes: Uint8Array): Promise<void> {
    let created = false;
    try {
      await stat(this.path);
    } catch (e) {
      if (!isErrno(e, 'ENOENT')) throw e;
      created = true;
    }
    // 'a': every write goes to the end of the file (O_APPEND), whatever else happened to it.
    const handle = await open(this.path, 'a');
    try {
      let off = 0;
      while (off < bytes.length) {
        const { bytesWritten } = await handle.write(bytes, off, bytes.length - off);
        off += bytesWritten;
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    // A new file's directory entry must be durable too, or a crash could lose the whole log.
    if (created) await syncDirectory(dirname(this.path));
  }

  /** Cut the file to `length` bytes, durably. */
  async truncate(length: number): Promise<void> {
    await truncateFile(this.path, length);
    const handle = await open(this.path, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}

/**
 * Open (or create) the audit log file at `path` for appending, signed by `signer`.
 * @throws {TypeError | RangeError} for a malformed path, signer or option.
 * @throws {@link LintasError} `ERR_AUDIT_BROKEN`, `ERR_AUDIT_SIGNER_MISMATCH` as {@link AuditLog.open};
 *   file system errors as Node reports them.
 */
export async function openAuditLogFile(path: string, signer: SigningKeyPair, options?: AuditLogOptions): Promise<AuditLog> {
  return AuditLog.open(new FileAuditStore(path), signer, options);
}

/**
 * Verify an audit log given as bytes or as a file path; reports the first broken record.
 * From a shell: `lintas audit verify FILE [--signer HEX] [--anchor SEQ:HASH]` (docs/CLI.md).
 * @throws {TypeError} for malformed arguments; file system errors (missing file) as Node reports them.
 */
export async function verifyAuditLog(log: Uint8Array | string, options?: VerifyAuditLogOptions): Promise<AuditVerification> {
  if (typeof log === 'string') return verifyAuditLogBytes(new Uint8Array(await readFile(log)), options);
  return verifyAuditLogBytes(log, options);
}
