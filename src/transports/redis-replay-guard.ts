/**
 * A {@link ReplayGuard} on Redis, which any number of receiver processes and machines can share:
 * one key per id, `<prefix><hex of the id>`. A remembered id is the value `1`, expiring (Redis
 * itself forgets it) once the envelope's replay window plus {@link REPLAY_CLOCK_MARGIN_SECONDS}
 * has passed, the same time the file guard compacts it away (docs/TRANSPORTS.md 4, "Replay
 * guards"). The ids are the sender-bound replay keys of `receiveEnvelopes` (SPEC 10.7).
 *
 * It is a {@link ReservingReplayGuard}: a reservation is the value `r:<token>` with a `PX`
 * expiry of the hold, so Redis's own clock ends the hold of a receiver that died; each operation
 * is one Lua script, atomic on the server, so two receivers cannot both reserve an id.
 *
 * Durability is Redis's: `remember` resolves when Redis has the key, which survives a crash of
 * Redis only with `appendonly yes` and `appendfsync always`. Eviction must be off
 * (`maxmemory-policy noeviction`), or Redis may forget ids under memory pressure.
 */
import { toHex } from '../envelope/hex.js';
import type { RedisCommandClient } from './redis-streams.js';
import {
  checkEnvelopeId,
  checkHoldMs,
  checkKeepUntil,
  checkReservationToken,
  REPLAY_CLOCK_MARGIN_SECONDS,
  type ReplayReservation,
  type ReservingReplayGuard,
} from './replay-guard.js';

/** The value of a remembered id (the only value before reservations existed). */
const REMEMBERED = '1';
/** A reservation's value is this prefix and its token. */
const RESERVED = 'r:';

/** KEYS[1] the id's key; ARGV[1] `r:<token>`, ARGV[2] the hold in ms. */
const RESERVE_SCRIPT = `local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, 2) ~= 'r:' then return 'seen' end
if v and v ~= ARGV[1] then return 'busy' end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 'new'`;

/** KEYS[1] the id's key; ARGV[1] the unix second it expires at, or '' for never. */
const REMEMBER_SCRIPT = `local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, 2) ~= 'r:' then return 0 end
if ARGV[1] == '' then redis.call('SET', KEYS[1], '${REMEMBERED}') else redis.call('SET', KEYS[1], '${REMEMBERED}', 'EXAT', ARGV[1]) end
return 1`;

/** KEYS[1] the id's key; ARGV[1] `r:<token>`. */
const RELEASE_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** Options for {@link RedisReplayGuard}. */
export interface RedisReplayGuardOptions {
  /** A connected client created and owned by the app (node-redis, or anything with its `sendCommand`). */
  client: RedisCommandClient;
  /** Prefix of the keys; one guard (one receiving identity) per prefix. Default "lintas:replay:". */
  keyPrefix?: string;
}

/**
 * A {@link ReplayGuard} on Redis, shared by several receivers (see the module comment). Node only.
 * Use one key prefix per receiving identity, e.g. `new RedisReplayGuard({ client, keyPrefix:
 * 'lintas:replay:desk:' })` with the client of `createClient` from the `redis` package.
 */
export class RedisReplayGuard implements ReservingReplayGuard {
  private readonly client: RedisCommandClient;
  private readonly keyPrefix: string;

  /** @throws {TypeError} for invalid options. */
  constructor(options: RedisReplayGuardOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
    if (!options.client || typeof options.client.sendCommand !== 'function') throw new TypeError('options.client must be a Redis client with sendCommand (node-redis)');
    if (options.keyPrefix !== undefined && (typeof options.keyPrefix !== 'string' || options.keyPrefix.length === 0 || options.keyPrefix.length > 200)) {
      throw new TypeError('options.keyPrefix must be a non-empty string');
    }
    this.client = options.client;
    this.keyPrefix = options.keyPrefix ?? 'lintas:replay:';
  }

  /**
   * True if `envelopeId` was remembered (and Redis has not yet forgotten it after its
   * `keepUntil` plus the margin). A reservation (`r:<token>`) is not a remembered id.
   * @throws {TypeError | RangeError} for an invalid id; the client's errors as it throws them.
   */
  async has(envelopeId: Uint8Array): Promise<boolean> {
    checkEnvelopeId(envelopeId);
    const key = this.keyOf(envelopeId);
    const value = await this.client.sendCommand(['GET', key], { key });
    return value !== null && value !== undefined && !String(value).startsWith(RESERVED);
  }

  /**
   * Remember `envelopeId` until `keepUntil` plus {@link REPLAY_CLOCK_MARGIN_SECONDS} (omitted:
   * forever); resolves once Redis has it. Replaces a reservation (whoever holds it); an id
   * remembered before keeps its first expiry (an envelope's times are signed, so a second
   * remember of it carries the same ones).
   * @throws {TypeError | RangeError} for an invalid id or `keepUntil`; the client's errors as it throws them.
   */
  async remember(envelopeId: Uint8Array, keepUntil?: Date): Promise<void> {
    checkEnvelopeId(envelopeId);
    const until = checkKeepUntil(keepUntil);
    const key = this.keyOf(envelopeId);
    await this.client.sendCommand(['EVAL', REMEMBER_SCRIPT, '1', key, until === Infinity ? '' : String(until + REPLAY_CLOCK_MARGIN_SECONDS)], { key });
  }

  /**
   * Reserve `envelopeId` for `token` for `holdMs` (see {@link ReservingReplayGuard}). The hold
   * is a `PX` expiry, so it runs on the Redis server's clock.
   * @throws {TypeError | RangeError} for an invalid id, token or `holdMs`; the client's errors as it throws them.
   */
  async reserve(envelopeId: Uint8Array, token: string, holdMs: number): Promise<ReplayReservation> {
    checkEnvelopeId(envelopeId);
    checkReservationToken(token);
    checkHoldMs(holdMs);
    const key = this.keyOf(envelopeId);
    const answer = String(await this.client.sendCommand(['EVAL', RESERVE_SCRIPT, '1', key, RESERVED + token, String(holdMs)], { key }));
    if (answer !== 'new' && answer !== 'seen' && answer !== 'busy') throw new TypeError(`Unexpected answer from Redis to the reserve script: ${answer}`);
    return answer;
  }

  /**
   * Remove `token`'s reservation of `envelopeId`, if it still holds it; otherwise do nothing.
   * @throws {TypeError | RangeError} for an invalid id or token; the client's errors as it throws them.
   */
  async release(envelopeId: Uint8Array, token: string): Promise<void> {
    checkEnvelopeId(envelopeId);
    checkReservationToken(token);
    const key = this.keyOf(envelopeId);
    await this.client.sendCommand(['EVAL', RELEASE_SCRIPT, '1', key, RESERVED + token], { key });
  }

  private keyOf(envelopeId: Uint8Array): string {
    return this.keyPrefix + toHex(envelopeId);
  }
}
