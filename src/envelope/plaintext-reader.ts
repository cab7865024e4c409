/**
 * The reader's side of the plaintext stream (SPEC 6.6): decrypt the STREAM chunks, gather them
 * into windows, and release a window's payload only once its checkpoint has passed: the
 * sender's signature over it, or 64 zero bytes in an anonymous envelope. No byte an insider
 * forged is ever released from a signed envelope. What is held is one window (4 MiB) and, while
 * its checkpoint is checked on the hash thread, at most {@link HOLD_AHEAD_BYTES} of the next.
 */
import { LintasError } from '../errors/index.js';
import { AEAD_TAG_BYTES } from '../crypto/aead.js';
import { concatBytes } from '../crypto/bytes.js';
import { sha256 } from '../crypto/hash.js';
import { createSignedSegments, type SignedSegments } from '../crypto/signed-segments.js';
import { CHECKPOINT_BYTES, WINDOW_BYTES } from './constants.js';
import { checkpointMessagePrefix, WINDOW_DATA_BYTES } from './checkpoints.js';
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
 * While a window's checkpoint is checked on the hash thread, the reader goes on decrypting the
 * next window, and releases the checked one when its verdict is in (usually after a few chunks).
 * It waits for the verdict once the next window has gathered this many bytes, so what it holds
 * stays one window and at most this much (plus a chunk) of the next.
 */
export const HOLD_AHEAD_BYTES = 1 << 18;

/**
 * Yields the payload, window by window, each only after its checkpoint has passed (SPEC 6.6).
 * Throws ERR_ENVELOPE_TAMPERED for a chunk that fails, a window of the wrong length, non-zero
 * padding or a non-zero anonymous checkpoint, and ERR_SIGNATURE_INVALID for a checkpoint the
 * sender did not sign. Failures come in the order of SPEC 6.6, window by window, as if each
 * checkpoint were checked before the next chunk is read: a window whose verdict is still out
 * when a later failure shows is settled first. `src.finish()` runs at the end in every case.
 */
export async function* readPlaintext(src: PlaintextSource): AsyncGenerator<Uint8Array> {
  let checks: SignedSegments | null = null;
  try {
    const { reader, meta } = src;
    const chunkCipherBytes = (1 << src.chunkExponent) + AEAD_TAG_BYTES;
    const dec = new StreamDecryptor(src.payloadKey);
    // SPEC 6.6: the data length is fixed by the meta block, when it gives one.
    const expectedData = meta.len === null ? null : meta.padded ? paddedLength(meta.len) : meta.len;
    const headerHash = meta.sender === null ? null : sha256(src.prefixAndHeader);
    // SPEC 6.6 step 4.5: each window's data is hashed, and its checkpoint checked, by `checks`
    // (on the hash thread where there is one), one segment per window.
    checks = meta.sender === null ? null : createSignedSegments(meta.sender, expectedData ?? undefined);
    // How much data the window now starting holds, as far as the declared length tells.
    const nextWindowData = (): number => Math.min(WINDOW_DATA_BYTES, (expectedData ?? Infinity) - dataSeen);
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
    // A window's pieces are handed out by emptying its array (`shift`), not by iterating it: this
    // generator's suspended frame keeps whatever its variables last held (`out`, `passed`), so an
    // array iterated in place kept a whole window (4 MiB) the consumer had already been given
    // alive until that variable was next overwritten, and the open's peak RSS about 10 MiB
    // higher (docs/PERFORMANCE.md, "Memory and back-pressure"). An emptied array holds nothing.
    /** Payload pieces of the previous window while its checkpoint's verdict is out. */
    let checking: Uint8Array[] | null = null;
    checks?.expect(nextWindowData());

    // Data that is known not to be checkpoint bytes: hash it, split payload from padding.
    const take = (p: Uint8Array): void => {
      if (p.length === 0) return;
      checks?.update(p);
      let body = p;
      if (meta.len !== null && dataSeen + p.length > meta.len) {
        body = p.subarray(0, Math.max(0, meta.len - dataSeen));
        for (let i = body.length; i < p.length; i++) if (p[i] !== 0) paddingOk = false;
      }
      dataSeen += p.length;
      if (body.length > 0) pending.push(body);
    };
    // The checked window's pieces once its verdict is in and it passed; null while it is out.
    const settle = (wait: boolean): Uint8Array[] | null => {
      const verdict = checks!.verdict(wait);
      if (verdict === null) return null;
      const passed = checking!;
      checking = null;
      if (!verdict) {
        throw new LintasError('ERR_SIGNATURE_INVALID', 'Envelope decrypted but the sender signature does not verify: do not trust its content or sender');
      }
      return passed;
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
        if (checking !== null) {
          // The previous window is released once it passed; its verdict is awaited before this
          // window ends (failures stay in window order) or grows past HOLD_AHEAD_BYTES.
          const passed = settle(last || windowFill >= HOLD_AHEAD_BYTES);
          if (passed) while (passed.length > 0) yield passed.shift()!;
        }
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
        const out = pending;
        pending = [];
        held = null;
        windowFill = 0;
        if (checks === null) {
          if (checkpoint.some((b) => b !== 0)) throw tampered();
          // The checkpoint passed: this window is unchanged since sealing.
          window++;
          while (out.length > 0) yield out.shift()!;
        } else {
          checks.end(checkpointMessagePrefix(headerHash!, window, last), checkpoint);
          if (!last) checks.expect(nextWindowData());
          checking = out;
          window++;
          // At once if the verdict is in (always, when hashing on this thread); at the end, waited for.
          const passed = settle(last);
          if (passed) while (passed.length > 0) yield passed.shift()!;
        }
        if (last) return;
      }
    } catch (e) {
      // A failure after a window whose verdict is out: that window comes first, as if checked
      // before this failure showed (its own failure replaces this one; if it passed, it is released).
      if (checking !== null) {
        let passed: Uint8Array[];
        try {
          passed = settle(true)!;
        } catch (failure) {
          throw failure instanceof LintasError ? failure : e; // the hash thread failed too: the first error tells more
        }
        while (passed.length > 0) yield passed.shift()!;
      }
      throw e;
    }
  } finally {
    checks?.release();
    await src.finish();
  }
}
