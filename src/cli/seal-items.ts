/**
 * The items of `lintas seal`, read from disk with a progress bar in two phases: each file is
 * hashed first (its size and SHA-256 go in the manifest, which comes before the items in the
 * payload, SPEC 12.3), then read again while it is sealed. Stdin is copied to a private
 * temporary file first, since it can be read only once. Memory stays bounded whatever the size.
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { describeItemSource, type ItemSource } from '../bundle/index.js';
import { TEXT_MEDIA_TYPE } from '../bundle/constants.js';
import type { Interruption } from './interruption.js';
import { READ_CHUNK_BYTES, openInput, spoolToTemporaryFile } from './input-source.js';
import type { ProgressBar } from './progress.js';
import type { CliIo } from './terminal.js';
import { looksLikeStixBundle } from './seal-inputs.js';
import { usageError } from './options.js';

/** Reads the items of one `seal` and reports progress on one bar. */
export class SealItemReader {
  private sealedBytes = 0;

  constructor(
    private readonly bar: ProgressBar,
    private readonly interruption: Interruption,
  ) {}

  /**
   * Describe a file as an item: hashed now (phase "Hashing NAME"), read again when sealed.
   * @throws file system errors as Node reports them.
   */
  async file(path: string, mediaType: string): Promise<ItemSource> {
    const size = (await stat(path)).size;
    this.bar.phase(`Hashing ${basename(path)}`, size);
    let hashed = 0;
    const counted = async function* (this: SealItemReader): AsyncGenerator<Uint8Array> {
      for await (const c of this.interruption.guard(createReadStream(path, { highWaterMark: READ_CHUNK_BYTES }))) {
        hashed += c.length;
        this.bar.update(hashed);
        yield c;
      }
    }.bind(this);
    const described = await describeItemSource(basename(path), mediaType, counted);
    return { ...described, open: () => this.sealing(path) };
  }

  /**
   * Stdin as one item: copied to a private temporary file (removed when the command ends, and
   * first of all on an interrupt), then sealed from it. UTF-8 becomes `message.txt`, anything
   * else `message.bin`.
   * @throws {LintasError} `ERR_USAGE` if stdin is a STIX 2.1 bundle (it must go through --stix to be checked).
   */
  async stdin(io: CliIo, onClose: (fn: () => Promise<void>) => void): Promise<ItemSource> {
    const input = await openInput(io, '-', this.interruption);
    this.bar.phase('Reading stdin', null);
    const spooled = await spoolToTemporaryFile(input.chunks, this.interruption, (n) => this.bar.update(n));
    onClose(spooled.remove);
    if (spooled.utf8 && looksLikeStixBundle(await head(spooled.path))) {
      throw usageError('stdin is a STIX 2.1 bundle: save it to a file and pass it with --stix FILE, so it is checked and its markings compared with --tlp');
    }
    return {
      name: spooled.utf8 ? 'message.txt' : 'message.bin',
      mediaType: spooled.utf8 ? TEXT_MEDIA_TYPE : 'application/octet-stream',
      size: spooled.size,
      sha256: spooled.sha256,
      open: () => this.sealing(spooled.path),
    };
  }

  /** Switch the bar to the sealing phase, over `total` item bytes. */
  startSealing(label: string, total: number): void {
    this.sealedBytes = 0;
    this.bar.phase(label, total);
  }

  private async *sealing(path: string): AsyncGenerator<Uint8Array> {
    for await (const c of this.interruption.guard(createReadStream(path, { highWaterMark: READ_CHUNK_BYTES }))) {
      this.sealedBytes += c.length;
      this.bar.update(this.sealedBytes);
      yield c;
    }
  }
}

/** The first 4 KiB of a file: enough for {@link looksLikeStixBundle}. */
async function head(path: string): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const buf = new Uint8Array(4096);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
