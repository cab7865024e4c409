/**
 * The "X-Wing" stanza (SPEC section 4.2): the X-Wing hybrid KEM (ML-KEM-768 + X25519) and the
 * file key sealed with ChaCha20-Poly1305 under a key derived from the KEM shared secret.
 * X-Wing's combiner keeps the shared secret safe if either component holds, so the stanza does.
 */
import { isLintasError, LintasError } from '../errors/index.js';
import { AEAD_NONCE_BYTES, AEAD_TAG_BYTES, chachaDecrypt, chachaEncrypt } from '../crypto/aead.js';
import { wipe } from '../crypto/bytes.js';
import { hkdfSha256 } from '../crypto/hash.js';
import {
  xwingDecapsulate,
  xwingEncapsulate,
  xwingKeyPairFromSeed,
  XWING_CIPHERTEXT_BYTES,
  XWING_ENCAPS_SEED_BYTES,
  XWING_PUBLIC_KEY_BYTES,
  XWING_SECRET_KEY_BYTES,
} from '../crypto/xwing.js';
import { recipientId } from '../keys/recipient.js';
import { CONTEXT, FILE_KEY_BYTES } from './constants.js';
import type { StanzaScheme } from './stanza-scheme.js';

const ZERO_NONCE = new Uint8Array(AEAD_NONCE_BYTES);

function wrapKey(shared: Uint8Array, rid: Uint8Array): Uint8Array {
  // The X-Wing secret already binds the ciphertext; the salt binds the recipient's key as well.
  return hkdfSha256(shared, rid, CONTEXT.xwingWrap, 32);
}

export const xwingScheme: StanzaScheme = {
  type: 'X-Wing',
  argLengths: [XWING_CIPHERTEXT_BYTES],
  bodyLength: FILE_KEY_BYTES + AEAD_TAG_BYTES,

  dummyRecipient(random) {
    const seed = random(XWING_SECRET_KEY_BYTES);
    const { publicKey, secretKey } = xwingKeyPairFromSeed(seed);
    wipe(seed, secretKey);
    return { type: 'X-Wing', publicKey };
  },

  wrap(fileKey, recipient, random) {
    if (recipient.publicKey.length !== XWING_PUBLIC_KEY_BYTES) {
      throw new LintasError('ERR_SEAL_INVALID_RECIPIENT', `X-Wing recipient key must be ${XWING_PUBLIC_KEY_BYTES} bytes`);
    }
    const seed = random(XWING_ENCAPS_SEED_BYTES);
    let enc: { ciphertext: Uint8Array; sharedSecret: Uint8Array };
    try {
      enc = xwingEncapsulate(recipient.publicKey, seed);
    } catch (cause) {
      throw new LintasError('ERR_SEAL_INVALID_RECIPIENT', 'X-Wing recipient key was rejected by the KEM', { cause });
    } finally {
      wipe(seed);
    }
    const key = wrapKey(enc.sharedSecret, recipientId(recipient));
    const body = chachaEncrypt(key, ZERO_NONCE, fileKey);
    wipe(enc.sharedSecret, key);
    return { args: [enc.ciphertext], body };
  },

  unwrap(args, body, own) {
    if (args.length !== 1 || args[0]!.length !== XWING_CIPHERTEXT_BYTES || body.length !== FILE_KEY_BYTES + AEAD_TAG_BYTES) {
      throw new LintasError('ERR_ENVELOPE_MALFORMED', `X-Wing stanza has the wrong shape (needs one ${XWING_CIPHERTEXT_BYTES}-byte argument and a 48-byte body)`);
    }
    // A wrong key or a modified ciphertext decapsulates to an unrelated secret (implicit
    // rejection) and shows up as an AEAD failure below. Only a low-order X25519 part makes
    // libsodium refuse; such a stanza cannot have been made for us: treat it as not mine.
    let shared: Uint8Array;
    try {
      shared = xwingDecapsulate(args[0]!, own.secretKey);
    } catch (e) {
      if (isLintasError(e, 'ERR_CRYPTO_LOW_ORDER_POINT')) return null;
      throw e;
    }
    const key = wrapKey(shared, recipientId(own));
    const fileKey = chachaDecrypt(key, ZERO_NONCE, body);
    wipe(shared, key);
    return fileKey;
  },
};
