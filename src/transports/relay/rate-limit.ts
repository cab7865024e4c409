/**
 * Token-bucket rate limiting for the relay: each key (a client address, a mailbox) has a bucket
 * of `burst` tokens refilled at `perSecond`; a request takes one token or is refused with the
 * time until the next token.
 */

/** A rate: sustained requests per second and the burst allowed on top. */
export interface Rate {
  /** Sustained requests per second. */
  perSecond: number;
  /** Requests allowed at once on top (the bucket size). */
  burst: number;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/** Most buckets kept; beyond it, full (idle) buckets are forgotten, which loses nothing. */
const MAX_BUCKETS = 100_000;

/** Token buckets keyed by string. */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly rate: Rate) {}

  /** Take a token for `key`: 0 if granted, else the milliseconds until one is available. */
  take(key: string, nowMs: number = Date.now()): number {
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      if (this.buckets.size >= MAX_BUCKETS) this.forgetIdle(nowMs);
      bucket = { tokens: this.rate.burst, updatedMs: nowMs };
      this.buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(this.rate.burst, bucket.tokens + ((nowMs - bucket.updatedMs) / 1000) * this.rate.perSecond);
    bucket.updatedMs = nowMs;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - bucket.tokens) / this.rate.perSecond) * 1000);
  }

  /** Give back a token taken for a request that was refused later (it should not count). */
  refund(key: string): void {
    const bucket = this.buckets.get(key);
    if (bucket !== undefined) bucket.tokens = Math.min(this.rate.burst, bucket.tokens + 1);
  }

  private forgetIdle(nowMs: number): void {
    for (const [key, b] of this.buckets) {
      if (b.tokens + ((nowMs - b.updatedMs) / 1000) * this.rate.perSecond >= this.rate.burst) this.buckets.delete(key);
    }
  }
}

/** Validates a {@link Rate} option. */
export function checkRate(value: unknown, name: string, fallback: Rate): Rate {
  if (value === undefined) return fallback;
  if (value === null || typeof value !== 'object') throw new TypeError(`${name} must be { perSecond, burst }`);
  const { perSecond, burst } = value as Rate;
  if (typeof perSecond !== 'number' || typeof burst !== 'number') throw new TypeError(`${name} must be { perSecond, burst } numbers`);
  if (!(perSecond > 0) || !Number.isFinite(perSecond) || !Number.isInteger(burst) || burst < 1) {
    throw new RangeError(`${name}.perSecond must be positive and ${name}.burst a positive integer`);
  }
  return { perSecond, burst };
}
