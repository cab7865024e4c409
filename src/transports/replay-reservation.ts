/**
 * Handling one envelope under a reservation of its replay key, for receive loops in several
 * processes sharing a {@link ReservingReplayGuard} (docs/TRANSPORTS.md 4, "Replay guards"). Two
 * copies of one envelope can reach two processes at the same moment; `has` then `remember` would
 * let both run the handler. The reservation makes exactly one of them run it, and the other wait
 * until the id is remembered (then drop its copy as a replay) or the reservation ends without it
 * (a handler that threw, a receiver that died: then it runs the handler itself), so at-least-once
 * is kept.
 */
import { systemRandom } from '../crypto/random.js';
import { toHex } from '../envelope/hex.js';
import { pause } from './lease-renewal.js';
import type { ReservingReplayGuard } from './replay-guard.js';

/** First wait after a `'busy'` answer, in ms; doubled after each, up to a quarter of the hold (at most 1 s). */
const FIRST_WAIT_MS = 20;
const MAX_WAIT_MS = 1000;

/** How {@link handleReserved} ended. */
export type ReservedOutcome = 'handled' | 'seen' | 'stopped';

/**
 * Reserve `key`, waiting while another receiver holds it; run `handle` under the reservation
 * (renewed every third of `holdMs` while it runs), then remember `key` until `keepUntil`.
 * Resolves `'handled'` when `handle` ran and the key is remembered, `'seen'` if the key was (or
 * became, while waiting) remembered, `'stopped'` if `signal` aborted while waiting.
 *
 * If `handle` or `remember` throws, the reservation is released first (best effort: if that
 * fails too, it ends once not renewed for `holdMs`), so the redelivery is handled, not dropped.
 * A renewal that fails or finds the reservation taken over (the guard was unreachable for a whole
 * hold) does not stop `handle`: the other receiver may then run it too (at-least-once).
 * @throws {TypeError} if the guard answers `reserve` with something else than `'new' | 'seen' | 'busy'`;
 *   whatever the guard or `handle` throw.
 */
export async function handleReserved(
  guard: ReservingReplayGuard,
  key: Uint8Array,
  keepUntil: Date | undefined,
  holdMs: number,
  signal: AbortSignal | null,
  handle: () => Promise<void>,
): Promise<ReservedOutcome> {
  // One token per reservation: a later delivery of the same envelope never inherits this one.
  const token = toHex(systemRandom(16));
  const maxWaitMs = Math.max(1, Math.min(MAX_WAIT_MS, Math.floor(holdMs / 4)));
  for (let waitMs = Math.min(FIRST_WAIT_MS, maxWaitMs); ; waitMs = Math.min(2 * waitMs, maxWaitMs)) {
    const answer = await guard.reserve(key, token, holdMs);
    if (answer === 'seen') return 'seen';
    if (answer === 'new') break;
    if (answer !== 'busy') throw new TypeError(`replayGuard.reserve must answer 'new', 'seen' or 'busy', not ${String(answer)}`);
    // Waiting keeps this delivery's lease renewed by the transport, so the copy stays with us.
    await pause(waitMs, signal);
    if (signal?.aborted) return 'stopped';
  }
  const stopRenewing = renewReservation(guard, key, token, holdMs);
  try {
    await handle();
    await stopRenewing();
    await guard.remember(key, keepUntil);
  } catch (e) {
    await stopRenewing();
    await guard.release(key, token).catch(() => undefined);
    throw e;
  }
  return 'handled';
}

/**
 * Renew the reservation every third of `holdMs` until the returned function is called; that
 * function resolves once no renewal is in flight, so a renewal cannot land after the release or
 * the remember that follows it.
 */
function renewReservation(guard: ReservingReplayGuard, key: Uint8Array, token: string, holdMs: number): () => Promise<void> {
  let inFlight: Promise<unknown> | null = null;
  const timer = setInterval(() => {
    if (inFlight !== null) return; // a slow renewal must not pile up behind itself
    // A failed renewal is retried next round; a lost reservation cannot be won back (see handleReserved).
    inFlight = guard.reserve(key, token, holdMs).catch(() => undefined).finally(() => (inFlight = null));
  }, Math.max(1, Math.floor(holdMs / 3)));
  // The handler's own work keeps the process alive; renewal alone must not.
  (timer as { unref?: () => void }).unref?.();
  return async () => {
    clearInterval(timer);
    await inFlight;
  };
}
