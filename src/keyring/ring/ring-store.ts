/**
 * One open key ring's state and how it changes (docs/KEYRING.md, "Storage"): every change is
 * one transaction, applied to a copy of the contents, encrypted and saved with compare-and-swap;
 * if another process saved first, the latest contents are loaded and the change is applied
 * again. Two processes sharing one key ring therefore never lose each other's changes, and the
 * in-memory state only changes once the storage holds it.
 */
import { LintasError } from '../../errors/index.js';
import { cryptoReady } from '../../crypto/sodium.js';
import { wipe } from '../../crypto/bytes.js';
import {
  checkSecret,
  decryptKeyRingFile,
  deriveFileKey,
  encryptKeyRingFile,
  kdfBelowDefaults,
  newFileKey,
  parseKeyRingFile,
  sameKdf,
  wipeFileKey,
  type FileKey,
  type KeyRingSecret,
} from '../encrypted-file.js';
import { cloneState, decodeState, emptyState, encodeState, type ContactRecord, type IdentityRecord, type RingState } from '../ring-state.js';
import { RingIndex } from '../ring-index.js';
import type { KeyRingStorage } from '../storage.js';
import { settleCompromises } from './compromise.js';
import { conflict, unknownContact, unknownIdentity } from './errors.js';

/** How the stored key ring is protected. */
export type StorageProtection =
  | {
      /** Unlocked with a passphrase through Argon2id. */
      kind: 'passphrase';
      /** Argon2id passes. */
      opslimit: number;
      /** Argon2id memory in bytes. */
      memlimit: number;
      /** The cost is below {@link KEYRING_KDF_DEFAULTS}: call {@link KeyRing.rekey} to raise it. */
      belowDefaults: boolean;
    }
  | {
      /** Unlocked with a raw 32-byte key (OS keychain, HSM). */
      kind: 'raw-key';
    };

/** Options of `KeyRing.open`. */
export interface OpenKeyRingOptions {
  /**
   * Explicit recovery of an older copy: open it although a newer generation was seen through
   * this storage, and save it at once as a generation above every one seen (docs/KEYRING.md,
   * "Rollback"). Default false: such a key ring is refused with `ERR_KEYRING_ROLLBACK`.
   */
  acceptOlderGeneration?: boolean;
}

const MAX_SAVE_ATTEMPTS = 20;

/**
 * The state of one open key ring: its storage, the key that encrypts it, the contents last
 * saved, and the index over them. Changes go through {@link RingStore.commit} only.
 */
export class RingStore {
  /** The saved contents; replaced (never changed in place) by each commit or reload. */
  state: RingState;
  /** Lookup tables over `state`, rebuilt with it. */
  index: RingIndex;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly storage: KeyRingStorage,
    private fileKey: FileKey,
    private stored: Uint8Array,
    state: RingState,
    /** The save counter of `stored` (docs/KEYRING.md, "Rollback"). */
    public generation: number,
  ) {
    this.state = settled(state);
    this.index = new RingIndex(this.state);
  }

  /** See `KeyRing.create`. */
  static async create(storage: KeyRingStorage, secret: KeyRingSecret): Promise<RingStore> {
    checkStorage(storage);
    const s = checkSecret(secret);
    await cryptoReady();
    if ((await storage.load()) !== null || (await storage.loadBackup()) !== null) {
      throw new LintasError('ERR_KEYRING_EXISTS', 'This storage already holds a key ring; open it instead of creating a new one');
    }
    // Past any generation seen here before (a key ring deleted and created again), so the new
    // one is never mistaken for an older copy.
    const generation = ((await seenGeneration(storage)) ?? 0) + 1;
    const fileKey = await newFileKey(s);
    const state = emptyState();
    const bytes = encryptKeyRingFile(encodeState(state), fileKey, generation);
    if (!(await storage.save(bytes, null))) {
      wipeFileKey(fileKey);
      throw new LintasError('ERR_KEYRING_EXISTS', 'Another process created a key ring in this storage at the same time; open it instead');
    }
    await raiseSeen(storage, generation);
    return new RingStore(storage, fileKey, bytes, state, generation);
  }

  /** See `KeyRing.open`. */
  static async open(storage: KeyRingStorage, secret: KeyRingSecret, options: { acceptOlderGeneration: boolean }): Promise<RingStore> {
    checkStorage(storage);
    const s = checkSecret(secret);
    await cryptoReady();
    const bytes = await storage.load();
    if (bytes === null) {
      if ((await storage.loadBackup()) !== null) {
        throw new LintasError(
          'ERR_KEYRING_MALFORMED',
          'The key ring is missing but its backup exists; restore it with KeyRing.restoreFromBackup()',
        );
      }
      throw new LintasError('ERR_KEYRING_NOT_FOUND', 'No key ring in this storage; create one with KeyRing.create()');
    }
    // A damaged seen record refuses like a rollback, unless the user recovers explicitly.
    const seen = options.acceptOlderGeneration ? await seenGeneration(storage).catch(() => null) : await seenGeneration(storage);
    const { fileKey, state, generation } = await decryptWithSecret(bytes, s);
    const store = new RingStore(storage, fileKey, bytes, state, generation);
    // Compared only after decryption: the generation is authenticated with the contents.
    if (seen !== null && generation < seen) {
      if (!options.acceptOlderGeneration) {
        store.close();
        throw rollback(generation, seen);
      }
      try {
        await store.resaveAbove(seen);
      } catch (e) {
        store.close();
        throw e;
      }
    } else {
      await raiseSeen(storage, generation);
    }
    return store;
  }

  /** See `KeyRing.restoreFromBackup`. */
  static async restoreFromBackup(storage: KeyRingStorage, secret: KeyRingSecret): Promise<RingStore> {
    checkStorage(storage);
    const s = checkSecret(secret);
    await cryptoReady();
    const backup = await storage.loadBackup();
    if (backup === null) throw new LintasError('ERR_KEYRING_NOT_FOUND', 'This storage holds no backup generation of the key ring');
    const { fileKey, state, generation } = await decryptWithSecret(backup, s);
    const current = await storage.load();
    // Restoring is an explicit recovery: the backup's contents become a new generation, newer
    // than anything seen, so the generation it replaces now reads as the older one.
    let newest = Math.max(generation, (await seenGeneration(storage).catch(() => null)) ?? 0);
    if (current !== null) {
      try {
        newest = Math.max(newest, parseKeyRingFile(current).generation);
      } catch {
        // The current generation is damaged (the usual reason to restore): its counter is unknown.
      }
    }
    const bytes = encryptKeyRingFile(encodeState(state), fileKey, newest + 1);
    if (!(await storage.save(bytes, current))) {
      wipeFileKey(fileKey);
      throw conflict('Another process saved the key ring while it was being restored');
    }
    await raiseSeen(storage, newest + 1);
    return new RingStore(storage, fileKey, bytes, state, newest + 1);
  }

  /** Save the contents again as a generation above `seen` (explicit recovery of an older copy). */
  private async resaveAbove(seen: number): Promise<void> {
    const generation = Math.max(seen, this.generation) + 1;
    const bytes = encryptKeyRingFile(encodeState(this.state), this.fileKey, generation);
    if (!(await this.storage.save(bytes, this.stored))) throw conflict('Another process saved the key ring while an older generation was being recovered');
    this.stored = bytes;
    this.generation = generation;
    await raiseSeen(this.storage, generation);
  }

  get storageProtection(): StorageProtection {
    this.assertOpen();
    const kdf = this.fileKey.kdf;
    return kdf.alg === 'raw'
      ? { kind: 'raw-key' }
      : { kind: 'passphrase', opslimit: kdf.opslimit, memlimit: kdf.memlimit, belowDefaults: kdfBelowDefaults(kdf) };
  }

  /** See `KeyRing.rekey`. */
  async rekey(secret: KeyRingSecret): Promise<void> {
    const s = checkSecret(secret);
    await this.serial(async () => {
      const next = await newFileKey(s);
      for (let attempt = 0; attempt < MAX_SAVE_ATTEMPTS; attempt++) {
        const bytes = encryptKeyRingFile(encodeState(this.state), next, this.generation + 1);
        if (await this.storage.save(bytes, this.stored)) {
          wipeFileKey(this.fileKey);
          this.fileKey = next;
          this.stored = bytes;
          this.generation++;
          // The save made the generation under the old secret the backup: readable with the old
          // passphrase, which is what re-keying is meant to retire. Save once more so the backup
          // is under the new secret too (the storage keeps one previous generation only).
          const again = encryptKeyRingFile(encodeState(this.state), next, this.generation + 1);
          if (await this.storage.save(again, this.stored)) {
            this.stored = again;
            this.generation++;
          }
          // If another process saved in between, its save already replaced that backup.
          await raiseSeen(this.storage, this.generation);
          return;
        }
        await this.reload();
      }
      wipeFileKey(next);
      throw conflict('The key ring kept changing while it was being re-keyed');
    });
  }

  /** See `KeyRing.refresh`. */
  async refresh(): Promise<void> {
    await this.serial(() => this.reload());
  }

  /** Wipe secret keys and the storage key from memory; every later call throws ERR_KEYRING_CLOSED. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const id of this.state.identities) for (const k of id.keys) wipe(k.signing.secretKey, k.x25519.secretKey, k.xwing.secretKey);
    wipeFileKey(this.fileKey);
  }

  assertOpen(): void {
    if (this.closed) throw new LintasError('ERR_KEYRING_CLOSED', 'This key ring was closed; open it again');
  }

  /** The identity record named `name` (NFC) in the saved state. */
  identityRecord(name: string): IdentityRecord {
    this.assertOpen();
    if (typeof name !== 'string') throw new TypeError('identity name must be a string');
    const nfc = name.normalize('NFC');
    const r = this.state.identities.find((i) => i.name === nfc);
    if (!r) throw unknownIdentity(name);
    return r;
  }

  /** The contact record named `name` (NFC) in the saved state. */
  contactRecord(name: string): ContactRecord {
    this.assertOpen();
    if (typeof name !== 'string') throw new TypeError('contact name must be a string');
    const nfc = name.normalize('NFC');
    const r = this.state.contacts.find((c) => c.name === nfc);
    if (!r) throw unknownContact(name);
    return r;
  }

  /**
   * Apply `mutate` to a copy of the contents and save it with compare-and-swap; on a lost race,
   * reload and apply it again. `mutate` returns a function that builds the result from the new
   * index, so snapshots always describe the saved state.
   */
  commit<T>(mutate: (draft: RingState, index: RingIndex) => (index: RingIndex) => T): Promise<T> {
    return this.serial(async () => {
      for (let attempt = 0; attempt < MAX_SAVE_ATTEMPTS; attempt++) {
        const draft = cloneState(this.state);
        const result = mutate(draft, new RingIndex(draft));
        const bytes = encryptKeyRingFile(encodeState(draft), this.fileKey, this.generation + 1);
        if (await this.storage.save(bytes, this.stored)) {
          this.state = draft;
          this.index = new RingIndex(draft);
          this.stored = bytes;
          this.generation++;
          await raiseSeen(this.storage, this.generation);
          return result(this.index);
        }
        await this.reload();
      }
      throw conflict('The key ring kept changing under this change');
    });
  }

  /** Run `task` after every earlier task of this object, so changes apply one at a time. */
  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(() => {
      this.assertOpen();
      return task();
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Load the latest generation with the key already derived (no passphrase needed). */
  private async reload(): Promise<void> {
    const bytes = await this.storage.load();
    if (bytes === null) throw conflict('The key ring was deleted by another process');
    const parsed = parseKeyRingFile(bytes);
    if (!sameKdf(parsed.kdf, this.fileKey.kdf)) throw conflict('Another process changed the key ring passphrase or key');
    const plaintext = decryptKeyRingFile(parsed, this.fileKey);
    let state: RingState;
    try {
      state = settled(decodeState(plaintext));
    } finally {
      wipe(plaintext);
    }
    // Another process saves newer generations only; an older one was put back underneath us.
    if (parsed.generation < this.generation) throw rollback(parsed.generation, this.generation);
    this.state = state;
    this.index = new RingIndex(this.state);
    this.stored = bytes;
    this.generation = parsed.generation;
    await raiseSeen(this.storage, this.generation);
  }
}

/**
 * Loaded contents under today's key-compromise rules (compromise.ts): a ring saved by an
 * earlier version may still follow a thief's successor that a revocation voids. The next save
 * stores the settled state.
 */
function settled(state: RingState): RingState {
  settleCompromises(state);
  return state;
}

function rollback(found: number, seen: number): LintasError {
  return new LintasError(
    'ERR_KEYRING_ROLLBACK',
    `This key ring is generation ${found}, but generation ${seen} was already seen here: an older copy (such as the .bak file) was put in its place, ` +
      'which can bring back revoked keys and withdrawn trust. Nothing was changed. If you restored it on purpose, open it with recovery ' +
      '(KeyRing.open with acceptOlderGeneration, or lintas keyring recover)',
  );
}

async function seenGeneration(storage: KeyRingStorage): Promise<number | null> {
  return typeof storage.loadSeenGeneration === 'function' ? storage.loadSeenGeneration() : null;
}

/**
 * Raise the storage's record of the newest generation seen. Best effort: it runs after the key
 * ring was opened or durably saved, and a full or read-only disk must neither make a saved change
 * look failed nor stop a key ring on read-only media from opening; the record catches up at the
 * next open or save (docs/KEYRING.md, "Rollback").
 */
async function raiseSeen(storage: KeyRingStorage, generation: number): Promise<void> {
  if (typeof storage.saveSeenGeneration !== 'function') return;
  try {
    await storage.saveSeenGeneration(generation);
  } catch {
    // See above: the record lags by this generation until the next open or save raises it.
  }
}

function checkStorage(storage: unknown): asserts storage is KeyRingStorage {
  const s = storage as KeyRingStorage;
  if (!s || typeof s.load !== 'function' || typeof s.save !== 'function' || typeof s.loadBackup !== 'function') {
    throw new TypeError('storage must implement KeyRingStorage (load, loadBackup, save)');
  }
}

async function decryptWithSecret(bytes: Uint8Array, secret: KeyRingSecret): Promise<{ fileKey: FileKey; state: RingState; generation: number }> {
  // Parsed first, in this thread: a planted Argon2id cost is refused before any hash runs.
  const parsed = parseKeyRingFile(bytes);
  const fileKey = await deriveFileKey(secret, parsed.kdf);
  try {
    const plaintext = decryptKeyRingFile(parsed, fileKey);
    try {
      return { fileKey, state: decodeState(plaintext), generation: parsed.generation };
    } finally {
      wipe(plaintext);
    }
  } catch (e) {
    wipeFileKey(fileKey);
    throw e;
  }
}
