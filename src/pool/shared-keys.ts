/**
 * The secret keys a worker pool needs, held once for all its workers (docs/PERFORMANCE.md, "When
 * the worker pool pays"): the sender's Ed25519 signing key (to sign what the pool seals, SPEC
 * 5.7) and the recipient decryption keys (to open, SPEC 6.2). Nothing else secret crosses into a
 * worker: payloads and envelopes travel per job, policy stays with the caller.
 *
 * Why one SharedArrayBuffer: every worker reads the same bytes (one copy in memory, not one per
 * worker, and none left behind in a serialized message), and the calling thread can zero them
 * itself when the pool closes, whether or not the workers are alive or answering. The caller's
 * own key arrays are copied from, never kept, detached or changed.
 */
import type { RecipientKeyPair, SigningKeyPair } from '../keys/recipient.js';

/** Where one secret lives inside {@link SharedKeys.buffer}: [byte offset, length]. */
type Span = [offset: number, length: number];

/** The pool's keys as they cross into a worker (structured clone shares the buffer, copies the rest). */
export interface SharedKeys {
  /** Every secret byte of the pool, zeroed by {@link wipeSharedKeys} when the pool closes. */
  buffer: SharedArrayBuffer;
  /** The signing key pair's public key (public: copied) and where its secret key lives. */
  sender: { publicKey: Uint8Array; secretKey: Span } | null;
  /** The decryption keys, in the caller's order (the order `open` tries them in, SPEC 4.3). */
  keys: { type: RecipientKeyPair['type']; publicKey: Uint8Array; secretKey: Span }[];
}

/** Copy the secrets of `sender` and `keys` into one new shared buffer. */
export function shareKeys(sender: SigningKeyPair | null, keys: RecipientKeyPair[]): SharedKeys {
  const secrets = [...(sender ? [sender.secretKey] : []), ...keys.map((k) => k.secretKey)];
  const buffer = new SharedArrayBuffer(Math.max(1, secrets.reduce((n, s) => n + s.length, 0)));
  const bytes = new Uint8Array(buffer);
  let offset = 0;
  const place = (secret: Uint8Array): Span => {
    bytes.set(secret, offset);
    offset += secret.length;
    return [offset - secret.length, secret.length];
  };
  return {
    buffer,
    sender: sender ? { publicKey: sender.publicKey.slice(), secretKey: place(sender.secretKey) } : null,
    keys: keys.map((k) => ({ type: k.type, publicKey: k.publicKey.slice(), secretKey: place(k.secretKey) })),
  };
}

/** Inside a worker: the key pairs again, their secret keys views of the shared buffer (not copies). */
export function sharedKeyPairs(shared: SharedKeys): { sender: SigningKeyPair | null; keys: RecipientKeyPair[] } {
  const view = ([offset, length]: Span) => new Uint8Array(shared.buffer, offset, length);
  return {
    sender: shared.sender ? { publicKey: shared.sender.publicKey, secretKey: view(shared.sender.secretKey) } : null,
    keys: shared.keys.map((k) => ({ type: k.type, publicKey: k.publicKey, secretKey: view(k.secretKey) }) as RecipientKeyPair),
  };
}

/** Zero every secret of the pool, in the memory every worker reads them from. */
export function wipeSharedKeys(shared: SharedKeys): void {
  new Uint8Array(shared.buffer).fill(0);
}
