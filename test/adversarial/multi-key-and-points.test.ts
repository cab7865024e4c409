/**
 * Adversarial index (docs/THREAT-MODEL.md): invisible salamanders (one ciphertext that decrypts
 * under two keys) and low-order or non-canonical X25519 points, as recipient keys (bare, inside
 * X-Wing keys and in key cards) and as ephemeral shares in stanzas. Deeper variants:
 * test/envelope/attacks.test.ts ("key commitment"), test/crypto/x25519.wycheproof.test.ts and
 * test/crypto/xwing.test.ts.
 */
import { createCipheriv } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createKeyCard,
  generateIdentityKeys,
  KeyRing,
  KEYRING_KDF_MINIMUM,
  MemoryKeyRingStorage,
  open,
  recipientId,
  seal,
  type IdentityKeys,
  type RecipientPublicKey,
} from '../../src/index.js';
import type { RecipientStanza } from '../../src/envelope/header.js';
import { x25519Scheme } from '../../src/envelope/stanza-x25519.js';
import { xwingScheme } from '../../src/envelope/stanza-xwing.js';
import { deriveEnvelopeKeys } from '../../src/envelope/key-schedule.js';
import { chachaDecrypt, chachaEncrypt } from '../../src/crypto/aead.js';
import { decodeCanonical, encodeCanonical, type CborMap } from '../../src/cbor/index.js';
import { concatBytes, utf8 } from '../../src/crypto/bytes.js';
import { ed25519Sign } from '../../src/crypto/ed25519.js';
import { hkdfSha256 } from '../../src/crypto/hash.js';
import { systemRandom } from '../../src/crypto/random.js';
import { x25519, x25519PublicKey } from '../../src/crypto/x25519.js';
import { expectCode, forgeEnvelope, reassemble, sealWithSecrets, splitEnvelope } from '../envelope/envelope-kit.js';
import { LOW_ORDER_X25519 } from '../crypto/x25519-points.js';

let alice: IdentityKeys;
let bob: IdentityKeys;
let dave: IdentityKeys;

beforeAll(async () => {
  [alice, bob, dave] = await Promise.all([generateIdentityKeys(), generateIdentityKeys(), generateIdentityKeys()]);
});

const text = (s: string) => new TextEncoder().encode(s);
const P130 = 2n ** 130n - 5n;
const le = (n: bigint, bytes: number) => Uint8Array.from({ length: bytes }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
const fromLe = (b: Uint8Array) => b.reduce((acc, v, i) => acc | (BigInt(v) << BigInt(8 * i)), 0n);
const modPow = (b: bigint, e: bigint, m: bigint): bigint => {
  let r = 1n;
  for (b %= m; e > 0n; e >>= 1n, b = (b * b) % m) if (e & 1n) r = (r * b) % m;
  return r;
};
const mod = (a: bigint) => ((a % P130) + P130) % P130;

/** ChaCha20 keystream from block `counter` (RFC 8439), through node:crypto. */
function chacha20(key: Uint8Array, nonce: Uint8Array, counter: number, length: number): Uint8Array {
  const iv = concatBytes(le(BigInt(counter), 4), nonce);
  return new Uint8Array(createCipheriv('chacha20', key, iv).update(new Uint8Array(length)));
}

/** The Poly1305 one-time key (r clamped, s) of ChaCha20-Poly1305 under `key` and `nonce`. */
function polyKey(key: Uint8Array, nonce: Uint8Array): { r: bigint; s: bigint } {
  const block = chacha20(key, nonce, 0, 32);
  return { r: fromLe(block.subarray(0, 16)) & 0x0ffffffc0ffffffc0ffffffc0fffffffn, s: fromLe(block.subarray(16, 32)) };
}

/**
 * One ChaCha20-Poly1305 ciphertext (no associated data) whose tag is valid under both keys, as in
 * Len, Grubbs and Ristenpart, "Partitioning Oracle Attacks" (2021): choose every 16-byte block
 * but one at random and solve the Poly1305 equation for the last one. ChaCha20-Poly1305 does not
 * commit to its key, so this always succeeds within a few tries.
 */
/** `tail`: fixed ciphertext for the last blocks (whole 16-byte blocks), the others are random. */
function multiKeyCiphertext(k1: Uint8Array, k2: Uint8Array, nonce: Uint8Array, blocks = 3, tail: Uint8Array = new Uint8Array(0)): Uint8Array {
  const a = polyKey(k1, nonce);
  const b = polyKey(k2, nonce);
  // Poly1305 blocks: the ciphertext blocks, then le64(len aad = 0) || le64(len ciphertext); each plus 2^128.
  const lengthBlock = fromLe(concatBytes(new Uint8Array(8), le(BigInt(16 * blocks), 8))) + 2n ** 128n;
  const n = BigInt(blocks + 1);
  const diff = (e: bigint) => mod(modPow(a.r, e, P130) - modPow(b.r, e, P130));
  const tag = (r: bigint, s: bigint, m: bigint[]) => {
    let acc = 0n;
    for (const x of m) acc = ((acc + x) * r) % P130;
    return (acc + s) % 2n ** 128n;
  };
  for (let attempt = 0; attempt < 1000; attempt++) {
    const fixed = Array.from({ length: tail.length / 16 }, (_, i) => fromLe(tail.subarray(16 * i, 16 * i + 16)) + 2n ** 128n);
    const free = [...Array.from({ length: blocks - 1 - fixed.length }, () => fromLe(systemRandom(16)) + 2n ** 128n), ...fixed];
    // Block 0 is solved for: f1 - f2 = s2 - s1 (mod p), where f = sum of m_i * r^(n - i).
    let rest = diff(1n) * lengthBlock;
    free.forEach((m, i) => (rest += diff(n - BigInt(i + 1)) * m));
    const m0 = mod((b.s - a.s - rest) * modPow(diff(n), P130 - 2n, P130));
    if (m0 < 2n ** 128n || m0 >= 2n ** 129n) continue; // must be a 16-byte block plus 2^128
    const m = [m0, ...free, lengthBlock];
    const t = tag(a.r, a.s, m);
    if (t !== tag(b.r, b.s, m)) continue; // the equation held mod p but not as integers
    return concatBytes(...m.slice(0, blocks).map((x) => le(x - 2n ** 128n, 16)), le(t, 16));
  }
  throw new Error('no multi-key ciphertext found');
}

function wrapFor(key: RecipientPublicKey, fileKey: Uint8Array): RecipientStanza {
  const scheme = key.type === 'X25519' ? x25519Scheme : xwingScheme;
  const w = scheme.wrap(fileKey, key, systemRandom);
  return { type: key.type, recipientId: recipientId(key), args: w.args, body: w.body };
}

describe('attack: invisible salamanders (multi-key ciphertexts)', () => {
  // SPEC 10.4: the header commits to the file key (6.3), checked before anything is decrypted.
  it('a payload chunk that decrypts under two payload keys to two texts reaches only the recipient the header commits to', async () => {
    // A malicious sender gives Bob file key K1 and Dave K2, and one chunk valid under both.
    const k1 = systemRandom(32);
    const k2 = systemRandom(32);
    const salt = systemRandom(32);
    const finalChunkNonce = concatBytes(new Uint8Array(11), new Uint8Array([1]));
    const payloadKey = (k: Uint8Array) => deriveEnvelopeKeys(k, salt).payloadKey;
    const meta = { id: systemRandom(16), created: Math.floor(Date.now() / 1000), expires: null, sender: null, to: [recipientId(bob.x25519), recipientId(dave.x25519)], len: null, contentType: null };
    const stanzas = [wrapFor(bob.x25519, k1), wrapFor(dave.x25519, k2)];
    for (const [committed, uncommitted, reader, other] of [
      [k1, k2, bob, dave],
      [k2, k1, dave, bob],
    ] as const) {
      // Six blocks: 32 bytes of payload and, under the committed key, the 64 zero bytes that
      // close an anonymous envelope's window (SPEC 5.7): the last four ciphertext blocks are
      // that key's keystream there.
      const keystream = chachaEncrypt(payloadKey(committed), finalChunkNonce, new Uint8Array(96)).subarray(32, 96);
      const chunk = multiKeyCiphertext(payloadKey(committed), payloadKey(uncommitted), finalChunkNonce, 6, keystream);
      const forReader = chachaDecrypt(payloadKey(committed), finalChunkNonce, chunk);
      const forOther = chachaDecrypt(payloadKey(uncommitted), finalChunkNonce, chunk);
      // The primitive really is not key-committing: both keys accept the same bytes.
      expect(forReader).not.toBeNull();
      expect(forOther).not.toBeNull();
      expect(forOther).not.toEqual(forReader);
      expect(forReader!.subarray(32)).toEqual(new Uint8Array(64));
      // Header (commitment, MAC, meta) under one file key, then the two-key chunk as the payload.
      const { prefixAndHeader, envelope } = forgeEnvelope({ fileKey: committed, salt, stanzas, meta, plaintext: new Uint8Array(0), chunkExponent: 12 });
      const env = concatBytes(envelope.subarray(0, prefixAndHeader.length + 32), chunk);
      const opened = await open(env, { keys: [reader.x25519], allowAnonymous: true });
      expect(opened.payload).toEqual(forReader!.subarray(0, 32));
      await expectCode(open(env, { keys: [other.x25519], allowAnonymous: true }), 'ERR_ENVELOPE_HEADER_TAMPERED');
    }
  });

  it('a header that commits to one file key and is MACed with another is refused by every recipient', async () => {
    const k1 = systemRandom(32);
    const k2 = systemRandom(32);
    const salt = systemRandom(32);
    const meta = { id: systemRandom(16), created: Math.floor(Date.now() / 1000), expires: null, sender: null, to: [recipientId(bob.xwing), recipientId(dave.xwing)], len: 1, contentType: null };
    const env = forgeEnvelope({ fileKey: k1, salt, stanzas: [wrapFor(bob.xwing, k1), wrapFor(dave.xwing, k2)], meta, plaintext: new Uint8Array([7]), commit: deriveEnvelopeKeys(k2, salt).commitment }).envelope;
    await expectCode(open(env, { keys: [bob.xwing], allowAnonymous: true }), 'ERR_ENVELOPE_HEADER_TAMPERED');
    await expectCode(open(env, { keys: [dave.xwing], allowAnonymous: true }), 'ERR_ENVELOPE_HEADER_TAMPERED');
  });
});


describe('attack: low-order and non-canonical X25519 points', () => {
  // SPEC 4.1 step 1 (writer) and 4.1 unwrap step 2 (reader), 4.2, 10.10.
  it('sealing to a low-order X25519 key, or an X-Wing key with a low-order X25519 part, is refused', async () => {
    for (const [name, point] of Object.entries(LOW_ORDER_X25519)) {
      await expectCode(seal(text('x'), { recipients: [{ type: 'X25519', publicKey: point }], sender: alice.signing }), 'ERR_SEAL_INVALID_RECIPIENT').catch((e) => {
        throw new Error(`${name}: ${String(e)}`);
      });
      const xwing = concatBytes(bob.xwing.publicKey.subarray(0, 1184), point);
      await expectCode(seal(text('x'), { recipients: [{ type: 'X-Wing', publicKey: xwing }], sender: alice.signing }), 'ERR_SEAL_INVALID_RECIPIENT');
    }
  });

  it('a key card that publishes a low-order X25519 key is refused when made and when imported', async () => {
    // KEYRING.md, "Key cards": a card MUST NOT publish a small-order key. It used to be refused
    // only at sealing; now createKeyCard will not make it and a forged one does not import.
    const ring = await KeyRing.create(new MemoryKeyRingStorage(), { passphrase: 'ring', kdf: KEYRING_KDF_MINIMUM });
    await ring.createIdentity({ name: 'BIN', organization: 'BIN', country: 'ID' });
    const evil = await generateIdentityKeys();
    const params = { name: 'Evil', organization: 'X', country: 'ID', validUntil: new Date(Date.now() + 86_400_000), includeXWing: false };
    const lowOrderKeys = { ...evil, x25519: { type: 'X25519' as const, publicKey: LOW_ORDER_X25519['order 8 (a)']!, secretKey: evil.x25519.secretKey } };
    await expectCode(createKeyCard({ ...params, keys: lowOrderKeys }), 'ERR_KEYCARD_MALFORMED');
    // The attacker signs such a card by hand; the control is the same forging with evil's real key.
    const genuine = await createKeyCard({ ...params, keys: evil });
    const withKey = (key: Uint8Array) => {
      const body = encodeCanonical({ ...(decodeCanonical((decodeCanonical(genuine.bytes) as CborMap).body as Uint8Array) as CborMap), enc: [['X25519', key]] });
      return encodeCanonical({ v: 1, body, self: ed25519Sign(evil.signing.secretKey, concatBytes(utf8('lintas/v1 key card'), new Uint8Array([0]), body)) });
    };
    expect(withKey(evil.x25519.publicKey)).toEqual(genuine.bytes);
    await expectCode(ring.importKeyCard(withKey(LOW_ORDER_X25519['order 8 (a)']!), { name: 'Evil' }), 'ERR_KEYCARD_MALFORMED');
    expect(ring.contacts()).toEqual([]);
    await expectCode(ring.seal(text('x'), { from: 'BIN', to: ['Evil'] }), 'ERR_KEYRING_UNKNOWN_RECIPIENT');
  });

  it('a stanza whose ephemeral share is a low-order point never unwraps, even when its body was made for the all-zero secret', async () => {
    // Anyone can compute the "shared secret" of a low-order share without Bob's key. If the
    // reader accepted it, the wrap would not depend on Bob's key at all (not contributory).
    const fileKey = systemRandom(32);
    const salt = systemRandom(32);
    const stanza = (share: Uint8Array, shared: Uint8Array, hidden: boolean): RecipientStanza => {
      const wrapKey = hkdfSha256(shared, concatBytes(share, bob.x25519.publicKey), 'lintas/v1 X25519 wrap', 32);
      return { type: 'X25519', recipientId: hidden ? null : recipientId(bob.x25519), args: [share], body: chachaEncrypt(wrapKey, new Uint8Array(12), fileKey) };
    };
    const meta = { id: systemRandom(16), created: Math.floor(Date.now() / 1000), expires: null, sender: null, to: [recipientId(bob.x25519)], len: 2, contentType: null };
    // The payload, then the zero checkpoint of an anonymous envelope (SPEC 5.7).
    const envelopeWith = (s: RecipientStanza) => forgeEnvelope({ fileKey, salt, stanzas: [s], meta, plaintext: concatBytes(new Uint8Array([1, 2]), new Uint8Array(64)) }).envelope;
    for (const hidden of [false, true]) {
      // Control: the same construction with a real ephemeral key opens, so the forgery is faithful.
      const e = systemRandom(32);
      const real = x25519PublicKey(e);
      expect((await open(envelopeWith(stanza(real, x25519(e, bob.x25519.publicKey), hidden)), { keys: [bob.x25519], allowAnonymous: true })).payload).toEqual(new Uint8Array([1, 2]));
      for (const point of Object.values(LOW_ORDER_X25519)) {
        const env = envelopeWith(stanza(point, new Uint8Array(32), hidden));
        await expectCode(open(env, { keys: [bob.x25519], allowAnonymous: true }), hidden ? 'ERR_ENVELOPE_NOT_FOR_ME' : 'ERR_ENVELOPE_HEADER_TAMPERED');
      }
    }
  });

  it('an outsider who puts a low-order point into a real stanza, X25519 or X-Wing, is refused', async () => {
    for (const key of [bob.x25519, bob.xwing]) {
      const env = await seal(text('x'), { recipients: [key], sender: alice.signing });
      const p = splitEnvelope(env);
      const s = p.header.stanzas[0]!;
      for (const point of [LOW_ORDER_X25519['zero']!, LOW_ORDER_X25519['order 8 (b)']!]) {
        const args = key.type === 'X25519' ? [point] : [concatBytes(s.args[0]!.subarray(0, 1088), point)];
        const forged = reassemble({ ...p.header, stanzas: [{ ...s, args }] }, systemRandom(32), p.chunks);
        await expectCode(open(forged, { keys: [key as typeof bob.x25519] }), 'ERR_ENVELOPE_HEADER_TAMPERED');
      }
    }
  });

  it('a non-canonical encoding of the real ephemeral share (bit 255 set) does not unwrap, even with a valid MAC', async () => {
    // X25519 ignores bit 255, but the wrap key's HKDF salt binds the share as received (SPEC 4.1).
    const sealed = await sealWithSecrets(text('x'), { recipients: [bob.x25519], sender: alice.signing });
    const p = splitEnvelope(sealed.envelope);
    const s = p.header.stanzas[0]!;
    const share = s.args[0]!.slice();
    share[31]! |= 0x80;
    expect(x25519(bob.x25519.secretKey, share)).toEqual(x25519(bob.x25519.secretKey, s.args[0]!));
    const forged = reassemble({ ...p.header, stanzas: [{ ...s, args: [share] }] }, sealed.keys.macKey, p.chunks);
    await expectCode(open(forged, { keys: [bob.x25519] }), 'ERR_ENVELOPE_HEADER_TAMPERED');
  });
});
