/**
 * The ReplayGuard contract (test/transports/replay-guard-conformance.ts) for the guards without a
 * server: MemoryReplayGuard, and FileReplayGuard exclusive and shared (which reserves, for
 * receivers in several processes on one log). Redis and NATS KV run it in their own suites.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { isReservingReplayGuard, MemoryReplayGuard, type ReplayGuard } from '../../src/index.js';
import { FileReplayGuard } from '../../src/node.js';
import { replayGuardConformance, reservingGuardConformance } from './replay-guard-conformance.js';

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
  const factory = {
    store: async () => {
      const g = openFile(await logPath(), 'exclusive');
      return { open: async (): Promise<ReplayGuard> => g };
    },
  };
  replayGuardConformance(factory);
  reservingGuardConformance(factory);
});

describe('FileReplayGuard, shared', () => {
  const factory = {
    store: async () => {
      const path = await logPath();
      return { open: (): Promise<ReplayGuard> => openFile(path, 'shared') };
    },
  };
  replayGuardConformance(factory);
  reservingGuardConformance(factory);

  it('keeps a reservation across reopening, and forgets it once the id is remembered', async () => {
    const path = await logPath();
    const a = await openFile(path, 'shared');
    const x = new Uint8Array(randomBytes(16));
    expect(await a.reserve(x, 'tokenA', 60_000)).toBe('new');
    const b = await openFile(path, 'shared');
    expect(await b.reserve(x, 'tokenB', 60_000)).toBe('busy');
    await a.remember(x, new Date(Date.now() + 3_600_000));
    expect(await b.reserve(x, 'tokenB', 60_000)).toBe('seen');
    expect(await readdir(`${path}.reserved`)).toEqual([]);
  });
});
