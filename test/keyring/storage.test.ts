/**
 * The encrypted key ring file and the storage contract, on the memory backend: distinct errors
 * for wrong passphrase, damage, tampering and unknown versions; raw keys; re-keying; backups;
 * compare-and-swap between two writers.
 */
import { describe, expect, it } from 'vitest';
import { decodeCanonical, encodeCanonical, type CborMap } from '../../src/cbor/index.js';
import { concatBytes, utf8 } from '../../src/crypto/bytes.js';
import { sha256 } from '../../src/crypto/hash.js';
import {
  KeyRing,
  MemoryKeyRingStorage,
  KEYRING_KDF_DEFAULTS,
  KEYRING_KDF_MINIMUM,
  type KeyRingStorage,
} from '../../src/index.js';
import { agency, expectCode, PASS } from './keyring-kit.js';

const MiB = 1024 * 1024;
const RAW = new Uint8Array(32).fill(0x42);

/** Split a stored file into its parts (layout of docs/KEYRING.md, "Storage format"). */
function split(file: Uint8Array) {
  const hlen = (file[9]! << 8) | file[10]!;
  return { prefix: file.subarray(0, 11), header: file.subarray(11, 11 + hlen), sumEnd: 11 + hlen + 16, body: file.subarray(11 + hlen + 16) };
}

/** Rewrite the header (and its checksum, as a deliberate attacker would). */
function rewriteHeader(file: Uint8Array, change: (h: CborMap) => void): Uint8Array {
  const { prefix, header, body } = split(file);
  const h = { ...(decodeCanonical(header) as CborMap) };
  change(h);
  const newHeader = encodeCanonical(h);
  const newPrefix = prefix.slice();
  newPrefix[9] = newHeader.length >> 8;
  newPrefix[10] = newHeader.length & 0xff;
  const ph = concatBytes(newPrefix, newHeader);
  const sum = sha256(concatBytes(utf8('lintas/v1 key ring header checksum'), new Uint8Array([0]), ph)).subarray(0, 16);
  return concatBytes(ph, sum, body);
}

/** A storage whose generations the test can damage in place, as a failing disk would. */
class DiskLikeStorage implements KeyRingStorage {
  current: Uint8Array | null = null;
  backup: Uint8Array | null = null;
  async load() {
    return this.current;
  }
  async loadBackup() {
    return this.backup;
  }
  async save(next: Uint8Array, expected: Uint8Array | null) {
    const same = expected === null ? this.current === null : this.current !== null && Buffer.from(this.current).equals(expected);
    if (!same) return false;
    if (this.current !== null) this.backup = this.current;
    this.current = next.slice();
    return true;
  }
}

async function storedRing() {
  const a = await agency('BIN', 'Badan Intelijen Negara', 'ID');
  const bytes = (await a.storage.load())!;
  return { ...a, bytes };
}

describe('opening', () => {
  it('opens with the passphrase it was created with, in any Unicode normalization', async () => {
    const storage = new MemoryKeyRingStorage();
    const ring = await KeyRing.create(storage, { passphrase: 'Caf\u00e9 rahasia', kdf: KEYRING_KDF_MINIMUM });
    await ring.createIdentity({ name: 'BIN', organization: 'Badan Intelijen Negara', country: 'ID' });
    const again = await KeyRing.open(storage, { passphrase: 'Cafe\u0301 rahasia' });
    expect(again.identity('BIN').card.fingerprint).toEqual(ring.identity('BIN').card.fingerprint);
    expect(again.identityKeys('BIN').signing.secretKey).toEqual(ring.identityKeys('BIN').signing.secretKey);
  });

  it('stores nothing in the clear', async () => {
    const { bytes, ring } = await storedRing();
    const haystack = Buffer.from(bytes);
    expect(haystack.includes(Buffer.from('Badan Intelijen Negara'))).toBe(false);
    expect(haystack.includes(Buffer.from(ring.identityKeys('BIN').x25519.secretKey))).toBe(false);
    expect(haystack.includes(Buffer.from(ring.identity('BIN').card.signingPublicKey))).toBe(false);
  });

  it('uses a fresh nonce for every save', async () => {
    const { ring, storage, bytes } = await storedRing();
    await ring.createIdentity({ name: 'X', organization: 'x', country: 'ID' });
    const first = (await storage.load())!;
    expect(split(first).header).not.toEqual(split(bytes).header);
  });

  it('reports a missing key ring and refuses to create over an existing one', async () => {
    await expectCode(KeyRing.open(new MemoryKeyRingStorage(), PASS), 'ERR_KEYRING_NOT_FOUND');
    const { storage } = await storedRing();
    await expectCode(KeyRing.create(storage, PASS), 'ERR_KEYRING_EXISTS');
  });
});

describe('distinct errors', () => {
  it('wrong passphrase, and the wrong kind of secret', async () => {
    const { storage } = await storedRing();
    await expectCode(KeyRing.open(storage, { passphrase: 'correct horse battery stapler' }), 'ERR_KEYRING_WRONG_PASSPHRASE');
    await expectCode(KeyRing.open(storage, { rawKey: RAW }), 'ERR_KEYRING_WRONG_PASSPHRASE');
    const raw = new MemoryKeyRingStorage();
    await KeyRing.create(raw, { rawKey: RAW });
    await expectCode(KeyRing.open(raw, PASS), 'ERR_KEYRING_WRONG_PASSPHRASE');
    await expectCode(KeyRing.open(raw, { rawKey: new Uint8Array(32) }), 'ERR_KEYRING_WRONG_PASSPHRASE');
    expect((await KeyRing.open(raw, { rawKey: RAW })).storageProtection).toEqual({ kind: 'raw-key' });
  });

  it('tampered: any change to the ciphertext with the right passphrase', async () => {
    const { bytes } = await storedRing();
    const { sumEnd } = split(bytes);
    for (let i = sumEnd; i < bytes.length; i += Math.max(1, Math.floor((bytes.length - sumEnd) / 40))) {
      const bad = bytes.slice();
      bad[i]! ^= 0x80;
      await expectCode(KeyRing.open(new MemoryKeyRingStorage(bad), PASS), 'ERR_KEYRING_TAMPERED');
    }
  });

  it('tampered: a header field changed and its checksum recomputed (the header is authenticated)', async () => {
    const { bytes } = await storedRing();
    const newNonce = rewriteHeader(bytes, (h) => void (h.nonce = new Uint8Array(24)));
    await expectCode(KeyRing.open(new MemoryKeyRingStorage(newNonce), PASS), 'ERR_KEYRING_TAMPERED');
    // A changed salt derives another key: indistinguishable from a wrong passphrase, and just as closed.
    const newSalt = rewriteHeader(bytes, (h) => void (h.kdf = { ...(h.kdf as CborMap), salt: new Uint8Array(16) }));
    await expectCode(KeyRing.open(new MemoryKeyRingStorage(newSalt), PASS), 'ERR_KEYRING_WRONG_PASSPHRASE');
  });

  it('damaged: every flip in the prefix or header is caught without a key', async () => {
    const { bytes } = await storedRing();
    const { sumEnd } = split(bytes);
    for (let i = 0; i < sumEnd; i++) {
      const bad = bytes.slice();
      bad[i]! ^= 0x01;
      const expected = i === 8 ? 'ERR_KEYRING_UNSUPPORTED_VERSION' : 'ERR_KEYRING_MALFORMED';
      await expectCode(KeyRing.open(new MemoryKeyRingStorage(bad), PASS), expected);
    }
  });

  it('damaged: truncated at any length, extended, empty, or not a key ring at all', async () => {
    const { bytes } = await storedRing();
    for (let n = 0; n < bytes.length; n += Math.max(1, Math.floor(bytes.length / 60))) {
      await expectCode(KeyRing.open(new MemoryKeyRingStorage(bytes.subarray(0, n)), PASS), 'ERR_KEYRING_MALFORMED');
    }
    await expectCode(KeyRing.open(new MemoryKeyRingStorage(bytes.subarray(0, bytes.length - 1)), PASS), 'ERR_KEYRING_MALFORMED');
    await expectCode(KeyRing.open(new MemoryKeyRingStorage(concatBytes(bytes, new Uint8Array(1))), PASS), 'ERR_KEYRING_MALFORMED');
    await expectCode(KeyRing.open(new MemoryKeyRingStorage(utf8('{"identities": []}')), PASS), 'ERR_KEYRING_MALFORMED');
  });

  it('unsupported version: a newer file format or key derivation', async () => {
    const { bytes } = await storedRing();
    const v3 = bytes.slice();
    v3[8] = 3;
    await expectCode(KeyRing.open(new MemoryKeyRingStorage(v3), PASS), 'ERR_KEYRING_UNSUPPORTED_VERSION');
    const scrypt = rewriteHeader(bytes, (h) => void (h.kdf = { alg: 'scrypt', salt: new Uint8Array(16) }));
    await expectCode(KeyRing.open(new MemoryKeyRingStorage(scrypt), PASS), 'ERR_KEYRING_UNSUPPORTED_VERSION');
  });

  it('refuses planted KDF parameters outside the accepted range before running Argon2id', async () => {
    const { bytes } = await storedRing();
    const huge = rewriteHeader(bytes, (h) => void (h.kdf = { ...(h.kdf as CborMap), mem: 64 * 1024 * MiB }));
    await expectCode(KeyRing.open(new MemoryKeyRingStorage(huge), PASS), 'ERR_KEYRING_KDF_LIMIT_EXCEEDED');
    const tiny = rewriteHeader(bytes, (h) => void (h.kdf = { ...(h.kdf as CborMap), ops: 0 }));
    await expectCode(KeyRing.open(new MemoryKeyRingStorage(tiny), PASS), 'ERR_KEYRING_MALFORMED');
  });
});

describe('Argon2id parameters', () => {
  it('uses safe defaults unless told otherwise, and flags rings below them', async () => {
    const storage = new MemoryKeyRingStorage();
    const ring = await KeyRing.create(storage, { passphrase: 'default cost' });
    expect(ring.storageProtection).toEqual({ kind: 'passphrase', ...KEYRING_KDF_DEFAULTS, belowDefaults: false });
    const cheap = await KeyRing.create(new MemoryKeyRingStorage(), PASS);
    expect(cheap.storageProtection).toEqual({ kind: 'passphrase', ...KEYRING_KDF_MINIMUM, belowDefaults: true });
  });

  it('has a floor that no caller can go under', async () => {
    for (const kdf of [
      { opslimit: 0, memlimit: 8 * MiB },
      { opslimit: 1, memlimit: 8 * MiB - 1024 },
      { opslimit: 1, memlimit: 8 * MiB + 1 },
      { opslimit: 1.5, memlimit: 8 * MiB },
      { opslimit: 65, memlimit: 8 * MiB },
    ]) {
      await expect(KeyRing.create(new MemoryKeyRingStorage(), { passphrase: 'x', kdf })).rejects.toThrow(RangeError);
    }
    await expect(KeyRing.create(new MemoryKeyRingStorage(), { passphrase: '' })).rejects.toThrow(RangeError);
    await expect(KeyRing.create(new MemoryKeyRingStorage(), { rawKey: new Uint8Array(16) })).rejects.toThrow(RangeError);
    await expect(KeyRing.create(new MemoryKeyRingStorage(), { passphrase: 5 } as never)).rejects.toThrow(TypeError);
    await expect(KeyRing.create({} as KeyRingStorage, PASS)).rejects.toThrow(TypeError);
  });

  it('re-keys: new passphrase or cost, or a raw key; the old secret stops working', async () => {
    const { ring, storage } = await storedRing();
    await ring.rekey({ passphrase: 'new passphrase', kdf: { opslimit: 2, memlimit: 9 * MiB } });
    expect(ring.storageProtection).toMatchObject({ opslimit: 2, memlimit: 9 * MiB });
    await expectCode(KeyRing.open(storage, PASS), 'ERR_KEYRING_WRONG_PASSPHRASE');
    const reopened = await KeyRing.open(storage, { passphrase: 'new passphrase' });
    expect(reopened.identity('BIN').name).toBe('BIN');
    await reopened.rekey({ rawKey: RAW });
    expect((await KeyRing.open(storage, { rawKey: RAW })).identities()).toHaveLength(1);
  });
});

describe('backup generation', () => {
  it('restores the previous generation after the current one is damaged', async () => {
    const storage = new DiskLikeStorage();
    const { ring } = await agency('BIN', 'Badan Intelijen Negara', 'ID', storage);
    await ring.createIdentity({ name: 'Second', organization: 'x', country: 'ID' });
    storage.current = storage.current!.slice(0, storage.current!.length - 10);
    await expectCode(KeyRing.open(storage, PASS), 'ERR_KEYRING_MALFORMED');
    await expectCode(KeyRing.restoreFromBackup(storage, { passphrase: 'wrong' }), 'ERR_KEYRING_WRONG_PASSPHRASE');
    const restored = await KeyRing.restoreFromBackup(storage, PASS);
    expect(restored.identities().map((i) => i.name)).toEqual(['BIN']);
    // It is the current generation again, and the ring keeps working.
    expect((await KeyRing.open(storage, PASS)).identities()).toHaveLength(1);
    await restored.createIdentity({ name: 'Again', organization: 'x', country: 'ID' });
    expect((await KeyRing.open(storage, PASS)).identities()).toHaveLength(2);
    await expectCode(KeyRing.restoreFromBackup(new MemoryKeyRingStorage(), PASS), 'ERR_KEYRING_NOT_FOUND');
  });

  it('reports a missing current generation next to a backup as damage, never as an empty ring', async () => {
    const storage = new DiskLikeStorage();
    const ring = await KeyRing.create(storage, PASS);
    await ring.createIdentity({ name: 'BIN', organization: 'x', country: 'ID' });
    storage.current = null;
    await expectCode(KeyRing.open(storage, PASS), 'ERR_KEYRING_MALFORMED');
    await expectCode(KeyRing.create(storage, PASS), 'ERR_KEYRING_EXISTS');
    expect((await KeyRing.restoreFromBackup(storage, PASS)).identities()).toHaveLength(0);
  });
});

describe('two writers on one storage', () => {
  it('merges changes made from a stale copy instead of losing them', async () => {
    const { storage } = await storedRing();
    const a = await KeyRing.open(storage, PASS);
    const b = await KeyRing.open(storage, PASS);
    await a.createIdentity({ name: 'From-A', organization: 'x', country: 'ID' });
    await b.createIdentity({ name: 'From-B', organization: 'x', country: 'ID' }); // b had not seen From-A
    expect(b.identities().map((i) => i.name)).toEqual(['BIN', 'From-A', 'From-B']);
    const fresh = await KeyRing.open(storage, PASS);
    expect(fresh.identities().map((i) => i.name)).toEqual(['BIN', 'From-A', 'From-B']);
    await a.refresh();
    expect(a.identities()).toHaveLength(3);
  });

  it('re-checks a change against the latest contents (a name taken meanwhile)', async () => {
    const { storage } = await storedRing();
    const a = await KeyRing.open(storage, PASS);
    const b = await KeyRing.open(storage, PASS);
    await a.createIdentity({ name: 'Desk', organization: 'x', country: 'ID' });
    await expectCode(b.createIdentity({ name: 'Desk', organization: 'y', country: 'ID' }), 'ERR_KEYRING_NAME_TAKEN');
  });

  it('applies concurrent changes on one object one at a time', async () => {
    const { ring, storage } = await storedRing();
    await Promise.all(Array.from({ length: 8 }, (_, i) => ring.createIdentity({ name: `Desk-${i}`, organization: 'x', country: 'ID' })));
    expect((await KeyRing.open(storage, PASS)).identities()).toHaveLength(9);
  });

  it('stops with ERR_KEYRING_CONFLICT when another writer changed the passphrase', async () => {
    const { storage } = await storedRing();
    const a = await KeyRing.open(storage, PASS);
    const b = await KeyRing.open(storage, PASS);
    await a.rekey({ passphrase: 'rotated', kdf: KEYRING_KDF_MINIMUM });
    await expectCode(b.createIdentity({ name: 'Late', organization: 'x', country: 'ID' }), 'ERR_KEYRING_CONFLICT');
  });
});

describe('closing', () => {
  it('wipes secrets and refuses further use', async () => {
    const { ring } = await storedRing();
    const keys = ring.identity('BIN');
    ring.close();
    await expectCode(() => ring.identityKeys('BIN'), 'ERR_KEYRING_CLOSED');
    await expectCode(() => ring.contacts(), 'ERR_KEYRING_CLOSED');
    await expectCode(ring.createIdentity({ name: 'X', organization: 'x', country: 'ID' }), 'ERR_KEYRING_CLOSED');
    expect(keys.card.name).toBe('BIN'); // public snapshots stay readable
    ring.close(); // idempotent
  });
});
