/**
 * The replay window (issue 15, item 3; SPEC 10.7): receiveEnvelopes refuses envelopes older than
 * the window and tells the guard how long to keep each id; FileReplayGuard compacts ids past
 * that time (plus a one-day clock margin), while running and when opened.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DEFAULT_REPLAY_WINDOW_SECONDS, MemoryTransport, receiveEnvelopes, type ReplayGuard } from '../../src/index.js';
import { FileReplayGuard } from '../../src/node.js';

const HEADER = 44;
const RECORD = 28;
const DAY_MS = 86_400_000;
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function logPath(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'lintas-window-'));
  dirs.push(d);
  return join(d, 'replay.log');
}
const id = (): Uint8Array => new Uint8Array(randomBytes(16));

/** A guard that records what the receive loop asks of it. */
class RecordingGuard implements ReplayGuard {
  readonly remembered: (Date | undefined)[] = [];
  async has(): Promise<boolean> {
    return false;
  }
  async remember(_id: Uint8Array, keepUntil?: Date): Promise<void> {
    this.remembered.push(keepUntil);
  }
}

/** Run receiveEnvelopes over one delivery whose custom opener reports `fields`. */
async function receiveOne(fields: { createdAt?: Date; expiresAt?: Date | null }, guard: ReplayGuard, replayWindowSeconds?: number) {
  const t = new MemoryTransport();
  await t.send('a'.repeat(64), new Uint8Array([1]));
  const refused: string[] = [];
  let handled = 0;
  await receiveEnvelopes(t, 'a'.repeat(64), {
    open: async () => ({ envelopeId: id(), ...fields }),
    replayGuard: guard,
    ...(replayWindowSeconds !== undefined ? { replayWindowSeconds } : {}),
    handler: () => void handled++,
    onRejected: (r) => void refused.push(r.error.code),
    untilEmpty: true,
  });
  return { handled, refused };
}

describe('receiveEnvelopes and the replay window', () => {
  it('refuses an envelope created longer ago than the window, without calling the handler', async () => {
    const guard = new RecordingGuard();
    const old = await receiveOne({ createdAt: new Date(Date.now() - DEFAULT_REPLAY_WINDOW_SECONDS * 1000 - 60_000) }, guard);
    expect(old).toEqual({ handled: 0, refused: ['ERR_REPLAY_TOO_OLD'] });
    const shortWindow = await receiveOne({ createdAt: new Date(Date.now() - 120_000) }, guard, 60);
    expect(shortWindow).toEqual({ handled: 0, refused: ['ERR_REPLAY_TOO_OLD'] });
    expect(guard.remembered).toEqual([]);
  });

  it('tells the guard to keep the id until the window ends, or until the envelope expires if that is sooner', async () => {
    const guard = new RecordingGuard();
    const created = new Date(Date.now() - 1000);
    await receiveOne({ createdAt: created }, guard, 3600);
    const expires = new Date(Date.now() + 60_000);
    await receiveOne({ createdAt: created, expiresAt: expires }, guard, 3600);
    await receiveOne({ createdAt: created, expiresAt: new Date(Date.now() + 7 * DAY_MS) }, guard, 3600);
    expect(guard.remembered.map((d) => d?.getTime())).toEqual([created.getTime() + 3_600_000, expires.getTime(), created.getTime() + 3_600_000]);
  });

  it('keeps the id forever when the opener reports no creation time, and refuses what a custom opener let through expired', async () => {
    const guard = new RecordingGuard();
    expect(await receiveOne({}, guard)).toEqual({ handled: 1, refused: [] });
    expect(guard.remembered).toEqual([undefined]);
    expect(await receiveOne({ createdAt: new Date(), expiresAt: new Date(Date.now() - 1000) }, guard)).toEqual({ handled: 0, refused: ['ERR_ENVELOPE_EXPIRED'] });
  });

  it('validates replayWindowSeconds', async () => {
    const guard = new RecordingGuard();
    await expect(receiveOne({}, guard, 0)).rejects.toBeInstanceOf(RangeError);
    await expect(receiveOne({}, guard, 1.5)).rejects.toBeInstanceOf(TypeError);
  });
});

describe('FileReplayGuard compaction', () => {
  it('drops ids past their time (and the clock margin) while running, keeping the file and memory to the live ids', async () => {
    const path = await logPath();
    const g = await FileReplayGuard.open(path);
    const live = [id(), id(), id()];
    const withinMargin = id();
    for (const i of live) await g.remember(i, new Date(Date.now() + DAY_MS));
    await g.remember(withinMargin, new Date(Date.now() - 3_600_000)); // past its time by less than the one-day margin
    const forever = id();
    await g.remember(forever);
    const expired: Uint8Array[] = [];
    for (let n = 0; n < 600; n++) {
      const i = id();
      expired.push(i);
      await g.remember(i, new Date(Date.now() - 2 * DAY_MS));
    }
    // Compactions ran at 256 records: what is left is the live ids and the expired ones since the last.
    expect(g.size).toBeLessThan(256);
    for (const i of [...live, withinMargin, forever]) expect(await g.has(i)).toBe(true);
    expect(await g.has(expired[0]!)).toBe(false);
    await g.close();
    expect((await stat(path)).size).toBe(HEADER + g.size * RECORD);
    const again = await FileReplayGuard.open(path); // many expired: compacted on open too
    expect(again.size).toBe(5);
    for (const i of [...live, withinMargin, forever]) expect(await again.has(i)).toBe(true);
    await again.close();
    expect((await stat(path)).size).toBe(HEADER + 5 * RECORD);
  });

  it('validates keepUntil', async () => {
    const g = await FileReplayGuard.open(await logPath());
    await expect(g.remember(id(), new Date(NaN))).rejects.toBeInstanceOf(TypeError);
    await expect(g.remember(id(), 'tomorrow' as unknown as Date)).rejects.toBeInstanceOf(TypeError);
    await expect(g.remember(id(), new Date(0))).rejects.toBeInstanceOf(RangeError);
    await g.close();
  });
});
