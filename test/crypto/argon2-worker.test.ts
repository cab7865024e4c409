/**
 * Argon2id on Node runs on a short-lived worker thread from ARGON2ID_WORKER_MIN_MEMLIMIT on
 * (src/crypto/argon2.ts): the same key as in the caller's thread, and the caller's WebAssembly
 * memory does not keep the hash's memory afterwards (issue 13: every CLI command kept the key
 * ring's 64 MiB for its whole run). The memory figures are structural (tens of MiB kept or not),
 * read from process.memoryUsage().external, which counts libsodium's WebAssembly memory.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ARGON2ID_WORKER_MIN_MEMLIMIT, argon2id, argon2idInThread } from '../../src/crypto/argon2.js';
import { cryptoReady } from '../../src/crypto/sodium.js';
import { utf8 } from '../../src/crypto/bytes.js';
import { KeyRing, MemoryKeyRingStorage } from '../../src/index.js';

const MiB = 1024 * 1024;
const passphrase = utf8('correct horse battery');
const salt = Uint8Array.from({ length: 16 }, (_, i) => i);
/** One pass over 32 MiB: above the worker threshold, and large enough to see in memory. */
const COST = { opslimit: 1, memlimit: 32 * MiB };

const external = (): number => process.memoryUsage().external;

beforeAll(async () => {
  await cryptoReady();
});

// The order matters: the caller's WebAssembly memory only grows, so the worker runs are measured
// before the in-thread run that shows what the measurement would catch.
describe('Argon2id on a worker thread', () => {
  let fromWorker: Uint8Array;

  it('leaves the caller\u2019s memory where it was (two runs, so nothing accumulates either)', async () => {
    expect(COST.memlimit).toBeGreaterThanOrEqual(ARGON2ID_WORKER_MIN_MEMLIMIT);
    const before = external();
    fromWorker = await argon2id(passphrase, salt, COST, 32);
    const again = await argon2id(passphrase, salt, COST, 32);
    expect(again).toEqual(fromWorker);
    expect(external() - before).toBeLessThan(8 * MiB);
  });

  it('gives the key the caller\u2019s thread gives, which keeps the memory for good', () => {
    const before = external();
    const inThread = argon2idInThread(passphrase, salt, COST, 32);
    expect(inThread).toEqual(fromWorker);
    expect(external() - before).toBeGreaterThanOrEqual(COST.memlimit - 4 * MiB);
  });

  it('reports a failure of Argon2id itself (libsodium refuses less than 1 pass) instead of falling back', async () => {
    await expect(argon2id(passphrase, salt, { opslimit: 0, memlimit: COST.memlimit }, 32)).rejects.toThrow(/Argon2id failed in its worker thread/);
  });

  it('a key ring at the default cost opens through it: same contents, wrong passphrase refused', async () => {
    const storage = new MemoryKeyRingStorage();
    const ring = await KeyRing.create(storage, { passphrase: 'correct horse battery' });
    await ring.createIdentity({ name: 'bin', organization: 'Badan Intelijen Negara', country: 'ID' });
    ring.close();
    const reopened = await KeyRing.open(storage, { passphrase: 'correct horse battery' });
    expect(reopened.identities().map((i) => i.name)).toEqual(['bin']);
    reopened.close();
    await expect(KeyRing.open(storage, { passphrase: 'wrong horse battery' })).rejects.toMatchObject({ code: 'ERR_KEYRING_WRONG_PASSPHRASE' });
  });
});
