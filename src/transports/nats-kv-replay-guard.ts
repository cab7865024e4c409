/**
 * A {@link ReplayGuard} on a JetStream key-value bucket, which any number of receiver processes
 * and machines can share (docs/TRANSPORTS.md 4, "Replay guards"). One key per id, the hex of
 * the sender-bound replay key of `receiveEnvelopes` (SPEC 10.7). A remembered id is the value
 * 0x01, written with `kv.create`, which JetStream refuses when the key exists: the first writer
 * wins, atomically, across every server of a cluster, so {@link NatsKvReplayGuard.claim} tells
 * exactly one of several racing receivers that an id is new.
 *
 * It is a {@link ReservingReplayGuard}: a reservation is the value `r:<token>:<holdMs>`, written
 * with `kv.create` or with `kv.update` on the revision read (compare-and-set), so two receivers
 * cannot both reserve an id. The bucket has one TTL for every key (per-key TTLs need
 * nats-server 2.11), so a hold cannot expire by itself; and receivers' clocks may disagree, so
 * no timestamp decides either. Instead every renewal writes a new revision, and a receiver takes
 * a reservation over only after it has seen the same revision for the hold's `holdMs` on its own
 * monotonic clock: its holder stopped renewing (died). A receiver that just started waits one
 * whole hold before taking over an abandoned reservation.
 *
 * The bucket's TTL (its stream's `max_age`) forgets ids: it must cover the replay window plus
 * {@link REPLAY_CLOCK_MARGIN_SECONDS}, and `remember` refuses an id that would be forgotten
 * before its `keepUntil` plus that margin (less the 300 s an envelope's creation time may lie
 * in the future, so a sender whose clock runs a little ahead is not refused). (One TTL per bucket works on 2.9, the Debian bookworm
 * version.) Durability is JetStream's: file storage, and with `replicas: 3` a majority of servers
 * has the id before `remember` resolves.
 */
import { LintasError } from '../errors/index.js';
import { toHex } from '../envelope/hex.js';
import { utf8 } from '../crypto/bytes.js';
import { askAgainOnTimeout, loadKv, natsFailure, timedOut, TIMED_OUT_ATTEMPTS, type NatsConnectionLike } from './nats-connection.js';
import { DEFAULT_REPLAY_WINDOW_SECONDS } from './receive-envelopes.js';
import { DEFAULT_MAX_CLOCK_SKEW_SECONDS } from '../envelope/constants.js';
import {
  checkEnvelopeId,
  checkHoldMs,
  checkKeepUntil,
  checkReservationToken,
  REPLAY_CLOCK_MARGIN_SECONDS,
  type ReplayReservation,
  type ReservingReplayGuard,
} from './replay-guard.js';
import type { KV } from '@nats-io/kv';

/** Options for {@link NatsKvReplayGuard}. */
export interface NatsKvReplayGuardOptions {
  /** A connected `NatsConnection` created and owned by the app. */
  connection: NatsConnectionLike;
  /** The bucket; one per receiving identity. Default "lintas-replay". */
  bucket?: string;
  /**
   * How long the bucket keeps an id, in seconds (its TTL). Default the default replay window
   * plus the clock margin ({@link DEFAULT_REPLAY_WINDOW_SECONDS} + {@link REPLAY_CLOCK_MARGIN_SECONDS}).
   */
  ttlSeconds?: number;
  /** Replicas the bucket must have (and is created with). Default 1. */
  replicas?: number;
  /** Create the bucket if it does not exist. Default true. */
  create?: boolean;
}

const BUCKET = /^[A-Za-z0-9_-]{1,200}$/;
/** JetStream API error: "wrong last sequence", the answer to `kv.create` of an existing key. */
const KEY_EXISTS = 10071;
/** The value of a remembered id (the only value before reservations existed). */
const REMEMBERED = new Uint8Array([1]);
/** A reservation: `r:<token>:<holdMs>` (tokens are A-Z a-z 0-9 _ -). */
const RESERVATION = /^r:([A-Za-z0-9_-]{1,64}):([0-9]{1,8})$/;

/*
 * Requests the server leaves unanswered (TIMED_OUT_ATTEMPTS, nats-connection.ts) are sent again
 * where that is safe: reads; reservation writes (re-read first: a write that landed shows as this
 * token's own reservation, which `reserve` may replace); `remember` (an id remembered twice is
 * remembered). Not `claim`: whether its unanswered write landed cannot be told from a re-read, and
 * a wrong "remembered before" would drop a genuine envelope as a replay.
 */

/** A compare-and-set write lost: another receiver wrote the key since it was read (or created it). */
function lostRace(e: unknown): boolean {
  return (e as { code?: unknown })?.code === KEY_EXISTS || /wrong last sequence/i.test(String((e as Error)?.message));
}

/** The token and hold of a reservation value; null for a remembered id. */
function reservationOf(value: Uint8Array): { token: string; holdMs: number } | null {
  if (value.length < 2 || value[0] !== 0x72 || value[1] !== 0x3a) return null; // "r:"
  const m = RESERVATION.exec(new TextDecoder().decode(value));
  return m ? { token: m[1]!, holdMs: Number(m[2]) } : null;
}

/**
 * A {@link ReplayGuard} on JetStream KV, shared by several receivers (see the module comment).
 * Node only. E.g. `new NatsKvReplayGuard({ connection: nc, bucket: 'lintas-replay-desk' })` with
 * the connection of `connect` from `@nats-io/transport-node`.
 */
export class NatsKvReplayGuard implements ReservingReplayGuard {
  private readonly nc: NatsConnectionLike;
  private readonly bucket: string;
  private readonly ttlSeconds: number;
  private readonly replicas: number;
  private readonly create: boolean;
  private kv: Promise<KV> | null = null;
  /** Reservations of other receivers this one waits on: the revision seen, and since when (monotonic ms). */
  private readonly watched = new Map<string, { revision: number; since: number }>();

  /** @throws {TypeError} / {RangeError} for invalid options. */
  constructor(options: NatsKvReplayGuardOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
    const c = options.connection;
    if (!c || typeof c.publish !== 'function' || typeof c.request !== 'function') throw new TypeError('options.connection must be a NatsConnection (connect() of @nats-io/transport-node)');
    if (options.bucket !== undefined && (typeof options.bucket !== 'string' || !BUCKET.test(options.bucket))) throw new RangeError('options.bucket must be 1-200 of A-Z a-z 0-9 _ -');
    if (options.create !== undefined && typeof options.create !== 'boolean') throw new TypeError('options.create must be a boolean');
    for (const name of ['ttlSeconds', 'replicas'] as const) {
      const v = options[name];
      if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v))) throw new TypeError(`options.${name} must be an integer`);
      if (v !== undefined && v <= 0) throw new RangeError(`options.${name} must be positive`);
    }
    this.nc = c;
    this.bucket = options.bucket ?? 'lintas-replay';
    this.ttlSeconds = options.ttlSeconds ?? DEFAULT_REPLAY_WINDOW_SECONDS + REPLAY_CLOCK_MARGIN_SECONDS;
    this.replicas = options.replicas ?? 1;
    if (this.replicas > 5) throw new RangeError('options.replicas must be at most 5 (the JetStream maximum)');
    this.create = options.create ?? true;
  }

  /**
   * True if `envelopeId` was remembered (and the bucket has not yet forgotten it). A
   * reservation is not a remembered id.
   * @throws {TypeError | RangeError} for an invalid id; {@link LintasError} `ERR_TRANSPORT_UNAVAILABLE`,
   *   `ERR_NATS_PERMISSION_DENIED` or `ERR_NATS_UNSAFE_CONFIG` (the bucket) from the server.
   */
  async has(envelopeId: Uint8Array): Promise<boolean> {
    checkEnvelopeId(envelopeId);
    const kv = await this.open();
    const entry = await this.read(kv, toHex(envelopeId));
    return entry !== null && reservationOf(entry.value) === null;
  }

  /**
   * @inheritdoc
   * @throws {RangeError} for a `keepUntil` (or none: forever) later than the bucket's TTL keeps
   *   ids, less the clock margin: raise `ttlSeconds`. Otherwise as {@link has}.
   */
  async remember(envelopeId: Uint8Array, keepUntil?: Date): Promise<void> {
    // Unlike claim, remember has no answer a repeated write could falsify: it is asked again.
    await this.write(envelopeId, keepUntil, TIMED_OUT_ATTEMPTS);
  }

  /**
   * Remember `envelopeId` if no receiver has: true for exactly one of any number of receivers
   * racing on the same id (the atomic first-seen of `kv.create`, or `kv.update` of a reservation
   * on the revision read), false for the others and for an id remembered before. Replaces a
   * reservation, whoever holds it. Resolves once the id is stored (replicated on a replicated
   * bucket).
   * @throws as {@link remember}.
   */
  async claim(envelopeId: Uint8Array, keepUntil?: Date): Promise<boolean> {
    return this.write(envelopeId, keepUntil, 1);
  }

  /** Claim `envelopeId`, sending a write the server left unanswered up to `attempts` times. */
  private async write(envelopeId: Uint8Array, keepUntil: Date | undefined, attempts: number): Promise<boolean> {
    checkEnvelopeId(envelopeId);
    const until = checkKeepUntil(keepUntil);
    // The bucket forgets an id ttlSeconds after it is written; it must outlive keepUntil + margin.
    // An envelope may be created up to the open's clock skew (SPEC 10.3, default 300 s) in the
    // future, so its keepUntil may lie that far past now + window: that much of the margin is
    // spent on it rather than refusing a genuine envelope from a sender whose clock runs ahead.
    const forgottenAt = Math.floor(Date.now() / 1000) + this.ttlSeconds + DEFAULT_MAX_CLOCK_SKEW_SECONDS;
    if (until + REPLAY_CLOCK_MARGIN_SECONDS > forgottenAt) {
      throw new RangeError(
        `keepUntil is later than the replay bucket keeps ids (${this.ttlSeconds} s, less the ${REPLAY_CLOCK_MARGIN_SECONDS} s clock margin): raise ttlSeconds to cover the replay window`,
      );
    }
    const kv = await this.open();
    const key = toHex(envelopeId);
    // Each lost race means another receiver wrote the key meanwhile; read again and decide. An
    // unanswered write that landed reads back as remembered: false, which only claim would mind.
    const failed = (e: unknown): void => {
      if (lostRace(e)) return;
      if (timedOut(e) && --attempts > 0) return;
      throw natsFailure(e, 'writing the replay guard');
    };
    for (;;) {
      try {
        await kv.create(key, REMEMBERED);
        return true;
      } catch (e) {
        failed(e);
      }
      const entry = await this.read(kv, key);
      if (entry === null) continue; // released since (or an unanswered create did not land): create it
      if (reservationOf(entry.value) === null) return false;
      try {
        await kv.update(key, REMEMBERED, entry.revision);
        return true;
      } catch (e) {
        failed(e);
      }
    }
  }

  /**
   * Reserve `envelopeId` for `token` for `holdMs` (see {@link ReservingReplayGuard}). Another
   * receiver's reservation is taken over once this guard has seen the same revision of it for
   * its `holdMs` (see the module comment).
   * @throws {TypeError | RangeError} for an invalid id, token or `holdMs`; otherwise as {@link has}.
   */
  async reserve(envelopeId: Uint8Array, token: string, holdMs: number): Promise<ReplayReservation> {
    checkEnvelopeId(envelopeId);
    checkReservationToken(token);
    checkHoldMs(holdMs);
    const kv = await this.open();
    const key = toHex(envelopeId);
    const mine = utf8(`r:${token}:${holdMs}`);
    for (let timeouts = 0; ; ) {
      const entry = await this.read(kv, key);
      const held = entry === null ? null : reservationOf(entry.value);
      if (entry !== null && held === null) {
        this.watched.delete(key);
        return 'seen';
      }
      if (entry !== null && held !== null && held.token !== token && !this.abandoned(key, entry.revision, held.holdMs)) return 'busy';
      try {
        // Absent or released: create (also over a delete marker); ours or abandoned: replace the revision read.
        if (entry === null) await kv.create(key, mine);
        else await kv.update(key, mine, entry.revision);
        this.watched.delete(key);
        return 'new';
      } catch (e) {
        // A lost race or an unanswered write: read again and decide (the note above lostRace).
        if (timedOut(e) && ++timeouts < TIMED_OUT_ATTEMPTS) continue;
        if (!lostRace(e)) throw natsFailure(e, 'writing the replay guard');
      }
    }
  }

  /**
   * Remove `token`'s reservation of `envelopeId`, if it still holds it; otherwise do nothing.
   * @throws {TypeError | RangeError} for an invalid id or token; otherwise as {@link has}.
   */
  async release(envelopeId: Uint8Array, token: string): Promise<void> {
    checkEnvelopeId(envelopeId);
    checkReservationToken(token);
    const kv = await this.open();
    const key = toHex(envelopeId);
    const entry = await this.read(kv, key);
    if (entry === null || reservationOf(entry.value)?.token !== token) return;
    try {
      await kv.delete(key, { previousSeq: entry.revision });
    } catch (e) {
      // Lost: remembered or taken over since, which is not ours to delete.
      if (!lostRace(e)) throw natsFailure(e, 'writing the replay guard');
    }
  }

  /** The key's current value and revision; null if absent or deleted (released). Asked again if unanswered. */
  private async read(kv: KV, key: string): Promise<{ value: Uint8Array; revision: number } | null> {
    let entry;
    try {
      entry = await askAgainOnTimeout(() => kv.get(key));
    } catch (e) {
      throw natsFailure(e, 'reading the replay guard');
    }
    return entry !== null && entry.operation === 'PUT' ? { value: entry.value, revision: entry.revision } : null;
  }

  /** True once this guard has seen `revision` of another receiver's reservation unchanged for its `holdMs`. */
  private abandoned(key: string, revision: number, holdMs: number): boolean {
    const now = performance.now();
    const seen = this.watched.get(key);
    if (seen === undefined || seen.revision !== revision) {
      this.watched.set(key, { revision, since: now });
      return false;
    }
    return now - seen.since >= holdMs;
  }

  private open(): Promise<KV> {
    this.kv ??= this.openBucket().catch((e: unknown) => {
      this.kv = null;
      throw e;
    });
    return this.kv;
  }

  private async openBucket(): Promise<KV> {
    const { Kvm } = await loadKv();
    const kvm = new Kvm(this.nc as unknown as ConstructorParameters<typeof Kvm>[0]);
    let kv: KV;
    try {
      kv = this.create ? await kvm.create(this.bucket, { ttl: this.ttlSeconds * 1000, replicas: this.replicas, history: 1, storage: 'file' as never }) : await kvm.open(this.bucket);
    } catch (e) {
      throw natsFailure(e, `opening the replay bucket ${this.bucket}`);
    }
    let status;
    try {
      status = await kv.status();
    } catch (e) {
      throw natsFailure(e, `reading the replay bucket ${this.bucket}`);
    }
    // An existing bucket is used as it is: refuse one that forgets too early or too easily.
    const refuse = (what: string): never => {
      throw new LintasError('ERR_NATS_UNSAFE_CONFIG', `The replay bucket "${this.bucket}" ${what} (see docs/TRANSPORTS.md 4)`);
    };
    const cfg = status.streamInfo.config;
    if (cfg.storage === 'memory') refuse('keeps ids in memory: they are lost when the server stops, and replays accepted');
    if ((cfg.num_replicas ?? 1) < this.replicas) refuse(`has ${cfg.num_replicas} replicas, fewer than the ${this.replicas} asked for`);
    if (status.ttl > 0 && status.ttl < this.ttlSeconds * 1000) refuse(`forgets ids after ${Math.round(status.ttl / 1000)} s, sooner than ttlSeconds (${this.ttlSeconds})`);
    if (cfg.discard !== 'new' && ((cfg.max_bytes ?? -1) > 0 || (cfg.max_msgs ?? -1) > 0)) refuse('discards old ids when full');
    return kv;
  }
}
