/**
 * Envelope size limits of the transports, as the CLI shows and sets them (docs/CLI.md,
 * "Limits"; docs/TRANSPORTS.md): a drop folder and Redis are limited by the sender's own
 * setting (`--max-envelope`), checked from the file size before anything is read; a relay by
 * its operator's (`relay start --max-envelope`), which the relay tells (`GET /v1/limits`) before
 * anything is sent, and reports again with its refusal.
 */
import { LintasError } from '../errors/index.js';
import { DropFolderTransport } from '../transports/drop-folder.js';
import { RedisStreamsTransport } from '../transports/redis-streams.js';
import type { OptionSpec } from './command.js';
import { formatBytes } from './terminal.js';

/** The kinds of transport a `--via` URI names. */
export type TransportKind = 'drop' | 'relay' | 'redis' | 'nats';

/** `send --max-envelope`. */
export const MAX_ENVELOPE_OPTION: OptionSpec = {
  type: 'string',
  value: 'SIZE',
  description: `largest envelope a drop: or redis:// transport takes, e.g. 4GiB (default ${formatBytes(DropFolderTransport.DEFAULT_MAX_ENVELOPE_BYTES)} and ${formatBytes(RedisStreamsTransport.DEFAULT_MAX_ENVELOPE_BYTES)}; a relay has its own)`,
};

/**
 * The sender-side limit of a transport, or null for a relay (whose limit is its operator's) and
 * for NATS without --max-envelope (the server's max_payload and the stream's max_msg_size,
 * which the transport reads and enforces itself).
 */
export function senderLimit(kind: TransportKind, maxEnvelopeBytes: number | undefined): number | null {
  if (kind === 'relay') return null;
  if (kind === 'nats') return maxEnvelopeBytes ?? null;
  return maxEnvelopeBytes ?? (kind === 'drop' ? DropFolderTransport.DEFAULT_MAX_ENVELOPE_BYTES : RedisStreamsTransport.DEFAULT_MAX_ENVELOPE_BYTES);
}

/**
 * Refuse an envelope above the transport's limit, from its size alone.
 * @throws {LintasError} `ERR_TRANSPORT_ENVELOPE_TOO_LARGE` naming the size, the limit and the option that raises it.
 */
export function checkEnvelopeSize(kind: TransportKind, envelope: { label: string; size: number }, maxEnvelopeBytes: number | undefined): void {
  const limit = senderLimit(kind, maxEnvelopeBytes);
  if (limit === null || envelope.size <= limit) return;
  throw new LintasError(
    'ERR_TRANSPORT_ENVELOPE_TOO_LARGE',
    `${envelope.label} is ${formatBytes(envelope.size)} (${envelope.size} bytes), more than the ${kind === 'drop' ? 'drop folder' : kind === 'nats' ? 'NATS' : 'Redis'} transport's limit of ${formatBytes(limit)} (${limit} bytes); raise it with --max-envelope SIZE${kind === 'redis' ? " (Redis's own proto-max-bulk-len, 512 MB by default, must allow it too)" : ''}`,
  );
}

/**
 * Refuse an envelope above a relay's limit (from `GET /v1/limits`), from its size alone.
 * @throws {LintasError} `ERR_TRANSPORT_ENVELOPE_TOO_LARGE` naming the size, the limit and who can raise it.
 */
export function checkRelayEnvelopeSize(envelope: { label: string; size: number }, limit: number): void {
  if (envelope.size <= limit) return;
  throw new LintasError(
    'ERR_TRANSPORT_ENVELOPE_TOO_LARGE',
    `${envelope.label} is ${formatBytes(envelope.size)} (${envelope.size} bytes), more than this relay's limit of ${formatBytes(limit)} (${limit} bytes); the relay's operator can raise it with "lintas relay start --max-envelope SIZE"`,
  );
}

/** Add to a transport's size refusal how to raise the limit from the command line. */
export function explainTooLarge(kind: TransportKind, e: unknown): unknown {
  if (!(e instanceof LintasError) || e.code !== 'ERR_TRANSPORT_ENVELOPE_TOO_LARGE') return e;
  const how =
    kind === 'relay'
      ? 'the relay\'s operator can raise it with "lintas relay start --max-envelope SIZE"'
      : kind === 'nats'
        ? "the NATS operator can raise the server's max_payload (at most 64 MiB) and the stream's max_msg_size"
        : 'raise it with --max-envelope SIZE';
  return new LintasError('ERR_TRANSPORT_ENVELOPE_TOO_LARGE', `${e.message}; ${how}`, { cause: e });
}
