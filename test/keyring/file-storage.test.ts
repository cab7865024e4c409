/**
 * The key ring file on disk: generations and backup, damage and recovery, the lock (live, stale,
 * foreign, empty), concurrent writers in separate processes, and a writer killed with SIGKILL at
 * random moments, after which the key ring must always open with the old or the new contents.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KeyRing, KEYRING_KDF_MINIMUM, MemoryKeyRingStorage, generateIdentityKeys, createKeyCard } from '../../src/index.js';
import { FileKeyRingStorage } from '../../src/node.js';
import { expectCode } from './keyring-kit.js';

const WRITER = fileURLToPath(new URL('./fixtures/keyring-writer.ts', import.meta.url));
const PASSPHRASE = 'kunci rahasia bersama';
const SECRET = { passphrase: PASSPHRASE, kdf: KEYRING_KDF_MINIMUM };

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'lintas-keyring-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

let counter = 0;
const freshPath = () => join(dir, `ring-${++counter}`, 'keyring.lintas');

function runWriter(args: string[]): { child: ChildProcess; lines: string[]; exited: Promise<number | null>; waitFor: (line: RegExp) => Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    partial += chunk;
    const parts = partial.split('\n');
    partial = parts.pop()!;
    for (const l of parts) {
      lines.push(l);
      for (const w of waiters.filter((w) => w.re.test(l))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = (re: RegExp) =>
    new Promise<void>((resolve, reject) => {
      if (lines.some((l) => re.test(l))) return resolve();
      waiters.push({ re, resolve });
      void exited.then(() => reject(new Error(`writer exited before printing ${re}: ${stderr}`)));
    });
  return { child, lines, exited, waitFor };
}

async function newRingFile(path: string) {
  const ring = await KeyRing.create(new FileKeyRingStorage(path), SECRET);
  await ring.createIdentity({ name: 'BIN', organization: 'Badan Intelijen Negara', country: 'ID' });
  return ring;
}

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => child.on('exit', r));
  return child.pid!;
}

describe('generations on disk', () => {
  it('keeps the replaced generation as .bak, with private file permissions', async () => {
    const path = freshPath();
    const ring = await newRingFile(path);
    const first = await fs.readFile(path);
    await ring.createIdentity({ name: 'Second', organization: 'x', country: 'ID' });
    expect(await fs.readFile(`${path}.bak`)).toEqual(first);
    if (process.platform !== 'win32') expect((await fs.stat(path)).mode & 0o777).toBe(0o600);
    expect((await fs.readdir(join(path, '..'))).sort()).toEqual(['keyring.lintas', 'keyring.lintas.bak', 'keyring.lintas.seen']);
  });

  it('a truncated or damaged file gives a clear error, and the backup restores it', async () => {
    const path = freshPath();
    const ring = await newRingFile(path);
    await ring.createIdentity({ name: 'Lost', organization: 'x', country: 'ID' });
    const full = await fs.readFile(path);
    await fs.writeFile(path, full.subarray(0, Math.floor(full.length / 2)));
    await expectCode(KeyRing.open(new FileKeyRingStorage(path), SECRET), 'ERR_KEYRING_MALFORMED');
    await fs.writeFile(path, new Uint8Array(0));
    await expectCode(KeyRing.open(new FileKeyRingStorage(path), SECRET), 'ERR_KEYRING_MALFORMED');
    const restored = await KeyRing.restoreFromBackup(new FileKeyRingStorage(path), SECRET);
    expect(restored.identities().map((i) => i.name)).toEqual(['BIN']);
    expect((await KeyRing.open(new FileKeyRingStorage(path), SECRET)).identities()).toHaveLength(1);
  });

  it('a deleted file next to its backup is damage, not an empty key ring', async () => {
    const path = freshPath();
    const ring = await newRingFile(path);
    await ring.createIdentity({ name: 'Second', organization: 'x', country: 'ID' });
    await fs.unlink(path);
    await expectCode(KeyRing.open(new FileKeyRingStorage(path), SECRET), 'ERR_KEYRING_MALFORMED');
    await expectCode(KeyRing.create(new FileKeyRingStorage(path), SECRET), 'ERR_KEYRING_EXISTS');
    expect((await KeyRing.restoreFromBackup(new FileKeyRingStorage(path), SECRET)).identities()).toHaveLength(1);
  });

  it('reports a missing key ring as not found', async () => {
    await expectCode(KeyRing.open(new FileKeyRingStorage(freshPath()), SECRET), 'ERR_KEYRING_NOT_FOUND');
  });
});

describe('the lock', () => {
  async function writeLock(path: string, owner: object | string, ageMs = 0) {
    await fs.writeFile(`${path}.lock`, typeof owner === 'string' ? owner : JSON.stringify(owner));
    if (ageMs > 0) {
      const t = new Date(Date.now() - ageMs);
      await fs.utimes(`${path}.lock`, t, t);
    }
  }

  it('waits for a live holder and gives up with ERR_KEYRING_LOCKED, changing nothing', async () => {
    const path = freshPath();
    await newRingFile(path);
    const ring = await KeyRing.open(new FileKeyRingStorage(path, { lockTimeoutMs: 150 }), SECRET);
    const before = await fs.readFile(path);
    await writeLock(path, { pid: process.pid, host: hostname(), token: 'someone-else' });
    await expectCode(ring.createIdentity({ name: 'Blocked', organization: 'x', country: 'ID' }), 'ERR_KEYRING_LOCKED');
    expect(await fs.readFile(path)).toEqual(before);
    expect(ring.identities()).toHaveLength(1);
    // A lock on another host is trusted until it is old.
    await writeLock(path, { pid: 1, host: 'other-host.example', token: 'x' });
    await expectCode(ring.createIdentity({ name: 'Blocked', organization: 'x', country: 'ID' }), 'ERR_KEYRING_LOCKED');
    await fs.unlink(`${path}.lock`);
    await ring.createIdentity({ name: 'Unblocked', organization: 'x', country: 'ID' });
    await expect(fs.stat(`${path}.lock`)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('breaks a lock whose owner died, an old foreign lock, and an old empty lock', async () => {
    const path = freshPath();
    await newRingFile(path);
    const ring = await KeyRing.open(new FileKeyRingStorage(path, { lockTimeoutMs: 2_000, foreignLockStaleMs: 1_000 }), SECRET);
    await writeLock(path, { pid: await deadPid(), host: hostname(), token: 'dead' });
    await ring.createIdentity({ name: 'After-dead-owner', organization: 'x', country: 'ID' });
    await writeLock(path, { pid: 1, host: 'other-host.example', token: 'x' }, 60_000);
    await ring.createIdentity({ name: 'After-foreign', organization: 'x', country: 'ID' });
    await writeLock(path, '', 60_000);
    await ring.createIdentity({ name: 'After-empty', organization: 'x', country: 'ID' });
    expect((await KeyRing.open(new FileKeyRingStorage(path), SECRET)).identities()).toHaveLength(4);
  });

  it('removes temp files and set-aside locks of dead writers, and only those', async () => {
    const path = freshPath();
    const ring = await newRingFile(path);
    const dead = await deadPid();
    const leftovers = [`keyring.lintas.tmp-${dead}-0a1b2c`, `keyring.lintas.bak.tmp-${dead}-0a1b2c`, `keyring.lintas.seen.tmp-${dead}-0a1b2c`, `keyring.lintas.lock.stale-${dead}-0a1b2c`];
    const alive = 'keyring.lintas.tmp-1-0a1b2c'; // pid 1 always exists
    for (const name of [...leftovers, alive]) await fs.writeFile(join(path, '..', name), 'partial');
    await ring.createIdentity({ name: 'Cleaner', organization: 'x', country: 'ID' });
    expect((await fs.readdir(join(path, '..'))).sort()).toEqual(['keyring.lintas', 'keyring.lintas.bak', 'keyring.lintas.seen', alive]);
  });

  it('serialises two storages on one file in one process', async () => {
    const path = freshPath();
    await newRingFile(path);
    const a = await KeyRing.open(new FileKeyRingStorage(path), SECRET);
    const b = await KeyRing.open(new FileKeyRingStorage(path), SECRET);
    await Promise.all([
      ...Array.from({ length: 5 }, (_, i) => a.createIdentity({ name: `A-${i}`, organization: 'x', country: 'ID' })),
      ...Array.from({ length: 5 }, (_, i) => b.createIdentity({ name: `B-${i}`, organization: 'x', country: 'ID' })),
    ]);
    expect((await KeyRing.open(new FileKeyRingStorage(path), SECRET)).identities()).toHaveLength(11);
  });
});

describe('several processes', () => {
  it('two processes adding identities at the same time lose nothing and corrupt nothing', async () => {
    const path = freshPath();
    await newRingFile(path);
    const writers = ['P', 'Q'].map((prefix) => runWriter(['add', path, PASSPHRASE, prefix, '12']));
    const codes = await Promise.all(writers.map((w) => w.exited));
    expect(codes).toEqual([0, 0]);
    const names = (await KeyRing.open(new FileKeyRingStorage(path), SECRET)).identities().map((i) => i.name);
    expect(names).toHaveLength(25);
    for (const p of ['P', 'Q']) for (let i = 0; i < 12; i++) expect(names).toContain(`${p}-${i}`);
  });

  it('a writer killed with SIGKILL at random moments always leaves the old or the new generation', async () => {
    const path = freshPath();
    const setup = await newRingFile(path);
    // Some bulk, so a save takes long enough to be interrupted in the middle.
    for (let i = 0; i < 12; i++) {
      const keys = await generateIdentityKeys();
      const card = await createKeyCard({ keys, name: `Partner ${i}`, organization: 'Partner agency', country: 'MY', validUntil: new Date(Date.now() + 365 * 86_400_000) });
      await setup.importKeyCard(card, { name: i === 0 ? 'Counter' : `Partner-${i}`, attributes: i === 0 ? { gen: '0' } : {} });
    }
    setup.close();

    const KILLS = 32;
    let lastSeen = 0;
    let interrupted = 0; // kills that hit a save in progress (left its lock or a temp file)
    for (let k = 0; k < KILLS; k++) {
      const w = runWriter(['loop', path, PASSPHRASE]);
      await w.waitFor(/^ready$/);
      // A random moment within the next few saves (each save writes, fsyncs and renames twice).
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 40)));
      w.child.kill('SIGKILL');
      await w.exited;
      const saved = w.lines.filter((l) => l.startsWith('saved ')).map((l) => Number(l.slice(6)));
      const confirmed = saved.length > 0 ? saved[saved.length - 1]! : lastSeen;
      const lockLeft = await fs.stat(`${path}.lock`).then(() => true, () => false);
      const tempsLeft = (await fs.readdir(join(path, '..'))).some((n) => n.includes('.tmp-'));
      if (lockLeft || tempsLeft) interrupted++;

      // The key ring must open (never from the backup) with the last confirmed generation or the one in flight.
      const ring = await KeyRing.open(new FileKeyRingStorage(path), SECRET);
      const gen = Number(ring.contact('Counter').attributes.gen);
      expect([confirmed, confirmed + 1], `after kill ${k}`).toContain(gen);
      expect(gen).toBeGreaterThanOrEqual(lastSeen);
      expect(ring.contacts()).toHaveLength(12);
      // The backup is always a complete generation too: the one before, or (killed between
      // writing the backup and renaming the new file) the current one.
      const backup = await KeyRing.open(new MemoryKeyRingStorage((await fs.readFile(`${path}.bak`)) as Uint8Array), SECRET);
      expect([gen - 1, gen]).toContain(Number(backup.contact('Counter').attributes.gen));
      backup.close();
      lastSeen = gen;
      ring.close();
    }
    // Abandoned temp files and locks of the killed writers are cleaned up by the next save.
    const ring = await KeyRing.open(new FileKeyRingStorage(path), SECRET);
    await ring.updateContact('Counter', { labels: ['survived'] });
    expect((await fs.readdir(join(path, '..'))).sort()).toEqual(['keyring.lintas', 'keyring.lintas.bak', 'keyring.lintas.seen']);
    expect(lastSeen).toBeGreaterThan(0);
    // The writer spends nearly all its time inside save(), so most kills land there; this shows
    // the test exercised interrupted saves rather than only kills between them.
    expect(interrupted).toBeGreaterThan(0);
  }, 300_000); // 32 process start-ups; generous for a loaded CI machine
});
