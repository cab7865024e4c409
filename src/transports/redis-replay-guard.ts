/**
 * A {@link ReplayGuard} on Redis, which any number of receiver processes and machines can share:
 * one key per remembered id, `<prefix><hex of the id>`, set with `SET NX EXAT` so that Redis
 * itself forgets it once the envelope's replay window (plus {@link REPLAY_CLOCK_MARGIN_SECONDS})
 * has passed, the same time the file guard compacts it away (docs/TRANSPORTS.md, "Replay
 * protection"). The ids are the sender-bound replay keys of `receiveEnvelopes` (SPEC 10.7).
 *
 * Durability is Redis's: `remember` resolves when Redis has the key, which survives a crash of
 * Redis only with `appendonly yes` and `appendfsync always`. Eviction must be off
 * (`maxmemory-policy noeviction`), or Redis may forget ids under memory pressure.
 */
import { toHex } from '../envelope/hex.js';
import type { RedisCommandClient } from './redis-streams.js';
import { checkEnvelopeId, checkKeepUntil, REPLAY_CLOCK_MARGIN_SECONDS, type ReplayGuard } from './replay-guard.js';

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
export class RedisReplayGuard implements ReplayGuard {
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
   * @inheritdoc
   * @throws {TypeError | RangeError} for an invalid id; the client's errors as it throws them.
   */
  async has(envelopeId: Uint8Array): Promise<boolean> {
    checkEnvelopeId(envelopeId);
    return Number(await this.client.sendCommand(['EXISTS', this.keyPrefix + toHex(envelopeId)])) === 1;
  }

  /**
   * @inheritdoc
   * @throws {TypeError | RangeError} for an invalid id or `keepUntil`; the client's errors as it throws them.
   */
  async remember(envelopeId: Uint8Array, keepUntil?: Date): Promise<void> {
    checkEnvelopeId(envelopeId);
    const until = checkKeepUntil(keepUntil);
    const key = this.keyPrefix + toHex(envelopeId);
    // NX: an id remembered earlier keeps its first expiry (an envelope's times are signed, so a
    // second remember of the same id carries the same ones).
    if (until === Infinity) await this.client.sendCommand(['SET', key, '1', 'NX']);
    else await this.client.sendCommand(['SET', key, '1', 'NX', 'EXAT', String(until + REPLAY_CLOCK_MARGIN_SECONDS)]);
  }
}
