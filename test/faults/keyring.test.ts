/**
 * Fault injection on the key ring file (docs/SECURITY-TESTING.md, "Fault injection"): writer
 * processes killed with SIGKILL while adding keys and while re-keying, a full disk (a real
 * ENOSPC on a small tmpfs, swept over every fill level a save passes through), a file size limit
 * (EFBIG, no privileges needed), a directory the writer may not write (an unprivileged uid) and
 * a read-only mount (EROFS). After every fault: the key ring opens with every key whose save was
 * confirmed, the error carries the errno code, and no lock, temp file or partial file is left.
 *
 * test/keyring/file-storage.test.ts covers the lock, concurrent writers and kills of a save
 * that rewrites one contact; this file attacks the keys themselves. LINTAS_FAULT_KILLS sets the
 * number of kills (default 32; `npm run faults` runs 500).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KeyRing, KEYRING_KDF_MINIMUM, MemoryKeyRingStorage } from '../../src/index.js';
import { FileKeyRingStorage } from '../../src/node.js';
import { stopWorker } from '../transports/process-helpers.js';
import { bundleFixture, startBundledWorker } from './bundled-worker.js';

const WORKER = fileURLToPath(new URL('./fixtures/keyring-worker.ts', import.meta.url));
const PASSPHRASE = 'kunci gangguan';
const OTHER_PASSPHRASE = 'kunci gangguan kedua';
const SECRET = { passphrase: PASSPHRASE, kdf: KEYRING_KDF_MINIMUM };
const KILLS = Number(process.env.LINTAS_FAULT_KILLS ?? 32);
const REKEY_KILLS = Math.max(8, Math.round(KILLS / 4));
const RING = 'keyring.lintas';
const BACKUP = 'keyring.lintas.bak';
const SEEN = 'keyring.lintas.seen';
const isRoot = process.getuid?.() === 0;
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** True if this process may mount a tmpfs (root with CAP_SYS_ADMIN, as in CI); decided once. */
const canMount = ((): boolean => {
  if (process.platform !== 'linux' || !isRoot) return false;
  const probe = join(tmpdir(), `lintas-mount-probe-${process.pid}`);
  try {
    execFileSync('mkdir', ['-p', probe]);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    execFileSync('rmdir', [probe]);
  }
})();

let base: string;
let worker: Awaited<ReturnType<typeof bundleFixture>>;
const mounts: string[] = [];
beforeAll(async () => {
  base = await fs.mkdtemp(join(tmpdir(), 'lintas-faults-keyring-'));
  worker = await bundleFixture(WORKER);
});
afterAll(async () => {
  for (const m of mounts.splice(0)) execFileSync('umount', [m]);
  await fs.rm(base, { recursive: true, force: true });
  await worker?.remove();
});

const startWorker = (args: string[], env: NodeJS.ProcessEnv = {}) => startBundledWorker(worker.path, args, env);

let counter = 0;
async function freshDir(): Promise<string> {
  const dir = join(base, `case-${++counter}`);
  await fs.mkdir(dir);
  return dir;
}

/** A small tmpfs of `bytes`; unmounted after the file's tests. */
async function tmpfs(bytes: number): Promise<string> {
  const dir = await freshDir();
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0700`, 'tmpfs', dir]);
  mounts.push(dir);
  return dir;
}

/** A key ring with an identity and some contacts, so a save writes several pages and takes a few ms. */
async function seededRing(dir: string, identities = 4): Promise<KeyRing> {
  const ring = await KeyRing.create(new FileKeyRingStorage(join(dir, RING)), SECRET);
  for (let i = 0; i < identities; i++) await ring.createIdentity({ name: `Seed-${i}`, organization: 'Badan Intelijen Negara', country: 'ID' });
  return ring;
}

/** name -> fingerprint of every identity, and a check that each private key matches its card. */
function keysOf(ring: KeyRing): Map<string, string> {
  const out = new Map<string, string>();
  for (const id of ring.identities()) {
    expect(ring.identityKeys(id.name).signing.publicKey, id.name).toEqual(id.card.signingPublicKey);
    out.set(id.name, hex(id.card.fingerprint));
  }
  return out;
}

async function openKeys(dir: string, passphrase = PASSPHRASE): Promise<Map<string, string>> {
  const ring = await KeyRing.open(new FileKeyRingStorage(join(dir, RING)), { passphrase });
  try {
    return keysOf(ring);
  } finally {
    ring.close();
  }
}

async function listing(dir: string): Promise<string[]> {
  return (await fs.readdir(dir)).filter((n) => n !== 'lost+found').sort();
}

/**
 * Leftovers a killed save may leave, all removed by the next save: its lock, its temp files, and
 * the lock of an earlier dead writer that it was setting aside (breaking) when it died.
 */
const LEFTOVER = /^keyring\.lintas(?:\.lock|(?:\.tmp|\.bak\.tmp|\.seen\.tmp|\.lock\.stale)-\d+-[0-9a-f]+)$/;
function leftovers(names: string[]): { lock: boolean; others: number } {
  return { lock: names.includes(`${RING}.lock`), others: names.filter((n) => LEFTOVER.test(n) && n !== `${RING}.lock`).length };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('key ring: writers killed with SIGKILL', () => {
  it(`loses no confirmed key over ${KILLS} kills of processes adding identities`, async () => {
    const dir = await freshDir();
    (await seededRing(dir)).close();
    const confirmed = new Map(await openKeys(dir)); // every identity whose save resolved
    const stats = { saves: 0, inFlightLanded: 0, lockLeft: 0, othersLeft: 0 };
    for (let k = 0; k < KILLS; k++) {
      const w = startWorker(['add', join(dir, RING), PASSPHRASE]);
      await w.waitForLine((l) => l === 'ready', 'ready');
      // Every fourth writer is killed only after its first confirmed save, so confirmed saves are
      // exercised even when a loaded machine (the full CI suite) makes a save outlast 60 ms.
      if (k % 4 === 0) await w.waitForLine((l) => l.startsWith('added '), 'a first save');
      // A random moment within the next few saves (each writes and fsyncs two files, renames twice).
      await pause(Math.floor(Math.random() * 60));
      await stopWorker(w, 'SIGKILL');
      const added = w.lines.filter((l) => l.startsWith('added ')).map((l) => l.split(' ') as [string, string, string]);
      for (const [, name, fp] of added) confirmed.set(name, fp);
      stats.saves += added.length;
      const names = await listing(dir);
      const left = leftovers(names);
      if (left.lock) stats.lockLeft++;
      stats.othersLeft += left.others;
      expect(names.filter((n) => !LEFTOVER.test(n)), `kill ${k}`).toEqual([RING, BACKUP, SEEN]);

      // Every confirmed key is there with its fingerprint; at most the one in flight is extra.
      const now = await openKeys(dir);
      for (const [name, fp] of confirmed) expect(now.get(name), `kill ${k}: ${name}`).toBe(fp);
      const extra = [...now.keys()].filter((n) => !confirmed.has(n));
      expect(extra.length, `kill ${k}`).toBeLessThanOrEqual(1);
      if (extra.length === 1) {
        expect(extra[0]).toBe(`K-${w.child.pid}-${added.length}`);
        confirmed.set(extra[0]!, now.get(extra[0]!)!); // from now on it must never disappear
        stats.inFlightLanded++;
      }
      // The backup is a complete generation too: the previous one, or the current one.
      const backup = await KeyRing.open(new MemoryKeyRingStorage(await fs.readFile(join(dir, BACKUP))), SECRET);
      const backupKeys = keysOf(backup);
      backup.close();
      expect([now.size - 1, now.size], `kill ${k}`).toContain(backupKeys.size);
      for (const [name, fp] of backupKeys) expect(now.get(name)).toBe(fp);
    }
    // The next save removes what the killed writers left behind.
    const ring = await KeyRing.open(new FileKeyRingStorage(join(dir, RING)), SECRET);
    await ring.createIdentity({ name: 'After', organization: 'x', country: 'ID' });
    ring.close();
    expect(await listing(dir)).toEqual([RING, BACKUP, SEEN]);
    expect(stats.saves).toBeGreaterThan(0);
    // Most kills land inside a save (the writer does little else); this shows they were exercised.
    expect(stats.lockLeft + stats.inFlightLanded).toBeGreaterThan(0);
    console.info(`[faults] key ring add: ${KILLS} kills, ${stats.saves} confirmed saves, ${confirmed.size} keys kept, ` +
      `${stats.inFlightLanded} unconfirmed saves landed, lock left by ${stats.lockLeft} kills, ${stats.othersLeft} temp files or set-aside locks left (all removed by the next save)`);
  }, 60_000 + KILLS * 5_000);

  it(`re-keying killed ${REKEY_KILLS} times: opens with the confirmed or the in-flight secret, all keys`, async () => {
    const rounds = REKEY_KILLS;
    const dir = await freshDir();
    (await seededRing(dir, 3)).close();
    const keys = await openKeys(dir);
    const passphrases = { A: PASSPHRASE, B: OTHER_PASSPHRASE };
    let onDisk: 'A' | 'B' = 'A';
    const stats = { rekeys: 0, inFlightLanded: 0 };
    for (let k = 0; k < rounds; k++) {
      const w = startWorker(['rekey', join(dir, RING), PASSPHRASE, OTHER_PASSPHRASE]);
      const ready = await w.waitForLine((l) => l.startsWith('ready '), 'ready');
      expect(ready).toBe(`ready ${onDisk}`);
      await pause(Math.floor(Math.random() * 60));
      await stopWorker(w, 'SIGKILL');
      const done = w.lines.filter((l) => l.startsWith('rekeyed '));
      stats.rekeys += done.length;
      const confirmed: 'A' | 'B' = done.length > 0 ? (done[done.length - 1]!.slice(8) as 'A' | 'B') : onDisk;
      const inFlight: 'A' | 'B' = confirmed === 'A' ? 'B' : 'A';
      let opened: Map<string, string>;
      try {
        opened = await openKeys(dir, passphrases[confirmed]);
        onDisk = confirmed;
      } catch (e) {
        expect((e as { code?: string }).code, `kill ${k}`).toBe('ERR_KEYRING_WRONG_PASSPHRASE');
        opened = await openKeys(dir, passphrases[inFlight]);
        onDisk = inFlight;
        stats.inFlightLanded++;
      }
      expect(opened, `kill ${k}`).toEqual(keys);
    }
    console.info(`[faults] key ring rekey: ${rounds} kills, ${stats.rekeys} confirmed re-keys, ${stats.inFlightLanded} unconfirmed re-keys landed, no key lost`);
  }, 60_000 + REKEY_KILLS * 5_000);
});

interface WorkerResult {
  ok?: boolean;
  code?: string;
  message?: string;
  syscall?: string;
  identities?: number;
}

/** One save by a worker process; with `asUser` it drops root to that uid first, so permission bits apply. */
async function runOnce(args: string[], asUser?: number): Promise<WorkerResult> {
  const w = startWorker(['once', ...args], asUser === undefined ? {} : { LINTAS_WORKER_UID: String(asUser) });
  const line = await w.waitForLine((l) => l.startsWith('{'), 'result');
  await w.exited;
  return JSON.parse(line) as WorkerResult;
}

describe('key ring: write failures', () => {
  it.skipIf(!canMount)('disk full (ENOSPC on a tmpfs), swept over every amount of free space a save needs', async () => {
    const dir = await tmpfs(256 * 1024);
    const ring = await seededRing(dir, 2);
    const filler = join(dir, 'filler');
    const page = (await fs.statfs(dir)).bsize;
    const ringPages = Math.ceil((await fs.stat(join(dir, RING))).size / page);
    let failures = 0;
    let successes = 0;
    const stages = new Set<string>();
    // Free pages from 0 (not even the lock file fits) up to room for the lock, the backup and the new file.
    for (let free = 0; free <= 2 * ringPages + 3; free++) {
      await fs.rm(filler, { force: true });
      const before = { ring: await fs.readFile(join(dir, RING)), backup: await fs.readFile(join(dir, BACKUP)), keys: keysOf(ring) };
      const { bavail } = await fs.statfs(dir);
      await fs.writeFile(filler, new Uint8Array((bavail - free) * page));
      expect((await fs.statfs(dir)).bavail).toBe(free);
      const name = `Full-${free}`;
      let caught: unknown;
      try {
        await ring.createIdentity({ name, organization: 'x', country: 'ID' });
      } catch (e) {
        caught = e;
      }
      const names = await listing(dir);
      expect(names, `free ${free}`).toEqual(['filler', RING, BACKUP, SEEN]); // no lock, no temp file
      const after = await openKeys(dir);
      if (caught === undefined) {
        successes++;
        expect(after.get(name)).toBe(keysOf(ring).get(name));
        expect(after.size).toBe(before.keys.size + 1);
        continue;
      }
      failures++;
      expect((caught as NodeJS.ErrnoException).code, `free ${free}`).toBe('ENOSPC');
      expect((caught as Error).message).toMatch(/no space left on device/);
      // Nothing half-written: the key ring is byte for byte the previous generation, and the
      // object that failed to save still describes it (and can save later).
      expect(await fs.readFile(join(dir, RING))).toEqual(before.ring);
      expect(keysOf(ring)).toEqual(before.keys);
      expect(after).toEqual(before.keys);
      // The backup is the old backup, or (the backup was replaced before the new file failed) the current generation.
      const backup = await fs.readFile(join(dir, BACKUP));
      if (backup.equals(before.backup)) stages.add('before the backup');
      else {
        expect(backup).toEqual(before.ring);
        stages.add('after the backup');
      }
    }
    // Still full: a brand-new key ring fails without leaving a file that would look like one.
    await fs.rm(filler);
    const { bavail } = await fs.statfs(dir);
    await fs.writeFile(filler, new Uint8Array(bavail * page));
    await fs.mkdir(join(dir, 'new'));
    await expect(KeyRing.create(new FileKeyRingStorage(join(dir, 'new', RING)), SECRET)).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(await fs.readdir(join(dir, 'new'))).toEqual([]);
    await expect(KeyRing.open(new FileKeyRingStorage(join(dir, 'new', RING)), SECRET)).rejects.toMatchObject({ code: 'ERR_KEYRING_NOT_FOUND' });
    // Space freed: the same object saves again.
    await fs.rm(filler);
    await ring.createIdentity({ name: 'Space-again', organization: 'x', country: 'ID' });
    expect((await openKeys(dir)).has('Space-again')).toBe(true);
    ring.close();
    expect(failures).toBeGreaterThan(0);
    expect(successes).toBeGreaterThan(0);
    console.info(`[faults] key ring ENOSPC: ${failures + successes} fill levels, ${failures} failed saves (${[...stages].join(', ')}), ${successes} saves that fit, no key lost`);
  }, 60_000);

  it('file size limit (EFBIG): the backup or the new generation cannot be written', async () => {
    const dir = await freshDir();
    (await seededRing(dir, 2)).close();
    const path = join(dir, RING);
    for (const [limitOf, stage] of [[(n: number) => n - 1, 'backup'], [(n: number) => n, 'new generation']] as const) {
      const before = { ring: await fs.readFile(path), backup: await fs.readFile(join(dir, BACKUP)), keys: await openKeys(dir) };
      const result = await runOnce([path, PASSPHRASE, `Big-${stage}`, String(limitOf(before.ring.length))]);
      expect(result, stage).toMatchObject({ code: 'EFBIG', syscall: 'write', identities: before.keys.size });
      expect(await listing(dir), stage).toEqual([RING, BACKUP, SEEN]);
      expect(await fs.readFile(path), stage).toEqual(before.ring);
      expect(await openKeys(dir), stage).toEqual(before.keys);
      // Failing on the backup leaves it alone; failing after it leaves the backup = current generation.
      expect(await fs.readFile(join(dir, BACKUP)), stage).toEqual(stage === 'backup' ? before.backup : before.ring);
    }
  }, 60_000);

  it('a directory the writer may not write to (EACCES, as an unprivileged user when run as root)', async () => {
    const dir = await freshDir();
    (await seededRing(dir, 2)).close();
    const before = { ring: await fs.readFile(join(dir, RING)), keys: await openKeys(dir), names: await listing(dir) };
    const uid = isRoot ? 65534 : undefined; // nobody
    if (uid !== undefined) {
      await fs.chmod(base, 0o755);
      for (const p of [dir, join(dir, RING), join(dir, BACKUP), join(dir, SEEN)]) await fs.chown(p, uid, uid);
    }
    await fs.chmod(dir, 0o500); // r-x: the writer can read the key ring but create nothing next to it
    try {
      const result = await runOnce([join(dir, RING), PASSPHRASE, 'Denied'], uid);
      expect(result).toMatchObject({ code: 'EACCES', syscall: 'open', identities: before.keys.size });
      expect(result.message).toMatch(/permission denied/);
    } finally {
      await fs.chmod(dir, 0o700);
    }
    expect(await listing(dir)).toEqual(before.names);
    expect(await fs.readFile(join(dir, RING))).toEqual(before.ring);
    expect(await openKeys(dir)).toEqual(before.keys);
  }, 60_000);

  it.skipIf(!canMount)('a file system remounted read-only (EROFS), then writable again', async () => {
    const dir = await tmpfs(1024 * 1024);
    const ring = await seededRing(dir, 2);
    const before = { ring: await fs.readFile(join(dir, RING)), keys: keysOf(ring) };
    execFileSync('mount', ['-o', 'remount,ro', dir]);
    try {
      await expect(ring.createIdentity({ name: 'Read-only', organization: 'x', country: 'ID' })).rejects.toMatchObject({ code: 'EROFS' });
      expect(keysOf(ring)).toEqual(before.keys);
      expect(await openKeys(dir)).toEqual(before.keys);
    } finally {
      execFileSync('mount', ['-o', 'remount,rw', dir]);
    }
    expect(await listing(dir)).toEqual([RING, BACKUP, SEEN]);
    expect(await fs.readFile(join(dir, RING))).toEqual(before.ring);
    await ring.createIdentity({ name: 'Writable-again', organization: 'x', country: 'ID' });
    expect((await openKeys(dir)).size).toBe(before.keys.size + 1);
    ring.close();
  }, 60_000);
});
