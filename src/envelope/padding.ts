/**
 * Size and recipient-count padding (SPEC section 5.6). Padding is optional; when used it hides
 * the payload length to within the Padmé bucket and the number of recipients of each type to
 * the next power of two.
 */
import type { RandomSource } from '../crypto/random.js';
import type { RecipientStanza } from './header.js';
import type { StanzaScheme } from './stanza-scheme.js';
import { wipe } from '../crypto/bytes.js';
import { recipientId } from '../keys/recipient.js';
import { FILE_KEY_BYTES } from './constants.js';

/** Payloads shorter than this are padded up to it. */
export const MIN_PADDED_LENGTH = 256;

/**
 * Padmé (Nikitin et al., "Reducing Metadata Leakage from Encrypted Files and Communication
 * with PURBs", PETS 2019): at most 12% overhead, leaks O(log log L) bits of the length.
 */
export function paddedLength(length: number): number {
  const l = Math.max(length, MIN_PADDED_LENGTH);
  const e = Math.floor(Math.log2(l));
  const s = Math.floor(Math.log2(e)) + 1;
  const lastBits = e - s;
  const mask = 2 ** lastBits - 1;
  // (l + mask) & ~mask without 32-bit overflow.
  return Math.ceil(l / (mask + 1)) * (mask + 1);
}

/**
 * The encoded length of a padded meta block's plaintext for a header of `stanzaCount` stanzas
 * (SPEC 5.6): 34 bytes per stanza (room for a recipient id in `"to"`), plus room for every other
 * entry at its largest (378 bytes with the `"to"` key and array head) and for a `"pad"` entry of at
 * least 256 bytes (263). So the meta block, and with it the header, has one length for every
 * envelope with the same stanzas, whatever its real recipients, sender, times or content type.
 */
export function paddedMetaLength(stanzaCount: number): number {
  return 641 + 34 * stanzaCount;
}

/** How many stanzas of one type a padded header carries for `count` real ones. */
export function paddedStanzaCount(count: number): number {
  let n = 4;
  while (n < count) n *= 2;
  return n;
}

/**
 * A dummy stanza: a real wrap of a random file key to a throwaway key of `scheme`'s type.
 * Random bytes of the right length would not do: a real X25519 share is a canonical point on the
 * curve (top bit clear, never on the twist) and a real ML-KEM ciphertext has a skewed coefficient
 * distribution, so random dummies could be told apart and the real recipients counted.
 */
export function dummyStanza(scheme: StanzaScheme, hidden: boolean, random: RandomSource): RecipientStanza {
  const recipient = scheme.dummyRecipient(random);
  const fileKey = random(FILE_KEY_BYTES);
  const wrapped = scheme.wrap(fileKey, recipient, random);
  wipe(fileKey);
  return {
    type: scheme.type,
    recipientId: hidden ? null : recipientId(recipient),
    args: wrapped.args,
    body: wrapped.body,
  };
}

/** Fisher–Yates shuffle driven by the envelope's random source (uniform, no modulo bias). */
export function shuffle<T>(items: T[], random: RandomSource): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = uniformBelow(i + 1, random);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function uniformBelow(bound: number, random: RandomSource): number {
  // Rejection sampling over 32-bit values.
  const limit = Math.floor(0x100000000 / bound) * bound;
  for (;;) {
    const b = random(4);
    const v = ((b[0]! << 24) >>> 0) + (b[1]! << 16) + (b[2]! << 8) + b[3]!;
    if (v < limit) return v % bound;
  }
}
