/**
 * The ReplayGuard contract (test/transports/replay-guard-conformance.ts) for the guards of one
 * process: MemoryReplayGuard, and FileReplayGuard exclusive and shared. (Redis and NATS KV run
 * it in their own suites, with their servers.) Neither reserves: one process needs no
 * reservation, receiveEnvelopes serialises the copies of an envelope itself.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { isReservingReplayGuard, MemoryReplayGuard, type ReplayGuard } from '../../src/index.js';
import { FileReplayGuard } from '../../src/node.js';
import { replayGuardConformance } from './replay-guard-conformance.js';

const dirs: string[] = [];
const opened: FileReplayGuard[] = [];
afterAll(async () => {
  for (const g of opened) await g.close();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function logPath(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'lintas-conformance-'));
  dirs.push(d);
  return join(d, `replay-${randomBytes(4).toString('hex')}.log`);
}
async function openFile(path: string, sharing: 'exclusive' | 'shared'): Promise<FileReplayGuard> {
  const g = await FileReplayGuard.open(path, { sharing });
  opened.push(g);
  return g;
}

describe('MemoryReplayGuard', () => {
  replayGuardConformance({
    store: async () => {
      const g = new MemoryReplayGuard();
      return { open: async (): Promise<ReplayGuard> => g };
    },
  });
  it('does not reserve (one process: receiveEnvelopes serialises copies itself)', () => {
    expect(isReservingReplayGuard(new MemoryReplayGuard())).toBe(false);
  });
});

describe('FileReplayGuard, exclusive', () => {
  replayGuardConformance({
    store: async () => {
      const g = openFile(await logPath(), 'exclusive');
      return { open: async (): Promise<ReplayGuard> => g };
    },
  });
});

describe('FileReplayGuard, shared', () => {
  replayGuardConformance({
    store: async () => {
      const path = await logPath();
      return { open: (): Promise<ReplayGuard> => openFile(path, 'shared') };
    },
  });
});
