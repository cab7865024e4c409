/**
 * The contenders of the benchmark behind one small interface: lintas, and the raw
 * ChaCha20-Poly1305 of node:crypto and of libsodium (the AEAD alone, no hash, no signature: a
 * floor for the per-message costs of whole buffers, not a limit of a signed format; those are in
 * `references.ts`). age-encryption and OpenPGP.js are in `other-libraries.ts`, so a child
 * process measuring lintas's memory does not load them.
 *
 * Key material is made once by the parent process and handed to child processes as JSON, so
 * the 1 GiB runs in children open what other children sealed.
 */
import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import {
  cryptoReady,
  identityKeysFromSeed,
  open,
  openStream,
  seal,
  sealStream,
  type IdentityKeys,
  type RecipientKeyPair,
  type RecipientPublicKey,
} from '../src/index.js';
import { sodium } from '../src/crypto/sodium.js';
import { fileSink } from './files.js';

/** Encrypt and decrypt whole buffers, and (optionally) stream files of any size. */
export interface Contender {
  name: string;
  encrypt(data: Uint8Array): Promise<Uint8Array>;
  decrypt(ciphertext: Uint8Array): Promise<Uint8Array>;
  /** Encrypt a stream of pieces into a file. */
  encryptToFile?(source: AsyncIterable<Uint8Array>, path: string): Promise<void>;
  /** Decrypt a file, consuming the plaintext as it comes; returns the plaintext length. */
  decryptFile?(path: string): Promise<number>;
}

/** What a 1 GiB streamed run needs of a contender (`large-child.ts`). */
export type StreamContender = Required<Pick<Contender, 'encryptToFile' | 'decryptFile'>>;

/** Everything the contenders need, serialisable for child processes. */
export interface BenchKeys {
  lintasSeeds: { sender: string; recipient: string };
  age: { x25519: string; hybrid: string };
  /** OpenPGP.js keys: made with the bench's AEAD profile, and with the library's defaults. */
  openpgp: { privateKey: string };
  openpgpDefault: { privateKey: string };
}

export interface LintasParties {
  sender: IdentityKeys;
  recipient: IdentityKeys;
}

export async function lintasParties(keys: BenchKeys): Promise<LintasParties> {
  await cryptoReady();
  return {
    sender: await identityKeysFromSeed(Buffer.from(keys.lintasSeeds.sender, 'hex')),
    recipient: await identityKeysFromSeed(Buffer.from(keys.lintasSeeds.recipient, 'hex')),
  };
}

/** lintas seal+sign / open+verify to one recipient key. */
export function lintasContender(p: LintasParties, recipient: RecipientPublicKey & RecipientKeyPair, name = 'lintas'): Contender {
  const sealOptions = { recipients: [recipient], sender: p.sender.signing };
  const openOptions = { keys: [recipient], trustedSenders: [p.sender.signing.publicKey] };
  return {
    name,
    encrypt: (data) => seal(data, sealOptions),
    async decrypt(envelope) {
      return (await open(envelope, openOptions)).payload;
    },
    encryptToFile: (source, path) => pipeline(sealStream(source, sealOptions), fileSink(path)),
    async decryptFile(path) {
      const opened = await openStream(createReadStream(path, { highWaterMark: 1 << 20 }), openOptions);
      let n = 0;
      for await (const part of opened.payload) n += part.length;
      return n;
    },
  };
}

/** The chunk size lintas uses by default; the raw ciphers use the same, with a counter nonce. */
export const RAW_CHUNK = 64 * 1024;
/** Fixed, so a child process can decrypt what another encrypted. */
const RAW_KEY = createHash('sha256').update('lintas benchmark raw ChaCha20-Poly1305 key').digest();

function counterNonce(i: number): Uint8Array {
  const nonce = new Uint8Array(12);
  new DataView(nonce.buffer).setUint32(7, i);
  return nonce;
}

/** ChaCha20-Poly1305 of one chunk, nonce = chunk counter. */
export type ChunkCipher = { encrypt(chunk: Uint8Array, i: number): Uint8Array; decrypt(chunk: Uint8Array, i: number): Uint8Array };

/** node:crypto's ChaCha20-Poly1305, as lintas uses it on Node (`src/crypto/node-bulk.ts`). */
export const nativeChunks: ChunkCipher = {
  encrypt(chunk, i) {
    const c = createCipheriv('chacha20-poly1305', RAW_KEY, counterNonce(i), { authTagLength: 16 });
    const body = c.update(chunk);
    c.final();
    return Buffer.concat([body, c.getAuthTag()]);
  },
  decrypt(chunk, i) {
    const d = createDecipheriv('chacha20-poly1305', RAW_KEY, counterNonce(i), { authTagLength: 16 });
    d.setAuthTag(chunk.subarray(chunk.length - 16));
    const body = d.update(chunk.subarray(0, chunk.length - 16));
    d.final();
    return body;
  },
};

const sodiumChunks: ChunkCipher = {
  encrypt: (chunk, i) => sodium().crypto_aead_chacha20poly1305_ietf_encrypt(chunk, null, null, counterNonce(i), RAW_KEY),
  decrypt: (chunk, i) => sodium().crypto_aead_chacha20poly1305_ietf_decrypt(null, chunk, null, counterNonce(i), RAW_KEY),
};

/** Raw ChaCha20-Poly1305 over 64 KiB chunks: no header, no hash, no signature, no copies. */
function rawContender(name: string, cipher: ChunkCipher): Contender {
  return {
    name,
    async encrypt(data) {
      const parts: Uint8Array[] = [];
      for (let off = 0, i = 0; off < data.length || i === 0; off += RAW_CHUNK, i++) parts.push(cipher.encrypt(data.subarray(off, off + RAW_CHUNK), i));
      return Buffer.concat(parts);
    },
    async decrypt(ciphertext) {
      const parts: Uint8Array[] = [];
      const step = RAW_CHUNK + 16;
      for (let off = 0, i = 0; off < ciphertext.length; off += step, i++) parts.push(cipher.decrypt(ciphertext.subarray(off, off + step), i));
      return Buffer.concat(parts);
    },
    async encryptToFile(source, path) {
      let i = 0;
      async function* chunks(): AsyncGenerator<Uint8Array> {
        for await (const piece of source) {
          for (let off = 0; off < piece.length; off += RAW_CHUNK) yield cipher.encrypt(piece.subarray(off, off + RAW_CHUNK), i++);
        }
      }
      await pipeline(chunks(), fileSink(path));
    },
    async decryptFile(path) {
      // A read stream reads ahead while the chunks are decrypted; reads of exactly 16 chunks
      // (a regular file returns all that is asked for) keep chunks from straddling two reads.
      const step = RAW_CHUNK + 16;
      let i = 0;
      let n = 0;
      for await (const piece of createReadStream(path, { highWaterMark: 16 * step }) as AsyncIterable<Uint8Array>) {
        for (let off = 0; off < piece.length; off += step) n += cipher.decrypt(piece.subarray(off, off + step), i++).length;
      }
      return n;
    },
  };
}

export const nativeChaCha = (): Contender => rawContender('native ChaCha20-Poly1305', nativeChunks);
export const sodiumChaCha = (): Contender => rawContender('libsodium ChaCha20-Poly1305', sodiumChunks);
