/**
 * The append-only audit log of one agency app (SPEC 12.8): every entry signed with the app's
 * Ed25519 key and chained to the one before. Storage is pluggable ({@link AuditStore}); this
 * file has the in-memory store, `lintas/node` a file store that fsyncs every append.
 */
import { LintasError } from '../errors/index.js';
import { cryptoReady } from '../crypto/sodium.js';
import type { SigningKeyPair } from '../keys/recipient.js';
import { auditEventFields, encodeAuditEntry, frameAuditRecord, decodeAuditRecord, AUDIT_HASH_BYTES, type AuditEntry, type AuditEvent } from './entry.js';
import { verifyAuditLog } from './verify.js';
import { decodeAuditAnchor, signAuditAnchor, type AuditAnchor } from './anchor.js';

/** Node's `util.inspect` hook; a registered symbol, so this module still loads in browsers. */
const INSPECT: unique symbol = Symbol.for('nodejs.util.inspect.custom');

/**
 * Where an audit log lives. Contract: `read` returns every byte appended so far, in order;
 * `append` resolves only once the bytes survive a crash (or, for a memory store, are kept);
 * `truncate` cuts the log to a length (used only to drop a torn last record after a crash).
 * One writer per log: two {@link AuditLog}s must not append to one store at the same time.
 */
export interface AuditStore {
  /** The whole log as stored; empty if nothing was appended yet. */
  read(): Promise<Uint8Array>;
  /** Add `bytes` at the end, durably, before resolving. */
  append(bytes: Uint8Array): Promise<void>;
  /** Cut the log to its first `length` bytes. */
  truncate(length: number): Promise<void>;
}

/** An {@link AuditStore} in memory, e.g. for browsers that ship the log elsewhere, and tests. */
export class MemoryAuditStore implements AuditStore {
  private data = new Uint8Array(0);

  /** Start with existing log bytes (copied). */
  constructor(initial?: Uint8Array) {
    if (initial !== undefined) {
      if (!(initial instanceof Uint8Array)) throw new TypeError('initial must be a Uint8Array');
      this.data = initial.slice();
    }
  }

  /** A copy of the log bytes. */
  bytes(): Uint8Array {
    return this.data.slice();
  }

  /** A copy of everything appended so far. */
  async read(): Promise<Uint8Array> {
    return this.data.slice();
  }

  /** Keep `bytes` at the end of the log. */
  async append(bytes: Uint8Array): Promise<void> {
    const next = new Uint8Array(this.data.length + bytes.length);
    next.set(this.data);
    next.set(bytes, this.data.length);
    this.data = next;
  }

  /** Cut the log to `length` bytes. */
  async truncate(length: number): Promise<void> {
    this.data = this.data.slice(0, length);
  }
}

/** Options for {@link AuditLog.open}. */
export interface AuditLogOptions {
  /** Clock for entry times (tests pin it). Default: `Date.now`. */
  now?: () => number;
  /**
   * The signed anchor kept from earlier ({@link AuditLog.anchor}'s `bytes`, SPEC 12.8): the log
   * must still hold every entry it vouches for, or opening fails with `ERR_AUDIT_TRUNCATED` and
   * nothing is cut or appended.
   */
  anchor?: Uint8Array;
}

/**
 * Append-only, hash-chained, signed audit log (SPEC 12.8): who sealed, sent, received, opened,
 * forwarded or overrode what, never contents. Pass it as `audit` to {@link sealBundle},
 * {@link openBundle} and {@link forwardBundle}, or record events yourself. In Node, keep it in a
 * file with `openAuditLogFile` from `lintas/node`.
 * @example
 * ```ts
 * import { AuditLog, generateIdentityKeys, MemoryAuditStore, verifyAuditLog } from 'lintas';
 *
 * const app = await generateIdentityKeys();
 * const store = new MemoryAuditStore();
 * const log = await AuditLog.open(store, app.signing);
 * await log.record({ event: 'received', envelopeId: new Uint8Array(16), markings: { tlp: 'GREEN' } });
 * await log.record({ event: 'opened', envelopeId: new Uint8Array(16) });
 *
 * const check = await verifyAuditLog(store.bytes(), { signer: app.signing.publicKey, anchor: log.head()! });
 * console.log(check.ok, check.entries.map((e) => e.event)); // true ["received","opened"]
 * ```
 */
export class AuditLog {
  private seq: number;
  private prev: Uint8Array;
  private queue: Promise<unknown> = Promise.resolve();
  private failure: unknown = null;

  /**
   * Prints without key material (`console.log`, `util.inspect` at any depth): it holds the signing
   * key.
   */
  [INSPECT](): string {
    return 'AuditLog { [secret keys not shown] }';
  }

  /** `JSON.stringify` shows no key material either. */
  toJSON(): {
    /** The class name, and nothing else. */
    type: 'AuditLog';
  } {
    return { type: 'AuditLog' };
  }

  private constructor(
    private readonly store: AuditStore,
    private readonly signer: SigningKeyPair,
    private readonly now: () => number,
    head: { seq: number; hash: Uint8Array } | null,
    /** Bytes of a torn last record dropped when the log was opened (0 normally). */
    readonly repairedBytes: number,
  ) {
    this.seq = head ? head.seq + 1 : 0;
    this.prev = head ? head.hash : new Uint8Array(AUDIT_HASH_BYTES);
  }

  /**
   * Open a log for appending: verify what is stored, drop a torn last record left by a crash
   * during an append (it was never acknowledged), and continue the chain.
   * @throws {TypeError | RangeError} for a malformed store, signer or option.
   * Only a last record that ends with the log and whose first bytes frame a record of its
   * declared length counts as torn (SPEC 12.8); anything else is refused and nothing is deleted.
   * @throws {@link LintasError} `ERR_AUDIT_BROKEN` if stored entries fail verification anywhere else
   *   (including a length field that does not match its record); `ERR_AUDIT_SIGNER_MISMATCH` if
   *   the log was signed with another key; `ERR_AUDIT_ANCHOR_INVALID` for an anchor that is
   *   malformed or not signed by `signer`; `ERR_AUDIT_TRUNCATED` if the log lacks entries the
   *   anchor vouches for. Errors of the store (e.g. I/O) as it throws them.
   */
  static async open(store: AuditStore, signer: SigningKeyPair, options: AuditLogOptions = {}): Promise<AuditLog> {
    if (!store || typeof store.read !== 'function' || typeof store.append !== 'function' || typeof store.truncate !== 'function') {
      throw new TypeError('store must be an AuditStore { read, append, truncate }');
    }
    if (!signer || !(signer.publicKey instanceof Uint8Array) || !(signer.secretKey instanceof Uint8Array)) throw new TypeError('signer must be a SigningKeyPair');
    if (signer.publicKey.length !== 32 || signer.secretKey.length !== 64) throw new RangeError('signer must be an Ed25519 key pair');
    if (options.now !== undefined && typeof options.now !== 'function') throw new TypeError('options.now must be a function');
    if (options.anchor !== undefined && !(options.anchor instanceof Uint8Array)) throw new TypeError('options.anchor must be the bytes of a signed anchor');
    await cryptoReady();
    const anchor = options.anchor === undefined ? null : decodeAuditAnchor(options.anchor, signer.publicKey);
    const bytes = await store.read();
    const v = await verifyAuditLog(bytes);
    const b = v.firstBroken;
    if (b !== null && b.reason !== 'truncated') {
      throw new LintasError('ERR_AUDIT_BROKEN', `${b.message}. The log was altered or damaged; keep it as evidence and start a new log`);
    }
    if (v.signer !== null && !sameKey(v.signer, signer.publicKey)) {
      throw new LintasError('ERR_AUDIT_SIGNER_MISMATCH', 'This audit log is signed with a different key; open it with the identity that keeps it');
    }
    // Checked before anything is cut: a log shorter than its anchor lost acknowledged entries.
    if (anchor !== null) {
      const head = anchor.count === 0 ? new Uint8Array(AUDIT_HASH_BYTES) : v.entries[anchor.count - 1]?.hash;
      if (head === undefined || !sameKey(head, anchor.head)) {
        throw new LintasError(
          'ERR_AUDIT_TRUNCATED',
          `The audit log holds ${v.entries.length} intact entries but its signed anchor vouches for ${anchor.count}${head === undefined ? '' : ' with another last entry'}: ` +
            'entries were cut off or rewritten. Nothing was changed; keep the log and the anchor as evidence',
        );
      }
    }
    let repaired = 0;
    if (b !== null) {
      // A torn last record: an append that crashed never resolved, so nobody relied on it.
      repaired = bytes.length - b.offset;
      await store.truncate(b.offset);
    }
    return new AuditLog(store, signer, options.now ?? Date.now, v.head, repaired);
  }

  /** seq and hash of the last entry (note it elsewhere to detect truncation later), or null. */
  head(): {
    /** seq of the last entry. */
    seq: number;
    /** Its hash: pass both as `anchor` to {@link verifyAuditLog}. */
    hash: Uint8Array;
  } | null {
    return this.seq === 0 ? null : { seq: this.seq - 1, hash: this.prev.slice() };
  }

  /**
   * A signed anchor for the log as it is now (SPEC 12.8): its entry count and last hash, signed
   * with the log's key. Keep `bytes` apart from the log and pass them to {@link AuditLog.open}
   * and {@link verifyAuditLog} later: a log cut short is then found. Take it after the appends
   * you want it to cover have resolved.
   * @param keyRingGeneration - The key ring generation to record with it (docs/KEYRING.md,
   *   "Rollback"), or omitted.
   * @throws {RangeError} for a generation that is not a non-negative safe integer.
   */
  anchor(keyRingGeneration?: number): AuditAnchor {
    if (keyRingGeneration !== undefined && (!Number.isSafeInteger(keyRingGeneration) || keyRingGeneration < 0)) {
      throw new RangeError('keyRingGeneration must be a non-negative safe integer');
    }
    return signAuditAnchor(this.signer, this.seq, this.prev, keyRingGeneration ?? null);
  }

  /**
   * Append one signed entry. Appends are serialised in call order. If the store fails, the log
   * refuses further appends (reopen it; {@link AuditLog.open} repairs a torn tail).
   * @throws {TypeError | RangeError} for a malformed event.
   * @throws {@link LintasError} `ERR_AUDIT_BROKEN` after an earlier store failure; the store's
   *   own error when this append fails.
   */
  record(event: AuditEvent): Promise<AuditEntry> {
    const fields = auditEventFields(event);
    const run = async (): Promise<AuditEntry> => {
      if (this.failure !== null) {
        throw new LintasError('ERR_AUDIT_BROKEN', 'An earlier append to this audit log failed; reopen the log before recording more', { cause: this.failure });
      }
      const entry = encodeAuditEntry(fields, { seq: this.seq, prev: this.prev, at: Math.floor(this.now()), signer: this.signer.publicKey });
      const { framed, hash } = frameAuditRecord(entry, this.signer.secretKey);
      try {
        await this.store.append(framed);
      } catch (e) {
        this.failure = e;
        throw e;
      }
      this.seq++;
      this.prev = hash;
      return decodeAuditRecord(framed.subarray(4));
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }
}

function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
