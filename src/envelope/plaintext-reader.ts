/**
 * The reader's side of the plaintext stream (SPEC 6.6): decrypt the STREAM chunks, gather them
 * into windows, and release a window's payload only once its checkpoint has passed: the
 * sender's signature over it, or 64 zero bytes in an anonymous envelope. At most one window
 * (4 MiB) is held, and no byte an insider forged is ever released from a signed envelope.
 */
import { LintasError } from '../errors/index.js';
import { AEAD_TAG_BYTES } from '../crypto/aead.js';
import { concatBytes } from '../crypto/bytes.js';
import { ed25519Verify } from '../crypto/ed25519.js';
import { createSha256, sha256, type IncrementalHash } from '../crypto/hash.js';
import { CHECKPOINT_BYTES, WINDOW_BYTES } from './constants.js';
import { checkpointMessage, WINDOW_DATA_BYTES } from './checkpoints.js';
import type { ByteReader } from './byte-reader.js';
import type { EnvelopeMeta } from './meta.js';
import { paddedLength } from './padding.js';
import { StreamDecryptor } from './payload-stream.js';

function tampered(): LintasError {
  // One fixed message and code for every failure after the header MAC (SPEC 6.4, 6.6): no oracle.
  return new LintasError('ERR_ENVELOPE_TAMPERED', 'Envelope failed authentication: it was modified, truncated or corrupted after sealing');
}

/** What the payload reader needs from the opened header. */
export interface PlaintextSource {
  reader: ByteReader;
  chunkExponent: number;
  payloadKey: Uint8Array;
  meta: EnvelopeMeta;
  /** The prefix and header bytes as received, which every checkpoint covers. */
  prefixAndHeader: Uint8Array;
  /** Called once when the payload ends, fails or is abandoned: wipe the keys, let go of the input. */
  finish(): Promise<void>;
}

/**
 * Yields the payload, window by window, each only after its checkpoint has passed (SPEC 6.6).
 * Throws ERR_ENVELOPE_TAMPERED for a chunk that fails, a window of the wrong length, non-zero
 * padding or a non-zero anonymous checkpoint, and ERR_SIGNATURE_INVALID for a checkpoint the
 * sender did not sign. `src.finish()` runs at the end in every case.
 */
export async function* readPlaintext(src: PlaintextSource): AsyncGenerator<Uint8Array> {
  try {
    const { reader, meta } = src;
    const chunkCipherBytes = (1 << src.chunkExponent) + AEAD_TAG_BYTES;
    const dec = new StreamDecryptor(src.payloadKey);
    // SPEC 6.6: the data length is fixed by the meta block, when it gives one.
    const expectedData = meta.len === null ? null : meta.padded ? paddedLength(meta.len) : meta.len;
    const headerHash = meta.sender === null ? null : sha256(src.prefixAndHeader);
    // In an object, so the closure below and the loop share it without TypeScript narrowing it away.
    const running: { hash: IncrementalHash | null } = { hash: null };
    let window = 0;
    /** Plaintext bytes of the current window so far, checkpoint included. */
    let windowFill = 0;
    /** Data bytes (payload and padding) seen, windows before this one included. */
    let dataSeen = 0;
    let paddingOk = true;
    /** Payload pieces of the current window, waiting for its checkpoint. */
    let pending: Uint8Array[] = [];
    /**
     * The window's latest chunk, held back until the next: the checkpoint is the window's last 64
     * bytes, which may straddle its last two chunks when the final chunk is short.
     */
    let held: Uint8Array | null = null;

    // Data that is known not to be checkpoint bytes: hash it, split payload from padding.
    const take = (p: Uint8Array): void => {
      if (p.length === 0) return;
      if (headerHash !== null) {
        running.hash ??= createSha256(Math.min(WINDOW_DATA_BYTES, (expectedData ?? Infinity) - dataSeen));
        running.hash.update(p);
      }
      let body = p;
      if (meta.len !== null && dataSeen + p.length > meta.len) {
        body = p.subarray(0, Math.max(0, meta.len - dataSeen));
        for (let i = body.length; i < p.length; i++) if (p[i] !== 0) paddingOk = false;
      }
      dataSeen += p.length;
      if (body.length > 0) pending.push(body);
    };

    try {
      for (;;) {
        // While the input piece in hand lasts, no promise per chunk (most chunks, with 1 MiB reads).
        const ct = reader.readBuffered(chunkCipherBytes) ?? (await reader.read(chunkCipherBytes));
        const last = ct.length < chunkCipherBytes || (!reader.hasBuffered() && (await reader.atEnd()));
        const plain = dec.decrypt(ct, last);
        // Every plaintext stream holds at least one checkpoint, so no chunk is empty.
        if (plain === null || plain.length === 0) throw tampered();
        windowFill += plain.length;
        if (!last && windowFill < WINDOW_BYTES) {
          // More of this window follows, so the chunk before this one holds no checkpoint byte.
          if (held) take(held);
          held = plain;
          continue;
        }
        // The window ends with this chunk (SPEC 6.6 step 5). Its checkpoint is its last 64 bytes.
        const heldLength = held?.length ?? 0;
        const cut = heldLength + plain.length - CHECKPOINT_BYTES;
        if (cut < 0) throw tampered();
        if (held) take(held.subarray(0, Math.min(cut, heldLength)));
        take(plain.subarray(0, Math.max(0, cut - heldLength)));
        const checkpoint = cut >= heldLength ? plain.subarray(cut - heldLength) : concatBytes(held!.subarray(cut), plain);
        // Only the first window may hold no data.
        if (last && window > 0 && windowFill === CHECKPOINT_BYTES) throw tampered();
        if (expectedData !== null && (dataSeen > expectedData || (last && dataSeen !== expectedData))) throw tampered();
        if (!paddingOk) throw tampered();
        if (headerHash === null) {
          if (checkpoint.some((b) => b !== 0)) throw tampered();
        } else {
          const dataHash = (running.hash ?? createSha256(0)).digest();
          running.hash = null;
          if (!ed25519Verify(meta.sender!, checkpointMessage(headerHash, window, last, dataHash), checkpoint)) {
            throw new LintasError('ERR_SIGNATURE_INVALID', 'Envelope decrypted but the sender signature does not verify: do not trust its content or sender');
          }
        }
        // The checkpoint passed: this window is the sender's (or, anonymous, unchanged since sealing).
        const out = pending;
        pending = [];
        held = null;
        windowFill = 0;
        window++;
        for (const piece of out) yield piece;
        if (last) return;
      }
    } finally {
      running.hash?.release();
    }
  } finally {
    await src.finish();
  }
}
