/**
 * Transports (docs/TRANSPORTS.md): the Node-only part, exported from `lintas/node`.
 */
export { DropFolderTransport } from './drop-folder.js';
export type { DropFolderOptions } from './drop-folder.js';
export { startRelay } from './relay/server.js';
export type { RelayOptions, RelayLimits, RelayServer } from './relay/server.js';
export type { Rate } from './relay/rate-limit.js';
export { nodeHttpFetch } from './relay/node-http-fetch.js';
export type { NodeHttpFetch, NodeHttpFetchOptions } from './relay/node-http-fetch.js';
export { RedisStreamsTransport } from './redis-streams.js';
export type { RedisStreamsOptions, RedisCommandClient, RedisCommandOptions } from './redis-streams.js';
export type { RedisDurabilityRisk } from './redis-server-check.js';
export { redisClusterClient, redisSentinelClient } from './redis-cluster.js';
export type { RedisClusterLike, RedisSentinelLike } from './redis-cluster.js';
export { NatsJetStreamTransport } from './nats-jetstream.js';
export type { NatsJetStreamOptions, NatsConnectionLike, NatsMessageLike, NatsDurabilityRisk } from './nats-jetstream.js';
export { NatsKvReplayGuard } from './nats-kv-replay-guard.js';
export type { NatsKvReplayGuardOptions } from './nats-kv-replay-guard.js';
export { FileReplayGuard } from './file-replay-guard.js';
export type { FileReplayGuardOptions } from './file-replay-guard.js';
export { RedisReplayGuard } from './redis-replay-guard.js';
export type { RedisReplayGuardOptions } from './redis-replay-guard.js';
export { startTaxiiServer } from './taxii/server.js';
export type { TaxiiServer, TaxiiServerOptions, TaxiiServerCollection, TaxiiServerUser } from './taxii/server.js';
export { FileTaxiiCursorStore } from './taxii/file-cursor-store.js';
