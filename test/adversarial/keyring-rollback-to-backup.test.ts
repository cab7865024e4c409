/**
 * Adversarial index (docs/THREAT-MODEL.md): rolling the key ring back to an older generation.
 * Every generation is encrypted and authenticated, so an older one is a perfectly valid file:
 * someone with write access to the lintas home (a colleague, malware without the passphrase, a
 * restore script) copies `keyring.lintas.bak` over `keyring.lintas`, and a revocation imported
 * since disappears while the compromised partner is `verified` again. Each save now counts up an
 * authenticated generation in the file header, the storage remembers the newest one seen
 * (`keyring.lintas.seen`), and an older one is refused with `ERR_KEYRING_ROLLBACK` unless the
 * user recovers it explicitly. Re-keying no longer leaves the backup readable with the old
 * passphrase.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyRing, KEYRING_KDF_MINIMUM, MemoryKeyRingStorage, type KeyRingSecret } from '../../src/index.js';
import { FileKeyRingStorage } from '../../src/keyring/file-storage.js';
import { deriveFileKey, parseKeyRingFile } from '../../src/keyring/encrypted-file.js';
import { emptyState, encodeState } from '../../src/keyring/ring-state.js';
import { xchachaEncrypt } from '../../src/crypto/aead.js';
import { encodeCanonical } from '../../src/cbor/index.js';
import { concatBytes, utf8 } from '../../src/crypto/bytes.js';
import { sha256 } from '../../src/crypto/hash.js';
import { agency, expectCode, PASS } from '../keyring/keyring-kit.js';
import { Cli, buildCli, workFolder } from '../cli/cli-kit.js';

let work: Awaited<ReturnType<typeof workFolder>>;
let n = 0;
beforeAll(async () => {
  work = await workFolder('rollback');
});
afterAll(() => work.remove());
const freshPath = () => join(work.dir, `home-${++n}`, 'keyring.lintas');

/**
 * Our key ring on disk with partner BIN verified, then BIN's key-compromise revocation imported:
 * the save of the revocation makes the generation before it `keyring.lintas.bak`.
 */
async function revokedPartnerOnDisk(path: string) {
  const bin = await agency('BIN', 'Badan Intelijen Negara', 'ID');
  const ours = await agency('PDRM', 'Polis Diraja Malaysia', 'MY', new FileKeyRingStorage(path));
  await ours.ring.importKeyCard(bin.identity.card, { name: 'BIN', fingerprint: bin.identity.card.fingerprint });
  const revocation = await bin.ring.createRevocation('BIN', { reason: 'key-compromise' });
  await ours.ring.importRevocation(revocation.bytes);
  expect(ours.ring.revocationOf(bin.identity.card)?.reason).toBe('key-compromise');
  const generation = ours.ring.generation;
  ours.ring.close();
  return { bin, generation };
}

describe('attack: key ring rolled back to its backup', () => {
  it('copying keyring.lintas.bak over the key ring is refused with ERR_KEYRING_ROLLBACK, changing nothing', async () => {
    const path = freshPath();
    const { bin } = await revokedPartnerOnDisk(path);
    const current = await fs.readFile(path);
    await fs.copyFile(`${path}.bak`, path);
    const rolledBack = await fs.readFile(path);
    await expectCode(KeyRing.open(new FileKeyRingStorage(path), PASS), 'ERR_KEYRING_ROLLBACK');
    expect(await fs.readFile(path)).toEqual(rolledBack);

    // Control: the genuine current generation opens, with the revocation.
    await fs.writeFile(path, current);
    const ring = await KeyRing.open(new FileKeyRingStorage(path), PASS);
    expect(ring.revocationOf(bin.identity.card)?.reason).toBe('key-compromise');
    ring.close();
  });

  it('explicit recovery opens the older copy and saves it above every generation seen, so the newer file is now the older one', async () => {
    const path = freshPath();
    const { bin, generation } = await revokedPartnerOnDisk(path);
    const newer = await fs.readFile(path);
    await fs.copyFile(`${path}.bak`, path);
    const ring = await KeyRing.open(new FileKeyRingStorage(path), PASS, { acceptOlderGeneration: true });
    expect(ring.revocationOf(bin.identity.card)).toBeNull(); // what the user chose to go back to
    expect(ring.generation).toBe(generation + 1);
    ring.close();
    (await KeyRing.open(new FileKeyRingStorage(path), PASS)).close();
    await fs.writeFile(path, newer);
    await expectCode(KeyRing.open(new FileKeyRingStorage(path), PASS), 'ERR_KEYRING_ROLLBACK');
  });

  it('restoreFromBackup is an explicit recovery too: the restored contents become the newest generation', async () => {
    const path = freshPath();
    const { generation } = await revokedPartnerOnDisk(path);
    const restored = await KeyRing.restoreFromBackup(new FileKeyRingStorage(path), PASS);
    expect(restored.generation).toBe(generation + 1);
    restored.close();
    (await KeyRing.open(new FileKeyRingStorage(path), PASS)).close();
  });

  it('an older generation put in place while a key ring is open is refused at its next reload', async () => {
    const storage = new MemoryKeyRingStorage();
    const { ring } = await agency('PDRM', 'Polis Diraja Malaysia', 'MY', storage);
    const old = (await storage.load())!;
    await ring.createIdentity({ name: 'Second', organization: 'Polis Diraja Malaysia', country: 'MY' });
    storage.replaceCurrent(old);
    await expectCode(ring.refresh(), 'ERR_KEYRING_ROLLBACK');
    await expectCode(KeyRing.open(storage, PASS), 'ERR_KEYRING_ROLLBACK');
    ring.close();
  });

  it('a damaged record of the newest generation refuses like a rollback; recovery rewrites it', async () => {
    const path = freshPath();
    await revokedPartnerOnDisk(path);
    await fs.writeFile(`${path}.seen`, 'zero\n');
    await expectCode(KeyRing.open(new FileKeyRingStorage(path), PASS), 'ERR_KEYRING_ROLLBACK');
    (await KeyRing.open(new FileKeyRingStorage(path), PASS, { acceptOlderGeneration: true })).close();
    (await KeyRing.open(new FileKeyRingStorage(path), PASS)).close();
  });

  it('a key ring deleted and created again starts above the generations seen, so it is not mistaken for a rollback', async () => {
    const path = freshPath();
    const { generation } = await revokedPartnerOnDisk(path);
    await fs.rm(path);
    await fs.rm(`${path}.bak`);
    const again = await KeyRing.create(new FileKeyRingStorage(path), PASS);
    expect(again.generation).toBe(generation + 1);
    again.close();
    (await KeyRing.open(new FileKeyRingStorage(path), PASS)).close();
  });

  it('a version 1 key ring (no generation) still opens, as generation 0, and its next save writes version 2', async () => {
    const storage = new MemoryKeyRingStorage(await versionOneFile(PASS));
    const ring = await KeyRing.open(storage, PASS);
    expect(ring.generation).toBe(0);
    await ring.createIdentity({ name: 'Upgraded', organization: 'BIN', country: 'ID' });
    const saved = (await storage.load())!;
    expect(saved[8]).toBe(2);
    expect(parseKeyRingFile(saved).generation).toBe(1);
    ring.close();
  });
});

describe('attack: re-keying leaves the backup readable with the old passphrase', () => {
  it('after rekey, neither the key ring nor its backup opens with the old passphrase', async () => {
    const path = freshPath();
    await revokedPartnerOnDisk(path);
    const ring = await KeyRing.open(new FileKeyRingStorage(path), PASS);
    const NEW: KeyRingSecret = { passphrase: 'a new and longer passphrase', kdf: KEYRING_KDF_MINIMUM };
    await ring.rekey(NEW);
    ring.close();
    await expectCode(KeyRing.open(new MemoryKeyRingStorage(await fs.readFile(`${path}.bak`)), PASS), 'ERR_KEYRING_WRONG_PASSPHRASE');
    await expectCode(KeyRing.open(new FileKeyRingStorage(path), PASS), 'ERR_KEYRING_WRONG_PASSPHRASE');
    (await KeyRing.open(new MemoryKeyRingStorage(await fs.readFile(`${path}.bak`)), NEW)).close();
    (await KeyRing.open(new FileKeyRingStorage(path), NEW)).close();
  });
});

describe('the CLI refuses a rolled-back key ring and offers explicit recovery', () => {
  let script: string;
  beforeAll(async () => {
    script = await buildCli();
  });

  it('exit 6 with ERR_KEYRING_ROLLBACK; "lintas keyring recover" accepts the copy; later commands work', async () => {
    const path = freshPath();
    await revokedPartnerOnDisk(path);
    await fs.copyFile(`${path}.bak`, path);
    const cli = new Cli(script, join(path, '..'), 'correct horse battery staple');
    const refused = await cli.json(['contact', 'list']);
    expect(refused.run.code).toBe(6);
    expect(refused.value.error.code).toBe('ERR_KEYRING_ROLLBACK');
    expect(refused.run.stderr).toContain('lintas keyring recover');
    const recovered = await cli.json(['keyring', 'recover']);
    expect(recovered.run.code).toBe(0);
    expect(recovered.value.recovered).toBe(true);
    expect((await cli.run(['contact', 'list'])).code).toBe(0);
  });

  it('deleting keyring.lintas.seen too does not hide the rollback: the signed audit anchors recorded the generation', async () => {
    const home = join(work.dir, `cli-home-${++n}`);
    const cli = new Cli(script, home);
    expect((await cli.run(['identity', 'create', 'desk', '--org', 'BIN', '--country', 'ID'])).code).toBe(0);
    expect((await cli.run(['identity', 'create', 'night-desk', '--org', 'BIN', '--country', 'ID'])).code).toBe(0);
    const path = join(home, 'keyring.lintas');
    await fs.copyFile(`${path}.bak`, path);
    await fs.rm(`${path}.seen`);
    const refused = await cli.json(['identity', 'list']);
    expect(refused.run.code).toBe(6);
    expect(refused.value.error.code).toBe('ERR_KEYRING_ROLLBACK');
    expect((await cli.run(['keyring', 'recover'])).code).toBe(0);
    const after = await cli.json(['identity', 'list']);
    expect(after.run.code).toBe(0);
  });
});

/** A key ring file in format version 1 (no generation), as lintas wrote it before, with empty contents. */
async function versionOneFile(secret: KeyRingSecret): Promise<Uint8Array> {
  const salt = new Uint8Array(16).fill(7);
  const kdf = { alg: 'argon2id' as const, salt, opslimit: 1, memlimit: 8 * 1024 * 1024 };
  const key = await deriveFileKey(secret, kdf);
  const plaintext = encodeState(emptyState());
  const nonce = new Uint8Array(24).fill(9);
  const header = encodeCanonical({ kdf: { alg: 'argon2id', salt, ops: kdf.opslimit, mem: kdf.memlimit }, check: key.check, nonce, len: plaintext.length + 16 });
  const prefixAndHeader = concatBytes(utf8('LINTASKR'), new Uint8Array([1, header.length >> 8, header.length & 0xff]), header);
  const aad = concatBytes(prefixAndHeader, sha256(concatBytes(utf8('lintas/v1 key ring header checksum'), new Uint8Array([0]), prefixAndHeader)).subarray(0, 16));
  return concatBytes(aad, xchachaEncrypt(key.encryptionKey, nonce, plaintext, aad));
}
