/**
 * Several processes and one replay log or relay folder (issue 15, item 2): before the locks, a
 * second process on the same log erased the first one's ids, and two relays on one folder
 * delivered envelopes twice. Each test runs real processes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { FileReplayGuard, startRelay } from '../../src/node.js';
import { startWorker, stopWorker } from './process-helpers.js';

const writer = fileURLToPath(new URL('./fixtures/replay-log-writer.ts', import.meta.url));
const relayProcess = fileURLToPath(new URL('./fixtures/relay-process.ts', import.meta.url));
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'lintas-locks-'));
  dirs.push(d);
  return d;
}
const ids = (lines: string[]): string[] => lines.filter((l) => /^[0-9a-f]{32}$/.test(l));

describe('FileReplayGuard between processes', () => {
  it('refuses a second process on a log held by a running receiver, with ERR_REPLAY_LOG_LOCKED', async () => {
    const path = join(await tempDir(), 'replay.log');
    const holder = startWorker(writer, [path]);
    await holder.waitForLine((l) => l === 'ready', 'ready');
    try {
      await expect(FileReplayGuard.open(path)).rejects.toMatchObject({ code: 'ERR_REPLAY_LOG_LOCKED' });
      await expect(FileReplayGuard.open(path, { sharing: 'shared', lockTimeoutMs: 50 })).rejects.toMatchObject({ code: 'ERR_REPLAY_LOG_LOCKED' });
      const second = startWorker(writer, [path]);
      expect(await second.waitForLine((l) => l.startsWith('error'), 'error')).toBe('error ERR_REPLAY_LOG_LOCKED');
      await second.exited;
      const lock = JSON.parse(await readFile(`${path}.lock`, 'utf8')) as { pid: number };
      expect(lock.pid).toBe(holder.child.pid);
    } finally {
      await stopWorker(holder, 'SIGKILL');
    }
    // The holder was SIGKILLed and left its lock file: it must not block the log forever.
    const g = await FileReplayGuard.open(path);
    for (const id of ids(holder.lines)) expect(await g.has(Buffer.from(id, 'hex'))).toBe(true);
    await g.close();
  });

  it('lets receivers that all open the log "shared" write it at once without losing an id', async () => {
    const path = join(await tempDir(), 'replay.log');
    const workers = [0, 1, 2].map(() => startWorker(writer, [path, 'shared', '150']));
    await Promise.all(workers.map((w) => w.waitForLine((l) => l === 'done', 'done')));
    const all = workers.flatMap((w) => ids(w.lines));
    expect(all).toHaveLength(450);
    const g = await FileReplayGuard.open(path);
    expect(g.size).toBe(450);
    for (const id of all) expect(await g.has(Buffer.from(id, 'hex'))).toBe(true);
    await g.close();
  });

  it('sees, in a shared guard, the ids another process remembered and a log another process compacted', async () => {
    const path = join(await tempDir(), 'replay.log');
    const a = await FileReplayGuard.open(path, { sharing: 'shared' });
    const b = await FileReplayGuard.open(path, { sharing: 'shared' });
    const live = new Uint8Array(randomBytes(16));
    await a.remember(live, new Date(Date.now() + 3_600_000));
    expect(await b.has(live)).toBe(true);
    // Enough ids long past their window to make `a` compact: the file is replaced under `b`.
    const old = new Date(Date.now() - 3 * 86_400_000);
    for (let i = 0; i < 300; i++) await a.remember(new Uint8Array(randomBytes(16)), old);
    expect(a.size).toBeLessThan(50);
    const later = new Uint8Array(randomBytes(16));
    await b.remember(later);
    expect(await a.has(later)).toBe(true);
    expect(await b.has(live)).toBe(true);
    await a.close();
    await b.close();
    const c = await FileReplayGuard.open(path);
    expect(await c.has(live)).toBe(true);
    expect(await c.has(later)).toBe(true);
    await c.close();
  });
});

describe('relay storage folder', () => {
  it('refuses a second relay on a folder a running relay uses, with ERR_RELAY_STORAGE_LOCKED, until that relay is gone', async () => {
    const dir = await tempDir();
    const first = startWorker(relayProcess, [dir, '0']);
    await first.waitForLine((l) => l.startsWith('listening'), 'listening');
    try {
      await expect(startRelay({ dir })).rejects.toMatchObject({ code: 'ERR_RELAY_STORAGE_LOCKED' });
    } finally {
      await stopWorker(first, 'SIGKILL');
    }
    const relay = await startRelay({ dir }); // the SIGKILLed relay's lock is stale
    await expect(startRelay({ dir })).rejects.toMatchObject({ code: 'ERR_RELAY_STORAGE_LOCKED' });
    await relay.close();
    const again = await startRelay({ dir }); // released on close
    await again.close();
  });
});

describe('a lock whose holder is gone', () => {
  // The start time comes from /proc/PID/stat: elsewhere a reused pid looks alive.
  it.skipIf(process.platform !== 'linux')('is broken when its pid now runs another process (pid reuse), not kept forever', async () => {
    const path = join(await tempDir(), 'replay.log');
    await (await FileReplayGuard.open(path)).close();
    // A lock naming a live pid (this test's) with another process start time: the pid was reused.
    await writeFile(`${path}.lock`, JSON.stringify({ pid: process.pid, host: hostname(), boot: null, start: '1', mode: 'hold', token: 'x' }));
    const reopened = await FileReplayGuard.open(path);
    await reopened.close();
  });

  it('is kept while a holder on another host refreshes it, and broken once it has not for foreignLockStaleMs', async () => {
    const path = join(await tempDir(), 'replay.log');
    await (await FileReplayGuard.open(path)).close();
    await writeFile(`${path}.lock`, JSON.stringify({ pid: 1, host: 'another-host.example', boot: null, start: null, mode: 'hold', token: 'x' }));
    await expect(FileReplayGuard.open(path)).rejects.toMatchObject({ code: 'ERR_REPLAY_LOG_LOCKED' });
    const old = new Date(Date.now() - 121_000);
    await utimes(`${path}.lock`, old, old);
    await (await FileReplayGuard.open(path)).close();
  });

  it('waits out an empty lock file (its writer died between create and write) for 5 s, then breaks it', async () => {
    const path = join(await tempDir(), 'replay.log');
    await (await FileReplayGuard.open(path)).close();
    await writeFile(`${path}.lock`, '');
    await expect(FileReplayGuard.open(path, { lockTimeoutMs: 50 })).rejects.toMatchObject({ code: 'ERR_REPLAY_LOG_LOCKED' });
    const old = new Date(Date.now() - 6000);
    await utimes(`${path}.lock`, old, old);
    await (await FileReplayGuard.open(path, { lockTimeoutMs: 50 })).close();
  });

  it('is kept while its holder on this host runs', async () => {
    const path = join(await tempDir(), 'replay.log');
    const g = await FileReplayGuard.open(path);
    await expect(FileReplayGuard.open(path)).rejects.toMatchObject({ code: 'ERR_REPLAY_LOG_LOCKED' });
    await g.close();
  });
});
