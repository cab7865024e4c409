/**
 * Adversarial index (docs/THREAT-MODEL.md): Argon2id parameters planted in, or left low in, a
 * key ring file. Its header carries the cost, authenticated only once the key is derived, so
 * whoever can replace the file picks what the next open runs: at the old ceiling (64 passes over
 * 1 GiB) that was about 130 s and 1 GiB per open, a denial of service on every command. At the
 * other end a ring kept at the floor (1 pass over 8 MiB) opened without a word, although a
 * stolen copy is about ten times cheaper to guess than at the recommended cost. Now the ceiling
 * is 10 passes over 256 MiB, checked before Argon2id runs (`ERR_KEYRING_KDF_LIMIT_EXCEEDED`),
 * and the CLI warns below the recommended cost and names the command that re-keys.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { KeyRing, KEYRING_KDF_DEFAULTS, KEYRING_KDF_MAXIMUM, KEYRING_KDF_MINIMUM, MemoryKeyRingStorage } from '../../src/index.js';
import { FileKeyRingStorage } from '../../src/keyring/file-storage.js';
import { argon2id } from '../../src/crypto/argon2.js';
import { decodeCanonical, encodeCanonical, type CborMap } from '../../src/cbor/index.js';
import { concatBytes, utf8 } from '../../src/crypto/bytes.js';
import { sha256 } from '../../src/crypto/hash.js';
import { expectCode } from '../envelope/envelope-kit.js';
import { Cli, buildCli, workFolder } from '../cli/cli-kit.js';

// Count Argon2id runs, to show that a refused header never reaches it.
vi.mock('../../src/crypto/argon2.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/crypto/argon2.js')>();
  return { ...real, argon2id: vi.fn((...args: Parameters<typeof real.argon2id>) => real.argon2id(...args)) };
});

const MiB = 1024 * 1024;
const PASS = { passphrase: 'correct horse battery', kdf: KEYRING_KDF_MINIMUM };

/** The key ring file with its header's KDF map changed and the header checksum recomputed, as an attacker would. */
function plantKdf(file: Uint8Array, kdf: Partial<{ ops: number; mem: number }>): Uint8Array {
  const oldLength = (file[9]! << 8) | file[10]!;
  const header = { ...(decodeCanonical(file.subarray(11, 11 + oldLength)) as CborMap) };
  header.kdf = { ...(header.kdf as CborMap), ...kdf };
  const encoded = encodeCanonical(header);
  const prefix = concatBytes(file.subarray(0, 9), new Uint8Array([encoded.length >> 8, encoded.length & 0xff]), encoded);
  const checksum = sha256(concatBytes(utf8('lintas/v1 key ring header checksum'), new Uint8Array([0]), prefix)).subarray(0, 16);
  return concatBytes(prefix, checksum, file.subarray(11 + oldLength + 16));
}

describe('attack: Argon2id parameter bomb in a planted key ring file', () => {
  let file: Uint8Array;
  beforeAll(async () => {
    const storage = new MemoryKeyRingStorage();
    (await KeyRing.create(storage, PASS)).close();
    file = (await storage.load())!;
  });
  beforeEach(() => {
    vi.mocked(argon2id).mockClear();
  });

  it.each([
    ['the old ceiling: 64 passes over 1 GiB (about 130 s per open)', { ops: 64, mem: 1024 * MiB }],
    ['one pass more than the ceiling', { ops: KEYRING_KDF_MAXIMUM.opslimit + 1 }],
    ['1 KiB more memory than the ceiling', { mem: KEYRING_KDF_MAXIMUM.memlimit + 1024 }],
    ['64 GiB of memory', { mem: 64 * 1024 * MiB }],
    ['2^32 - 1 passes', { ops: 2 ** 32 - 1 }],
  ])('%s: refused with ERR_KEYRING_KDF_LIMIT_EXCEEDED before Argon2id runs', async (_label, kdf) => {
    const planted = new MemoryKeyRingStorage(plantKdf(file, kdf));
    await expectCode(KeyRing.open(planted, PASS), 'ERR_KEYRING_KDF_LIMIT_EXCEEDED');
    expect(argon2id).not.toHaveBeenCalled();
  });

  it('the genuine file opens (one Argon2id run): the refusal is caused by the planted cost', async () => {
    (await KeyRing.open(new MemoryKeyRingStorage(file), PASS)).close();
    expect(argon2id).toHaveBeenCalledTimes(1);
  });

  it('no caller can create or re-key above the ceiling either', async () => {
    await expect(KeyRing.create(new MemoryKeyRingStorage(), { passphrase: 'p', kdf: { opslimit: 64, memlimit: 1024 * MiB } })).rejects.toThrow(RangeError);
    const ring = await KeyRing.open(new MemoryKeyRingStorage(file), PASS);
    await expect(ring.rekey({ passphrase: 'p', kdf: { opslimit: KEYRING_KDF_MAXIMUM.opslimit + 1, memlimit: 8 * MiB } })).rejects.toThrow(RangeError);
    ring.close();
  });
});

describe('attack: a key ring left at the floor cost opens without warning', () => {
  let script: string;
  let work: Awaited<ReturnType<typeof workFolder>>;
  beforeAll(async () => {
    script = await buildCli();
    work = await workFolder('argon2-floor');
  });
  afterAll(() => work.remove());

  it('the CLI warns below the recommended cost with the command that re-keys; after it, the warning is gone', async () => {
    const home = join(work.dir, 'home');
    const storage = new FileKeyRingStorage(join(home, 'keyring.lintas'));
    (await KeyRing.create(storage, PASS)).close();
    const cli = new Cli(script, home, PASS.passphrase);

    const before = await cli.run(['identity', 'list']);
    expect(before.code).toBe(0);
    expect(before.stderr).toMatch(/WARNING: .*1 pass over 8 MiB.*below the recommended 3 passes over 64 MiB/);
    expect(before.stderr).toContain('lintas keyring rekey');

    const rekey = await cli.json(['keyring', 'rekey']);
    expect(rekey.run.code).toBe(0);
    expect(rekey.value.kdf).toEqual({ ...KEYRING_KDF_DEFAULTS });

    const after = await cli.run(['identity', 'list']);
    expect(after.code).toBe(0);
    expect(after.stderr).not.toContain('WARNING');
    const reopened = await KeyRing.open(storage, { passphrase: PASS.passphrase });
    expect(reopened.storageProtection).toEqual({ kind: 'passphrase', ...KEYRING_KDF_DEFAULTS, belowDefaults: false });
    reopened.close();
  });
});
