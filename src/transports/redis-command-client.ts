/**
 * The structural type of the Redis client the Redis transport and replay guard call: lintas
 * describes the one method it uses instead of importing a Redis library (docs/TRANSPORTS.md 3.4).
 */

/**
 * The part of a Redis client the transport uses: node-redis's `sendCommand` (v4 and later).
 * Replies are raw RESP values; `typeMapping: { 36: Buffer }` asks for bulk strings as Buffers
 * so envelope bytes arrive intact. Errors are thrown as the client throws them.
 *
 * `options.key` names a key of the mailbox the command is about, also for commands that carry no
 * key (`WAIT`, `CONFIG GET`, `INFO`): a cluster wrapper (`redisClusterClient`) sends the
 * command to the node that holds that key. A single-server client ignores it.
 */
export interface RedisCommandClient {
  /** Send one Redis command and return its raw reply. */
  sendCommand(args: ReadonlyArray<string | Buffer>, options?: RedisCommandOptions): Promise<unknown>;
}

/** Per-command options the transport passes to {@link RedisCommandClient.sendCommand}. */
export interface RedisCommandOptions {
  /** How RESP types map to JS values (node-redis `typeMapping`). */
  typeMapping?: { [respType: number]: unknown };
  /** A key of the mailbox the command is about, for routing in a cluster. */
  key?: string;
}
