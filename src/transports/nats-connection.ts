/**
 * What the NATS JetStream transport and replay guard need from the app's NATS connection, and
 * the lazy loading of the optional `@nats-io/jetstream` and `@nats-io/kv` packages.
 *
 * As with Redis (src/transports/redis-streams.ts), the app creates and owns the connection
 * (`connect` from `@nats-io/transport-node`, with its own servers, TLS, credentials and
 * reconnection policy) and passes it in; lintas describes it structurally instead of importing
 * a NATS package, so apps that never use NATS install none, and the library core loads the
 * JetStream packages only when a NATS transport is first used.
 */
import { LintasError } from '../errors/index.js';

/** A message as the NATS client hands it over (`Msg` of `@nats-io/nats-core`). */
export interface NatsMessageLike {
  /** The subject the message was published to. */
  readonly subject: string;
  /** Where an answer goes; for a JetStream delivery, its ack subject. */
  readonly reply?: string | undefined;
  /** The payload. */
  readonly data: Uint8Array;
  /** Headers; on a JetStream status message (no ack subject) `code` is its status (404, 408, 409, 503). */
  readonly headers?:
    | {
        /** The status code of a status message; 0 on other messages. */
        readonly code: number;
      }
    | undefined;
}

/**
 * The parts of a `NatsConnection` (`@nats-io/transport-node` 3.x `connect()`) that lintas uses;
 * a real connection satisfies it.
 */
export interface NatsConnectionLike {
  /** The server's INFO; `max_payload` bounds the size of an envelope. */
  readonly info?:
    | {
        /** The largest message the server accepts, in bytes. */
        readonly max_payload: number;
      }
    | undefined;
  /** Publish a message (pull requests, acks, in-progress acks). */
  publish(subject: string, payload?: Uint8Array | string, options?: { reply?: string }): void;
  /** Subscribe to a subject (a pull's inbox). */
  subscribe(subject: string, options?: { max?: number }): AsyncIterable<NatsMessageLike> & {
    /** End the subscription (and its iteration). */
    unsubscribe(max?: number): void;
  };
  /** Send a request and wait for one answer (confirmed acks). */
  request(subject: string, payload?: Uint8Array | string, options?: { timeout: number }): Promise<NatsMessageLike>;
  /** True once the connection is closed for good. */
  isClosed(): boolean;
}

/** The `@nats-io/jetstream` module, as loaded. */
export type JetStreamModule = typeof import('@nats-io/jetstream');
/** The `@nats-io/kv` module, as loaded. */
export type KvModule = typeof import('@nats-io/kv');

let jetStreamModule: Promise<JetStreamModule> | null = null;
let kvModule: Promise<KvModule> | null = null;

/**
 * `@nats-io/jetstream`, loaded on first use.
 * @throws {@link LintasError} `ERR_TRANSPORT_UNAVAILABLE` if the package is not installed.
 */
export function loadJetStream(): Promise<JetStreamModule> {
  jetStreamModule ??= load<JetStreamModule>('@nats-io/jetstream').catch((e: unknown) => {
    jetStreamModule = null;
    throw e;
  });
  return jetStreamModule;
}

/**
 * `@nats-io/kv`, loaded on first use.
 * @throws {@link LintasError} `ERR_TRANSPORT_UNAVAILABLE` if the package is not installed.
 */
export function loadKv(): Promise<KvModule> {
  kvModule ??= load<KvModule>('@nats-io/kv').catch((e: unknown) => {
    kvModule = null;
    throw e;
  });
  return kvModule;
}

async function load<T>(name: string): Promise<T> {
  try {
    // A computed name: bundlers leave the optional peer dependency alone.
    return (await import(name)) as T;
  } catch (e) {
    throw new LintasError('ERR_TRANSPORT_UNAVAILABLE', `NATS JetStream needs the optional package "${name}": npm install ${name}`, { cause: e });
  }
}

/** The NATS client gave up waiting for the server's answer (its `TimeoutError`, maybe as a cause). */
export function timedOut(e: unknown): boolean {
  const err = e as { name?: unknown; cause?: { name?: unknown } } | null;
  return err?.name === 'TimeoutError' || err?.cause?.name === 'TimeoutError';
}

/**
 * How often a request the server leaves unanswered for the client's request timeout is sent in
 * all, where sending it again is safe. A busy server (a disk flush, a loaded machine) can miss
 * one answer; a receive loop should not fail for that.
 */
export const TIMED_OUT_ATTEMPTS = 3;

/**
 * `request()`, made again while the server leaves it unanswered, up to {@link TIMED_OUT_ATTEMPTS}
 * times in all; any other failure, or the last timeout, is thrown as it came. Only for requests
 * that are safe to repeat (a read; an ack, which the server answers again).
 */
export async function askAgainOnTimeout<T>(request: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (e) {
      if (!timedOut(e) || attempt >= TIMED_OUT_ATTEMPTS) throw e;
    }
  }
}

/** Maps a NATS client error to a lintas error: permission refusals get their own code. */
export function natsFailure(cause: unknown, what: string): LintasError {
  if (cause instanceof LintasError) return cause;
  const name = (cause as Error | null)?.name ?? '';
  const message = String((cause as Error | null)?.message ?? cause);
  if (name === 'PermissionViolationError' || /permission/i.test(message)) {
    return new LintasError('ERR_NATS_PERMISSION_DENIED', `The NATS server refused ${what}: this user lacks the permission (docs/TRANSPORTS.md 3.6, "Permissions"): ${message}`, { cause });
  }
  return new LintasError('ERR_TRANSPORT_UNAVAILABLE', `NATS failed while ${what}; check that the server is reachable and JetStream enabled: ${message}`, { cause });
}
