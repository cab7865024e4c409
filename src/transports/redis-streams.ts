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

/**
 * The part of a Redis client the transport uses: node-redis's `sendCommand` (v4 and later).
 * Replies are raw RESP values; `typeMapping: { 36: Buffer }` asks for bulk strings as Buffers
 * so envelope bytes arrive intact. Errors are thrown as the client throws them.
 */
export interface RedisCommandClient {
  /** Send one Redis command and return its raw reply. */
  sendCommand(args: ReadonlyArray<string | Buffer>, options?: { typeMapping?: { [respType: number]: unknown } }): Promise<unknown>;
}

/** Options for {@link RedisStreamsTransport}. */
export interface RedisStreamsOptions {
  /** A connected client created and owned by the app; `close()` does not disconnect it. */
  client: RedisCommandClient;
  /** Prefix of the stream keys; the stream of a mailbox is `<prefix><mailbox id>`. Default "lintas:mailbox:". */
  keyPrefix?: string;
  /** The consumer group of a mailbox's receivers. Default "lintas". */
  group?: string;
  /** This receiver's name in the group. Default a random name per transport. */
  consumer?: string;
  /**
   * How long an envelope read by a receiver stays with it without being renewed, in ms; after
   * that another receiver claims it (XAUTOCLAIM). Default 60 000.
   */
  leaseMs?: number;
  /** How often an idle receive loop polls, in ms. Default 500. (Polling, not BLOCK, keeps the app's client usable for other commands.) */
  pollIntervalMs?: number;
  /** Largest envelope accepted, in bytes. Default 64 MiB. Redis holds envelopes in memory. */
  maxEnvelopeBytes?: number;
}

/** Bulk strings as Buffers (RESP type 36 is "$", the blob string). */
const BYTES = { typeMapping: { 36: Buffer } };

/** Renew our lease only if we still own the pending entry: never steal it back from a new owner. */
const RENEW_SCRIPT = `
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1, ARGV[3])
if #p == 0 then return 0 end
redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[3], 0, ARGV[2], 'JUSTID')
return 1`;

/** Acknowledge and delete together, so a crash between the two cannot leave a dead entry. */
const ACK_SCRIPT = `
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
return redis.call('XDEL', KEYS[1], ARGV[2])`;

const FIELD = 'e';

interface StreamEntry {
  id: string;
  envelope: Uint8Array | null;
}

/**
 * A {@link Transport} on Redis Streams. Node only. Ordering: FIFO per mailbox (stream order).
 * Durability: as configured in Redis (AOF with `appendfsync always` for fsync before the reply).
 * A mailbox stream must have only this consumer group: acking deletes the entry.
 */
export class RedisStreamsTransport implements Transport {
  private readonly client: RedisCommandClient;
  private readonly keyPrefix: string;
  private readonly group: string;
  private readonly consumerName: string | null;
  private readonly leaseMs: number;
  private readonly pollIntervalMs: number;
  private readonly maxEnvelopeBytes: number;
  private readonly closing = new AbortController();
  private readonly renewals = new Set<LeaseRenewal>();
  private readonly groupsReady = new Set<string>();
  private consumer = '';

  /** @throws {TypeError} / {RangeError} for invalid options. */
  constructor(options: RedisStreamsOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
    if (!options.client || typeof options.client.sendCommand !== 'function') throw new TypeError('options.client must be a Redis client with sendCommand (node-redis)');
    for (const name of ['keyPrefix', 'group', 'consumer'] as const) {
      const v = options[name];
      if (v !== undefined && (typeof v !== 'string' || v.length === 0 || v.length > 200)) throw new TypeError(`options.${name} must be a non-empty string`);
    }
    this.client = options.client;
    this.keyPrefix = options.keyPrefix ?? 'lintas:mailbox:';
    this.group = options.group ?? 'lintas';
    this.consumerName = options.consumer ?? null;
    this.leaseMs = checkPositiveInteger(options.leaseMs, 'options.leaseMs', 60_000);
    this.pollIntervalMs = checkPositiveInteger(options.pollIntervalMs, 'options.pollIntervalMs', 500);
    this.maxEnvelopeBytes = checkPositiveInteger(options.maxEnvelopeBytes, 'options.maxEnvelopeBytes', 64 * 1024 * 1024);
  }

  /** @inheritdoc */
  async send(mailbox: string, envelope: EnvelopeBody): Promise<void> {
    checkMailboxId(mailbox);
    checkEnvelopeBody(envelope);
    this.assertOpen();
    const bytes = await envelopeBytes(limitEnvelope(envelope, this.maxEnvelopeBytes));
    this.assertOpen();
    await this.command(['XADD', this.keyPrefix + mailbox, '*', FIELD, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)]);
  }

  /** @inheritdoc */
  receive(mailbox: string, options?: ReceiveOptions): AsyncIterable<Delivery> {
    checkMailboxId(mailbox);
    const o = checkReceiveOptions(options);
    return this.loop(this.keyPrefix + mailbox, o.untilEmpty, o.signal);
  }

  private async *loop(key: string, untilEmpty: boolean, signal: AbortSignal | null): AsyncGenerator<Delivery> {
    this.assertOpen();
    if (this.consumer === '') {
      await cryptoReady();
      this.consumer = this.consumerName ?? `lintas-${toHex(systemRandom(8))}`;
    }
    await this.ensureGroup(key);
    const renewal = new LeaseRenewal(Math.max(1, Math.floor(this.leaseMs / 3)));
    this.renewals.add(renewal);
    let cursor = '0-0';
    try {
      while (!anyAborted(this.closing.signal, signal)) {
        // First envelopes a dead receiver left pending past its lease, then new ones.
        const claimed = await this.autoClaim(key, cursor);
        cursor = claimed.cursor;
        const entry = claimed.entry ?? (await this.readNew(key));
        if (entry === null) {
          if (untilEmpty && cursor === '0-0') return;
          if (cursor === '0-0') await pause(this.pollIntervalMs, this.closing.signal, signal);
          continue;
        }
        if (entry.envelope === null) {
          // Deleted from the stream while pending (acked and deleted elsewhere): nothing to deliver.
          await this.command(['XACK', key, this.group, entry.id]);
          continue;
        }
        renewal.hold(entry.id, () => this.renew(key, entry.id));
        yield this.delivery(key, entry.id, entry.envelope, renewal);
      }
    } finally {
      renewal.stop();
      this.renewals.delete(renewal);
    }
  }

  private async ensureGroup(key: string): Promise<void> {
    if (this.groupsReady.has(key)) return;
    try {
      // From id 0, so envelopes sent before any receiver existed are delivered too.
      await this.client.sendCommand(['XGROUP', 'CREATE', key, this.group, '0', 'MKSTREAM']);
    } catch (e) {
      if (!String((e as Error)?.message).includes('BUSYGROUP')) throw unavailable(e);
    }
    this.groupsReady.add(key);
  }

  private async autoClaim(key: string, cursor: string): Promise<{ cursor: string; entry: StreamEntry | null }> {
    const reply = await this.command(['XAUTOCLAIM', key, this.group, this.consumer, String(this.leaseMs), cursor, 'COUNT', '1']);
    if (!Array.isArray(reply) || reply.length < 2) throw protocolError();
    const entries = parseEntries(reply[1]);
    return { cursor: text(reply[0]), entry: entries[0] ?? null };
  }

  private async readNew(key: string): Promise<StreamEntry | null> {
    const reply = await this.command(['XREADGROUP', 'GROUP', this.group, this.consumer, 'COUNT', '1', 'STREAMS', key, '>']);
    if (reply === null || reply === undefined) return null;
    // RESP2 answers [[key, entries]]; RESP3 a map {key: entries} (an object or a Map).
    let entries: unknown;
    if (Array.isArray(reply)) entries = (reply[0] as unknown[] | undefined)?.[1];
    else if (reply instanceof Map) entries = [...reply.values()][0];
    else if (typeof reply === 'object') entries = Object.values(reply as Record<string, unknown>)[0];
    return parseEntries(entries ?? [])[0] ?? null;
  }

  private async renew(key: string, id: string): Promise<boolean> {
    if (this.closing.signal.aborted) return false;
    try {
      return await renewPendingEntry(this.client, key, this.group, id, this.consumer);
    } catch (e) {
      throw unavailable(e);
    }
  }

  private delivery(key: string, id: string, envelope: Uint8Array, renewal: LeaseRenewal): Delivery {
    return {
      id,
      envelope,
      ack: async () => {
        this.assertOpen();
        renewal.release(id);
        await this.command(['EVAL', ACK_SCRIPT, '1', key, this.group, id]);
      },
    };
  }

  private async command(args: (string | Buffer)[]): Promise<unknown> {
    try {
      return await this.client.sendCommand(args, BYTES);
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
  return Number(await client.sendCommand(['EVAL', RENEW_SCRIPT, '1', key, group, id, consumer])) === 1;
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

function protocolError(): LintasError {
  return new LintasError('ERR_TRANSPORT_UNAVAILABLE', 'Unexpected reply from Redis; Redis 6.2 or later is required (XAUTOCLAIM)');
}

function unavailable(cause: unknown): LintasError {
  if (cause instanceof LintasError) return cause;
  return new LintasError('ERR_TRANSPORT_UNAVAILABLE', 'Redis command failed; check that the server is reachable and the client connected', { cause });
}
