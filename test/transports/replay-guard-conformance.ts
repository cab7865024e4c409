/**
 * The ReplayGuard contract (src/transports/replay-guard.ts, docs/TRANSPORTS.md 4, "Replay
 * guards") as tests any guard runs: memory, file, Redis, NATS KV. Call it inside a `describe`;
 * for a {@link ReservingReplayGuard} it also checks reservations: atomic, renewable, released
 * only by their token, taken over once abandoned, never mistaken for a remembered id.
 */
import { expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { isReservingReplayGuard, type ReplayGuard, type ReservingReplayGuard } from '../../src/index.js';

/** How a suite makes guards for the conformance tests. */
export interface GuardFactory {
  /**
   * A new store (prefix, bucket, log file), shared by every guard `open` of it returns: each
   * with its own connection where the guard has one, as receivers in separate processes would.
   */
  store(): Promise<{ open(): Promise<ReplayGuard> }>;
}

const id = (): Uint8Array => new Uint8Array(randomBytes(16));
/** A keepUntil inside every guard's default retention (the NATS bucket keeps 31 days). */
const soon = (): Date => new Date(Date.now() + 86_400_000);

/** Register the conformance tests of a guard. */
export function replayGuardConformance(factory: GuardFactory): void {
  it('conformance: remembers ids, shared by every guard of one store; remember is idempotent', async () => {
    const store = await factory.store();
    const [a, b] = [await store.open(), await store.open()];
    const x = id();
    expect(await a.has(x)).toBe(false);
    await a.remember(x, soon());
    await a.remember(x, soon());
    expect(await a.has(x)).toBe(true);
    expect(await b.has(x)).toBe(true);
    expect(await b.has(id())).toBe(false);
  });

  it('conformance: validates ids and keepUntil at the edge', async () => {
    const g = await (await factory.store()).open();
    await expect(g.has(new Uint8Array(0))).rejects.toBeInstanceOf(RangeError);
    await expect(g.has('00' as never)).rejects.toBeInstanceOf(TypeError);
    await expect(g.remember(id(), new Date(NaN))).rejects.toBeInstanceOf(TypeError);
  });
}

/** Register the reservation tests of a {@link ReservingReplayGuard}. */
export function reservingGuardConformance(factory: GuardFactory): void {
  async function pair(): Promise<[ReservingReplayGuard, ReservingReplayGuard]> {
    const store = await factory.store();
    const [a, b] = [await store.open(), await store.open()];
    if (!isReservingReplayGuard(a) || !isReservingReplayGuard(b)) throw new Error('not a ReservingReplayGuard');
    return [a, b];
  }

  it('reservations: one holder at a time, renewable by it, not a remembered id; remember ends it as seen', async () => {
    const [a, b] = await pair();
    const x = id();
    expect(await a.reserve(x, 'tokenA', 60_000)).toBe('new');
    expect(await b.reserve(x, 'tokenB', 60_000)).toBe('busy');
    expect(await a.reserve(x, 'tokenA', 60_000)).toBe('new'); // renewed by its holder
    expect(await a.has(x)).toBe(false);
    expect(await b.has(x)).toBe(false);
    await a.remember(x, soon());
    expect(await b.has(x)).toBe(true);
    expect(await b.reserve(x, 'tokenB', 60_000)).toBe('seen');
    expect(await a.reserve(x, 'tokenA', 60_000)).toBe('seen');
    // A remembered id is not a reservation: releasing it does nothing.
    await a.release(x, 'tokenA');
    expect(await b.has(x)).toBe(true);
  });

  it('reservations: exactly one of two guards racing on each of 100 ids gets it', async () => {
    const [a, b] = await pair();
    const ids = Array.from({ length: 100 }, id);
    const [ra, rb] = await Promise.all([Promise.all(ids.map((i) => a.reserve(i, 'tokenA', 60_000))), Promise.all(ids.map((i) => b.reserve(i, 'tokenB', 60_000)))]);
    for (let i = 0; i < ids.length; i++) expect([ra[i], rb[i]].sort(), `id ${i}`).toEqual(['busy', 'new']);
  });

  it('reservations: another token cannot release one; its own token can, and the id is then free', async () => {
    const [a, b] = await pair();
    const x = id();
    expect(await a.reserve(x, 'tokenA', 60_000)).toBe('new');
    await b.release(x, 'tokenB');
    await b.release(x, 'tokenAA');
    expect(await b.reserve(x, 'tokenB', 60_000)).toBe('busy');
    await a.release(x, 'tokenA');
    expect(await a.has(x)).toBe(false); // released, not remembered
    expect(await b.reserve(x, 'tokenB', 60_000)).toBe('new');
    expect(await a.reserve(x, 'tokenA', 60_000)).toBe('busy');
  });

  it('reservations: one whose holder stopped renewing is taken over once the hold has passed', async () => {
    const [a, b] = await pair();
    const x = id();
    expect(await a.reserve(x, 'tokenA', 300)).toBe('new');
    expect(await b.reserve(x, 'tokenB', 300)).toBe('busy');
    // Poll as the receive loop does; the deadline only keeps a broken guard from hanging the run.
    let answer = 'busy';
    for (let waited = 0; answer === 'busy' && waited < 30_000; waited += 50) {
      await new Promise((r) => setTimeout(r, 50));
      answer = await b.reserve(x, 'tokenB', 60_000);
    }
    expect(answer).toBe('new');
    expect(await a.reserve(x, 'tokenA', 300)).toBe('busy'); // the old holder lost it
    await a.release(x, 'tokenA');
    expect(await a.reserve(x, 'tokenC', 60_000)).toBe('busy'); // and cannot release the new one
  });

  it('reservations: validate the token and hold at the edge', async () => {
    const [a] = await pair();
    await expect(a.reserve(id(), 'bad token', 1000)).rejects.toBeInstanceOf(TypeError);
    await expect(a.reserve(id(), '', 1000)).rejects.toBeInstanceOf(TypeError);
    await expect(a.reserve(id(), 'ok', 0)).rejects.toBeInstanceOf(RangeError);
    await expect(a.reserve(id(), 'ok', 1.5)).rejects.toBeInstanceOf(TypeError);
    await expect(a.reserve(new Uint8Array(0), 'ok', 1000)).rejects.toBeInstanceOf(RangeError);
    await expect(a.release(id(), 'x'.repeat(65))).rejects.toBeInstanceOf(TypeError);
  });
}
