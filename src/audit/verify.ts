/**
 * Verifying an audit log (SPEC 12.8) the way a reviewer would: walk the records in order and
 * stop at the first one that is truncated, malformed, signed by another key, badly signed, out
 * of sequence or not chained to its predecessor.
 *
 * What the chain cannot show on its own: that records were cut off the end. For that, note the
 * head (`seq` and `hash` of the last entry) somewhere else (a ticket, a partner's log, a
 * printed report) and pass it back as `anchor` later.
 */
import { constantTimeEqual } from '../crypto/bytes.js';
import { cryptoReady } from '../crypto/sodium.js';
import { decodeCanonical } from '../cbor/index.js';
import { LintasError } from '../errors/index.js';
import { AUDIT_HASH_BYTES, AuditRecordError, MAX_AUDIT_RECORD_BYTES, decodeAuditRecord, type AuditBreak, type AuditEntry } from './entry.js';
import { decodeAuditAnchor } from './anchor.js';

/** Options for {@link verifyAuditLog}. */
export interface VerifyAuditLogOptions {
  /** The Ed25519 public key the log must be signed with. Default: whoever signed the first entry. */
  signer?: Uint8Array;
  /**
   * A head noted earlier: the entry with this `seq` must exist and have this `hash`; or a signed
   * anchor (`AuditLog.anchor().bytes`, SPEC 12.8), which must be signed by the log's key and
   * whose `count` entries must all be there, the last with its `head` hash.
   */
  anchor?:
    | {
        /** seq of the entry. */
        seq: number;
        /** Hash of the entry's record. */
        hash: Uint8Array;
      }
    | Uint8Array;
}

/** Where and why a log stops being trustworthy. */
export interface AuditLogBreak {
  /** Index (= expected seq) of the first bad record; for 'anchor', the anchor's seq. */
  index: number;
  /** Byte offset of that record in the log. */
  offset: number;
  /** What kind of break (see {@link AuditBreak}). */
  reason: AuditBreak;
  /** What is wrong, for people. */
  message: string;
}

/** Result of {@link verifyAuditLog}. */
export interface AuditVerification {
  /** True if every record verified (and the anchor matched, if one was given). */
  ok: boolean;
  /** The entries before the first break (all of them if `ok`). */
  entries: AuditEntry[];
  /** The signing key of the log (first entry's, or the one required), null for an empty log. */
  signer: Uint8Array | null;
  /** seq and hash of the last good entry, null if there is none. */
  head: {
    /** seq of the entry. */
    seq: number;
    /** Hash of the entry's record. */
    hash: Uint8Array;
  } | null;
  /** The first break, or null. */
  firstBroken: AuditLogBreak | null;
}

const ZERO_HASH = new Uint8Array(AUDIT_HASH_BYTES);

/**
 * Verify a whole log held in memory. Never throws for a bad log: the result names the first
 * broken record. (`lintas/node` adds a version that reads a file.)
 * @throws {TypeError} if `log` is not a Uint8Array or the options are malformed.
 * @example
 * ```ts
 * import { AuditLog, generateIdentityKeys, MemoryAuditStore, verifyAuditLog } from 'lintas';
 *
 * const app = await generateIdentityKeys();
 * const store = new MemoryAuditStore();
 * const log = await AuditLog.open(store, app.signing);
 * for (const event of ['sealed', 'sent'] as const) await log.record({ event, bundleId: new Uint8Array(16) });
 *
 * const bytes = store.bytes();
 * bytes[bytes.length - 1]! ^= 1; // someone edits the last entry
 * const check = await verifyAuditLog(bytes, { signer: app.signing.publicKey });
 * console.log(check.ok, check.entries.length, check.firstBroken?.index, check.firstBroken?.reason); // false 1 1 "signature"
 * ```
 */
export async function verifyAuditLog(log: Uint8Array, options: VerifyAuditLogOptions = {}): Promise<AuditVerification> {
  if (!(log instanceof Uint8Array)) throw new TypeError('log must be a Uint8Array');
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  if (options.signer !== undefined && (!(options.signer instanceof Uint8Array) || options.signer.length !== 32)) {
    throw new TypeError('options.signer must be a 32-byte Ed25519 public key');
  }
  const anchor = options.anchor;
  if (
    anchor !== undefined &&
    !(anchor instanceof Uint8Array) &&
    (anchor === null || typeof anchor !== 'object' || !Number.isSafeInteger(anchor.seq) || anchor.seq < 0 || !(anchor.hash instanceof Uint8Array))
  ) {
    throw new TypeError('options.anchor must be signed anchor bytes or { seq: non-negative integer, hash: Uint8Array }');
  }
  await cryptoReady();
  const entries: AuditEntry[] = [];
  let signer: Uint8Array | null = options.signer ?? null;
  let offset = 0;
  const view = new DataView(log.buffer, log.byteOffset, log.byteLength);
  const result = (firstBroken: AuditLogBreak | null): AuditVerification => {
    const last = entries[entries.length - 1];
    return { ok: firstBroken === null, entries, signer, head: last ? { seq: last.seq, hash: last.hash } : null, firstBroken };
  };
  const broken = (reason: AuditBreak, message: string, index = entries.length): AuditVerification =>
    result({ index, offset, reason, message: `Audit log record ${index} (byte ${offset}): ${message}` });
  while (offset < log.length) {
    if (log.length - offset < 4) return broken('truncated', 'the log ends inside a record length');
    const length = view.getUint32(offset, false);
    if (length === 0 || length > MAX_AUDIT_RECORD_BYTES) return broken('malformed', `record length ${length} is out of range`);
    if (log.length - offset - 4 < length) {
      // Only a torn append ends the log here, and what it left is the start of one record of
      // exactly this length. A length field raised in the middle of the log is something else.
      const problem = tornRecordProblem(log.subarray(offset + 4), length);
      if (problem !== null) return broken('malformed', `record length ${length} ${problem}: the length field was altered, this is not a torn append`);
      return broken('truncated', 'the log ends inside the record');
    }
    let entry: AuditEntry;
    try {
      entry = decodeAuditRecord(log.subarray(offset + 4, offset + 4 + length));
    } catch (e) {
      if (e instanceof AuditRecordError) return broken(e.reason, e.message);
      throw e;
    }
    if (signer === null) signer = entry.signer;
    else if (!constantTimeEqual(signer, entry.signer)) return broken('signer', 'signed by a different key than the log');
    const prevHash = entries.length === 0 ? ZERO_HASH : entries[entries.length - 1]!.hash;
    if (!constantTimeEqual(entry.prev, prevHash)) return broken('chain', 'does not link to the record before it (an entry was removed, inserted, reordered or changed)');
    if (entry.seq !== entries.length) return broken('sequence', `has seq ${entry.seq} where ${entries.length} was expected`);
    entries.push(entry);
    offset += 4 + length;
  }
  if (anchor instanceof Uint8Array) {
    let a;
    try {
      a = decodeAuditAnchor(anchor, signer ?? undefined);
    } catch (e) {
      if (e instanceof LintasError) return broken('anchor', e.message, 0);
      throw e;
    }
    if (a.count > entries.length) return broken('anchor', `the log has ${entries.length} entries but its signed anchor vouches for ${a.count}: entries were cut off the end`, a.count - 1);
    const headHash = a.count === 0 ? ZERO_HASH : entries[a.count - 1]!.hash;
    if (!constantTimeEqual(headHash, a.head)) return broken('anchor', 'entry does not match the signed anchor: the log was rewritten', Math.max(0, a.count - 1));
  } else if (anchor !== undefined) {
    const at = entries[anchor.seq];
    if (!at) return broken('anchor', `the log has ${entries.length} entries but the anchor names entry ${anchor.seq}: entries were cut off the end`, anchor.seq);
    if (!constantTimeEqual(at.hash, anchor.hash)) return broken('anchor', 'entry does not match the anchor: the log was rewritten', anchor.seq);
  }
  return result(null);
}

/**
 * Why `partial`, the bytes after a record length `length` that runs past the end of the log, is
 * not the start of a record of that length, or null if it can be (SPEC 12.8: a record is CBOR
 * [bstr entry, bstr(64) signature], so its first bytes fix its length). A crash during an append
 * leaves such a prefix; an altered length field does not.
 */
function tornRecordProblem(partial: Uint8Array, length: number): string | null {
  const mismatch = 'does not match the record it frames';
  if (partial.length === 0) return null;
  if (partial[0] !== 0x82) return mismatch;
  if (partial.length < 2) return null;
  const head = partial[1]!;
  if (head >> 5 !== 2) return mismatch;
  const info = head & 0x1f;
  const headBytes = info < 24 ? 1 : info === 24 ? 2 : info === 25 ? 3 : info === 26 ? 5 : 0;
  if (headBytes === 0) return mismatch;
  if (partial.length < 1 + headBytes) return null;
  let entryLength = info < 24 ? info : 0;
  for (let i = 2; i <= headBytes; i++) entryLength = entryLength * 256 + partial[i]!;
  // [ entry, signature ]: 1 + entry head + entry + 2 + 64.
  if (1 + headBytes + entryLength + 2 + 64 !== length) return mismatch;
  const entryEnd = 1 + headBytes + entryLength;
  if (partial.length >= entryEnd) {
    // The whole entry was written: it must be one well-formed entry, followed by a signature head.
    try {
      decodeCanonical(partial.subarray(1 + headBytes, entryEnd));
    } catch {
      return mismatch;
    }
    if (partial.length > entryEnd && partial[entryEnd] !== 0x58) return mismatch;
    if (partial.length > entryEnd + 1 && partial[entryEnd + 1] !== 0x40) return mismatch;
  }
  return null;
}
