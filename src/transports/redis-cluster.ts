/**
 * Redis Cluster and Sentinel clients as a {@link RedisCommandClient} (docs/TRANSPORTS.md 3.4,
 * "Cluster and Sentinel"). node-redis's cluster and sentinel clients have a different
 * `sendCommand` from its single-server client; these wrappers adapt them, still without lintas
 * importing `redis`.
 *
 * Cluster: every key of a mailbox carries the `{mailbox id}` hash tag, so all of them live in
 * one slot; a command goes to the node of `options.key`, following MOVED/ASK as node-redis does.
 * `WAIT`, `CONFIG GET` and `INFO` carry no key and would go to a random node, so they are sent on
 * the slot master's own connection, which is also the one the XADD went through (WAIT counts
 * the writes of its connection).
 */
import type { RedisCommandClient, RedisCommandOptions } from './redis-command-client.js';

/** The part of node-redis's cluster client (`createCluster`) the wrapper uses. */
export interface RedisClusterLike {
  /** node-redis `RedisClusterType.sendCommand`. */
  sendCommand(firstKey: string | undefined, isReadonly: boolean | undefined, args: ReadonlyArray<string | Buffer>, options?: { typeMapping?: { [respType: number]: unknown } }): Promise<unknown>;
  /** node-redis `RedisClusterType.getNodeClientForKey`: the master client of the key's slot. */
  getNodeClientForKey(key: string): Promise<RedisCommandClient>;
}

/** The part of node-redis's sentinel client (`createSentinel`) the wrapper uses. */
export interface RedisSentinelLike {
  /** node-redis `RedisSentinelType.sendCommand`. */
  sendCommand(isReadonly: boolean | undefined, args: ReadonlyArray<string | Buffer>, options?: { typeMapping?: { [respType: number]: unknown } }): Promise<unknown>;
}

/** Commands without a key that are about the node holding the mailbox. */
const NODE_COMMANDS = new Set(['WAIT', 'CONFIG', 'INFO']);

/**
 * Wrap a connected node-redis cluster client (`createCluster`) for {@link RedisStreamsTransport}.
 * The app still owns (and closes) the cluster client.
 * @throws {TypeError} if `cluster` is not a node-redis cluster client.
 */
export function redisClusterClient(cluster: RedisClusterLike): RedisCommandClient {
  if (!cluster || typeof cluster.sendCommand !== 'function' || typeof cluster.getNodeClientForKey !== 'function') {
    throw new TypeError('cluster must be a node-redis cluster client (createCluster from the "redis" package)');
  }
  return {
    async sendCommand(args: ReadonlyArray<string | Buffer>, options?: RedisCommandOptions): Promise<unknown> {
      const key = options?.key;
      const passOn = options?.typeMapping ? { typeMapping: options.typeMapping } : undefined;
      const name = String(args[0]).toUpperCase();
      if (key !== undefined && NODE_COMMANDS.has(name)) return (await cluster.getNodeClientForKey(key)).sendCommand(args, passOn);
      // XREADGROUP has its keys after STREAMS, and EVAL after the script: route by the mailbox key given.
      return cluster.sendCommand(key, false, args, passOn);
    },
  };
}

/**
 * Wrap a connected node-redis sentinel client (`createSentinel`) for {@link RedisStreamsTransport}:
 * every command goes to the current master. With `waitForReplicas`, create it with
 * `masterPoolSize: 1` (the default), so `WAIT` runs on the connection that did the XADD.
 * @throws {TypeError} if `sentinel` is not a node-redis sentinel client.
 */
export function redisSentinelClient(sentinel: RedisSentinelLike): RedisCommandClient {
  if (!sentinel || typeof sentinel.sendCommand !== 'function') throw new TypeError('sentinel must be a node-redis sentinel client (createSentinel from the "redis" package)');
  return {
    sendCommand(args: ReadonlyArray<string | Buffer>, options?: RedisCommandOptions): Promise<unknown> {
      return sentinel.sendCommand(false, args, options?.typeMapping ? { typeMapping: options.typeMapping } : undefined);
    },
  };
}
