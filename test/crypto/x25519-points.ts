/**
 * X25519 public keys no honest party produces: the points of small order (RFC 7748 section 7 and
 * libsodium's blocklist) and non-canonical encodings (>= p, or bit 255 set). Shared by the
 * attack tests on stanzas and the key card validation tests.
 */
import { hex } from './wycheproof.js';

export const LOW_ORDER_X25519: Readonly<Record<string, Uint8Array>> = {
  'zero': new Uint8Array(32),
  'one': hex('01'.padEnd(64, '0')),
  'order 8 (a)': hex('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800'),
  'order 8 (b)': hex('5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157'),
  'p - 1': hex('ec' + 'ff'.repeat(30) + '7f'),
  'p (non-canonical zero)': hex('ed' + 'ff'.repeat(30) + '7f'),
  'p + 1 (non-canonical one)': hex('ee' + 'ff'.repeat(30) + '7f'),
  'zero with bit 255 set': hex('00'.repeat(31) + '80'),
};
