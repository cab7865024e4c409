/**
 * The TAXII collection that serves as a mailbox by default (docs/TRANSPORTS.md, "TAXII 2.1"):
 * a UUID derived from the mailbox id, so two agencies agree on it without configuration and a
 * server administrator can create it ahead of time (`lintas taxii serve` does, for the mailboxes
 * it is given).
 */
import { sha256 } from '../../crypto/hash.js';
import { utf8 } from '../../crypto/bytes.js';
import { checkMailboxId } from '../mailbox.js';

/**
 * The default TAXII collection id of a mailbox: the first 16 bytes of
 * SHA-256("lintas/v1 taxii collection" || 0x00 || mailbox id in ASCII), formatted as an
 * RFC 9562 version 8 (custom) UUID.
 * @throws {TypeError} / {RangeError} unless `mailbox` is a mailbox id.
 */
export function taxiiCollectionId(mailbox: string): string {
  checkMailboxId(mailbox);
  const d = sha256(utf8(`lintas/v1 taxii collection\u0000${mailbox}`)).slice(0, 16);
  d[6] = (d[6]! & 0x0f) | 0x80;
  d[8] = (d[8]! & 0x3f) | 0x80;
  const h = Array.from(d, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
