/**
 * The NATS JetStream transport (docs/TRANSPORTS.md 3.6), for agencies that outgrow one relay
 * and want an existing, distributed engine they can run offline and federate (leaf nodes).
 *
 * Layout: one stream per deployment (default `LINTAS`) holding the subjects
 * `<prefix>.mailbox.<mailbox id>` and `<prefix>.dead.<mailbox id>`, with workqueue retention, so
 * an ack removes the envelope; one durable pull consumer per mailbox (`mailbox-<mailbox id>`),
 * filtered on its subject, with explicit acks. One stream, not one per mailbox: replication,
 * limits, permissions and leaf-node links are then set up once, and a new mailbox costs one
 * consumer instead of a Raft group.
 *
 * - Lease: the consumer's AckWait. A receiver renews the leases of the deliveries it holds with
 *   in-progress acks (`+WPI`); one that dies stops renewing, and JetStream redelivers.
 * - Dead letters: a delivery made more than `maxDeliveries` times is moved to
 *   `<prefix>.dead.<mailbox id>` (stored before the original is acked) instead of being handed
 *   out again; the consumer's MaxDeliver (`maxDeliveries + 1`) stops the server from delivering
 *   it beyond that.
 * - Send resolves on the PubAck, which JetStream sends once the envelope is stored, on a
 *   replicated stream once a majority of its replicas has it. Each send carries a random
 *   `Nats-Msg-Id`, so retrying a publish whose PubAck was lost (a leader change) stores it once.
 */
import { LintasError } from '../errors/index.js';
import { cryptoReady } from '../crypto/sodium.js';
import { systemRandom } from '../crypto/random.js';
import { toHex } from '../envelope/hex.js';
import { anyAborted, LeaseRenewal, pause } from './lease-renewal.js';
import { checkMailboxId } from './mailbox.js';
import { askAgainOnTimeout, loadJetStream, natsFailure, timedOut, type NatsConnectionLike } from './nats-connection.js';
import { checkNatsStream, NATS_DURABILITY_RISKS, type NatsDurabilityRisk } from './nats-stream-check.js';
import {
  checkEnvelopeBody,
  checkPositiveInteger,
  checkReceiveOptions,
  envelopeBytes,
  envelopeTooLarge,
  limitEnvelope,
  transportClosed,
  type Delivery,
  type EnvelopeBody,
  type ReceiveOptions,
  type Transport,
} from './transport.js';
import type { JetStreamClient, JetStreamManager, StreamConfig } from '@nats-io/jetstream';

export type { NatsConnectionLike, NatsMessageLike } from './nats-connection.js';
export type { NatsDurabilityRisk } from './nats-stream-check.js';

/** Options for {@link NatsJetStreamTransport}. */
export interface NatsJetStreamOptions {
  /** A connected `NatsConnection` created and owned by the app; `close()` does not close it. */
  connection: NatsConnectionLike;
  /** The stream of the deployment. Default "LINTAS". */
  stream?: string;
  /** First tokens of the subjects: `<prefix>.mailbox.<id>`, `<prefix>.dead.<id>`. Default "lintas". */
  subjectPrefix?: string;
  /**
   * Replicas the stream must have (and is created with). Fewer is refused with
   * `ERR_NATS_UNSAFE_CONFIG` unless `acceptRisks` has 'loss-on-node-failure'. Default 1.
   */
  replicas?: number;
  /** Create the stream if it does not exist. Default true; false where the user may not (docs/TRANSPORTS.md 3.6). */
  createStream?: boolean;
  /** Create a mailbox's consumer if it does not exist. Default true. */
  createConsumers?: boolean;
  /**
   * The lease, in ms: the AckWait of consumers this transport creates. An existing consumer's
   * AckWait is used as it is. Default 60 000.
   */
  leaseMs?: number;
  /**
   * Deliveries of one envelope before it is moved to the dead-letter subject; consumers are
   * created with MaxDeliver one higher. An existing consumer's MaxDeliver is used as it is.
   * Default 10.
   */
  maxDeliveries?: number;
  /** Envelopes one pull asks for (1-256); they wait in memory, leased and renewed. Default 32. */
  batchSize?: number;
  /** How long one waiting pull lasts on the server before it is asked again, in ms. Default 5 000. */
  pollIntervalMs?: number;
  /**
   * Largest envelope accepted, in bytes. Default and upper bound: the server's `max_payload`
   * (1 MiB unless configured; at most 64 MiB) less {@link NatsJetStreamTransport.HEADER_ROOM}, and
   * the stream's `max_msg_size` if set.
   */
  maxEnvelopeBytes?: number;
  /** How long a send keeps retrying while no server stores it (leader election), in ms. Default 30 000. */
  publishTimeoutMs?: number;
  /** How long one request (ack, consumer info) waits for the server, in ms. Default 5 000. */
  requestTimeoutMs?: number;
  /** Settings that lose acknowledged envelopes which the app knowingly accepts. Default none. */
  acceptRisks?: readonly NatsDurabilityRisk[];
  /**
   * The subject prefix of the JetStream API. Default "$JS.API". Another agency's stream reached
   * across a leaf node answers under the name its account imports the API as (JetStream denies
   * `$JS.API.>` across leaf nodes), e.g. "polri.jsapi" (docs/TRANSPORTS.md 3.6, "Two agencies").
   */
  apiPrefix?: string;
  /**
   * The inbox prefix the connection was opened with (`inboxPrefix` of `connect`); pulls are
   * answered below it. Default: the connection's own, else "_INBOX".
   */
  inboxPrefix?: string;
}

/** A stream or consumer name: no subject syntax (`.`, `*`, `>`), no spaces or path characters. */
const NAME = /^[A-Za-z0-9_-]{1,200}$/;
/** Subject tokens without wildcards. */
const SUBJECT_PREFIX = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const NANOS_PER_MS = 1_000_000;

/** What the stream check learned, once per transport. */
interface StreamFacts {
  /** The largest envelope the stream and server take. */
  maxEnvelopeBytes: number;
}

/** A mailbox's consumer as it is on the server. */
interface MailboxConsumer {
  name: string;
  leaseMs: number;
  /** Deliveries after which an envelope goes to the dead letters; null: never. */
  deadAfter: number | null;
}

/** One envelope pulled for this receiver and not yet handed out. */
interface Pulled {
  seq: string;
  deliveries: number;
  reply: string;
  data: Uint8Array;
}

/**
 * A {@link Transport} on NATS JetStream. Node only. Ordering: FIFO per mailbox. Durability:
 * checked before the stream is first used (docs/TRANSPORTS.md 3.6).
 */
export class NatsJetStreamTransport implements Transport {
  /** Bytes of `max_payload` kept for the subject and headers of a publish. */
  static readonly HEADER_ROOM = 1024;
  private readonly nc: NatsConnectionLike;
  private readonly streamName: string;
  private readonly prefix: string;
  private readonly replicas: number;
  private readonly createStream: boolean;
  private readonly createConsumers: boolean;
  private readonly leaseMs: number;
  private readonly maxDeliveries: number;
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly maxEnvelopeBytes: number | null;
  private readonly publishTimeoutMs: number;
  private readonly requestTimeoutMs: number;
  private readonly acceptRisks: ReadonlySet<NatsDurabilityRisk>;
  private readonly inboxPrefix: string;
  private readonly apiPrefix: string;
  private readonly closing = new AbortController();
  private readonly renewals = new Set<LeaseRenewal>();
  private readonly pulls = new Set<() => void>();
  private streamReady: Promise<StreamFacts> | null = null;
  private clients: Promise<{ js: JetStreamClient; jsm: JetStreamManager }> | null = null;

  /** @throws {TypeError} / {RangeError} for invalid options. */
  constructor(options: NatsJetStreamOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
    const c = options.connection;
    if (!c || typeof c.publish !== 'function' || typeof c.subscribe !== 'function' || typeof c.request !== 'function') {
      throw new TypeError('options.connection must be a NatsConnection (connect() of @nats-io/transport-node)');
    }
    if (options.stream !== undefined && (typeof options.stream !== 'string' || !NAME.test(options.stream))) throw new RangeError('options.stream must be 1-200 of A-Z a-z 0-9 _ -');
    // The prefix becomes subject tokens and permission patterns: no wildcards, no empty tokens.
    if (options.subjectPrefix !== undefined && (typeof options.subjectPrefix !== 'string' || !SUBJECT_PREFIX.test(options.subjectPrefix))) {
      throw new RangeError('options.subjectPrefix must be dot-separated tokens of A-Z a-z 0-9 _ -');
    }
    if (options.inboxPrefix !== undefined && (typeof options.inboxPrefix !== 'string' || !SUBJECT_PREFIX.test(options.inboxPrefix))) {
      throw new RangeError('options.inboxPrefix must be dot-separated tokens of A-Z a-z 0-9 _ -');
    }
    for (const name of ['createStream', 'createConsumers'] as const) {
      if (options[name] !== undefined && typeof options[name] !== 'boolean') throw new TypeError(`options.${name} must be a boolean`);
    }
    if (options.acceptRisks !== undefined) {
      if (!Array.isArray(options.acceptRisks)) throw new TypeError('options.acceptRisks must be an array');
      for (const r of options.acceptRisks) if (!NATS_DURABILITY_RISKS.includes(r)) throw new RangeError(`options.acceptRisks: "${String(r)}" is not one of ${NATS_DURABILITY_RISKS.join(', ')}`);
    }
    this.nc = c;
    this.streamName = options.stream ?? 'LINTAS';
    this.prefix = options.subjectPrefix ?? 'lintas';
    this.replicas = checkPositiveInteger(options.replicas, 'options.replicas', 1);
    if (this.replicas > 5) throw new RangeError('options.replicas must be at most 5 (the JetStream maximum)');
    this.createStream = options.createStream ?? true;
    this.createConsumers = options.createConsumers ?? true;
    this.leaseMs = checkPositiveInteger(options.leaseMs, 'options.leaseMs', 60_000);
    this.maxDeliveries = checkPositiveInteger(options.maxDeliveries, 'options.maxDeliveries', 10);
    this.batchSize = checkPositiveInteger(options.batchSize, 'options.batchSize', 32);
    if (this.batchSize > 256) throw new RangeError('options.batchSize must be at most 256');
    this.pollIntervalMs = checkPositiveInteger(options.pollIntervalMs, 'options.pollIntervalMs', 5_000);
    this.maxEnvelopeBytes = options.maxEnvelopeBytes === undefined ? null : checkPositiveInteger(options.maxEnvelopeBytes, 'options.maxEnvelopeBytes', 0);
    this.publishTimeoutMs = checkPositiveInteger(options.publishTimeoutMs, 'options.publishTimeoutMs', 30_000);
    this.requestTimeoutMs = checkPositiveInteger(options.requestTimeoutMs, 'options.requestTimeoutMs', 5_000);
    this.acceptRisks = new Set(options.acceptRisks ?? []);
    if (options.apiPrefix !== undefined && (typeof options.apiPrefix !== 'string' || !/^\$?[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(options.apiPrefix))) {
      throw new RangeError('options.apiPrefix must be dot-separated tokens of A-Z a-z 0-9 _ - (the first may start with $)');
    }
    this.apiPrefix = options.apiPrefix ?? '$JS.API';
    const own = (c as { options?: { inboxPrefix?: unknown } }).options?.inboxPrefix;
    this.inboxPrefix = options.inboxPrefix ?? (typeof own === 'string' && own !== '' ? own : '_INBOX');
  }

  /** The subject of a mailbox's envelopes. */
  mailboxSubject(mailbox: string): string {
    return `${this.prefix}.mailbox.${checkMailboxId(mailbox)}`;
  }

  /** The subject a mailbox's dead letters are moved to. */
  deadLetterSubject(mailbox: string): string {
    return `${this.prefix}.dead.${checkMailboxId(mailbox)}`;
  }

  /** The name of a mailbox's durable consumer. */
  static consumerName(mailbox: string): string {
    return `mailbox-${checkMailboxId(mailbox)}`;
  }

  /**
   * @inheritdoc
   * @throws {@link LintasError} `ERR_NATS_UNSAFE_CONFIG` if the stream can lose acknowledged
   *   envelopes (see `acceptRisks`); `ERR_NATS_PERMISSION_DENIED` if this user may not publish
   *   there; `ERR_TRANSPORT_UNAVAILABLE` if no server stored it within `publishTimeoutMs` (it may
   *   still have been stored: send again, and the replay guard drops a duplicate).
   */
  async send(mailbox: string, envelope: EnvelopeBody): Promise<void> {
    const subject = this.mailboxSubject(mailbox);
    checkEnvelopeBody(envelope);
    this.assertOpen();
    const facts = await this.stream();
    const limit = Math.min(this.maxEnvelopeBytes ?? Infinity, facts.maxEnvelopeBytes);
    const bytes = await envelopeBytes(limitEnvelope(envelope, limit));
    this.assertOpen();
    await cryptoReady();
    await this.publish(subject, bytes, toHex(systemRandom(16)), limit);
  }

  /** @inheritdoc */
  receive(mailbox: string, options?: ReceiveOptions): AsyncIterable<Delivery> {
    checkMailboxId(mailbox);
    const o = checkReceiveOptions(options);
    return this.loop(mailbox, o.untilEmpty, o.signal);
  }

  private async *loop(mailbox: string, untilEmpty: boolean, signal: AbortSignal | null): AsyncGenerator<Delivery> {
    this.assertOpen();
    await this.stream();
    const consumer = await this.consumer(mailbox);
    const renewal = new LeaseRenewal(Math.max(1, Math.floor(consumer.leaseMs / 3)));
    this.renewals.add(renewal);
    const ready: Pulled[] = [];
    try {
      while (!anyAborted(this.closing.signal, signal)) {
        if (ready.length === 0) {
          // What is there now, in one batch; only when there is nothing, wait for the next one.
          const now = await this.pull(consumer, false, signal);
          // Without an answer "empty" is not known (a server is failing over): say so rather than end early.
          if (untilEmpty && !now.answered && !anyAborted(this.closing.signal, signal)) {
            throw natsFailure(new Error(`no answer to a pull within ${this.requestTimeoutMs} ms`), 'pulling envelopes');
          }
          let got = now.messages;
          if (got.length === 0 && !untilEmpty) {
            const started = Date.now();
            got = (await this.pull(consumer, true, signal)).messages;
            // A waiting pull that ended at once (a 409 or 503 status, a reconnecting connection): do not spin.
            if (got.length === 0 && Date.now() - started < 100) await pause(200, this.closing.signal, signal);
          }
          if (anyAborted(this.closing.signal, signal)) {
            // Closed or aborted while the pull was under way: hand its envelopes back.
            for (const m of got) this.publishQuietly(m.reply, '-NAK');
            return;
          }
          for (const m of got) renewal.hold(m.seq, () => this.renew(m.reply));
          ready.push(...got);
          if (ready.length === 0) {
            if (untilEmpty) return;
            continue;
          }
        }
        const m = ready.shift()!;
        if (consumer.deadAfter !== null && m.deliveries > consumer.deadAfter) {
          await this.deadLetter(mailbox, m);
          renewal.release(m.seq);
          continue;
        }
        yield this.delivery(m, renewal);
      }
    } finally {
      renewal.stop();
      this.renewals.delete(renewal);
      // Envelopes pulled but not handed out go back at once (a NAK), not after a lease. Each
      // counts as a delivery towards maxDeliveries. Not awaited: a loop must stop even while the
      // server is unreachable; the lease then runs out instead.
      for (const m of ready) this.publishQuietly(m.reply, '-NAK');
    }
  }

  /**
   * One pull request on the mailbox's consumer. Without `wait`: up to `batchSize` envelopes
   * available now (no_wait: the server answers at once, 404 when there is nothing). With
   * `wait`: one envelope, waiting up to `pollIntervalMs` on the server. A waiting request asks
   * for one only because JetStream keeps a request open until its batch is full: envelopes
   * delivered to it while this receiver is not reading would sit unrenewed until their lease
   * runs out.
   */
  private async pull(consumer: MailboxConsumer, wait: boolean, signal: AbortSignal | null): Promise<{ messages: Pulled[]; answered: boolean }> {
    await cryptoReady();
    const inbox = `${this.inboxPrefix}.${toHex(systemRandom(12))}`;
    let sub: ReturnType<NatsConnectionLike['subscribe']>;
    try {
      sub = this.nc.subscribe(inbox);
    } catch (e) {
      throw natsFailure(e, 'subscribing to its pull inbox');
    }
    const out: Pulled[] = [];
    // True once the server has answered: the batch is full, or "no more" (404 none, 408 expired).
    let answered = false;
    const stop = (): void => sub.unsubscribe();
    this.pulls.add(stop);
    signal?.addEventListener('abort', stop, { once: true });
    if (anyAborted(this.closing.signal, signal)) {
      // Closed while this pull was being set up: ask the server for nothing.
      signal?.removeEventListener('abort', stop);
      this.pulls.delete(stop);
      sub.unsubscribe();
      return { messages: [], answered: true };
    }
    // A server that dies mid-pull never answers: give up a little after the request would expire.
    const timer = setTimeout(stop, (wait ? this.pollIntervalMs : 0) + this.requestTimeoutMs);
    const batch = wait ? 1 : this.batchSize;
    try {
      const request = wait ? { batch, expires: this.pollIntervalMs * NANOS_PER_MS } : { batch, no_wait: true };
      this.nc.publish(`${this.apiPrefix}.CONSUMER.MSG.NEXT.${this.streamName}.${consumer.name}`, JSON.stringify(request), { reply: inbox });
      for await (const m of sub) {
        const reply = m.reply ?? '';
        // Anything not carrying an ack subject is a status (404 no messages, 408 expired, 409, 503 ...): the pull is over.
        if (!reply.startsWith('$JS.ACK.')) {
          const code = m.headers?.code;
          answered = code === 404 || code === 408;
          break;
        }
        const info = ackInfo(reply);
        if (info === null) continue;
        // A copy: the client's message data is a view into its read buffer.
        out.push({ ...info, reply, data: new Uint8Array(m.data) });
        if (out.length === batch) {
          answered = true;
          break;
        }
      }
    } catch (e) {
      for (const m of out) this.publishQuietly(m.reply, '-NAK');
      if (anyAborted(this.closing.signal, signal)) return { messages: [], answered: true };
      throw natsFailure(e, 'pulling envelopes');
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', stop);
      this.pulls.delete(stop);
      sub.unsubscribe();
    }
    if (out.length === 0 && wait && !anyAborted(this.closing.signal, signal) && this.nc.isClosed()) {
      throw natsFailure(new Error('the connection is closed'), 'pulling envelopes');
    }
    return { messages: out, answered };
  }

  private async renew(reply: string): Promise<boolean> {
    if (this.closing.signal.aborted) return false;
    // An in-progress ack restarts the AckWait of this delivery. There is no answer to know that
    // the lease is still ours: a lost lease shows as a redelivery, which the replay guard absorbs.
    this.nc.publish(reply, '+WPI');
    return true;
  }

  private delivery(m: Pulled, renewal: LeaseRenewal): Delivery {
    let acked = false;
    return {
      id: m.seq,
      envelope: m.data,
      ack: async () => {
        this.assertOpen();
        if (acked) return;
        renewal.release(m.seq);
        await this.confirmedAck(m.reply);
        acked = true;
      },
    };
  }

  /**
   * Ack and wait for the server's answer: once it resolves, the envelope is gone. An ack the
   * server leaves unanswered for the request timeout (a loaded server) is sent again
   * ({@link askAgainOnTimeout}): acking is idempotent, and the server answers an ack of an
   * envelope already acked (tested), so a repeat of one that landed unseen resolves too.
   */
  private async confirmedAck(reply: string): Promise<void> {
    try {
      await askAgainOnTimeout(() => this.nc.request(reply, '+ACK', { timeout: this.requestTimeoutMs }));
    } catch (e) {
      throw natsFailure(e, 'acknowledging an envelope');
    }
  }

  /** Store the envelope under the dead-letter subject, then ack the original (a crash in between leaves a copy in each, never none). */
  private async deadLetter(mailbox: string, m: Pulled): Promise<void> {
    await this.publish(this.deadLetterSubject(mailbox), m.data, `dead-${this.streamName}-${m.seq}`, Infinity);
    await this.confirmedAck(m.reply);
  }

  /**
   * Publish with the stream named as expected (JetStream refuses it if another stream would
   * take it) and retry while no server answers, with the same message id so JetStream stores
   * it once (its duplicate window, 2 minutes by default, must exceed `publishTimeoutMs`).
   */
  private async publish(subject: string, data: Uint8Array, msgID: string, limit: number): Promise<void> {
    const { js } = await this.jetstream();
    const deadline = Date.now() + this.publishTimeoutMs;
    let wait = 100;
    for (;;) {
      this.assertOpen();
      try {
        const ack = await js.publish(subject, data, { msgID, expect: { streamName: this.streamName }, timeout: Math.min(this.requestTimeoutMs, Math.max(1, deadline - Date.now())) });
        if (ack.stream !== this.streamName) throw new LintasError('ERR_TRANSPORT_UNAVAILABLE', `JetStream stored the envelope in stream "${ack.stream}", not "${this.streamName}"`);
        return;
      } catch (e) {
        if (e instanceof LintasError) throw e;
        const code = (e as { code?: unknown }).code;
        // 10054: the message is larger than the stream's max_msg_size.
        if (code === 10054) throw envelopeTooLarge(limit === Infinity ? data.length - 1 : limit);
        if (!retryable(e) || Date.now() >= deadline) throw natsFailure(e, `storing an envelope in stream ${this.streamName}`);
      }
      await pause(Math.min(wait, Math.max(0, deadline - Date.now())), this.closing.signal);
      wait = Math.min(wait * 2, 1000);
    }
  }

  private jetstream(): Promise<{ js: JetStreamClient; jsm: JetStreamManager }> {
    this.clients ??= (async () => {
      const mod = await loadJetStream();
      const nc = this.nc as unknown as Parameters<typeof mod.jetstream>[0];
      // checkAPI false: no `$JS.API.INFO` request, which the documented permissions do not grant.
      const options = { timeout: this.requestTimeoutMs, apiPrefix: this.apiPrefix };
      return { js: mod.jetstream(nc, options), jsm: await mod.jetstreamManager(nc, { ...options, checkAPI: false }) };
    })().catch((e: unknown) => {
      this.clients = null;
      throw e;
    });
    return this.clients;
  }

  /** Check (or create) the stream once; a failed check is asked again next time. */
  private stream(): Promise<StreamFacts> {
    this.streamReady ??= this.checkStream().catch((e: unknown) => {
      this.streamReady = null;
      throw e;
    });
    return this.streamReady;
  }

  private async checkStream(): Promise<StreamFacts> {
    const { jsm } = await this.jetstream();
    let config: StreamConfig;
    try {
      config = (await jsm.streams.info(this.streamName)).config;
    } catch (e) {
      if (!isNotFound(e, 10059)) throw natsFailure(e, `reading the configuration of stream ${this.streamName}`);
      if (!this.createStream) throw new LintasError('ERR_NATS_UNSAFE_CONFIG', `The JetStream stream "${this.streamName}" does not exist; create it as docs/TRANSPORTS.md 3.6 shows`);
      config = await this.addStream(jsm);
    }
    checkNatsStream(config, this.replicas, this.acceptRisks);
    const maxPayload = this.nc.info?.max_payload ?? 1024 * 1024;
    let max = maxPayload - NatsJetStreamTransport.HEADER_ROOM;
    if (config.max_msg_size !== undefined && config.max_msg_size > 0) max = Math.min(max, config.max_msg_size - NatsJetStreamTransport.HEADER_ROOM);
    return { maxEnvelopeBytes: Math.max(1, max) };
  }

  private async addStream(jsm: JetStreamManager): Promise<StreamConfig> {
    const wanted: Partial<StreamConfig> & { name: string } = {
      name: this.streamName,
      subjects: [`${this.prefix}.mailbox.*`, `${this.prefix}.dead.*`],
      retention: 'workqueue' as StreamConfig['retention'],
      storage: 'file' as StreamConfig['storage'],
      num_replicas: this.replicas,
      discard: 'new' as StreamConfig['discard'],
      duplicate_window: 120_000 * NANOS_PER_MS,
      // Nobody deletes or purges envelopes through the API, whatever their permissions; acks
      // still remove them (workqueue retention).
      deny_delete: true,
      deny_purge: true,
      allow_rollup_hdrs: false,
    };
    try {
      return (await jsm.streams.add(wanted)).config;
    } catch (e) {
      // Another process created it first (10058: stream name already in use): read theirs.
      if ((e as { code?: unknown }).code === 10058) return (await jsm.streams.info(this.streamName)).config;
      throw natsFailure(e, `creating stream ${this.streamName}`);
    }
  }

  /**
   * The consumer's configuration. A request that times out is asked again (3 tries, 500 ms
   * apart): while a replicated stream elects a new leader after a server dies, JetStream answers
   * nothing for a moment, and a receive loop must not end over it (test/transports/nats-cluster.test.ts).
   */
  private async consumerInfo(jsm: Awaited<ReturnType<NatsJetStreamTransport['jetstream']>>['jsm'], name: string): Promise<{ ack_wait?: number; max_deliver?: number }> {
    for (let attempt = 1; ; attempt++) {
      try {
        return (await jsm.consumers.info(this.streamName, name)).config;
      } catch (e) {
        if ((e as { name?: unknown }).name !== 'TimeoutError' || attempt >= 3) throw e;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  private async consumer(mailbox: string): Promise<MailboxConsumer> {
    const { jsm } = await this.jetstream();
    const name = NatsJetStreamTransport.consumerName(mailbox);
    let config: { ack_wait?: number; max_deliver?: number };
    try {
      config = await this.consumerInfo(jsm, name);
    } catch (e) {
      if (!isNotFound(e, 10014)) throw natsFailure(e, `reading the consumer of mailbox ${mailbox}`);
      if (!this.createConsumers) throw new LintasError('ERR_NATS_UNSAFE_CONFIG', `The JetStream consumer "${name}" of this mailbox does not exist; create it as docs/TRANSPORTS.md 3.6 shows`);
      try {
        config = (
          await jsm.consumers.add(this.streamName, {
            durable_name: name,
            filter_subject: this.mailboxSubject(mailbox),
            ack_policy: 'explicit' as never,
            deliver_policy: 'all' as never,
            ack_wait: this.leaseMs * NANOS_PER_MS,
            max_deliver: this.maxDeliveries + 1,
          })
        ).config;
      } catch (e2) {
        throw natsFailure(e2, `creating the consumer of mailbox ${mailbox}`);
      }
    }
    const maxDeliver = config.max_deliver ?? -1;
    return {
      name,
      leaseMs: Math.max(1, Math.round((config.ack_wait ?? 30_000 * NANOS_PER_MS) / NANOS_PER_MS)),
      deadAfter: maxDeliver > 1 ? maxDeliver - 1 : null,
    };
  }

  private publishQuietly(subject: string, data: string): void {
    try {
      if (!this.nc.isClosed()) this.nc.publish(subject, data);
    } catch {
      // The connection is gone: the lease runs out instead.
    }
  }

  private assertOpen(): void {
    if (this.closing.signal.aborted) throw transportClosed();
  }

  /**
   * Stop receiving and renewing leases; later calls fail with `ERR_TRANSPORT_CLOSED`. Idempotent.
   * The NATS connection stays open: it belongs to the app.
   */
  async close(): Promise<void> {
    this.closing.abort();
    for (const r of this.renewals) r.stop();
    for (const stop of this.pulls) stop();
  }
}

/**
 * The delivery count and stream sequence from a JetStream ack subject:
 * `$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>`, or
 * with `<domain>.<account hash>` after `$JS.ACK` (and a random token at the end) on newer servers.
 */
function ackInfo(reply: string): { seq: string; deliveries: number } | null {
  const t = reply.split('.');
  const at = t.length === 9 ? 4 : t.length >= 11 ? 6 : -1;
  if (at < 0) return null;
  const deliveries = Number(t[at]);
  const seq = t[at + 1]!;
  if (!Number.isSafeInteger(deliveries) || !/^\d+$/.test(seq)) return null;
  return { seq, deliveries };
}

function isNotFound(e: unknown, code: number): boolean {
  return (e as { code?: unknown } | null)?.code === code;
}

/** Failures that mean no server answered yet (no responders during a leader election, a timeout). */
function retryable(e: unknown): boolean {
  const name = (e as Error | null)?.name ?? '';
  const message = String((e as Error | null)?.message ?? '');
  return timedOut(e) || name === 'NoRespondersError' || name === 'JetStreamNotEnabled' || /timeout|no responders|not enabled|503|unavailable/i.test(message);
}

