/**
 * Windows and signed checkpoints (SPEC 5.5, 5.7): the layout of the plaintext stream and the
 * message each checkpoint signs. The data (payload and padding) is cut into windows; each
 * window ends in a 64-byte checkpoint, the sender's signature over the window, so that a
 * streaming reader can release a window as soon as its checkpoint has verified, holding at most
 * one window, and an insider who knows the file key cannot slip in data of its own (SPEC 10.13).
 */
import { concatBytes, utf8 } from '../crypto/bytes.js';
import { CHECKPOINT_BYTES, CONTEXT, WINDOW_BYTES } from './constants.js';

/** Data bytes in a full window: the window less its checkpoint. */
export const WINDOW_DATA_BYTES = WINDOW_BYTES - CHECKPOINT_BYTES;

/** How many windows (and so checkpoints) `dataLength` bytes of payload and padding take. */
function windowCount(dataLength: number): number {
  return Math.max(1, Math.ceil(dataLength / WINDOW_DATA_BYTES));
}

/** Length of the plaintext stream for `dataLength` bytes of payload and padding (SPEC 1.2). */
export function plaintextStreamLength(dataLength: number): number {
  return dataLength + CHECKPOINT_BYTES * windowCount(dataLength);
}

const CONTEXT_BYTES = utf8(CONTEXT.checkpoint);

/**
 * The message checkpoint `index` signs (SPEC 5.7):
 * "lintas/v1 checkpoint" || 0x00 || SHA-256(prefix || header) || u64be(index) || final || SHA-256(window data).
 * The header hash binds the window to this envelope (its version, stanzas, sender, recipients,
 * id, times, payload length and padding); the index fixes its place; the final flag (0x01 on the
 * last window, 0x00 on every other) makes a stream cut at a window boundary fail.
 */
export function checkpointMessage(headerHash: Uint8Array, index: number, final: boolean, dataHash: Uint8Array): Uint8Array {
  return concatBytes(checkpointMessagePrefix(headerHash, index, final), dataHash);
}

/**
 * The checkpoint message of {@link checkpointMessage} without its last field, SHA-256(window
 * data): what a reader can build before the window's hash is known (the hash may be taken on
 * another thread, `src/crypto/signed-segments.ts`).
 */
export function checkpointMessagePrefix(headerHash: Uint8Array, index: number, final: boolean): Uint8Array {
  const position = new Uint8Array(9);
  new DataView(position.buffer).setBigUint64(0, BigInt(index), false);
  position[8] = final ? 1 : 0;
  return concatBytes(CONTEXT_BYTES, new Uint8Array(1), headerHash, position);
}
