/**
 * One audit trail entry (SPEC section 12.8): what happened to which bundle, between whom, under
 * which markings, when. Never contents: no titles, summaries, item names or bytes.
 *
 * Wire form of one record, appended to the log:
 *
 *   u32be(length of record) || record
 *   record = canonical CBOR [ entry: bstr, signature: bstr(64) ]
 *   signature = Ed25519(signer, "lintas/v1 audit entry" || 0x00 || entry)
 *   entry = canonical CBOR map (see {@link encodeAuditEntry})
 *
 * Entries chain by hash: `prev` is SHA-256 of the previous record (32 zero bytes for the first)
 * and `seq` counts from 0, so editing, deleting, inserting or reordering entries breaks the
 * chain at the first changed place.
 */
import { concatBytes, utf8 } from '../crypto/bytes.js';
import { sha256 } from '../crypto/hash.js';
import { ed25519Sign, ed25519Verify } from '../crypto/ed25519.js';
import { decodeCanonical, encodeCanonical, type CborMap, type CborValue } from '../cbor/index.js';
import type { HandlingMarkings } from '../policy/markings.js';
import { checkMarkings, publicMarkings } from '../policy/markings.js';
import { markingsFromCbor, markingsToCbor } from '../policy/markings-cbor.js';
import type { PolicyRule } from '../policy/rules.js';

/** Version of the entry format. */
export const AUDIT_ENTRY_VERSION = 1;
/** Signature context (SPEC 12.8). */
export const AUDIT_SIGNATURE_CONTEXT = 'lintas/v1 audit entry';
/** Largest record accepted, in bytes (a 1,024-recipient entry is about 40 KiB). */
export const MAX_AUDIT_RECORD_BYTES = 256 * 1024;
/** Size of an entry hash and of `prev`. */
export const AUDIT_HASH_BYTES = 32;

/** What can happen to a bundle. */
export type AuditEventType = 'sealed' | 'sent' | 'received' | 'opened' | 'forwarded' | 'override' | 'refused';

/** Every event type, for validation. */
export const AUDIT_EVENT_TYPES: readonly AuditEventType[] = ['sealed', 'sent', 'received', 'opened', 'forwarded', 'override', 'refused'];

/** An override as the audit trail records it. */
export interface AuditOverride {
  /** Why the rules were overridden. */
  reason: string;
  /** Who authorised it. */
  authorisedBy: string;
  /** What it lifted: rule, recipient fingerprint (null: the bundle itself), item name... */
  lifted: {
    /** The rule lifted. */
    rule: PolicyRule;
    /** Key card fingerprint of the recipient concerned; null: the bundle itself. */
    recipient: Uint8Array | null;
  }[];
}

/** What to record. Every field except `event` is optional; record what you know. */
export interface AuditEvent {
  /** What happened. */
  event: AuditEventType;
  /** Bundle id (16 bytes). */
  bundleId?: Uint8Array;
  /** SHA-256 of the originator-signed manifest (32 bytes): the same for everyone who saw it. */
  manifestDigest?: Uint8Array;
  /** Envelope id (16 bytes), known to whoever opened the envelope. */
  envelopeId?: Uint8Array;
  /** SHA-256 of the envelope bytes (32), known to whoever sealed, sent or received them. */
  envelopeDigest?: Uint8Array;
  /** Originator's key card fingerprint. */
  originator?: Uint8Array;
  /** Who it came from (sender or forwarder) by key card fingerprint. */
  from?: Uint8Array;
  /** Who it went to, by key card fingerprint. */
  to?: Uint8Array[];
  /** The bundle's handling markings (never its title, summary or items). */
  markings?: HandlingMarkings;
  /** The override applied, for `override` events. */
  override?: AuditOverride;
  /** How it travelled, for `sent` and `received` events: the transport, e.g. `https://relay.example.org` or `drop:/mnt/exchange`. */
  transport?: string;
  /** The mailbox id it was sent to or received from (`mailboxId`), for `sent` and `received` events. */
  mailbox?: string;
  /** Why it was refused, for `refused` events: the error code, e.g. `ERR_REPLAY_DETECTED`, `ERR_ENVELOPE_TAMPERED`, `ERR_POLICY_VIOLATION`. */
  reason?: string;
}

/** A recorded entry, as read back. */
export interface AuditEntry extends AuditEvent {
  /** Position in the log, from 0. */
  seq: number;
  /** When it was recorded (millisecond precision). */
  at: Date;
  /** Hash of the previous record (zeros for the first). */
  prev: Uint8Array;
  /** Ed25519 public key that signed the entry. */
  signer: Uint8Array;
  /** SHA-256 of this record: the next entry's `prev`. */
  hash: Uint8Array;
}

const PARTY_ID_BYTES = 32;

function checkBytes(v: unknown, len: number, what: string): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new TypeError(`${what} must be a Uint8Array`);
  if (v.length !== len) throw new RangeError(`${what} must be ${len} bytes`);
  return v;
}

function checkAuditText(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new TypeError(`${what} must be a string`);
  if (v.length === 0 || new TextEncoder().encode(v).length > 1024) throw new RangeError(`${what} must be 1 to 1024 bytes`);
  return v;
}

/**
 * Check an event given by an app, and turn it into the CBOR fields of an entry.
 * @throws {TypeError | RangeError} for a malformed event.
 */
export function auditEventFields(e: AuditEvent): CborMap {
  if (e === null || typeof e !== 'object') throw new TypeError('event must be an object');
  if (!AUDIT_EVENT_TYPES.includes(e.event)) throw new RangeError(`event.event must be one of ${AUDIT_EVENT_TYPES.join(', ')}`);
  const out: CborMap = { event: e.event };
  if (e.bundleId !== undefined) out.bundle = checkBytes(e.bundleId, 16, 'event.bundleId');
  if (e.manifestDigest !== undefined) out.manifest = checkBytes(e.manifestDigest, 32, 'event.manifestDigest');
  if (e.envelopeId !== undefined) out.envelopeId = checkBytes(e.envelopeId, 16, 'event.envelopeId');
  if (e.envelopeDigest !== undefined) out.envelopeDigest = checkBytes(e.envelopeDigest, 32, 'event.envelopeDigest');
  if (e.originator !== undefined) out.originator = checkBytes(e.originator, PARTY_ID_BYTES, 'event.originator');
  if (e.from !== undefined) out.from = checkBytes(e.from, PARTY_ID_BYTES, 'event.from');
  if (e.to !== undefined) {
    if (!Array.isArray(e.to)) throw new TypeError('event.to must be an array of fingerprints');
    if (e.to.length > 4096) throw new RangeError('event.to has more than 4096 entries');
    out.to = e.to.map((t, i) => checkBytes(t, PARTY_ID_BYTES, `event.to[${i}]`));
  }
  if (e.markings !== undefined) out.markings = markingsToCbor(checkMarkings(e.markings, 'event.markings'));
  if (e.transport !== undefined) out.transport = checkAuditText(e.transport, 'event.transport');
  if (e.mailbox !== undefined) out.mailbox = checkAuditText(e.mailbox, 'event.mailbox');
  if (e.reason !== undefined) out.reason = checkAuditText(e.reason, 'event.reason');
  if (e.override !== undefined) {
    const o = e.override;
    if (o === null || typeof o !== 'object' || !Array.isArray(o.lifted)) throw new TypeError('event.override must be { reason, authorisedBy, lifted }');
    out.override = {
      reason: checkAuditText(o.reason, 'event.override.reason'),
      by: checkAuditText(o.authorisedBy, 'event.override.authorisedBy'),
      lifted: o.lifted.map((l, i) => {
        const m: CborMap = { rule: checkAuditText(l.rule, `event.override.lifted[${i}].rule`) };
        if (l.recipient !== null) m.fp = checkBytes(l.recipient, PARTY_ID_BYTES, `event.override.lifted[${i}].recipient`);
        return m;
      }),
    };
  }
  return out;
}

/** Encode an entry: the event's fields plus chain and signer fields. */
export function encodeAuditEntry(fields: CborMap, chain: { seq: number; prev: Uint8Array; at: number; signer: Uint8Array }): Uint8Array {
  return encodeCanonical({ ...fields, v: AUDIT_ENTRY_VERSION, seq: chain.seq, prev: chain.prev, at: chain.at, signer: chain.signer });
}

function signedMessage(entry: Uint8Array): Uint8Array {
  return concatBytes(utf8(AUDIT_SIGNATURE_CONTEXT), new Uint8Array([0]), entry);
}

/** Sign an entry and frame it as a record: u32be length || CBOR [entry, signature]. */
export function frameAuditRecord(entry: Uint8Array, signerSecretKey: Uint8Array): { framed: Uint8Array; hash: Uint8Array } {
  const record = encodeCanonical([entry, ed25519Sign(signerSecretKey, signedMessage(entry))]);
  const framed = new Uint8Array(4 + record.length);
  new DataView(framed.buffer).setUint32(0, record.length, false);
  framed.set(record, 4);
  return { framed, hash: sha256(record) };
}

/** Why a record is unacceptable (see {@link verifyAuditLog}). */
export type AuditBreak = 'truncated' | 'malformed' | 'signer' | 'signature' | 'chain' | 'sequence' | 'anchor';

/** A record that failed to decode or verify on its own (chain checks come later). */
export class AuditRecordError extends Error {
  constructor(
    readonly reason: AuditBreak,
    message: string,
  ) {
    super(message);
    this.name = 'AuditRecordError';
  }
}

const ENTRY_KEYS = ['v', 'seq', 'prev', 'at', 'signer', 'event', 'bundle', 'manifest', 'envelopeId', 'envelopeDigest', 'originator', 'from', 'to', 'markings', 'override', 'transport', 'mailbox', 'reason'];

function isMap(v: CborValue | undefined): v is CborMap {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function bytesField(m: CborMap, key: string, len: number, optional: boolean): Uint8Array | undefined {
  const v = m[key];
  if (v === undefined && optional) return undefined;
  if (!(v instanceof Uint8Array) || v.length !== len) throw new AuditRecordError('malformed', `entry field "${key}" must be ${len} bytes`);
  return v;
}

/**
 * Decode one record (without the length prefix) and verify its signature.
 * @throws {AuditRecordError} 'malformed' or 'signature'.
 */
export function decodeAuditRecord(record: Uint8Array): AuditEntry {
  let outer: CborValue;
  try {
    outer = decodeCanonical(record);
  } catch (e) {
    throw new AuditRecordError('malformed', `record is not canonical CBOR (${(e as Error).message})`);
  }
  if (!Array.isArray(outer) || outer.length !== 2 || !(outer[0] instanceof Uint8Array) || !(outer[1] instanceof Uint8Array) || outer[1].length !== 64) {
    throw new AuditRecordError('malformed', 'record is not [entry, signature]');
  }
  const entryBytes = outer[0];
  let m: CborValue;
  try {
    m = decodeCanonical(entryBytes);
  } catch (e) {
    throw new AuditRecordError('malformed', `entry is not canonical CBOR (${(e as Error).message})`);
  }
  if (!isMap(m)) throw new AuditRecordError('malformed', 'entry is not a map');
  for (const k of Object.keys(m)) if (!ENTRY_KEYS.includes(k)) throw new AuditRecordError('malformed', `entry has unknown field "${k}"`);
  if (m.v !== AUDIT_ENTRY_VERSION) throw new AuditRecordError('malformed', typeof m.v === 'number' ? `entry version ${m.v} is not supported` : 'entry has no version number');
  if (typeof m.seq !== 'number' || typeof m.at !== 'number') throw new AuditRecordError('malformed', 'entry lacks seq or at');
  if (typeof m.event !== 'string' || !AUDIT_EVENT_TYPES.includes(m.event as AuditEventType)) throw new AuditRecordError('malformed', 'entry has an unknown event type');
  const signer = bytesField(m, 'signer', 32, false)!;
  if (!ed25519Verify(signer, signedMessage(entryBytes), outer[1])) throw new AuditRecordError('signature', 'entry signature does not verify');
  const entry: AuditEntry = {
    event: m.event as AuditEventType,
    seq: m.seq,
    at: new Date(m.at),
    prev: bytesField(m, 'prev', AUDIT_HASH_BYTES, false)!,
    signer,
    hash: sha256(record),
  };
  const bundleId = bytesField(m, 'bundle', 16, true);
  if (bundleId) entry.bundleId = bundleId;
  const manifest = bytesField(m, 'manifest', 32, true);
  if (manifest) entry.manifestDigest = manifest;
  const envelopeId = bytesField(m, 'envelopeId', 16, true);
  if (envelopeId) entry.envelopeId = envelopeId;
  const envelopeDigest = bytesField(m, 'envelopeDigest', 32, true);
  if (envelopeDigest) entry.envelopeDigest = envelopeDigest;
  const originator = bytesField(m, 'originator', PARTY_ID_BYTES, true);
  if (originator) entry.originator = originator;
  const from = bytesField(m, 'from', PARTY_ID_BYTES, true);
  if (from) entry.from = from;
  if (m.to !== undefined) {
    if (!Array.isArray(m.to) || m.to.some((t) => !(t instanceof Uint8Array) || t.length !== PARTY_ID_BYTES)) throw new AuditRecordError('malformed', 'entry field "to" is not a list of fingerprints');
    entry.to = m.to as Uint8Array[];
  }
  if (m.markings !== undefined) {
    try {
      entry.markings = publicMarkings(markingsFromCbor(m.markings, 'entry markings'));
    } catch (e) {
      throw new AuditRecordError('malformed', (e as Error).message);
    }
  }
  if (m.override !== undefined) entry.override = decodeOverride(m.override);
  for (const key of ['transport', 'mailbox', 'reason'] as const) {
    const v = m[key];
    if (v === undefined) continue;
    if (typeof v !== 'string') throw new AuditRecordError('malformed', `entry field "${key}" must be text`);
    entry[key] = v;
  }
  return entry;
}

function decodeOverride(v: CborValue): AuditOverride {
  if (!isMap(v) || typeof v.reason !== 'string' || typeof v.by !== 'string' || !Array.isArray(v.lifted)) {
    throw new AuditRecordError('malformed', 'entry override is not { reason, by, lifted }');
  }
  const lifted = v.lifted.map((l) => {
    if (!isMap(l) || typeof l.rule !== 'string') throw new AuditRecordError('malformed', 'entry override lists a malformed rule');
    const fp = l.fp;
    if (fp !== undefined && (!(fp instanceof Uint8Array) || fp.length !== PARTY_ID_BYTES)) throw new AuditRecordError('malformed', 'entry override names a malformed fingerprint');
    return { rule: l.rule as PolicyRule, recipient: fp === undefined ? null : fp };
  });
  return { reason: v.reason, authorisedBy: v.by, lifted };
}
