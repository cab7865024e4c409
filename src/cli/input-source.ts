/**
 * Large command inputs, streamed (docs/CLI.md, "Large files"): envelopes to open, inspect or
 * send and files to seal are read 256 KiB at a time from a file or stdin, never whole, so memory
 * stays bounded whatever their size. Stdin that must be read twice (sealing hashes an item
 * before it seals it, SPEC 12.3) is first copied to a private temporary file.
 */
import { isUtf8 } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createSha256 } from '../crypto/hash.js';
import type { Interruption } from './interruption.js';
import type { CliIo } from './terminal.js';
import { spoolToFile } from './spool-file.js';

/** Bytes per read: large enough for throughput, small enough for memory. */
export const READ_CHUNK_BYTES = 1 << 18;

/** A command's input, read once. */
export interface InputSource {
  /** The path, or "stdin". */
  label: string;
  /** The size in bytes when known before reading (a regular file); null for stdin and pipes. */
  size: number | null;
  /** The bytes, stopping at the first chunk after an interrupt. */
  chunks: AsyncIterable<Uint8Array>;
}

/**
 * Open a file, or stdin for "-" or no path, for streaming. A file's size comes from the file
 * system, so limits are checked before anything is read.
 * @throws file system errors as Node reports them (the path is in the message).
 */
export async function openInput(io: CliIo, path: string | undefined, interruption: Interruption): Promise<InputSource> {
  if (path === undefined || path === '-') return { label: 'stdin', size: null, chunks: interruption.guard(stdinChunks(io)) };
  const info = await stat(path);
  return {
    label: path,
    size: info.isFile() ? info.size : null,
    chunks: interruption.guard(createReadStream(path, { highWaterMark: READ_CHUNK_BYTES })),
  };
}

async function* stdinChunks(io: CliIo): AsyncGenerator<Uint8Array> {
  for await (const c of io.stdin) yield typeof c === 'string' ? Buffer.from(c) : (c as Buffer);
}

/** Stdin copied to a private temporary file, with what sealing needs to know about it. */
export interface SpooledInput {
  /** The temporary file (mode 0600), removed by {@link SpooledInput.remove} or on interrupt. */
  path: string;
  size: number;
  sha256: Uint8Array;
  /** True if the bytes are valid UTF-8 (sealed as a text item). */
  utf8: boolean;
  /** Remove the temporary file. */
  remove(): Promise<void>;
}

/**
 * Copy `chunks` to a private temporary file (registered as plaintext, so an interrupt removes
 * it first), hashing it and checking whether it is UTF-8 on the way, in bounded memory.
 * @param onProgress - Told the byte count after each chunk.
 */
export async function spoolToTemporaryFile(chunks: AsyncIterable<Uint8Array>, interruption: Interruption, onProgress: (bytes: number) => void): Promise<SpooledInput> {
  const path = join(tmpdir(), `lintas-stdin-${randomBytes(8).toString('hex')}`);
  const utf8 = new Utf8Check();
  const file = await spoolToFile(path, 'plaintext', chunks, interruption, (c, size) => {
    utf8.update(c);
    onProgress(size);
  });
  return { path, size: file.size, sha256: file.sha256, utf8: utf8.valid(), remove: file.remove };
}

/**
 * Whether a stream of chunks is valid UTF-8, checked chunk by chunk without decoding it to
 * strings (which would fill the heap with text nobody reads). A sequence split between two
 * chunks is carried over to the next.
 */
class Utf8Check {
  private ok = true;
  private carry = new Uint8Array(0);

  update(chunk: Uint8Array): void {
    if (!this.ok) return;
    const bytes = this.carry.length === 0 ? chunk : Buffer.concat([this.carry, chunk]);
    const end = completeUpTo(bytes);
    this.ok = isUtf8(bytes.subarray(0, end));
    this.carry = bytes.slice(end);
  }

  /** True if everything was valid UTF-8 and no sequence was left unfinished. */
  valid(): boolean {
    return this.ok && this.carry.length === 0;
  }
}

/** Where an unfinished multi-byte sequence at the end of `bytes` starts (its length if none). */
function completeUpTo(bytes: Uint8Array): number {
  for (let i = bytes.length - 1; i >= Math.max(0, bytes.length - 3); i--) {
    const b = bytes[i]!;
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: keep looking for the lead byte
    const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return bytes.length - i >= length ? bytes.length : i;
  }
  return bytes.length;
}

/**
 * Pass an envelope's chunks through while hashing them, so the audit log's envelope digest is
 * computed as the envelope streams by instead of from a copy held in memory.
 */
export class DigestingSource {
  private readonly hash = createSha256();
  private ended = false;
  /** The chunks, to be read to their end once. */
  readonly chunks: AsyncIterable<Uint8Array>;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.chunks = this.pass(source);
  }

  private async *pass(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const c of source) {
      this.hash.update(c);
      yield c;
    }
    this.ended = true;
  }

  /**
   * SHA-256 of everything that passed.
   * @throws {Error} if the chunks were not read to their end (a digest of part of the envelope would be wrong).
   */
  digest(): Uint8Array {
    if (!this.ended) throw new Error('the envelope was not read to its end');
    return this.hash.digest();
  }
}
