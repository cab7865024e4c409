/**
 * The "X25519" stanza (SPEC section 4.1): an ephemeral X25519 key agreement, HKDF, and the
 * file key sealed with ChaCha20-Poly1305 under the derived wrap key. The construction follows
 * age's X25519 recipient, with lintas context strings.
 */
import { LintasError } from '../errors/index.js';
import { AEAD_NONCE_BYTES, AEAD_TAG_BYTES, chachaDecrypt, chachaEncrypt } from '../crypto/aead.js';
import { concatBytes, utf8, wipe } from '../crypto/bytes.js';
import { hkdfSha256 } from '../crypto/hash.js';
import { x25519PublicKey, x25519WithEphemeralKey, x25519WithOwnKey, X25519_KEY_BYTES } from '../crypto/x25519.js';
import { CONTEXT, FILE_KEY_BYTES } from './constants.js';
import type { StanzaScheme } from './stanza-scheme.js';

const ZERO_NONCE = new Uint8Array(AEAD_NONCE_BYTES);
/** The context string's bytes, encoded once rather than for every stanza. */
const WRAP_INFO = utf8(CONTEXT.x25519Wrap);

function wrapKey(shared: Uint8Array, ephemeral: Uint8Array, recipient: Uint8Array): Uint8Array {
  // Salt binds both public keys, so a wrap key belongs to exactly one (ephemeral, recipient) pair.
  return hkdfSha256(shared, concatBytes(ephemeral, recipient), WRAP_INFO, 32);
}

export const x25519Scheme: StanzaScheme = {
  type: 'X25519',
  argLengths: [X25519_KEY_BYTES],
  bodyLength: FILE_KEY_BYTES + AEAD_TAG_BYTES,

  dummyRecipient(random) {
    const secret = random(X25519_KEY_BYTES);
    const publicKey = x25519PublicKey(secret);
    wipe(secret);
    return { type: 'X25519', publicKey };
  },

  wrap(fileKey, recipient, random) {
    if (recipient.publicKey.length !== X25519_KEY_BYTES) {
      throw new LintasError('ERR_SEAL_INVALID_RECIPIENT', `X25519 recipient key must be ${X25519_KEY_BYTES} bytes`);
    }
    let ephemeral: Uint8Array;
    let shared: Uint8Array;
    try {
      ({ publicKey: ephemeral, shared } = x25519WithEphemeralKey(recipient.publicKey, random));
    } catch (cause) {
      throw new LintasError('ERR_SEAL_INVALID_RECIPIENT', 'X25519 recipient key is a low-order point; refusing to seal to it', { cause });
    }
    const key = wrapKey(shared, ephemeral, recipient.publicKey);
    const body = chachaEncrypt(key, ZERO_NONCE, fileKey);
    wipe(shared, key);
    return { args: [ephemeral], body };
  },

  unwrap(args, body, own) {
    if (args.length !== 1 || args[0]!.length !== X25519_KEY_BYTES || body.length !== FILE_KEY_BYTES + AEAD_TAG_BYTES) {
      throw new LintasError('ERR_ENVELOPE_MALFORMED', 'X25519 stanza has the wrong shape (needs one 32-byte argument and a 48-byte body)');
    }
    const ephemeral = args[0]!;
    let shared: Uint8Array;
    try {
      // Our key opens envelope after envelope: the variant that keeps it ready (Node: OpenSSL).
      shared = x25519WithOwnKey(own.secretKey, ephemeral);
    } catch {
      // A low-order ephemeral key cannot have been made for us: treat as not mine.
      return null;
    }
    const key = wrapKey(shared, ephemeral, own.publicKey);
    const fileKey = chachaDecrypt(key, ZERO_NONCE, body);
    wipe(shared, key);
    return fileKey;
  },
};
