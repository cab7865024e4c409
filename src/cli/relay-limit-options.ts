/**
 * The `lintas relay start` options for the relay's limits, quotas and timeouts (docs/CLI.md,
 * docs/TRANSPORTS.md 3.3 "Limits"): one option per {@link RelayLimits} field and per timing of
 * {@link RelayOptions}, so every limit the library has can be set without writing code.
 */
import type { RelayLimits, RelayOptions } from '../transports/relay/server.js';
import type { Rate } from '../transports/relay/rate-limit.js';
import { integerOption, stringList, stringOption, usageError, type CommandInput, type OptionSpec } from './command.js';
import { byteSizeOption } from './byte-size.js';

const RATE = 'N[:BURST]';
const DURATION = 'TIME';

/** The option specs, merged into `relay start`'s options. */
export const RELAY_LIMIT_OPTIONS: Record<string, OptionSpec> = {
  'max-envelopes-per-mailbox': { type: 'string', value: 'N', description: 'most envelopes waiting in one mailbox (default 100000; 507 above)' },
  'max-storage': { type: 'string', value: 'SIZE', description: 'most bytes stored in all mailboxes together (default 10GiB; 507 above)' },
  'max-sender-storage': { type: 'string', value: 'SIZE', description: 'most bytes stored from one sender, its key or else its address (default 1GiB)' },
  'envelope-ttl': { type: 'string', value: DURATION, description: 'delete envelopes not collected within this time (default 14d)' },
  'client-rate': { type: 'string', value: RATE, description: 'requests per second per address without a session, and burst (default 200:400)' },
  'key-rate': { type: 'string', value: RATE, description: 'requests per second per authenticated key, and burst (default 1000:2000)' },
  'send-rate': { type: 'string', value: RATE, description: 'envelopes per second one sender sends into one mailbox, and burst (default 250:500)' },
  lease: { type: 'string', value: DURATION, description: 'how long a leased envelope stays hidden from other receivers (default 60s)' },
  'max-long-poll': { type: 'string', value: DURATION, description: 'longest a receiver\'s request waits for mail (default 25s)' },
  'max-waiting-polls-per-key': { type: 'string', value: 'N', description: 'waiting receive requests per mailbox (default 8)' },
  'max-waiting-polls-per-address': { type: 'string', value: 'N', description: 'waiting receive requests per address (default 64)' },
  'max-connections': { type: 'string', value: 'N', description: 'open connections in total (default 4096)' },
  'max-connections-per-address': { type: 'string', value: 'N', description: 'open connections per address, trusted proxies exempt (default 256)' },
  'headers-timeout': { type: 'string', value: DURATION, description: 'time a client has to send its request headers (default 10s)' },
  'idle-timeout': { type: 'string', value: DURATION, description: 'close connections silent for this long; above --max-long-poll (default 60s)' },
  'session-ttl': { type: 'string', value: DURATION, description: 'how long a login (session token) lasts (default 5m)' },
  'challenge-ttl': { type: 'string', value: DURATION, description: 'how long a login challenge can be answered (default 60s)' },
  'trusted-proxy': { type: 'string', multiple: true, value: 'IP', description: 'a reverse proxy whose X-Forwarded-For names the client (default none)' },
};

/** The relay options the limit options ask for (only those given: the library has the defaults). */
export function relayLimitsFrom(input: CommandInput): Pick<RelayOptions, 'limits' | 'leaseMs' | 'sessionTtlSeconds' | 'challengeTtlSeconds' | 'trustedProxies'> {
  const limits: RelayLimits = {};
  const set = <K extends keyof RelayLimits>(key: K, value: RelayLimits[K] | undefined): void => {
    if (value !== undefined) limits[key] = value;
  };
  set('maxEnvelopesPerMailbox', positive(input, 'max-envelopes-per-mailbox'));
  set('maxStorageBytes', byteSizeOption(input, 'max-storage'));
  set('maxSenderStorageBytes', byteSizeOption(input, 'max-sender-storage'));
  set('envelopeTtlSeconds', seconds(durationMs(input, 'envelope-ttl')));
  set('clientRate', rateOption(input, 'client-rate'));
  set('keyRate', rateOption(input, 'key-rate'));
  set('mailboxSendRate', rateOption(input, 'send-rate'));
  set('maxLongPollMs', durationMs(input, 'max-long-poll'));
  set('maxWaitingPollsPerKey', positive(input, 'max-waiting-polls-per-key'));
  set('maxWaitingPollsPerAddress', positive(input, 'max-waiting-polls-per-address'));
  set('maxConnections', positive(input, 'max-connections'));
  set('maxConnectionsPerAddress', positive(input, 'max-connections-per-address'));
  set('headersTimeoutMs', durationMs(input, 'headers-timeout'));
  set('idleTimeoutMs', durationMs(input, 'idle-timeout'));
  const leaseMs = durationMs(input, 'lease');
  const sessionTtlSeconds = seconds(durationMs(input, 'session-ttl'));
  const challengeTtlSeconds = seconds(durationMs(input, 'challenge-ttl'));
  const trustedProxies = stringList(input, 'trusted-proxy');
  return {
    limits,
    ...(leaseMs !== undefined ? { leaseMs } : {}),
    ...(sessionTtlSeconds !== undefined ? { sessionTtlSeconds } : {}),
    ...(challengeTtlSeconds !== undefined ? { challengeTtlSeconds } : {}),
    ...(trustedProxies.length > 0 ? { trustedProxies } : {}),
  };
}

function positive(input: CommandInput, name: string): number | undefined {
  const n = integerOption(input, name);
  if (n === 0) throw usageError(`--${name} must be at least 1`);
  return n;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "90" (seconds), "500ms", "30s", "5m", "2h", "14d" in ms. */
function durationMs(input: CommandInput, name: string): number | undefined {
  const text = stringOption(input, name);
  if (text === undefined) return undefined;
  const m = /^\s*(\d+)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  const ms = m ? Number(m[1]) * UNIT_MS[m[2] ?? 's']! : NaN;
  if (!Number.isSafeInteger(ms) || ms <= 0) throw usageError(`--${name} must be a time such as 30s, 5m, 2h or 14d (a bare number is seconds); got "${text}"`);
  return ms;
}

function seconds(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : Math.max(1, Math.ceil(ms / 1000));
}

/** "250" (burst twice that) or "250:500", per second. */
function rateOption(input: CommandInput, name: string): Rate | undefined {
  const text = stringOption(input, name);
  if (text === undefined) return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?::\s*(\d+))?\s*$/.exec(text);
  const perSecond = m ? Number(m[1]) : NaN;
  const burst = m?.[2] !== undefined ? Number(m[2]) : Math.max(1, Math.ceil(perSecond * 2));
  if (!(perSecond > 0) || !Number.isSafeInteger(burst) || burst < 1) throw usageError(`--${name} must be requests per second and an optional burst, e.g. 250 or 250:500; got "${text}"`);
  return { perSecond, burst };
}
