/**
 * The drop folder transport: mailboxes are directories on a local or shared file system (NFS,
 * SMB, a USB stick carried between air-gapped networks). Every step is a single rename, which
 * is atomic on POSIX file systems, so any number of senders and receivers, in any number of
 * processes and machines, can work on the same folder without locks:
 *
 *   <root>/<mailbox>/tmp/<name>                        a sender is still writing it
 *   <root>/<mailbox>/new/<name>                        delivered, available
 *   <root>/<mailbox>/cur/<name>.lease-<expiry>-<token> claimed by a receiver until <expiry> (ms)
 *
 * Send: write under tmp/, fsync, rename into new/, fsync new/. Claim: rename new/x (or a cur/
 * entry whose lease expired) to a cur/ name carrying a fresh expiry and a random token; of
 * several receivers renaming the same file exactly one succeeds. Renew: rename to a later
 * expiry. Ack: delete. See docs/TRANSPORTS.md. Which files to try, and when to read the folder
 * again, is drop-folder-queue.ts's job, so a claim does not cost more with a larger backlog.
 */
import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { LintasError } from '../errors/index.js';
import { cryptoReady } from '../crypto/sodium.js';
import { systemRandom } from '../crypto/random.js';
import { toHex } from '../envelope/hex.js';
import { isErrno, writeFileDurably } from './durable-file.js';
import { anyAborted, LeaseRenewal } from './lease-renewal.js';
import { DropFolderQueue, type ClaimCandidate } from './drop-folder-queue.js';
import { checkMailboxId } from './mailbox.js';
import { StoredNameSource } from './stored-name.js';
import {
  checkEnvelopeBody,
  checkPositiveInteger,
  checkReceiveOptions,
  limitEnvelope,
  transportClosed,
  type Delivery,
  type EnvelopeBody,
  type ReceiveOptions,
  type Transport,
} from './transport.js';

/** Envelopes up to this size are handed over as bytes; larger ones as a stream from the file. */
const INLINE_BYTES = 1024 * 1024;
const READ_CHUNK_BYTES = 256 * 1024;

/** Options for {@link DropFolderTransport}. */
export interface DropFolderOptions {
  /** The folder holding the mailboxes (created if missing). */
  root: string;
  /**
   * How long a claimed envelope stays invisible to other receivers without being renewed, in ms.
   * A crashed receiver's envelopes are redelivered after this. Default 60 000. The lease is
   * an absolute time, so machines sharing a folder need roughly synchronised clocks.
   */
  leaseMs?: number;
  /** How often an idle receive loop looks for new files, in ms. Default 500. */
  pollIntervalMs?: number;
  /** Largest envelope accepted by send, in bytes. Default {@link DropFolderTransport.DEFAULT_MAX_ENVELOPE_BYTES} (1 GiB). */
  maxEnvelopeBytes?: number;
  /** Files left in tmp/ by a sender that died are removed once this old, in ms. Default 1 hour. */
  staleTempMs?: number;
}

interface Claim {
  base: string;
  /** Current name under cur/; changes on every renewal. */
  name: string;
  token: string;
  settled: boolean;
  renewing: Promise<boolean> | null;
}

/**
 * A {@link Transport} on a directory tree. Node only. Durability: send resolves after the file
 * and its directory entry are fsynced. Ordering: FIFO for one sender (names sort by time and a
 * per-sender sequence); envelopes of different senders in the same millisecond in any order.
 *
 * Any number of processes (or machines sharing the folder) may send and receive at once.
 * @example
 * ```ts
 * import { mkdtemp, rm } from 'node:fs/promises';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { generateIdentityKeys, mailboxId, MemoryReplayGuard, receiveEnvelopes, seal } from 'lintas';
 * import { DropFolderTransport } from 'lintas/node';
 *
 * const root = await mkdtemp(join(tmpdir(), 'drop-')); // e.g. a share both agencies can reach
 * const police = await generateIdentityKeys();
 * const agency = await generateIdentityKeys();
 *
 * const sender = new DropFolderTransport({ root });
 * await sender.send(mailboxId(agency.signing.publicKey), await seal(new TextEncoder().encode('report'), { recipients: [agency.xwing], sender: police.signing }));
 * await sender.close();
 *
 * const receiver = new DropFolderTransport({ root });
 * const result = await receiveEnvelopes(receiver, mailboxId(agency.signing.publicKey), {
 *   keys: [agency.xwing],
 *   replayGuard: new MemoryReplayGuard(),
 *   untilEmpty: true,
 *   handler: (opened) => console.log(new TextDecoder().decode(opened.payload)), // report
 * });
 * console.assert(result.processed === 1);
 * await receiver.close();
 * await rm(root, { recursive: true });
 * ```
 */
export class DropFolderTransport implements Transport {
  /** The default of {@link DropFolderOptions.maxEnvelopeBytes}: 1 GiB. */
  static readonly DEFAULT_MAX_ENVELOPE_BYTES = 1024 ** 3;
  private readonly root: string;
  private readonly leaseMs: number;
  private readonly pollIntervalMs: number;
  private readonly maxEnvelopeBytes: number;
  private readonly staleTempMs: number;
  private readonly names = new StoredNameSource();
  private readonly closing = new AbortController();
  private readonly renewals = new Set<LeaseRenewal>();
  /** Per mailbox being received from: what is known of its files (drop-folder-queue.ts). */
  private readonly queues = new Map<string, DropFolderQueue>();

  /** @throws {TypeError} / {RangeError} for invalid options. */
  constructor(options: DropFolderOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
    if (typeof options.root !== 'string' || options.root.length === 0) throw new TypeError('options.root must be a directory path');
    this.root = options.root;
    this.leaseMs = checkPositiveInteger(options.leaseMs, 'options.leaseMs', 60_000);
    this.pollIntervalMs = checkPositiveInteger(options.pollIntervalMs, 'options.pollIntervalMs', 500);
    this.maxEnvelopeBytes = checkPositiveInteger(options.maxEnvelopeBytes, 'options.maxEnvelopeBytes', DropFolderTransport.DEFAULT_MAX_ENVELOPE_BYTES);
    this.staleTempMs = checkPositiveInteger(options.staleTempMs, 'options.staleTempMs', 3_600_000);
  }

  /** @inheritdoc */
  async send(mailbox: string, envelope: EnvelopeBody): Promise<void> {
    checkMailboxId(mailbox);
    checkEnvelopeBody(envelope);
    this.assertOpen();
    await cryptoReady();
    const dir = await this.mailboxDir(mailbox);
    const name = this.names.next();
    try {
      await writeFileDurably(join(dir, 'tmp', name), join(dir, 'new', name), limitEnvelope(envelope, this.maxEnvelopeBytes));
    } catch (e) {
      throw asTransportError(e, 'write to');
    }
    this.queues.get(mailbox)?.added(name);
  }

  /** @inheritdoc */
  receive(mailbox: string, options?: ReceiveOptions): AsyncIterable<Delivery> {
    checkMailboxId(mailbox);
    const o = checkReceiveOptions(options);
    return this.loop(mailbox, o.untilEmpty, o.signal);
  }

  private async *loop(mailbox: string, untilEmpty: boolean, signal: AbortSignal | null): AsyncGenerator<Delivery> {
    this.assertOpen();
    await cryptoReady();
    const renewal = new LeaseRenewal(Math.max(1, Math.floor(this.leaseMs / 3)));
    this.renewals.add(renewal);
    let queue: DropFolderQueue | null = null;
    try {
      const dir = await this.mailboxDir(mailbox).catch((e: unknown) => {
        throw asTransportError(e, 'open');
      });
      await this.removeStaleTemp(dir);
      queue = this.queues.get(mailbox) ?? new DropFolderQueue(dir, this.pollIntervalMs);
      this.queues.set(mailbox, queue);
      queue.users++;
      while (!anyAborted(this.closing.signal, signal)) {
        const claim = await queue.next((c) => this.claim(dir, c)).catch((e: unknown) => {
          throw asTransportError(e, 'read');
        });
        if (claim === null) {
          if (untilEmpty) return;
          await queue.wait(this.pollIntervalMs, this.closing.signal, signal);
          continue;
        }
        renewal.hold(claim.base, () => this.renew(dir, claim));
        const delivery = await this.delivery(dir, claim, renewal);
        // Null: the lease ran out before we could read (the process stalled) and another
        // receiver took the file over; it delivers it.
        if (delivery === null) renewal.release(claim.base);
        else yield delivery;
      }
    } finally {
      renewal.stop();
      this.renewals.delete(renewal);
      if (queue !== null && --queue.users === 0 && this.queues.get(mailbox) === queue) this.queues.delete(mailbox);
    }
  }

  /**
   * Claim one file: rename it (from `new/`, or from a lapsed lease in `cur/`) to a `cur/` name
   * with a fresh expiry and token. Null if another receiver renamed it first.
   */
  private async claim(dir: string, c: ClaimCandidate): Promise<Claim | null> {
    const token = toHex(systemRandom(8));
    const name = leasedName(c.base, Date.now() + this.leaseMs, token);
    try {
      await rename(c.from, join(dir, 'cur', name));
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return null; // another receiver was faster
      throw e;
    }
    return { base: c.base, name, token, settled: false, renewing: null };
  }

  /** Push the lease forward; false once another receiver has taken the file over. */
  private async renew(dir: string, claim: Claim): Promise<boolean> {
    if (claim.settled) return false;
    const next = leasedName(claim.base, Date.now() + this.leaseMs, claim.token);
    const attempt = (async () => {
      try {
        await rename(join(dir, 'cur', claim.name), join(dir, 'cur', next));
        claim.name = next;
        return true;
      } catch (e) {
        if (isErrno(e, 'ENOENT')) return false;
        throw e;
      }
    })();
    claim.renewing = attempt;
    try {
      return await attempt;
    } finally {
      claim.renewing = null;
    }
  }

  private async delivery(dir: string, claim: Claim, renewal: LeaseRenewal): Promise<Delivery | null> {
    const size = await this.withClaimedFile(dir, claim, async (path) => (await stat(path)).size);
    if (size === null) return null;
    let envelope: EnvelopeBody;
    if (size <= INLINE_BYTES) {
      const bytes = await this.withClaimedFile(dir, claim, (path) => readFile(path));
      if (bytes === null) return null;
      envelope = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
    } else {
      envelope = this.streamClaimedFile(dir, claim);
    }
    return {
      id: claim.base,
      envelope,
      ack: async () => {
        this.assertOpen();
        claim.settled = true;
        renewal.release(claim.base);
        await claim.renewing?.catch(() => {});
        try {
          await unlink(join(dir, 'cur', claim.name));
        } catch (e) {
          // Already acked, or the lease expired and another receiver holds it: either way it
          // is not lost, and the contract lets ack resolve.
          if (!isErrno(e, 'ENOENT')) throw asTransportError(e, 'acknowledge in');
        }
      },
    };
  }

  /**
   * Run `fn` on the claimed file's current path, retrying when a renewal renamed it in between.
   * Null if the claim was lost.
   */
  private async withClaimedFile<T>(dir: string, claim: Claim, fn: (path: string) => Promise<T>): Promise<T | null> {
    for (let attempt = 0; attempt < 5; attempt++) {
      await claim.renewing?.catch(() => {});
      const name = claim.name;
      try {
        return await fn(join(dir, 'cur', name));
      } catch (e) {
        if (!isErrno(e, 'ENOENT')) throw asTransportError(e, 'read');
        if (claim.name === name) return null;
      }
    }
    return null;
  }

  private async *streamClaimedFile(dir: string, claim: Claim): AsyncGenerator<Uint8Array> {
    // Opened on first read, so a stream the app never reads holds no file descriptor.
    const handle = await this.withClaimedFile(dir, claim, (path) => open(path, 'r'));
    if (handle === null) {
      throw new LintasError('ERR_TRANSPORT_UNAVAILABLE', 'The envelope was handed to another receiver because this lease expired before it was read; it is not lost');
    }
    // The descriptor stays valid across renames of the file, so renewal does not disturb reading.
    try {
      for (;;) {
        const buffer = new Uint8Array(READ_CHUNK_BYTES);
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
        if (bytesRead === 0) return;
        yield buffer.subarray(0, bytesRead);
      }
    } finally {
      await handle.close();
    }
  }

  private async removeStaleTemp(dir: string): Promise<void> {
    const cutoff = Date.now() - this.staleTempMs;
    for (const name of await readdir(join(dir, 'tmp')).catch(() => [] as string[])) {
      const path = join(dir, 'tmp', name);
      try {
        if ((await stat(path)).mtimeMs < cutoff) await unlink(path);
      } catch {
        // Gone already, or not ours to remove: harmless either way.
      }
    }
  }

  private async mailboxDir(mailbox: string): Promise<string> {
    const dir = join(this.root, mailbox);
    for (const sub of ['tmp', 'new', 'cur']) await mkdir(join(dir, sub), { recursive: true });
    return dir;
  }

  private assertOpen(): void {
    if (this.closing.signal.aborted) throw transportClosed();
  }

  /** @inheritdoc */
  async close(): Promise<void> {
    this.closing.abort();
    for (const r of this.renewals) r.stop();
  }
}

function leasedName(base: string, expiresAtMs: number, token: string): string {
  return `${base}.lease-${String(expiresAtMs)}-${token}`;
}

function asTransportError(e: unknown, what: string): unknown {
  if (e instanceof LintasError || e instanceof TypeError || e instanceof RangeError) return e;
  const code = typeof e === 'object' && e !== null ? String((e as { code?: unknown }).code ?? 'unknown') : 'unknown';
  return new LintasError('ERR_TRANSPORT_UNAVAILABLE', `Could not ${what} the drop folder (${code}); check that it exists, is mounted and writable`, { cause: e });
}
