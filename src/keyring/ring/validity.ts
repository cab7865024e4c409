/** When a card may be used: its validity window, with the clock difference tolerated at its start. */
import type { KeyCard } from '../key-card.js';

/** Default validity of a new card, in days. */
export const DEFAULT_VALIDITY_DAYS = 730;
/** Clock difference tolerated when a card's validity starts, in seconds. */
export const CARD_CLOCK_SKEW_SECONDS = 300;

/** Why a card cannot be used at `now` (seconds; expired or not yet valid), or null. */
export function validityProblem(card: KeyCard, now: number): string | null {
  if (now >= card.validUntil.getTime() / 1000) return `expired on ${card.validUntil.toISOString()}`;
  if (now + CARD_CLOCK_SKEW_SECONDS < card.validFrom.getTime() / 1000) return `not valid before ${card.validFrom.toISOString()}`;
  return null;
}
