/**
 * How a relay client waits out 429 answers (docs/TRANSPORTS.md 3.3, "Limits"): at least the
 * relay's Retry-After, doubling from 250 ms per refusal, at most 30 s, with up to 50 % random
 * extra so clients refused together do not come back together.
 */

/** Most 429 answers one request waits out before its error is thrown. */
export const MAX_RATE_LIMIT_RETRIES = 8;

/**
 * Ms to wait before retry number `attempt` (0-based) of a request the relay refused with 429.
 * @param retryAfterSeconds the relay's Retry-After, if it sent one
 * @param random a number in [0, 1) (tests pass a fixed one)
 */
export function rateLimitDelayMs(attempt: number, retryAfterSeconds: number | null, random: number = Math.random()): number {
  const base = Math.max((retryAfterSeconds ?? 0) * 1000, 250 * 2 ** attempt);
  return Math.round(Math.min(base, 30_000) * (1 + random / 2));
}
