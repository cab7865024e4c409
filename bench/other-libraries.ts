/**
 * The libraries lintas is compared with, behind the interface of `contenders.ts`:
 * age-encryption (typage, TypeScript age) with a string identity and with its fastest documented
 * form, a Web Crypto CryptoKey identity (README, "Web Crypto identities"); and OpenPGP.js in its
 * RFC 9580 AEAD profile and with its defaults.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as age from 'age-encryption';
import * as openpgp from 'openpgp';
import type { BenchKeys, Contender } from './contenders.js';
import { fileSink, pullStream } from './files.js';

/**
 * OpenPGP.js in its fastest profile, the RFC 9580 AEAD mode (SEIPDv2, AES-256-GCM), which is also
 * the only one that can stream a decryption: the default SEIPDv1 mode holds back all plaintext
 * until the end of the message has been checked.
 */
export const OPENPGP_CONFIG = { aeadProtect: true, preferredAEADAlgorithm: openpgp.enums.aead.gcm };

/** The two OpenPGP.js setups of the bench. */
export type OpenpgpSetup = 'aead' | 'default';

export async function makeBenchKeys(): Promise<BenchKeys> {
  const { privateKey } = await openpgp.generateKey({ type: 'curve25519', userIDs: [{ name: 'bench' }], format: 'armored', config: OPENPGP_CONFIG });
  // The defaults: an ECC Curve25519 key (EdDSA + ECDH), and messages in SEIPDv1 (AES-256, MDC).
  const fallback = await openpgp.generateKey({ userIDs: [{ name: 'bench' }], format: 'armored' });
  return {
    lintasSeeds: { sender: randomBytes(32).toString('hex'), recipient: randomBytes(32).toString('hex') },
    age: { x25519: await age.generateX25519Identity(), hybrid: await age.generateHybridIdentity() },
    openpgp: { privateKey },
    openpgpDefault: { privateKey: fallback.privateKey },
  };
}

export function openpgpVersion(): string {
  return (openpgp.config as { versionString?: string }).versionString?.replace('OpenPGP.js ', '') ?? '';
}

async function countBytes(source: AsyncIterable<Uint8Array>): Promise<number> {
  let n = 0;
  for await (const part of source) n += part.length;
  return n;
}

function fileAsWebStream(path: string): ReadableStream<Uint8Array> {
  return Readable.toWeb(createReadStream(path, { highWaterMark: 1 << 20 })) as ReadableStream<Uint8Array>;
}

/**
 * age encrypt / decrypt to one X25519 or hybrid (ML-KEM-768 + X25519) recipient, given as an
 * identity string or as a non-extractable X25519 CryptoKey (then the X25519 work runs in Web
 * Crypto, i.e. OpenSSL, instead of JavaScript).
 */
export async function ageContender(identity: string | CryptoKey, name = 'age'): Promise<Contender> {
  const encrypter = new age.Encrypter();
  encrypter.addRecipient(await age.identityToRecipient(identity));
  const decrypter = new age.Decrypter();
  decrypter.addIdentity(identity);
  return {
    name,
    encrypt: (data) => encrypter.encrypt(data),
    decrypt: (ciphertext) => decrypter.decrypt(ciphertext),
    async encryptToFile(source, path) {
      const out = await encrypter.encrypt(pullStream(source));
      await pipeline(out as unknown as AsyncIterable<Uint8Array>, fileSink(path));
    },
    async decryptFile(path) {
      return countBytes((await decrypter.decrypt(fileAsWebStream(path))) as unknown as AsyncIterable<Uint8Array>);
    },
  };
}

/** age with its fastest documented identity: an X25519 CryptoKey made by Web Crypto, not extractable. */
export async function ageCryptoKeyContender(): Promise<Contender> {
  const pair = (await crypto.subtle.generateKey({ name: 'X25519' }, false, ['deriveBits'])) as CryptoKeyPair;
  return ageContender(pair.privateKey, 'age (CryptoKey identity)');
}

/**
 * OpenPGP.js sign+encrypt / decrypt+verify, binary format. `aead`: X25519/Ed25519 keys and
 * {@link OPENPGP_CONFIG}. `default`: the key `generateKey` makes by default and the default
 * config, whose decryption of a stream holds all the plaintext back until the end of the
 * message has been checked (about 4 GB of memory for 1 GiB).
 */
export async function openpgpContender(keys: BenchKeys, setup: OpenpgpSetup = 'aead'): Promise<Contender> {
  const armoredKey = setup === 'aead' ? keys.openpgp.privateKey : keys.openpgpDefault.privateKey;
  const config = setup === 'aead' ? OPENPGP_CONFIG : {};
  const privateKey = await openpgp.readPrivateKey({ armoredKey });
  const publicKey = privateKey.toPublic();
  const encrypt = async (binary: Uint8Array | ReadableStream<Uint8Array>) =>
    openpgp.encrypt({
      message: await openpgp.createMessage({ binary }),
      encryptionKeys: publicKey,
      signingKeys: privateKey,
      format: 'binary',
      config,
    });
  const decrypt = async (binaryMessage: Uint8Array | ReadableStream<Uint8Array>) =>
    openpgp.decrypt({
      message: await openpgp.readMessage({ binaryMessage }),
      decryptionKeys: privateKey,
      verificationKeys: publicKey,
      expectSigned: true,
      format: 'binary',
      config,
    });
  return {
    name: setup === 'aead' ? 'OpenPGP.js (AEAD)' : 'OpenPGP.js (default)',
    encrypt: async (data) => (await encrypt(data)) as Uint8Array,
    decrypt: async (ciphertext) => (await decrypt(ciphertext)).data as Uint8Array,
    async encryptToFile(source, path) {
      const out = await encrypt(pullStream(source));
      await pipeline(out as unknown as AsyncIterable<Uint8Array>, fileSink(path));
    },
    async decryptFile(path) {
      const result = await decrypt(fileAsWebStream(path));
      const n = await countBytes(result.data as unknown as AsyncIterable<Uint8Array>);
      await result.signatures[0]!.verified; // rejects if the signature does not verify
      return n;
    },
  };
}
