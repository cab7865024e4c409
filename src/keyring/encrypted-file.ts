/**
 * The key ring at rest (docs/KEYRING.md, "Storage format"): one XChaCha20-Poly1305 blob under a
 * key derived from a passphrase (Argon2id) or supplied raw (OS keychain, HSM).
 *
 *     file   = "LINTASKR" | version 0x02 | u16be header length | header | checksum(16) | ciphertext
 *     header = { "kdf": { "alg": "argon2id", "salt": bstr(16), "ops": uint, "mem": uint }
 *                     / { "alg": "raw", "salt": bstr(16) },
 *                "check": bstr(16), "nonce": bstr(24), "len": uint, "gen": uint }
 *
 * Everything before the ciphertext is the AEAD's associated data, so the version, the KDF
 * parameters, the nonce and the generation are authenticated with the contents. `gen` counts
 * saves (1 for a new key ring, +1 per save), so an older copy put back in place is recognised
 * (docs/KEYRING.md, "Rollback"). Version 1 files (no `gen`) are still read, as generation 0;
 * they are never written. Three checks give three
 * distinct errors:
 * - `checksum` = SHA-256("lintas/v1 key ring header checksum" || 0x00 || prefix || header)[0..16]
 *   and `len` catch accidental damage and truncation without any key: ERR_KEYRING_MALFORMED;
 * - `check` = HKDF(master, salt, "lintas/v1 key ring key check", 16) tells a wrong passphrase
 *   (ERR_KEYRING_WRONG_PASSPHRASE) from a file whose ciphertext was altered (ERR_KEYRING_TAMPERED).
 *   It gives an attacker nothing the ciphertext does not already give: testing a guess costs one
 *   Argon2id run either way.
 * The encryption key is HKDF(master, salt, "lintas/v1 key ring encryption", 32); each save uses
 * a fresh random 24-byte nonce, which XChaCha20 makes safe for any number of saves.
 */
import { LintasError } from '../errors/index.js';
import { encodeCanonical, type CborMap } from '../cbor/index.js';
import { XAEAD_NONCE_BYTES, xchachaDecrypt, xchachaEncrypt } from '../crypto/aead.js';
import { argon2id, ARGON2ID_SALT_BYTES, type Argon2idParams } from '../crypto/argon2.js';
import { concatBytes, constantTimeEqual, utf8, wipe } from '../crypto/bytes.js';
import { hkdfSha256, sha256 } from '../crypto/hash.js';
import { systemRandom } from '../crypto/random.js';
import { bytesField, decodeStrict, exactMap, textField, uintField, type Fail } from './cbor-fields.js';

/**
 * How a key ring is unlocked: a passphrase (optionally with Argon2id parameters for a new or
 * re-keyed ring), or a raw 32-byte key kept by the OS keychain or an HSM.
 */
export type KeyRingSecret =
  | {
      /** The passphrase (a string is used as UTF-8). */
      passphrase: string | Uint8Array;
      /** Argon2id cost when creating or re-keying; default {@link KEYRING_KDF_DEFAULTS}. Opening reads the stored cost. */
      kdf?: Argon2idParams;
    }
  | {
      /** A 32-byte random key kept outside the key ring. */
      rawKey: Uint8Array;
    };

const MiB = 1024 * 1024;
/**
 * Default Argon2id cost: 3 passes over 64 MiB, RFC 9106's recommendation for memory-constrained
 * use (section 4, second option; libsodium runs one lane). About 0.3 s in Node's WebAssembly
 * libsodium, and small enough for browsers and phones. Servers may pass more.
 */
export const KEYRING_KDF_DEFAULTS: Readonly<Argon2idParams> = Object.freeze({ opslimit: 3, memlimit: 64 * MiB });
/**
 * The lowest cost accepted anywhere, also when opening: 1 pass over 8 MiB. Tests pass this
 * explicitly to stay fast; there is no global switch that lowers the default.
 */
export const KEYRING_KDF_MINIMUM: Readonly<Argon2idParams> = Object.freeze({ opslimit: 1, memlimit: 8 * MiB });
/**
 * The highest cost accepted, also when opening, so a planted header cannot make every open cost
 * minutes and a gigabyte: 10 passes over 256 MiB, about 13 times the default (about 3 s and
 * 256 MiB in Node's WebAssembly libsodium). A file above it is refused with
 * `ERR_KEYRING_KDF_LIMIT_EXCEEDED` before Argon2id runs.
 */
export const KEYRING_KDF_MAXIMUM: Readonly<Argon2idParams> = Object.freeze({ opslimit: 10, memlimit: 256 * MiB });

const MAGIC = utf8('LINTASKR');
const KEYRING_FILE_VERSION = 2;
/** Version 1 had no generation counter; read as generation 0, never written. */
const KEYRING_FILE_VERSION_WITHOUT_GENERATION = 1;
const PREFIX_BYTES = MAGIC.length + 1 + 2;
const CHECK_BYTES = 16;
const CHECKSUM_BYTES = 16;
const RAW_KEY_BYTES = 32;
const MAX_HEADER_BYTES = 1024;

/** Stored key derivation settings. */
export type KdfHeader = { alg: 'argon2id'; salt: Uint8Array; opslimit: number; memlimit: number } | { alg: 'raw'; salt: Uint8Array };

/** The keys derived from a secret for one KDF header; kept while a key ring is open. */
export interface FileKey {
  kdf: KdfHeader;
  encryptionKey: Uint8Array;
  check: Uint8Array;
}

/** A parsed file, not yet decrypted. */
export interface ParsedKeyRingFile {
  kdf: KdfHeader;
  /** The save counter (0 for a version 1 file); trustworthy once the file decrypted. */
  generation: number;
  check: Uint8Array;
  nonce: Uint8Array;
  aad: Uint8Array;
  ciphertext: Uint8Array;
}

function malformed(message: string): LintasError {
  return new LintasError(
    'ERR_KEYRING_MALFORMED',
    `Key ring file is damaged: ${message}. Nothing was changed; restore the previous generation with KeyRing.restoreFromBackup()`,
  );
}
const fail: Fail = malformed;

/** Check Argon2id parameters against the floor and ceiling; RangeError outside them. */
export function checkKdfParams(params: unknown, what: string): Argon2idParams {
  if (params === null || typeof params !== 'object') throw new TypeError(`${what} must be { opslimit, memlimit }`);
  const { opslimit, memlimit } = params as Argon2idParams;
  if (typeof opslimit !== 'number' || typeof memlimit !== 'number') throw new TypeError(`${what}.opslimit and .memlimit must be numbers`);
  if (!Number.isSafeInteger(opslimit) || opslimit < KEYRING_KDF_MINIMUM.opslimit || opslimit > KEYRING_KDF_MAXIMUM.opslimit) {
    throw new RangeError(`${what}.opslimit must be an integer from ${KEYRING_KDF_MINIMUM.opslimit} to ${KEYRING_KDF_MAXIMUM.opslimit}`);
  }
  if (!Number.isSafeInteger(memlimit) || memlimit % 1024 !== 0 || memlimit < KEYRING_KDF_MINIMUM.memlimit || memlimit > KEYRING_KDF_MAXIMUM.memlimit) {
    throw new RangeError(`${what}.memlimit must be a multiple of 1024 bytes from ${KEYRING_KDF_MINIMUM.memlimit} to ${KEYRING_KDF_MAXIMUM.memlimit}`);
  }
  return { opslimit, memlimit };
}

/** Validate a {@link KeyRingSecret} at the public edge. */
export function checkSecret(secret: unknown): KeyRingSecret {
  if (secret === null || typeof secret !== 'object') throw new TypeError('secret must be { passphrase } or { rawKey }');
  const s = secret as Record<string, unknown>;
  if ('rawKey' in s) {
    if ('passphrase' in s) throw new TypeError('secret must have either passphrase or rawKey, not both');
    if (!(s.rawKey instanceof Uint8Array)) throw new TypeError('secret.rawKey must be a Uint8Array');
    if (s.rawKey.length !== RAW_KEY_BYTES) throw new RangeError(`secret.rawKey must be ${RAW_KEY_BYTES} bytes`);
    return { rawKey: s.rawKey };
  }
  if (typeof s.passphrase !== 'string' && !(s.passphrase instanceof Uint8Array)) throw new TypeError('secret.passphrase must be a string or a Uint8Array');
  if (s.passphrase.length === 0) throw new RangeError('secret.passphrase must not be empty');
  const out: KeyRingSecret = { passphrase: s.passphrase };
  if (s.kdf !== undefined) out.kdf = checkKdfParams(s.kdf, 'secret.kdf');
  return out;
}

/** A fresh KDF header (random salt) for `secret`, and its derived keys. */
export function newFileKey(secret: KeyRingSecret): Promise<FileKey> {
  const salt = systemRandom(ARGON2ID_SALT_BYTES);
  const kdf: KdfHeader =
    'rawKey' in secret ? { alg: 'raw', salt } : { alg: 'argon2id', salt, ...(secret.kdf ?? KEYRING_KDF_DEFAULTS) };
  return deriveFileKey(secret, kdf);
}

/**
 * Derive the file keys of `kdf` from `secret` (runs Argon2id for a passphrase, on a worker thread
 * on Node: `crypto/argon2.ts`). `kdf` was checked against the floor and ceiling already.
 */
export async function deriveFileKey(secret: KeyRingSecret, kdf: KdfHeader): Promise<FileKey> {
  let master: Uint8Array;
  if (kdf.alg === 'raw') {
    if (!('rawKey' in secret)) throw wrongSecret('This key ring is protected by a raw key (OS keychain or HSM), not a passphrase');
    master = secret.rawKey.slice();
  } else {
    if (!('passphrase' in secret)) throw wrongSecret('This key ring is protected by a passphrase, not a raw key');
    const pass = typeof secret.passphrase === 'string' ? utf8(secret.passphrase.normalize('NFC')) : secret.passphrase.slice();
    try {
      master = await argon2id(pass, kdf.salt, kdf, 32);
    } finally {
      wipe(pass);
    }
  }
  try {
    return {
      kdf,
      encryptionKey: hkdfSha256(master, kdf.salt, 'lintas/v1 key ring encryption', 32),
      check: hkdfSha256(master, kdf.salt, 'lintas/v1 key ring key check', CHECK_BYTES),
    };
  } finally {
    wipe(master);
  }
}

function wrongSecret(message: string): LintasError {
  return new LintasError('ERR_KEYRING_WRONG_PASSPHRASE', `${message}; open it with the secret it was created with`);
}

/** Zero the keys of a {@link FileKey}. */
export function wipeFileKey(key: FileKey): void {
  wipe(key.encryptionKey, key.check);
}

/** True if two KDF headers are the same (same salt and parameters), so one FileKey serves both. */
export function sameKdf(a: KdfHeader, b: KdfHeader): boolean {
  if (a.alg !== b.alg || !constantTimeEqual(a.salt, b.salt)) return false;
  return a.alg === 'raw' || (b.alg === 'argon2id' && a.opslimit === b.opslimit && a.memlimit === b.memlimit);
}

/** True if a passphrase-protected file uses less than today's default cost. */
export function kdfBelowDefaults(kdf: KdfHeader): boolean {
  return kdf.alg === 'argon2id' && (kdf.opslimit < KEYRING_KDF_DEFAULTS.opslimit || kdf.memlimit < KEYRING_KDF_DEFAULTS.memlimit);
}

function headerChecksum(prefixAndHeader: Uint8Array): Uint8Array {
  return sha256(concatBytes(utf8('lintas/v1 key ring header checksum'), new Uint8Array([0]), prefixAndHeader)).subarray(0, CHECKSUM_BYTES);
}

/** Encrypt `plaintext` into a complete key ring file of save counter `generation` under `key`, with a fresh nonce. */
export function encryptKeyRingFile(plaintext: Uint8Array, key: FileKey, generation: number): Uint8Array {
  if (!Number.isSafeInteger(generation) || generation < 1) throw new RangeError('generation must be a positive safe integer');
  const nonce = systemRandom(XAEAD_NONCE_BYTES);
  const kdf: CborMap =
    key.kdf.alg === 'raw'
      ? { alg: 'raw', salt: key.kdf.salt }
      : { alg: 'argon2id', salt: key.kdf.salt, ops: key.kdf.opslimit, mem: key.kdf.memlimit };
  const header = encodeCanonical({ kdf, check: key.check, nonce, len: plaintext.length + 16, gen: generation });
  const prefix = new Uint8Array(PREFIX_BYTES);
  prefix.set(MAGIC, 0);
  prefix[MAGIC.length] = KEYRING_FILE_VERSION;
  prefix[MAGIC.length + 1] = header.length >> 8;
  prefix[MAGIC.length + 2] = header.length & 0xff;
  const prefixAndHeader = concatBytes(prefix, header);
  const aad = concatBytes(prefixAndHeader, headerChecksum(prefixAndHeader));
  return concatBytes(aad, xchachaEncrypt(key.encryptionKey, nonce, plaintext, aad));
}

/**
 * Parse a key ring file's framing without any key.
 * @throws {@link LintasError} `ERR_KEYRING_MALFORMED` (not a key ring file, damaged or truncated),
 *   `ERR_KEYRING_UNSUPPORTED_VERSION`, `ERR_KEYRING_KDF_LIMIT_EXCEEDED` (Argon2id cost above
 *   {@link KEYRING_KDF_MAXIMUM}).
 */
export function parseKeyRingFile(bytes: Uint8Array): ParsedKeyRingFile {
  if (bytes.length === 0) throw malformed('the file is empty');
  for (let i = 0; i < MAGIC.length; i++) {
    if (i >= bytes.length) throw malformed('the file is truncated');
    if (bytes[i] !== MAGIC[i]) throw malformed('it is not a lintas key ring file');
  }
  if (bytes.length < PREFIX_BYTES) throw malformed('the file is truncated');
  const version = bytes[MAGIC.length]!;
  if (version !== KEYRING_FILE_VERSION && version !== KEYRING_FILE_VERSION_WITHOUT_GENERATION) {
    throw new LintasError(
      'ERR_KEYRING_UNSUPPORTED_VERSION',
      `Key ring file format version ${version} is not supported by this version of lintas (it reads version ${KEYRING_FILE_VERSION}); upgrade lintas`,
    );
  }
  const headerLength = (bytes[MAGIC.length + 1]! << 8) | bytes[MAGIC.length + 2]!;
  if (headerLength > MAX_HEADER_BYTES) throw malformed('the header length is implausible');
  const headerEnd = PREFIX_BYTES + headerLength;
  if (bytes.length < headerEnd + CHECKSUM_BYTES) throw malformed('the file is truncated');
  const prefixAndHeader = bytes.subarray(0, headerEnd);
  if (!constantTimeEqual(headerChecksum(prefixAndHeader), bytes.subarray(headerEnd, headerEnd + CHECKSUM_BYTES))) {
    throw malformed('its header checksum does not match');
  }
  const fields = version === KEYRING_FILE_VERSION ? ['kdf', 'check', 'nonce', 'len', 'gen'] : ['kdf', 'check', 'nonce', 'len'];
  const header = exactMap(decodeStrict(bytes.subarray(PREFIX_BYTES, headerEnd), fail, 3), 'header', fields, [], fail);
  const kdfMap = header.kdf!;
  const alg = kdfMap !== null && typeof kdfMap === 'object' && !Array.isArray(kdfMap) && !(kdfMap instanceof Uint8Array) ? kdfMap.alg : undefined;
  let kdf: KdfHeader;
  if (alg === 'argon2id') {
    const m = exactMap(kdfMap, 'header.kdf', ['alg', 'salt', 'ops', 'mem'], [], fail);
    textField(m, 'alg', 'header.kdf', fail);
    const params = { opslimit: uintField(m, 'ops', 'header.kdf', fail), memlimit: uintField(m, 'mem', 'header.kdf', fail) };
    // Checked here, before any key is derived: a planted header must not get Argon2id to run.
    if (params.opslimit > KEYRING_KDF_MAXIMUM.opslimit || params.memlimit > KEYRING_KDF_MAXIMUM.memlimit) {
      throw new LintasError(
        'ERR_KEYRING_KDF_LIMIT_EXCEEDED',
        `Key ring file asks for Argon2id with ${params.opslimit} passes over ${Math.ceil(params.memlimit / MiB)} MiB, above the ceiling of ` +
          `${KEYRING_KDF_MAXIMUM.opslimit} passes over ${KEYRING_KDF_MAXIMUM.memlimit / MiB} MiB; it was not run. If you did not set that cost yourself, ` +
          'the file was planted: restore your key ring from a copy you trust',
      );
    }
    try {
      checkKdfParams(params, 'kdf');
    } catch {
      throw malformed('its Argon2id parameters are outside the accepted range');
    }
    kdf = { alg: 'argon2id', salt: bytesField(m, 'salt', 'header.kdf', fail, ARGON2ID_SALT_BYTES), ...params };
  } else if (alg === 'raw') {
    const m = exactMap(kdfMap, 'header.kdf', ['alg', 'salt'], [], fail);
    kdf = { alg: 'raw', salt: bytesField(m, 'salt', 'header.kdf', fail, ARGON2ID_SALT_BYTES) };
  } else if (typeof alg === 'string') {
    throw new LintasError('ERR_KEYRING_UNSUPPORTED_VERSION', `Key ring file uses key derivation "${alg}", which this version of lintas does not know; upgrade lintas`);
  } else {
    throw malformed('header.kdf has no algorithm');
  }
  const check = bytesField(header, 'check', 'header', fail, CHECK_BYTES);
  const nonce = bytesField(header, 'nonce', 'header', fail, XAEAD_NONCE_BYTES);
  const len = uintField(header, 'len', 'header', fail);
  const generation = version === KEYRING_FILE_VERSION ? uintField(header, 'gen', 'header', fail) : 0;
  if (version === KEYRING_FILE_VERSION && generation < 1) throw malformed('its generation is 0');
  const bodyStart = headerEnd + CHECKSUM_BYTES;
  const actual = bytes.length - bodyStart;
  if (actual < len) throw malformed(`the file is truncated (${actual} of ${len} ciphertext bytes)`);
  if (actual > len) throw malformed(`the file has ${actual - len} unexpected bytes at its end`);
  return { kdf, generation, check, nonce, aad: bytes.subarray(0, bodyStart), ciphertext: bytes.subarray(bodyStart) };
}

/**
 * Decrypt a parsed file with `key` (derived for `parsed.kdf`).
 * @throws {@link LintasError} `ERR_KEYRING_WRONG_PASSPHRASE`, `ERR_KEYRING_TAMPERED`.
 */
export function decryptKeyRingFile(parsed: ParsedKeyRingFile, key: FileKey): Uint8Array {
  if (!constantTimeEqual(key.check, parsed.check)) {
    throw new LintasError('ERR_KEYRING_WRONG_PASSPHRASE', 'Wrong passphrase (or raw key) for this key ring; nothing was changed');
  }
  const plaintext = xchachaDecrypt(key.encryptionKey, parsed.nonce, parsed.ciphertext, parsed.aad);
  if (plaintext === null) {
    throw new LintasError(
      'ERR_KEYRING_TAMPERED',
      'Key ring file failed authentication although the passphrase is right: it was altered after it was written. Do not trust it; restore the previous generation with KeyRing.restoreFromBackup()',
    );
  }
  return plaintext;
}
