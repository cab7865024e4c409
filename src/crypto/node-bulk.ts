/**
 * The Node.js fast path for the bulk primitives: OpenSSL's ChaCha20-Poly1305, SHA-256 and
 * HMAC-SHA-256 through node:crypto, and SHA-256 of large payloads on a worker thread
 * (`node-parallel-hash.ts`); see `bulk-backend.ts` for why and when it is used.
 *
 * This file is reachable from the browser entry, so it never imports node:* modules statically.
 * It asks the running Node for the module only after checking that it runs on Node:
 * `process.getBuiltinModule` (Node >= 20.16) needs no import at all; older Node 20 releases get
 * a dynamic import whose computed specifier bundlers leave alone. A runtime that only imitates
 * Node (or an OpenSSL build without ChaCha20, as in FIPS mode) fails the known-answer test below
 * and keeps the portable code.
 */
import type { BulkBackend } from './bulk-backend.js';
import { parallelHashThread, type ParallelHashThread } from './node-parallel-hash.js';
import { nodeEd25519, type NodeEd25519 } from './node-ed25519.js';
import { nodeEphemeralX25519, nodeRepeatedKeyX25519, nodeX25519Once, type EphemeralX25519 } from './node-x25519.js';

type NodeCrypto = typeof import('node:crypto');
type WorkerThreads = typeof import('node:worker_threads');

const TAG_BYTES = 16;

/** The Node fast backend, or null if this is not Node or its node:crypto cannot do the job. */
export async function loadNodeBulkBackend(): Promise<BulkBackend | null> {
  const nodeCrypto = await loadNodeModule<NodeCrypto>('node:crypto');
  if (nodeCrypto === null) return null;
  const workerThreads = await loadNodeModule<WorkerThreads>('node:worker_threads');
  const backend = nodeBulkBackend(nodeCrypto, workerThreads && parallelHashThread(workerThreads));
  try {
    if (!passesKnownAnswers(backend)) return null;
  } catch {
    return null;
  }
  // The public-key primitives are optional: a runtime whose node:crypto gets one wrong keeps
  // libsodium for that one alone.
  try {
    if (passesX25519KnownAnswers(nodeCrypto)) {
      const ephemeral = nodeEphemeralX25519(nodeCrypto);
      backend.repeatedKeyX25519 = nodeRepeatedKeyX25519(nodeCrypto);
      if (passesEphemeralCheck(ephemeral)) backend.ephemeralX25519 = ephemeral;
    }
  } catch {
    // libsodium's X25519, as everywhere else
  }
  try {
    const ed25519 = nodeEd25519(nodeCrypto);
    if (passesEd25519KnownAnswer(ed25519)) backend.ed25519 = ed25519;
  } catch {
    // libsodium's Ed25519, as everywhere else
  }
  return backend;
}

/**
 * A Node built-in module, or null if this is not Node (or the module cannot be had): the one way
 * `src/crypto` reaches node:* modules (see above).
 */
export async function loadNodeModule<T>(name: 'node:crypto' | 'node:worker_threads' | 'node:module'): Promise<T | null> {
  const proc = globalThis.process;
  if (typeof proc?.versions?.node !== 'string') return null;
  try {
    if (typeof proc.getBuiltinModule === 'function') return (proc.getBuiltinModule(name) as T | undefined) ?? null;
    const specifier = name;
    return (await import(/* webpackIgnore: true */ /* @vite-ignore */ specifier)) as T;
  } catch {
    return null;
  }
}

/**
 * A plain Uint8Array (callers never see Buffer's different slice() semantics). node:crypto
 * returns fresh allocations of exactly the result, which are reused as they are; a view into a
 * shared pool (other data behind `.buffer`) is copied instead.
 */
function plainBytes(b: Buffer): Uint8Array {
  if (b.byteOffset === 0 && b.buffer.byteLength === b.byteLength) return new Uint8Array(b.buffer);
  return Uint8Array.from(b);
}

function nodeBulkBackend(nc: NodeCrypto, hashThread: ParallelHashThread | null): BulkBackend {
  return {
    name: 'node',
    chachaEncrypt(key, nonce, plaintext, aad) {
      const cipher = nc.createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_BYTES });
      if (aad) cipher.setAAD(aad, { plaintextLength: plaintext.length });
      const out = new Uint8Array(plaintext.length + TAG_BYTES);
      out.set(cipher.update(plaintext), 0);
      cipher.final();
      out.set(cipher.getAuthTag(), plaintext.length);
      return out;
    },
    chachaDecrypt(key, nonce, ciphertext, aad) {
      if (ciphertext.length < TAG_BYTES) return null;
      const split = ciphertext.length - TAG_BYTES;
      const decipher = nc.createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_BYTES });
      decipher.setAuthTag(ciphertext.subarray(split));
      if (aad) decipher.setAAD(aad, { plaintextLength: split });
      const plaintext = decipher.update(ciphertext.subarray(0, split));
      try {
        decipher.final(); // throws if the tag does not verify
      } catch {
        plaintext.fill(0); // never let unauthenticated plaintext out, not even in freed memory
        return null;
      }
      return plainBytes(plaintext);
    },
    sha256(data) {
      // crypto.hash() (Node >= 20.12) skips the Hash object: half the cost for short inputs.
      return plainBytes(typeof nc.hash === 'function' ? nc.hash('sha256', data, 'buffer') : nc.createHash('sha256').update(data).digest());
    },
    hmacSha256(key, data) {
      return plainBytes(nc.createHmac('sha256', key).update(data).digest());
    },
    createSha256() {
      const h = nc.createHash('sha256');
      return {
        update: (data) => void h.update(data),
        digest: () => plainBytes(h.digest()),
        release: () => undefined,
      };
    },
    ...(hashThread && { createParallelSha256: hashThread.sha256, createParallelSegments: hashThread.segments }),
  };
}

/**
 * RFC 7748 section 6.1: Alice's private key and Bob's public key give the shared secret K, and
 * with the base point u = 9 Alice's public key (how ephemeral public keys are computed).
 */
function passesX25519KnownAnswers(nc: NodeCrypto): boolean {
  const alice = fromHex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
  const shared = nodeX25519Once(nc, alice, fromHex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f'));
  const basePoint = fromHex('09'.padEnd(64, '0'));
  return (
    toHex(shared) === '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742' &&
    toHex(nodeX25519Once(nc, alice, basePoint)) === '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a'
  );
}

/** An ephemeral key's agreement with the base point is its own public key; two keys differ. */
function passesEphemeralCheck(ephemeral: EphemeralX25519): boolean {
  const basePoint = fromHex('09'.padEnd(64, '0'));
  const a = ephemeral(basePoint);
  const b = ephemeral(basePoint);
  return a.publicKey.length === 32 && toHex(a.shared) === toHex(a.publicKey) && toHex(a.publicKey) !== toHex(b.publicKey);
}

/** RFC 8032 section 7.1, TEST 2 (one-byte message): the signature, on a kept key, and its verification. */
function passesEd25519KnownAnswer(ed25519: NodeEd25519): boolean {
  const secretKey = fromHex(
    '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb' + '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
  );
  const message = fromHex('72');
  const expected = '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00';
  ed25519.sign(secretKey, message); // first use: not imported yet
  const signature = ed25519.sign(secretKey, message);
  if (signature === null || toHex(signature) !== expected) return false;
  const tampered = signature.slice();
  tampered[0]! ^= 1;
  return ed25519.verify(secretKey.subarray(32), message, signature) && !ed25519.verify(secretKey.subarray(32), message, tampered);
}

function fromHex(s: string): Uint8Array {
  return Uint8Array.from(s.match(/../g)!, (b) => parseInt(b, 16));
}

function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** RFC 8439 section 2.8.2 (AEAD), FIPS 180-4 "abc" (SHA-256, one-shot and incremental), RFC 4231 test case 2 (HMAC). */
function passesKnownAnswers(b: BulkBackend): boolean {
  const ascii = (s: string) => new TextEncoder().encode(s);
  const key = Uint8Array.from({ length: 32 }, (_, i) => 0x80 + i);
  const nonce = fromHex('070000004041424344454647');
  const aad = fromHex('50515253c0c1c2c3c4c5c6c7');
  const plaintext = ascii("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");
  const sealed = b.chachaEncrypt(key, nonce, plaintext, aad);
  // One-shot and incremental SHA-256 take different node:crypto routes (hash(), createHash()).
  const incremental = b.createSha256();
  incremental.update(ascii('a'));
  incremental.update(ascii('bc'));
  const opened = b.chachaDecrypt(key, nonce, sealed, aad);
  return (
    toHex(sealed.subarray(plaintext.length)) === '1ae10b594f09e26a7e902ecbd0600691' &&
    opened !== null &&
    toHex(opened) === toHex(plaintext) &&
    toHex(b.sha256(ascii('abc'))) === 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad' &&
    toHex(incremental.digest()) === 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad' &&
    toHex(b.hmacSha256(ascii('Jefe'), ascii('what do ya want for nothing?'))) ===
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'
  );
}
