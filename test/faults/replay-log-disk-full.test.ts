/**
 * The replay log on a full disk (issue 15, item 1): on a real 64 KiB tmpfs, where a write that
 * crosses into a page the file system cannot allocate stores only part of the record, and with
 * an injected file handle that stores a few bytes per write on any platform. remember() must
 * reject unless the whole record is durable, and the log must reopen with every id it accepted.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtemp, open, readdir, rm, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { generateIdentityKeys, mailboxId, MemoryTransport, receiveEnvelopes, seal } from '../../src/index.js';
import { FileReplayGuard } from '../../src/node.js';

/** How the injected file handle misbehaves: store at most `maxBytes` per write, then fail with ENOSPC once `budget` is spent. */
const injected = vi.hoisted(() => ({ active: false, maxBytes: Infinity, budget: Infinity }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const openShort: typeof real.open = async (...args: Parameters<typeof real.open>) => {
    const handle = await real.open(...args);
    const write = handle.write.bind(handle) as (b: Uint8Array, o: number, l: number, p: number) => Promise<{ bytesWritten: number; buffer: Uint8Array }>;
    (handle as { write: unknown }).write = async (buffer: Uint8Array, offset: number, length: number, position: number) => {
      if (!injected.active) return write(buffer, offset, length, position);
      const n = Math.min(length, injected.maxBytes, injected.budget);
      if (n <= 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      injected.budget -= n;
      return write(buffer, offset, n, position);
    };
    return handle;
  };
  return { ...real, open: openShort, default: { ...real, open: openShort } };
});

const id = (): Uint8Array => new Uint8Array(randomBytes(16));

describe('FileReplayGuard with short writes (injected file handle)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lintas-short-write-'));
  });
  afterAll(async () => {
    injected.active = false;
    await rm(dir, { recursive: true, force: true });
  });

  it('continues a write that stored only part of the record', async () => {
    const path = join(dir, 'short.log');
    const ids = [id(), id(), id()];
    injected.active = true;
    injected.maxBytes = 5;
    injected.budget = Infinity;
    const g = await FileReplayGuard.open(path);
    for (const i of ids) await g.remember(i);
    await g.close();
    injected.active = false;
    const again = await FileReplayGuard.open(path);
    for (const i of ids) expect(await again.has(i)).toBe(true);
    expect(again.repairedRecords).toBe(0);
    await again.close();
  });

  it('rejects when the disk fills mid-record, and the next record and a reopen do not see a gap', async () => {
    const path = join(dir, 'full.log');
    const g = await FileReplayGuard.open(path);
    const kept = [id(), id()];
    for (const i of kept) await g.remember(i);
    injected.active = true;
    injected.maxBytes = Infinity;
    injected.budget = 8; // 8 of the 28 bytes, then ENOSPC: the failure of the issue
    const lost = id();
    // Before the fix remember() resolved here, with 8 bytes on disk.
    await expect(g.remember(lost)).rejects.toMatchObject({ code: 'ERR_REPLAY_LOG_WRITE_FAILED' });
    expect(await g.has(lost)).toBe(false);
    injected.active = false; // space came back
    const later = id();
    await g.remember(later);
    await g.close();
    const again = await FileReplayGuard.open(path);
    for (const i of [...kept, later]) expect(await again.has(i)).toBe(true);
    expect(await again.has(lost)).toBe(false);
    await again.close();
  });

  it('stops receiveEnvelopes without acknowledging when the id cannot be remembered; the envelope then runs once more and its replay is refused', async () => {
    const [alice, bob] = await Promise.all([generateIdentityKeys(), generateIdentityKeys()]);
    const box = mailboxId(bob.signing.publicKey);
    const env = await seal(new TextEncoder().encode('tasking'), { recipients: [bob.x25519], sender: alice.signing });
    const t = new MemoryTransport();
    await t.send(box, env);
    const g = await FileReplayGuard.open(join(dir, 'receive.log'));
    let handled = 0;
    const refused: string[] = [];
    const run = () =>
      receiveEnvelopes(t, box, {
        keys: [bob.x25519],
        trustedSenders: [alice.signing.publicKey],
        replayGuard: g,
        handler: () => void handled++,
        onRejected: (r) => void refused.push(r.error.code),
        untilEmpty: true,
      });
    injected.active = true;
    injected.maxBytes = Infinity;
    injected.budget = 8;
    // Before the fix remember() resolved with 8 bytes written and the envelope was acknowledged.
    await expect(run()).rejects.toMatchObject({ code: 'ERR_REPLAY_LOG_WRITE_FAILED' });
    injected.active = false;
    expect(await run()).toEqual({ processed: 1, rejected: 0 }); // redelivered: not acknowledged before
    await t.send(box, env);
    expect(await run()).toEqual({ processed: 0, rejected: 1 });
    expect([handled, refused]).toEqual([2, ['ERR_REPLAY_DETECTED']]);
    await g.close();
    await t.close();
  });

  it('keeps the old log whole when the disk fills during a compaction, and compacts later', async () => {
    const path = join(dir, 'compact.log');
    const g = await FileReplayGuard.open(path);
    const expired: Uint8Array[] = [];
    const past = new Date(Date.now() - 3 * 86_400_000);
    for (let n = 0; n < 255; n++) {
      expired.push(id());
      await g.remember(expired[n]!, past);
    }
    injected.active = true;
    injected.maxBytes = Infinity;
    injected.budget = 28; // the 256th record fits; the compaction it starts does not
    const last = id();
    await g.remember(last); // resolves: the record is durable, only the compaction failed
    injected.active = false;
    expect(await g.has(last)).toBe(true);
    expect(await g.has(expired[0]!)).toBe(true); // not compacted away: the old log is in place
    expect((await readdir(dir)).filter((n) => n.startsWith('compact.log.compact-'))).toEqual([]);
    for (let n = 0; n < 300; n++) await g.remember(id(), past); // space is back: the next compaction runs
    expect(await g.has(expired[0]!)).toBe(false);
    expect(await g.has(last)).toBe(true);
    await g.close();
  });
});

/** Mount a tmpfs of `size` at a new directory; null (with the reason) where mounting is impossible. */
function mountTmpfs(size: string): { dir: string } | { reason: string } {
  const dir = execFileSync('mktemp', ['-d', join(tmpdir(), 'lintas-tmpfs-XXXXXX')]).toString().trim();
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
    return { dir };
  } catch (e) {
    execFileSync('rmdir', [dir]);
    return { reason: `cannot mount a tmpfs (needs root or CAP_SYS_ADMIN; .ci/run runs as root): ${(e as Error).message.split('\n')[0]}` };
  }
}

describe('FileReplayGuard on a full tmpfs (real short writes)', () => {
  let mounted: { dir: string } | { reason: string };
  beforeAll(() => {
    mounted = mountTmpfs('64k');
  });
  afterAll(() => {
    if ('dir' in mounted) {
      execFileSync('umount', ['-l', mounted.dir]); // lazy: a handle a failing test left open must not keep it mounted
      execFileSync('rmdir', [mounted.dir]);
    }
  });

  it('rejects every record that is not whole on disk, and reopens with every accepted id once space is back', async (ctx) => {
    if (!('dir' in mounted)) return ctx.skip(mounted.reason);
    const dir = mounted.dir;
    const path = join(dir, 'replay.log');
    const g = await FileReplayGuard.open(path);
    // Fill every free page with another file: the log can only grow inside its last page.
    const filler = await open(join(dir, 'filler'), 'w');
    const block = new Uint8Array(4096);
    for (;;) {
      try {
        const { bytesWritten } = await filler.write(block);
        if (bytesWritten < block.length) break;
      } catch {
        break;
      }
    }
    await filler.close();
    const accepted: Uint8Array[] = [];
    let failures = 0;
    for (let n = 0; n < 400; n++) {
      const i = id();
      try {
        await g.remember(i);
        accepted.push(i);
      } catch (e) {
        expect(e).toMatchObject({ code: 'ERR_REPLAY_LOG_WRITE_FAILED' });
        failures++;
        expect(await g.has(i)).toBe(false);
      }
    }
    expect(failures).toBeGreaterThan(0);
    expect(accepted.length).toBeGreaterThan(0);
    // The file holds the header and whole records only: the torn one was rolled back.
    expect(((await stat(path)).size - 44) % 28).toBe(0);
    await g.close();
    // Space comes back: the log opens (before the fix: ERR_REPLAY_LOG_CORRUPT) with every accepted id.
    await unlink(join(dir, 'filler'));
    const reopened = await FileReplayGuard.open(path);
    expect(reopened.repairedRecords).toBe(0);
    for (const i of accepted) expect(await reopened.has(i)).toBe(true);
    const after = id();
    await reopened.remember(after);
    await reopened.close();
    const last = await FileReplayGuard.open(path);
    expect(await last.has(after)).toBe(true);
    expect(last.size).toBe(accepted.length + 1);
    await last.close();
  });
});
