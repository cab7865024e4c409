/**
 * Mailbox addresses. A mailbox is named by a hash of its owner's Ed25519 signing public key, so
 * a relay or a shared folder sees opaque ids rather than agency names, and a relay can still
 * check that whoever proves possession of that signing key owns the mailbox, without a key ring.
 */
import { concatBytes, utf8 } from '../crypto/bytes.js';
import { ED25519_PUBLIC_KEY_BYTES } from '../crypto/ed25519.js';
import { sha256 } from '../crypto/hash.js';
import { toHex } from '../envelope/hex.js';

const MAILBOX_CONTEXT = 'lintas/v1 mailbox';
const MAILBOX_PATTERN = /^[0-9a-f]{64}$/;

/** Anything that carries an Ed25519 signing public key: a key card, or a raw 32-byte key. */
export type MailboxOwner =
  | Uint8Array
  | {
      /** The owner's 32-byte Ed25519 signing public key. */
      readonly signingPublicKey: Uint8Array;
    };

/**
 * The mailbox id of a signing public key (or a key card with `signingPublicKey`):
 * lower-case hex of SHA-256("lintas/v1 mailbox" || 0x00 || signingPublicKey), 64 characters.
 * Safe to use as a file name, URL path segment or Redis key.
 * @throws {TypeError} if `owner` is neither a Uint8Array nor has a `signingPublicKey`.
 * @throws {RangeError} if the key is not 32 bytes.
 */
export function mailboxId(owner: MailboxOwner): string {
  const key = owner instanceof Uint8Array ? owner : owner?.signingPublicKey;
  if (!(key instanceof Uint8Array)) throw new TypeError('mailboxId needs an Ed25519 public key (Uint8Array) or a key card with signingPublicKey');
  if (key.length !== ED25519_PUBLIC_KEY_BYTES) throw new RangeError(`signing public key must be ${ED25519_PUBLIC_KEY_BYTES} bytes`);
  return toHex(sha256(concatBytes(utf8(MAILBOX_CONTEXT), new Uint8Array([0]), key)));
}

/** True if `value` is a well-formed mailbox id. */
export function isMailboxId(value: unknown): value is string {
  return typeof value === 'string' && MAILBOX_PATTERN.test(value);
}

/**
 * Validates a mailbox id at a transport's edge. Transports use it as a path segment and key,
 * so anything but 64 lower-case hex digits is refused before it reaches a file system or server.
 * @throws {TypeError} if not a string; {RangeError} if not 64 lower-case hex digits.
 */
export function checkMailboxId(value: unknown, name = 'mailbox'): string {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a mailbox id string (see mailboxId())`);
  if (!MAILBOX_PATTERN.test(value)) throw new RangeError(`${name} must be 64 lower-case hex digits (see mailboxId())`);
  return value;
}
