/**
 * The Redis Streams transport, for agencies that outgrow one relay: one stream per mailbox,
 * one consumer group of receivers per stream, and pending-entry recovery, so an envelope read
 * by a receiver that then died is claimed by another (XAUTOCLAIM) once its lease has expired.
 *
 * The app creates and owns the Redis client (`createClient` from the `redis` package, with its
 * own URL, TLS, ACL user and reconnection policy) and passes it in. This module only describes
 * the one method it calls, `sendCommand`, instead of importing `redis`: lintas then has no
 * runtime dependency on a Redis library, apps that never use Redis do not install one, and the
 * app stays free to pick the client version (or wrap another client in `sendCommand`).
 */
import { LintasError } from '../errors/index.js';
import { anyAborted, LeaseRenewal, pause } from './lease-renewal.js';
import { checkMailboxId } from './mailbox.js';
import { checkRedisDurability, REDIS_DURABILITY_RISKS, type RedisDurabilityRisk } from './redis-server-check.js';
import type { RedisCommandClient } from './redis-command-client.js';

export type { RedisCommandClient, RedisCommandOptions } from './redis-command-client.js';
import { cryptoReady } from '../crypto/sodium.js';
import { systemRandom } from '../crypto/random.js';
import { toHex } from '../envelope/hex.js';
import {
  checkEnvelopeBody,
  checkPositiveInteger,
  checkReceiveOptions,
  envelopeBytes,
  limitEnvelope,
  transportClosed,
  type Delivery,
  type EnvelopeBody,
  type ReceiveOptions,
  type Transport,
} from './transport.js';

/** Options for {@link RedisStreamsTransport}. */
export interface RedisStreamsOptions {
  /** A connected client created and owned by the app; `close()` does not disconnect it. */
  client: RedisCommandClient;
  /**
   * Prefix of the stream keys. The shared stream of a mailbox is `<prefix>{<mailbox id>}` and the
   * stream of sender S is `<prefix>{<mailbox id>}:from:<S>`; the braces are a cluster hash tag,
   * so all streams of one mailbox live in one hash slot. Default "lintas:mailbox:"; no braces.
   */
  keyPrefix?: string;
  /** The consumer group of a mailbox's receivers. Default "lintas". */
  group?: string;
  /** This receiver's name in the group. Default a random name per transport. */
  consumer?: string;
  /**
   * This sender's name (1-64 of `A-Z a-z 0-9 _ . -`): sends go to the mailbox's stream for this
   * sender, which the per-agency ACL layout of docs/TRANSPORTS.md 3.4 lets only this sender
   * write. Default none: sends go to the mailbox's shared stream.
   */
  sender?: string;
  /**
   * The senders whose streams `receive` reads, besides the mailbox's shared stream (which it
   * always reads). Default none.
   */
  senders?: readonly string[];
  /**
   * How long an envelope read by a receiver stays with it without being renewed, in ms; after
   * that another receiver claims it (XAUTOCLAIM). Default 60 000.
   */
  leaseMs?: number;
  /** How often an idle receive loop polls, in ms. Default 500. (Polling, not BLOCK, keeps the app's client usable for other commands.) */
  pollIntervalMs?: number;
  /**
   * How many envelopes one read asks for per stream (`XREADGROUP COUNT`, `XAUTOCLAIM COUNT`);
   * read ones wait in memory, leased and renewed, until the loop hands them out. 1-1000, default
   * 32; fewer where {@link RedisStreamsOptions.maxBatchBytes} asks for it.
   */
  batchSize?: number;
  /**
   * Most bytes of envelopes one receive loop holds read but not yet handed out. Redis cannot read
   * by size, so a read asks for `maxBatchBytes / (maxEnvelopeBytes x streams)` envelopes per
   * stream (at least 1, at most `batchSize`): a batch of envelopes at the size limit fits. Default
   * {@link RedisStreamsTransport.DEFAULT_MAX_BATCH_BYTES} (256 MiB): 4 per read at the default
   * 64 MiB limit; an app whose envelopes are small sets `maxEnvelopeBytes` to match and keeps
   * full batches.
   */
  maxBatchBytes?: number;
  /**
   * Largest envelope accepted, in bytes. Default {@link RedisStreamsTransport.DEFAULT_MAX_ENVELOPE_BYTES}
   * (64 MiB). Redis holds envelopes in memory, and so does this transport while sending one, so
   * this is also the memory a send may take; Redis itself refuses values above its
   * `proto-max-bulk-len` (512 MB by default).
   */
  maxEnvelopeBytes?: number;
  /**
   * Settings that lose acknowledged envelopes which the app knowingly accepts; by default each
   * of them is refused with `ERR_REDIS_UNSAFE_CONFIG` (docs/TRANSPORTS.md 3.4). Default none.
   */
  acceptRisks?: readonly RedisDurabilityRisk[];
  /**
   * The operator confirms `appendfsync always`, for an ACL user that may not run `CONFIG GET`
   * (the check then reads `INFO`, which does not show it). Default false.
   */
  assumeAppendfsyncAlways?: boolean;
  /**
   * Make `send` resolve only once this many replicas have the envelope (`WAIT replicas
   * timeoutMs` after the XADD), so a failover to a replica does not lose it. Default none.
   */
  waitForReplicas?: {
    /** How many replicas must have the envelope before `send` resolves. */
    replicas: number;
    /** How long `WAIT` waits for them, in ms (required: 0 would wait forever). */
    timeoutMs: number;
  };
}

/** Bulk strings as Buffers (RESP type 36 is "$", the blob string). */
const BYTES_MAPPING = { 36: Buffer };

/** Renew our lease only if we still own the pending entry: never steal it back from a new owner. */
const RENEW_SCRIPT = `
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1, ARGV[3])
if #p == 0 then return 0 end
redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[3], 0, ARGV[2], 'JUSTID')
return 1`;

/**
 * Hand an entry read but never handed out back to the group at once: if we still own it, mark it
 * idle for a whole lease (`XCLAIM … IDLE`, no new delivery count) so the next XAUTOCLAIM takes it.
 */
const RELEASE_SCRIPT = `
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1, ARGV[3])
if #p == 0 then return 0 end
redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[3], 0, ARGV[2], 'IDLE', ARGV[4], 'JUSTID')
return 1`;

/** Acknowledge and delete together, so a crash between the two cannot leave a dead entry. */
const ACK_SCRIPT = `
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
return redis.call('XDEL', KEYS[1], ARGV[2])`;

const FIELD = 'e';
const SENDER_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

interface StreamEntry {
  id: string;
  envelope: Uint8Array | null;
}

/** One stream of a mailbox, and the prefix that keeps its entry ids apart from other streams'. */
interface MailboxStream {
  key: string;
  idPrefix: string;
}

/** An entry read, leased to this receiver, and not yet handed out. */
interface ReadEntry extends StreamEntry {
  stream: MailboxStream;
}

/**
 * A {@link Transport} on Redis Streams. Node only. Ordering: FIFO per stream (a mailbox has a
 * shared stream and one per sender). Durability: checked before a mailbox is first used
 * (docs/TRANSPORTS.md 3.4). A mailbox stream must have only this consumer group: acking deletes
 * the entry.
 */
export class RedisStreamsTransport implements Transport {
  /** The default of {@link RedisStreamsOptions.maxEnvelopeBytes}: 64 MiB. */
  static readonly DEFAULT_MAX_ENVELOPE_BYTES = 64 * 1024 * 1024;
  /** The default of {@link RedisStreamsOptions.maxBatchBytes}: 256 MiB. */
  static readonly DEFAULT_MAX_BATCH_BYTES = 256 * 1024 * 1024;
  private readonly client: RedisCommandClient;
  private readonly keyPrefix: string;
  private readonly group: string;
  private readonly consumerName: string | null;
  private readonly sender: string | null;
  private readonly senders: readonly string[];
  private readonly leaseMs: number;
  private readonly pollIntervalMs: number;
  private readonly batchSize: number;
  private readonly maxEnvelopeBytes: number;
  private readonly maxBatchBytes: number;
  private readonly acceptRisks: ReadonlySet<RedisDurabilityRisk>;
  private readonly assumeAppendfsyncAlways: boolean;
  private readonly waitFor: { replicas: number; timeoutMs: number } | null;
  private readonly closing = new AbortController();
  private readonly renewals = new Set<LeaseRenewal>();
  private readonly groupsReady = new Set<string>();
  private readonly checked = new Map<string, Promise<void>>();
  private consumer = '';

  /** @throws {TypeError} / {RangeError} for invalid options. */
  constructor(options: RedisStreamsOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
    if (!options.client || typeof options.client.sendCommand !== 'function') throw new TypeError('options.client must be a Redis client with sendCommand (node-redis)');
    for (const name of ['keyPrefix', 'group', 'consumer'] as const) {
      const v = options[name];
      if (v !== undefined && (typeof v !== 'string' || v.length === 0 || v.length > 200)) throw new TypeError(`options.${name} must be a non-empty string`);
    }
    // A brace in the prefix would move the hash tag off the mailbox id.
    if (options.keyPrefix !== undefined && /[{}]/.test(options.keyPrefix)) throw new RangeError('options.keyPrefix must not contain { or }');
    if (options.sender !== undefined) checkSenderName(options.sender, 'options.sender');
    if (options.senders !== undefined) {
      if (!Array.isArray(options.senders)) throw new TypeError('options.senders must be an array of sender names');
      options.senders.forEach((s, i) => checkSenderName(s, `options.senders[${i}]`));
    }
    if (options.acceptRisks !== undefined) {
      if (!Array.isArray(options.acceptRisks)) throw new TypeError('options.acceptRisks must be an array');
      for (const r of options.acceptRisks) if (!REDIS_DURABILITY_RISKS.includes(r)) throw new RangeError(`options.acceptRisks: "${String(r)}" is not one of ${REDIS_DURABILITY_RISKS.join(', ')}`);
    }
    if (options.assumeAppendfsyncAlways !== undefined && typeof options.assumeAppendfsyncAlways !== 'boolean') throw new TypeError('options.assumeAppendfsyncAlways must be a boolean');
    if (options.waitForReplicas !== undefined) {
      const w = options.waitForReplicas;
      if (w === null || typeof w !== 'object' || w.replicas === undefined || w.timeoutMs === undefined) throw new TypeError('options.waitForReplicas must be { replicas, timeoutMs }');
      this.waitFor = {
        replicas: checkPositiveInteger(w.replicas, 'options.waitForReplicas.replicas', 1),
        // WAIT with timeout 0 blocks forever: a timeout is required.
        timeoutMs: checkPositiveInteger(w.timeoutMs, 'options.waitForReplicas.timeoutMs', 0),
      };
    } else {
      this.waitFor = null;
    }
    this.client = options.client;
    this.keyPrefix = options.keyPrefix ?? 'lintas:mailbox:';
    this.group = options.group ?? 'lintas';
    this.consumerName = options.consumer ?? null;
    this.sender = options.sender ?? null;
    this.senders = [...new Set(options.senders ?? [])];
    this.leaseMs = checkPositiveInteger(options.leaseMs, 'options.leaseMs', 60_000);
    this.pollIntervalMs = checkPositiveInteger(options.pollIntervalMs, 'options.pollIntervalMs', 500);
    this.batchSize = checkPositiveInteger(options.batchSize, 'options.batchSize', 32);
    if (this.batchSize > 1000) throw new RangeError('options.batchSize must be at most 1000');
    this.maxEnvelopeBytes = checkPositiveInteger(options.maxEnvelopeBytes, 'options.maxEnvelopeBytes', RedisStreamsTransport.DEFAULT_MAX_ENVELOPE_BYTES);
    this.maxBatchBytes = checkPositiveInteger(options.maxBatchBytes, 'options.maxBatchBytes', RedisStreamsTransport.DEFAULT_MAX_BATCH_BYTES);
    this.acceptRisks = new Set(options.acceptRisks ?? []);
    this.assumeAppendfsyncAlways = options.assumeAppendfsyncAlways ?? false;
  }

  /**
   * @inheritdoc
   * @throws {@link LintasError} `ERR_REDIS_UNSAFE_CONFIG` if the server can lose acknowledged
   *   envelopes (see `acceptRisks`); `ERR_REDIS_NOT_REPLICATED` if `waitForReplicas` timed out
   *   (the envelope is stored on the primary and may still be delivered: send again and let the
   *   replay guard drop a duplicate); `ERR_TRANSPORT_UNAVAILABLE` if Redis fails.
   */
  async send(mailbox: string, envelope: EnvelopeBody): Promise<void> {
    checkMailboxId(mailbox);
    checkEnvelopeBody(envelope);
    this.assertOpen();
    const key = this.streamKey(mailbox, this.sender);
    await this.checkServer(mailbox, key);
    const bytes = await envelopeBytes(limitEnvelope(envelope, this.maxEnvelopeBytes));
    this.assertOpen();
    // A plain XADD, never with MAXLEN: trimming is how a writer could empty a mailbox (docs/TRANSPORTS.md 3.4).
    await this.command(['XADD', key, '*', FIELD, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)], key);
    if (this.waitFor !== null) {
      const got = Number(await this.command(['WAIT', String(this.waitFor.replicas), String(this.waitFor.timeoutMs)], key));
      if (!(got >= this.waitFor.replicas)) {
        throw new LintasError(
          'ERR_REDIS_NOT_REPLICATED',
          `Only ${got} of ${this.waitFor.replicas} Redis replicas confirmed the envelope within ${this.waitFor.timeoutMs} ms; it is on the primary but a failover could lose it: send it again`,
        );
      }
    }
  }

  /** @inheritdoc */
  receive(mailbox: string, options?: ReceiveOptions): AsyncIterable<Delivery> {
    checkMailboxId(mailbox);
    const o = checkReceiveOptions(options);
    const streams: MailboxStream[] = [
      { key: this.streamKey(mailbox, null), idPrefix: '' },
      ...this.senders.map((s) => ({ key: this.streamKey(mailbox, s), idPrefix: `${s}/` })),
    ];
    return this.loop(mailbox, streams, o.untilEmpty, o.signal);
  }

  /** The shared stream of `mailbox` (sender null) or that of one sender; `{mailbox}` is the cluster hash tag. */
  private streamKey(mailbox: string, sender: string | null): string {
    return `${this.keyPrefix}{${mailbox}}${sender === null ? '' : `:from:${sender}`}`;
  }

  private checkServer(mailbox: string, key: string): Promise<void> {
    let check = this.checked.get(mailbox);
    if (check === undefined) {
      check = checkRedisDurability(this.client, key, this.acceptRisks, this.assumeAppendfsyncAlways);
      this.checked.set(mailbox, check);
      // A failed check (unsafe, or unreachable) is asked again next time.
      check.catch(() => this.checked.delete(mailbox));
    }
    return check;
  }

  private async *loop(mailbox: string, streams: MailboxStream[], untilEmpty: boolean, signal: AbortSignal | null): AsyncGenerator<Delivery> {
    this.assertOpen();
    if (this.consumer === '') {
      await cryptoReady();
      this.consumer = this.consumerName ?? `lintas-${toHex(systemRandom(8))}`;
    }
    await this.checkServer(mailbox, streams[0]!.key);
    for (const s of streams) await this.ensureGroup(s.key);
    const renewal = new LeaseRenewal(Math.max(1, Math.floor(this.leaseMs / 3)));
    this.renewals.add(renewal);
    const cursors = new Map(streams.map((s) => [s.key, '0-0']));
    // Per stream and read; the batch is refilled only once empty, so it holds at most
    // count x streams envelopes: within maxBatchBytes, or one per stream.
    const count = Math.max(1, Math.min(this.batchSize, Math.floor(this.maxBatchBytes / (this.maxEnvelopeBytes * streams.length))));
    const ready: ReadEntry[] = [];
    try {
      while (!anyAborted(this.closing.signal, signal)) {
        if (ready.length === 0) {
          // First envelopes a dead receiver left pending past its lease, then new ones.
          for (const s of streams) {
            const claimed = await this.autoClaim(s, cursors.get(s.key)!, count);
            cursors.set(s.key, claimed.cursor);
            ready.push(...claimed.entries);
          }
          if (ready.length === 0) ready.push(...(await this.readNew(streams, count)));
          for (const e of ready) if (e.envelope !== null) renewal.hold(e.stream.idPrefix + e.id, () => this.renew(e.stream.key, e.id));
          if (ready.length === 0) {
            const scanned = [...cursors.values()].every((c) => c === '0-0');
            if (untilEmpty && scanned) return;
            if (scanned) await pause(this.pollIntervalMs, this.closing.signal, signal);
            continue;
          }
        }
        const entry = ready.shift()!;
        if (entry.envelope === null) {
          // Deleted from the stream while pending (acked and deleted elsewhere): nothing to deliver.
          await this.command(['XACK', entry.stream.key, this.group, entry.id], entry.stream.key);
          continue;
        }
        yield this.delivery(entry.stream, entry.id, entry.envelope, renewal);
      }
    } finally {
      renewal.stop();
      this.renewals.delete(renewal);
      // Entries read in a batch but not handed out go back to the group now, not after a lease.
      // Not awaited: a loop must stop even while Redis is unreachable; if this fails, the lease
      // still runs out and another receiver claims them then.
      for (const e of ready) {
        if (e.envelope === null) continue;
        this.client.sendCommand(['EVAL', RELEASE_SCRIPT, '1', e.stream.key, this.group, e.id, this.consumer, String(this.leaseMs)], { key: e.stream.key }).catch(() => {});
      }
    }
  }

  private async ensureGroup(key: string): Promise<void> {
    if (this.groupsReady.has(key)) return;
    try {
      // From id 0, so envelopes sent before any receiver existed are delivered too.
      await this.client.sendCommand(['XGROUP', 'CREATE', key, this.group, '0', 'MKSTREAM'], { key });
    } catch (e) {
      if (!String((e as Error)?.message).includes('BUSYGROUP')) throw unavailable(e);
    }
    this.groupsReady.add(key);
  }

  private async autoClaim(stream: MailboxStream, cursor: string, count: number): Promise<{ cursor: string; entries: ReadEntry[] }> {
    const reply = await this.command(['XAUTOCLAIM', stream.key, this.group, this.consumer, String(this.leaseMs), cursor, 'COUNT', String(count)], stream.key);
    if (!Array.isArray(reply) || reply.length < 2) throw protocolError();
    return { cursor: text(reply[0]), entries: parseEntries(reply[1]).map((e) => ({ ...e, stream })) };
  }

  /** One XREADGROUP over all streams of the mailbox (one hash slot, so one cluster node). */
  private async readNew(streams: MailboxStream[], count: number): Promise<ReadEntry[]> {
    const first = streams[0]!.key;
    const reply = await this.command(
      ['XREADGROUP', 'GROUP', this.group, this.consumer, 'COUNT', String(count), 'STREAMS', ...streams.map((s) => s.key), ...streams.map(() => '>')],
      first,
    );
    if (reply === null || reply === undefined) return [];
    // RESP2 answers [[key, entries], ...]; RESP3 a map {key: entries} (an object or a Map).
    let perKey: [string, unknown][];
    if (Array.isArray(reply)) perKey = reply.map((r) => (Array.isArray(r) && r.length >= 2 ? [text(r[0]), r[1]] : protocolFail()));
    else if (reply instanceof Map) perKey = [...reply.entries()].map(([k, v]) => [text(k), v]);
    else if (typeof reply === 'object') perKey = Object.entries(reply as Record<string, unknown>);
    else throw protocolError();
    const byKey = new Map(streams.map((s) => [s.key, s]));
    const out: ReadEntry[] = [];
    for (const [key, entries] of perKey) {
      const stream = byKey.get(key);
      if (stream === undefined) throw protocolError();
      for (const e of parseEntries(entries ?? [])) out.push({ ...e, stream });
    }
    return out;
  }

  private async renew(key: string, id: string): Promise<boolean> {
    if (this.closing.signal.aborted) return false;
    try {
      return await renewPendingEntry(this.client, key, this.group, id, this.consumer);
    } catch (e) {
      throw unavailable(e);
    }
  }

  private delivery(stream: MailboxStream, id: string, envelope: Uint8Array, renewal: LeaseRenewal): Delivery {
    const deliveryId = stream.idPrefix + id;
    return {
      id: deliveryId,
      envelope,
      ack: async () => {
        this.assertOpen();
        renewal.release(deliveryId);
        await this.command(['EVAL', ACK_SCRIPT, '1', stream.key, this.group, id], stream.key);
      },
    };
  }

  private async command(args: (string | Buffer)[], key: string): Promise<unknown> {
    try {
      return await this.client.sendCommand(args, { typeMapping: BYTES_MAPPING, key });
    } catch (e) {
      throw unavailable(e);
    }
  }

  private assertOpen(): void {
    if (this.closing.signal.aborted) throw transportClosed();
  }

  /**
   * Stop receiving and renewing leases; later calls fail with `ERR_TRANSPORT_CLOSED`. Idempotent.
   * The Redis client stays connected: it belongs to the app.
   */
  async close(): Promise<void> {
    this.closing.abort();
    for (const r of this.renewals) r.stop();
  }
}

/**
 * Reset the idle time of pending entry `id` if `consumer` still owns it; false if another
 * consumer has claimed it meanwhile (it is then theirs, and stays theirs).
 */
export async function renewPendingEntry(client: RedisCommandClient, key: string, group: string, id: string, consumer: string): Promise<boolean> {
  return Number(await client.sendCommand(['EVAL', RENEW_SCRIPT, '1', key, group, id, consumer], { key })) === 1;
}

function checkSenderName(v: unknown, name: string): void {
  if (typeof v !== 'string') throw new TypeError(`${name} must be a string`);
  // The name becomes part of a key and of the ACL key pattern of that sender: no glob characters.
  if (!SENDER_NAME.test(v)) throw new RangeError(`${name} must be 1-64 of A-Z a-z 0-9 _ . -`);
}

function parseEntries(value: unknown): StreamEntry[] {
  if (!Array.isArray(value)) throw protocolError();
  return value.map((raw) => {
    if (!Array.isArray(raw) || raw.length < 2) throw protocolError();
    const fields = raw[1];
    let envelope: Uint8Array | null = null;
    if (Array.isArray(fields)) {
      for (let i = 0; i + 1 < fields.length; i += 2) {
        if (text(fields[i]) === FIELD) envelope = bytesOf(fields[i + 1]);
      }
      if (envelope === null) throw protocolError();
    }
    return { id: text(raw[0]), envelope };
  });
}

function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.length).toString('utf8');
  throw protocolError();
}

function bytesOf(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return new Uint8Array(v.buffer, v.byteOffset, v.length);
  // A client that ignored typeMapping returns strings, which would corrupt binary envelopes.
  throw new LintasError('ERR_TRANSPORT_UNAVAILABLE', 'The Redis client returned text instead of bytes; use node-redis 4 or later (typeMapping support)');
}

function protocolFail(): never {
  throw protocolError();
}

function protocolError(): LintasError {
  return new LintasError('ERR_TRANSPORT_UNAVAILABLE', 'Unexpected reply from Redis; Redis 6.2 or later is required (XAUTOCLAIM)');
}

function unavailable(cause: unknown): LintasError {
  if (cause instanceof LintasError) return cause;
  return new LintasError('ERR_TRANSPORT_UNAVAILABLE', 'Redis command failed; check that the server is reachable and the client connected', { cause });
}
