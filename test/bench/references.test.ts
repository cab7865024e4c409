/**
 * The checkpointed reference line of the bench (bench/references.ts, `two-core-checkpoints`)
 * must really do what it claims, or lintas's ratio to it would measure nothing: every window's
 * signature is checked, and a window that does not verify stops the stream. No timing here.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { twoCoreCheckpointsReference } from '../../bench/references.js';

const MiB = 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'lintas-references-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** 9.5 MiB: two whole 4 MiB windows and a short last one; distinct bytes in every window. */
async function* payload(): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < 19; i++) yield new Uint8Array(MiB / 2).fill(i + 1);
}

describe('two-core limit + checkpoints', () => {
  it('opens what it sealed, one signature per 4 MiB window', async () => {
    const line = await twoCoreCheckpointsReference();
    const file = join(dir, 'good.bin');
    await line.encryptToFile(payload(), file);
    expect(readFileSync(`${file}.sig`).length).toBe(3 * 64);
    expect(await line.decryptFile(file)).toBe(9.5 * MiB);
  });

  it('stops at a window whose signature does not verify, and at swapped signatures', async () => {
    const line = await twoCoreCheckpointsReference();
    const file = join(dir, 'bad.bin');
    await line.encryptToFile(payload(), file);
    const signatures = readFileSync(`${file}.sig`);

    const flipped = Buffer.from(signatures);
    flipped[64 + 10]! ^= 1; // the second window's signature
    writeFileSync(`${file}.sig`, flipped);
    await expect(line.decryptFile(file)).rejects.toThrow(/window 1 does not verify/);

    const swapped = Buffer.concat([signatures.subarray(64, 128), signatures.subarray(0, 64), signatures.subarray(128)]);
    writeFileSync(`${file}.sig`, swapped);
    await expect(line.decryptFile(file)).rejects.toThrow(/window 0 does not verify/);

    writeFileSync(`${file}.sig`, signatures.subarray(0, 128)); // the last window's signature missing
    await expect(line.decryptFile(file)).rejects.toThrow();
  });
});
