/**
 * The pool rounds of the bench (bench/pool-rounds.ts, bench/pool-child.ts) must run what they
 * claim in a process of their own: the child is bundled beside lintas's pool worker and the
 * app-side pool's thread, each line seals and opens real pairs (the child checks every payload
 * that comes back), and an unknown line is refused. No timing here: a short round, and only that
 * it measured something.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundlePoolChild, runPoolRound } from '../../bench/pool-rounds.js';

const dir = mkdtempSync(join(tmpdir(), 'lintas-pool-child-'));
let child: string;
let keysPath: string;
beforeAll(async () => {
  child = await bundlePoolChild(join(dir, 'child'));
  // All the child reads of the bench's keys: the lintas sender's and recipient's seeds.
  keysPath = join(dir, 'keys.json');
  writeFileSync(keysPath, JSON.stringify({ lintasSeeds: { sender: randomBytes(32).toString('hex'), recipient: randomBytes(32).toString('hex') } }));
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bench pool rounds, a process each', () => {
  it.each(['pool', 'app-side'] as const)('runs the %s line in a child and reports pairs per second and CPU per pair', async (line) => {
    const round = await runPoolRound(child, line, 0, 200, keysPath);
    expect(round.pairsPerSecond).toBeGreaterThan(0);
    expect(round.cpuMicrosPerPair).toBeGreaterThan(0);
  }, 120_000);

  it('refuses a line it does not know', async () => {
    await expect(promisify(execFile)(process.execPath, [child, 'no-such-line', '0', '100', keysPath])).rejects.toThrow(/unknown pool line/);
  }, 60_000);
});
