/**
 * The "X-Wing" stanza (SPEC section 4.2): the X-Wing hybrid KEM (ML-KEM-768 + X25519) and the
 * file key sealed with ChaCha20-Poly1305 under a key derived from the KEM shared secret.
 * X-Wing's combiner keeps the shared secret safe if either component holds, so the stanza does.
 */
import { LintasError } from '../errors/index.js';
import { AEAD_NONCE_BYTES, AEAD_TAG_BYTES, chachaDecrypt, chachaEncrypt } from '../crypto/aead.js';
import { wipe } from '../crypto/bytes.js';
import { hkdfSha256 } from '../crypto/hash.js';
import {
  xwingDecapsulate,
  xwingEncapsulate,
  XWING_CIPHERTEXT_BYTES,
  XWING_ENCAPS_SEED_BYTES,
  XWING_PUBLIC_KEY_BYTES,
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
    // Decapsulation never fails (implicit rejection); a wrong key shows up as an AEAD failure.
    const shared = xwingDecapsulate(args[0]!, own.secretKey);
    const key = wrapKey(shared, recipientId(own));
    const fileKey = chachaDecrypt(key, ZERO_NONCE, body);
    wipe(shared, key);
    return fileKey;
  },
};
