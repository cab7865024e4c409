/**
 * Envelopes on disk for `send` and `receive` (docs/CLI.md, "Large files"): an envelope to send
 * is checked by its header and sized before it goes anywhere, then streamed to each recipient
 * from the file; a received envelope is streamed from the transport to a temporary file, hashed
 * on the way, and opened from there. Memory stays bounded whatever the size.
 */
import { createReadStream, renameSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { inspectStream } from '../envelope/index.js';
import { dearmorStream } from '../envelope/armor.js';
import type { EnvelopeBody } from '../transports/transport.js';
import type { Interruption } from './interruption.js';
import { READ_CHUNK_BYTES, openInput, spoolToTemporaryFile } from './input-source.js';
import type { CliIo } from './terminal.js';
import { spoolToFile } from './spool-file.js';

/** An envelope file ready to send. */
export interface EnvelopeFile {
  /** As named on the command line ("-" for stdin). */
  label: string;
  /** Size of the binary envelope (armor decoded). */
  size: number;
  /** A fresh stream of the binary envelope, for each recipient. */
  chunks(): AsyncIterable<Uint8Array>;
}

/**
 * Check that `path` (or stdin, copied to a temporary file first) holds a well-formed lintas
 * envelope and learn its size: a binary file by its header and its size on disk only, an
 * armored one by decoding it once.
 * @throws {LintasError} the codes of `inspectStream` (`ERR_ENVELOPE_MALFORMED`, ...); file system errors.
 */
export async function readEnvelopeFile(io: CliIo, path: string, interruption: Interruption, onClose: (fn: () => Promise<void>) => void): Promise<EnvelopeFile> {
  let file = path;
  if (path === '-') {
    const input = await openInput(io, '-', interruption);
    const spooled = await spoolToTemporaryFile(input.chunks, interruption, () => {});
    onClose(spooled.remove);
    file = spooled.path;
  }
  const input = await openInput(io, file, interruption);
  const view = await inspectStream(input.chunks, input.size !== null ? { totalBytes: input.size } : {});
  const read = (): AsyncIterable<Uint8Array> => interruption.guard(createReadStream(file, { highWaterMark: READ_CHUNK_BYTES }));
  return { label: path, size: view.totalBytes, chunks: view.armored ? () => dearmorStream(read()) : read };
}

/** A received envelope, streamed to a temporary file. */
export interface SpooledEnvelope {
  /** The temporary file (removed on interrupt until {@link SpooledEnvelope.keepAs} or {@link SpooledEnvelope.remove}). */
  path: string;
  size: number;
  /** SHA-256 of the envelope as received, for the audit log. */
  digest: Uint8Array;
  /** Stream it back from the file. */
  chunks(): AsyncIterable<Uint8Array>;
  /** Move it to `path` (e.g. the quarantine folder); it is then no longer temporary. */
  keepAs(path: string): void;
  /** Remove it (idempotent). */
  remove(): Promise<void>;
}

/**
 * Stream a delivery's envelope into a hidden temporary file in `dir`, hashing it on the way.
 * @throws the transport's errors while reading the body; `InterruptedError` after a signal.
 */
export async function spoolEnvelope(body: EnvelopeBody, dir: string, interruption: Interruption): Promise<SpooledEnvelope> {
  const path = join(dir, `.incoming-${randomBytes(8).toString('hex')}.lintas`);
  const file = await spoolToFile(path, 'envelope', interruption.guard(body instanceof Uint8Array ? single(body) : body), interruption);
  return {
    path,
    size: file.size,
    digest: file.sha256,
    chunks: () => interruption.guard(createReadStream(path, { highWaterMark: READ_CHUNK_BYTES })),
    keepAs: (target) => {
      // Synchronous with the release: an interrupt sees the file either here or there.
      renameSync(path, target);
      file.release();
    },
    remove: file.remove,
  };
}

async function* single(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}
