/**
 * The 1 GiB runs of the bench (bench/large-child.ts, started by bench/large-stream.ts) report
 * more than a rate: where the main thread's time went (on a core, waiting for one), the system
 * time and the page faults (docs/PERFORMANCE.md, "Method"). These must be the run's own, not the
 * process's since start, and must add up: no more CPU on the main thread than the run's wall
 * time. A small stream of lintas, sealed and opened by the bundled child. No timing here.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleLargeChild, runLarge } from '../../bench/large-stream.js';
import { mainThreadTimes } from '../../bench/machine.js';

const MiB = 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'lintas-large-child-'));
let child: string;
let keysPath: string;
beforeAll(async () => {
  child = await bundleLargeChild(join(dir, 'child'));
  keysPath = join(dir, 'keys.json');
  writeFileSync(keysPath, JSON.stringify({ lintasSeeds: { sender: randomBytes(32).toString('hex'), recipient: randomBytes(32).toString('hex') } }));
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const linux = existsSync(`/proc/self/task/${process.pid}/schedstat`);

describe('bench 1 GiB child', () => {
  it('reports the run\'s main-thread split, system time and page faults beside its rate', async () => {
    const file = join(dir, 'stream.bin');
    for (const op of ['encrypt', 'decrypt'] as const) {
      const run = await runLarge(child, 'lintas', op, 16 * MiB, keysPath, file);
      expect(run.bytes).toBe(16 * MiB);
      expect(run.minorFaults).toBeGreaterThanOrEqual(0);
      expect(run.systemSeconds).toBeGreaterThanOrEqual(0);
      // The run's own, so at most the process's CPU time (which includes loading everything).
      expect(run.systemSeconds!).toBeLessThanOrEqual(run.cpu);
      if (!linux) continue;
      const { cpu, runQueue } = run.mainThread!;
      expect(cpu).toBeGreaterThan(0);
      expect(runQueue).toBeGreaterThanOrEqual(0);
      // One thread cannot be on a core, or waiting for one, for longer than the run took.
      expect(cpu + runQueue).toBeLessThanOrEqual(run.seconds * 1.01 + 0.01);
    }
  }, 120_000);
});

describe.runIf(linux)('main thread times (Linux schedstat)', () => {
  it('grow by the CPU this thread spends, and never run backwards', () => {
    const before = mainThreadTimes()!;
    const until = performance.now() + 60;
    let x = 0;
    while (performance.now() < until) x += Math.sqrt(x + 1);
    const after = mainThreadTimes()!;
    expect(x).toBeGreaterThan(0);
    // 60 ms of busy loop: most of it on a core (a loaded machine may keep some in the run queue).
    expect(after.cpu - before.cpu + (after.runQueue - before.runQueue)).toBeGreaterThan(0.04);
    expect(after.cpu).toBeGreaterThanOrEqual(before.cpu);
    expect(after.runQueue).toBeGreaterThanOrEqual(before.runQueue);
  });
});
