/**
 * The sealer's side of the plaintext stream (SPEC 5.5–5.7): the data (payload, then padding) is
 * cut into windows, each closed by a checkpoint (the sender's signature over it, or 64 zero bytes
 * when anonymous), and the stream is encrypted as STREAM chunks.
 */
import { wipe } from '../crypto/bytes.js';
import { ed25519Sign } from '../crypto/ed25519.js';
import { createSha256, type IncrementalHash } from '../crypto/hash.js';
import { CHECKPOINT_BYTES } from './constants.js';
import { checkpointMessage, plaintextStreamLength, WINDOW_DATA_BYTES } from './checkpoints.js';
import { StreamEncryptor } from './payload-stream.js';

/** Who signs the checkpoints: the sender's secret key and SHA-256(prefix || header). */
export interface CheckpointSigner {
  secretKey: Uint8Array;
  headerHash: Uint8Array;
}

/**
 * Writes the data of one envelope as ciphertext chunks. Call {@link write} with the data in
 * order, then {@link finish}; {@link release} in every case (it frees a hashing thread).
 */
export class PlaintextWriter {
  private readonly chunker: Chunker;
  private hash: IncrementalHash | null = null;
  private index = 0;
  /** Data bytes in the current window. */
  private windowData = 0;
  /** Data bytes still to come, if the total is known (sizes the hash of each window). */
  private remaining: number | null;

  /**
   * @param dataLength - payload plus padding length if known, so buffers and hashes are sized.
   * @param signer - null for an anonymous envelope (zero checkpoints).
   */
  constructor(
    chunkExponent: number,
    payloadKey: Uint8Array,
    dataLength: number | null,
    private readonly signer: CheckpointSigner | null,
  ) {
    this.remaining = dataLength;
    this.chunker = new Chunker(1 << chunkExponent, new StreamEncryptor(payloadKey), dataLength === null ? null : plaintextStreamLength(dataLength));
  }

  /** Append payload or padding bytes. */
  *write(data: Uint8Array): Generator<Uint8Array> {
    let off = 0;
    while (off < data.length) {
      // A full window is closed only once more data arrives: until then it may be the last one.
      if (this.windowData === WINDOW_DATA_BYTES) yield* this.closeWindow(false);
      const n = Math.min(WINDOW_DATA_BYTES - this.windowData, data.length - off);
      const piece = data.subarray(off, off + n);
      if (this.signer) {
        // Only a signature needs the hash; a large window is hashed on a second thread.
        this.hash ??= createSha256(Math.min(WINDOW_DATA_BYTES, this.remaining ?? Infinity));
        this.hash.update(piece);
      }
      yield* this.chunker.push(piece);
      this.windowData += n;
      if (this.remaining !== null) this.remaining -= n;
      off += n;
    }
  }

  /** Close the last window and the STREAM. */
  *finish(): Generator<Uint8Array> {
    yield* this.closeWindow(true);
    yield this.chunker.finish();
  }

  /** Let go of the current window's hash (a hashing thread) if it was not finished. */
  release(): void {
    this.hash?.release();
    this.hash = null;
  }

  private *closeWindow(final: boolean): Generator<Uint8Array> {
    let checkpoint: Uint8Array;
    if (this.signer) {
      const dataHash = (this.hash ?? createSha256(0)).digest();
      this.hash = null;
      checkpoint = ed25519Sign(this.signer.secretKey, checkpointMessage(this.signer.headerHash, this.index, final, dataHash));
    } else {
      checkpoint = new Uint8Array(CHECKPOINT_BYTES);
    }
    yield* this.chunker.push(checkpoint);
    this.index++;
    this.windowData = 0;
  }
}

/**
 * Cuts the plaintext stream into chunks. A full chunk is held back until more data arrives, so
 * the final chunk (possibly full-size) is the one that gets the last-chunk flag (SPEC 5.5).
 */
class Chunker {
  private buf: Uint8Array;
  private fill = 0;
  /**
   * `streamLength`: the plaintext stream's exact length if known, so a short message does not
   * allocate and wipe a whole chunk (sealCore refuses a payload longer than declared before it
   * gets here, so the buffer never needs to grow).
   */
  constructor(
    private readonly size: number,
    private readonly enc: StreamEncryptor,
    streamLength: number | null,
  ) {
    this.buf = new Uint8Array(Math.min(size, streamLength ?? size));
  }

  *push(data: Uint8Array): Generator<Uint8Array> {
    let off = 0;
    while (off < data.length) {
      if (this.fill === this.size) {
        // More data follows, so the buffered full chunk is not the last one.
        yield this.enc.encrypt(this.buf, false);
        this.fill = 0;
      }
      // Whole chunks straight from a large piece while more of it follows, without copying them
      // into the buffer first. (sealCore pulls no further piece before this one is used up.)
      while (this.fill === 0 && data.length - off > this.size) {
        yield this.enc.encrypt(data.subarray(off, off + this.size), false);
        off += this.size;
      }
      const n = Math.min(this.size - this.fill, data.length - off);
      this.buf.set(data.subarray(off, off + n), this.fill);
      this.fill += n;
      off += n;
    }
  }

  finish(): Uint8Array {
    const out = this.enc.encrypt(this.buf.subarray(0, this.fill), true);
    wipe(this.buf);
    return out;
  }
}
