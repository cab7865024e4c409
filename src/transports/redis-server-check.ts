/**
 * The durability check of the Redis Streams transport (docs/TRANSPORTS.md 3.4, "Persistence and
 * eviction"): before a mailbox is first used, ask the server how it keeps data and refuse the
 * settings that lose acknowledged envelopes, unless the app has named that risk.
 *
 * - `appendonly no` (Debian's default: RDB snapshots only): everything since the last snapshot
 *   is lost when Redis is killed or restarted ("loss-on-restart").
 * - `appendfsync everysec` or `no`: the AOF is written before the reply but fsynced later, so a
 *   power failure or kernel crash loses up to a second or more ("loss-on-power-failure").
 * - any `maxmemory-policy` but `noeviction`: under memory pressure Redis deletes keys, and an
 *   `allkeys-*` policy deletes mailbox streams ("loss-on-eviction"). The `volatile-*` policies
 *   spare keys without a TTL such as the streams, but evict the TTL'd ids of a
 *   `RedisReplayGuard` on the same server, so they are refused too.
 *
 * `CONFIG GET` is the source. An ACL user without it (CONFIG GET also reveals e.g. `requirepass`,
 * so the documented layout does not grant it) is checked through `INFO persistence` and `INFO
 * memory`, which show `aof_enabled` and `maxmemory_policy` but not `appendfsync`: the operator
 * then states it with `assumeAppendfsyncAlways`.
 */
import { LintasError } from '../errors/index.js';
import type { RedisCommandClient } from './redis-command-client.js';

/** Every way of losing acknowledged envelopes that an app may knowingly accept. */
export const REDIS_DURABILITY_RISKS: readonly RedisDurabilityRisk[] = ['loss-on-restart', 'loss-on-power-failure', 'loss-on-eviction'];

/** A way of losing acknowledged envelopes that an app may knowingly accept. */
export type RedisDurabilityRisk = 'loss-on-restart' | 'loss-on-power-failure' | 'loss-on-eviction';

/** The durability settings of a Redis server, as far as the user may read them. */
interface ServerSettings {
  appendonly: boolean;
  /** null when the user may not read it (INFO does not show it). */
  appendfsync: string | null;
  maxmemoryPolicy: string;
}

/**
 * Refuse a server whose settings can lose acknowledged envelopes, unless each such risk is in
 * `accepted`. `key` is a key of the mailbox, so a cluster client asks the node that holds it.
 * @throws {@link LintasError} `ERR_REDIS_UNSAFE_CONFIG` naming the setting and the option that accepts it;
 *   `ERR_TRANSPORT_UNAVAILABLE` if the settings cannot be read at all.
 */
export async function checkRedisDurability(
  client: RedisCommandClient,
  key: string,
  accepted: ReadonlySet<RedisDurabilityRisk>,
  assumeAppendfsyncAlways: boolean,
): Promise<void> {
  const s = await readSettings(client, key);
  const refuse = (risk: RedisDurabilityRisk, what: string): never => {
    throw new LintasError(
      'ERR_REDIS_UNSAFE_CONFIG',
      `The Redis server ${what}; set it in redis.conf (see docs/TRANSPORTS.md 3.4), or accept the risk with acceptRisks: ['${risk}']`,
    );
  };
  if (!s.appendonly && !accepted.has('loss-on-restart')) refuse('loss-on-restart', 'has appendonly no: envelopes since the last snapshot are lost when it is killed or restarted; use appendonly yes');
  if (s.appendonly && !accepted.has('loss-on-power-failure')) {
    if (s.appendfsync === null && !assumeAppendfsyncAlways) {
      throw new LintasError(
        'ERR_REDIS_UNSAFE_CONFIG',
        "This Redis user may not run CONFIG GET, so appendfsync cannot be checked; have the operator confirm appendfsync always and set assumeAppendfsyncAlways: true (see docs/TRANSPORTS.md 3.4), or accept acceptRisks: ['loss-on-power-failure']",
      );
    }
    if (s.appendfsync !== null && s.appendfsync !== 'always') refuse('loss-on-power-failure', `has appendfsync ${s.appendfsync}: a power failure loses envelopes already acknowledged; use appendfsync always`);
  }
  if (s.maxmemoryPolicy !== 'noeviction' && !accepted.has('loss-on-eviction')) {
    refuse('loss-on-eviction', `has maxmemory-policy ${s.maxmemoryPolicy}: it deletes keys when memory runs short; use maxmemory-policy noeviction`);
  }
}

async function readSettings(client: RedisCommandClient, key: string): Promise<ServerSettings> {
  let reply: unknown;
  try {
    reply = await client.sendCommand(['CONFIG', 'GET', 'appendonly', 'appendfsync', 'maxmemory-policy'], { key });
  } catch (e) {
    if (!String((e as Error)?.message).includes('NOPERM')) throw unreadable(e);
    return readSettingsFromInfo(client, key);
  }
  const values = pairs(reply);
  const appendonly = values.get('appendonly');
  const appendfsync = values.get('appendfsync');
  const policy = values.get('maxmemory-policy');
  if (appendonly === undefined || appendfsync === undefined || policy === undefined) throw unreadable(null);
  return { appendonly: appendonly === 'yes', appendfsync, maxmemoryPolicy: policy };
}

async function readSettingsFromInfo(client: RedisCommandClient, key: string): Promise<ServerSettings> {
  let info: string;
  try {
    info = `${textOf(await client.sendCommand(['INFO', 'persistence'], { key }))}\n${textOf(await client.sendCommand(['INFO', 'memory'], { key }))}`;
  } catch (e) {
    throw unreadable(e);
  }
  const field = (name: string): string | undefined => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
  const aof = field('aof_enabled');
  const policy = field('maxmemory_policy');
  if (aof === undefined || policy === undefined) throw unreadable(null);
  return { appendonly: aof === '1', appendfsync: null, maxmemoryPolicy: policy };
}

/** CONFIG GET answers a flat [name, value, ...] list (RESP2) or a map (RESP3). */
function pairs(reply: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (Array.isArray(reply)) {
    for (let i = 0; i + 1 < reply.length; i += 2) out.set(textOf(reply[i]), textOf(reply[i + 1]));
  } else if (reply instanceof Map) {
    for (const [k, v] of reply) out.set(textOf(k), textOf(v));
  } else if (reply !== null && typeof reply === 'object') {
    for (const [k, v] of Object.entries(reply)) out.set(k, textOf(v));
  }
  return out;
}

function textOf(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.length).toString('utf8');
  return String(v);
}

function unreadable(cause: unknown): LintasError {
  return new LintasError('ERR_TRANSPORT_UNAVAILABLE', 'Could not read the Redis server settings (CONFIG GET or INFO); check that the server is reachable and the user may run INFO', { cause });
}
