/**
 * The transport examples keep working: each runs as its own process and exchanges an envelope.
 * (The main demo, examples/two-agencies.ts, is checked in depth by test/examples.)
 */
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { startWorker } from './process-helpers.js';

const examples: [string, string][] = [
  ['transport-memory.ts', 'processed 2, rejected 0'],
  ['transport-drop-folder.ts', 'POLRI <- "vessel sighted 03:10Z"'],
  ['transport-relay.ts', 'BIN   <- receipt: POLRI received it'],
  ['transport-redis.ts', 'POLRI <- "shipment leaves Tanjung Priok 22:00"'],
  ['taxii.ts', 'POLRI <- "Poison Ivy C2 hosts" from BIN (verified)'],
];

describe('transport examples', () => {
  for (const [file, expected] of examples) {
    it(`examples/${file} runs and delivers`, async () => {
      const w = startWorker(fileURLToPath(new URL(`../../examples/${file}`, import.meta.url)), [], {});
      expect(await w.exited).toBe(0);
      expect(w.lines.some((l) => l.startsWith(expected))).toBe(true);
    });
  }
});
