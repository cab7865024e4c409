/**
 * Runs the envelope test vectors in docs/vectors/ (format: docs/vectors/README.md):
 * (a) the committed files are exactly what scripts/generate-vectors.ts produces from the code;
 * (b) every vector opens to its expected outcome whether the input arrives whole, in uneven
 *     pieces or one byte at a time;
 * (c) the recorded sealing inputs and random bytes reproduce the sealer's output byte for byte;
 * (c') where a vector records it, the key-free inspection reports the recorded view;
 * (d) the recorded intermediate values agree with the key schedule recomputed here from the
 *     primitives and the context strings of the SPEC (not through the envelope code).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FAILURE_CLASS, VECTOR_DIR, VECTOR_FORMAT, generateVectors, type KeyRef, type Vector } from '../../scripts/generate-vectors.js';
import { LintasError } from '../../src/errors/index.js';
import { open, type OpenOptions } from '../../src/envelope/open.js';
import { armor, dearmor } from '../../src/envelope/armor.js';
import { inspect } from '../../src/envelope/inspect.js';
import { sealCore, type SealStreamOptions } from '../../src/envelope/seal.js';
import { decodeHeader } from '../../src/envelope/header.js';
import { collectBytes, toAsyncIterable } from '../../src/envelope/byte-source.js';
import { cryptoReady } from '../../src/crypto/sodium.js';
import { concatBytes, utf8 } from '../../src/crypto/bytes.js';
import { hkdfSha256, hmacSha256, sha256 } from '../../src/crypto/hash.js';
import { chachaDecrypt } from '../../src/crypto/aead.js';
import { ed25519Verify } from '../../src/crypto/ed25519.js';
import { x25519 } from '../../src/crypto/x25519.js';
import { xwingDecapsulate } from '../../src/crypto/xwing.js';
import { identityKeysFromSeed, recipientId, type RecipientKeyPair } from '../../src/keys/index.js';

const files = readdirSync(VECTOR_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();
const vectors: Vector[] = files.map((f) => JSON.parse(readFileSync(join(VECTOR_DIR, f), 'utf8')) as Vector);

function fromHex(hex: string): Uint8Array {
  if (!/^([0-9a-f]{2})*$/.test(hex)) throw new Error(`not lower-case hex: ${hex.slice(0, 20)}`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function keyPairOf(v: Vector, ref: KeyRef): RecipientKeyPair {
  const part = v.identities[ref.identity]?.[ref.type === 'X25519' ? 'x25519' : 'xwing'];
  if (!part) throw new Error(`${v.name}: identity ${ref.identity} lacks its ${ref.type} key`);
  return { type: ref.type, publicKey: fromHex(part.publicKey), secretKey: fromHex(part.secretKey) };
}

function signingPublicKey(v: Vector, name: string): Uint8Array {
  const s = v.identities[name]?.signing;
  if (!s) throw new Error(`${v.name}: identity ${name} lacks its signing key`);
  return fromHex(s.publicKey);
}

function openOptionsOf(v: Vector): OpenOptions {
  const o: OpenOptions = { keys: v.open.keys.map((k) => keyPairOf(v, k)), now: new Date(v.open.now * 1000) };
  if (v.open.allowAnonymous !== undefined) o.allowAnonymous = v.open.allowAnonymous;
  if (v.open.trustedSenders) o.trustedSenders = v.open.trustedSenders.map((n) => signingPublicKey(v, n));
  if (v.open.maxClockSkewSeconds !== undefined) o.maxClockSkewSeconds = v.open.maxClockSkewSeconds;
  return o;
}

/** What `open` did, in the vector's terms. */
type Outcome = { result: 'failure'; code: string } | { result: 'success'; fields: Record<string, unknown> };

async function attempt(input: Uint8Array | string | AsyncIterable<Uint8Array>, options: OpenOptions): Promise<Outcome> {
  try {
    const o = await open(input, options);
    return {
      result: 'success',
      fields: {
        payload: toHex(o.payload),
        sender: o.sender === null ? null : toHex(o.sender),
        authenticated: o.authenticated,
        envelopeId: toHex(o.envelopeId),
        createdAt: o.createdAt.getTime() / 1000,
        expiresAt: o.expiresAt === null ? null : o.expiresAt.getTime() / 1000,
        recipients: o.recipients.map(toHex),
        openedWith: { type: o.openedWith.type, recipientId: toHex(o.openedWith.recipientId) },
        contentType: o.contentType,
        payloadLength: o.payloadLength,
      },
    };
  } catch (e) {
    // Anything but a LintasError (a crash on hostile input) fails the test loudly.
    if (!(e instanceof LintasError)) throw e;
    return { result: 'failure', code: e.code };
  }
}

function expectedOutcome(v: Vector): Outcome {
  if (v.expect.result === 'failure') return { result: 'failure', code: v.expect.code };
  const { result: _result, ...fields } = v.expect;
  return { result: 'success', fields };
}

/** Uneven pieces: sizes cycle through values that straddle every boundary sooner or later. */
async function* uneven(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  const sizes = [1, 10, 3, 4113, 64, 7, 1500, 2, 333];
  let off = 0;
  for (let i = 0; off < bytes.length; i++) {
    const n = sizes[i % sizes.length]!;
    yield bytes.slice(off, off + n);
    off += n;
  }
}

async function* pieces(bytes: Uint8Array, n: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += n) yield bytes.slice(i, i + n);
}

async function* byteByByte(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i++) yield bytes.slice(i, i + 1);
}

/** Replays the recorded random bytes, checking each request asks for exactly the recorded length. */
function replay(v: Vector): { random: (n: number) => Uint8Array; left: () => number } {
  const draws = v.seal.random.map(fromHex);
  let i = 0;
  return {
    random: (n) => {
      const d = draws[i++];
      if (!d) throw new Error(`${v.name}: the sealer asked for more random bytes than were recorded`);
      if (d.length !== n) throw new Error(`${v.name}: random draw ${i - 1} is ${d.length} bytes, the sealer asked for ${n}`);
      return d.slice();
    },
    left: () => draws.length - i,
  };
}

function sealOptionsOf(v: Vector): SealStreamOptions {
  const s = v.seal.options;
  const o: SealStreamOptions = { recipients: s.recipients.map((r) => ({ type: r.type, publicKey: keyPairOf(v, r).publicKey })) };
  if (s.sender !== undefined) {
    const k = v.identities[s.sender]!.signing!;
    o.sender = { publicKey: fromHex(k.publicKey), secretKey: fromHex(k.secretKey) };
  }
  if (s.anonymous) o.anonymous = true;
  if (s.hideRecipients) o.hideRecipients = true;
  if (s.padding) o.padding = true;
  if (s.expiresAt !== undefined) o.expiresAt = new Date(s.expiresAt * 1000);
  if (s.contentType !== undefined) o.contentType = s.contentType;
  if (s.chunkSize !== undefined) o.chunkSize = s.chunkSize;
  if (s.size !== undefined) o.size = s.size;
  return o;
}

async function reseal(v: Vector): Promise<Uint8Array> {
  const r = replay(v);
  const out = await collectBytes(
    sealCore(toAsyncIterable(fromHex(v.seal.payload), 'payload'), sealOptionsOf(v), { random: r.random, now: () => v.seal.now * 1000 }),
  );
  expect(r.left(), 'every recorded random draw is consumed').toBe(0);
  return out;
}

beforeAll(async () => {
  await cryptoReady();
});

describe('envelope test vectors', () => {
  it('the committed files are exactly what the generator produces (npm run vectors)', async () => {
    const generated = await generateVectors();
    expect(files).toEqual([...generated.keys()].sort());
    for (const f of files) expect(readFileSync(join(VECTOR_DIR, f), 'utf8'), f).toBe(generated.get(f));
  });

  it('cover every behaviour class, and each failure code sits in its documented class', () => {
    const classes = new Set<string>();
    for (const v of vectors) {
      expect(v.format).toBe(VECTOR_FORMAT);
      expect(`${v.name}.json`).toBe(files[vectors.indexOf(v)]);
      if (v.expect.result === 'failure') {
        expect(FAILURE_CLASS[v.expect.code], v.name).toBe(v.expect.class);
        classes.add(v.expect.class);
      } else classes.add('success');
    }
    expect([...classes].sort()).toEqual(['armor', 'header', 'not-for-me', 'payload', 'policy', 'signature', 'success']);
  });

  it('every ERR_ENVELOPE_TAMPERED vector fails with one and the same message (SPEC 6.4: no oracle)', async () => {
    const messages = new Set<string>();
    for (const v of vectors.filter((x) => x.expect.result === 'failure' && x.expect.code === 'ERR_ENVELOPE_TAMPERED')) {
      try {
        await open(v.armored ?? fromHex(v.envelope), openOptionsOf(v));
      } catch (e) {
        if (e instanceof LintasError) messages.add(e.message);
      }
    }
    expect(messages.size).toBe(1);
  });

  for (const v of vectors) {
    describe(v.name, () => {
      const input = v.armored !== undefined ? utf8(v.armored) : fromHex(v.envelope);
      const want = expectedOutcome(v);

      it('opens to the expected outcome: whole, in uneven pieces, and byte by byte', async () => {
        const options = openOptionsOf(v);
        expect(await attempt(v.armored ?? input, options), 'whole input').toEqual(want);
        expect(await attempt(uneven(input), options), 'uneven pieces').toEqual(want);
        expect(await attempt(byteByByte(input), options), 'byte by byte').toEqual(want);
        // SPEC 8: armor lines (blank ones too) are judged the same in any pieces (issue 14 item 5).
        if (v.armored !== undefined) for (const n of [1000, 100]) expect(await attempt(pieces(input, n), options), `${n}-byte pieces`).toEqual(want);
      });

      if (v.inspect !== undefined) {
        it('inspects (SPEC 6.8, no keys) to the recorded view', async () => {
          const { version: _version, armored: _armored, ...view } = await inspect(fromHex(v.envelope));
          expect(view).toEqual(v.inspect);
        });
      }

      it('re-seals from the recorded inputs and random bytes to the recorded header (and the whole envelope if untouched)', async () => {
        const sealed = await reseal(v);
        const header = fromHex(v.intermediate.header);
        const mac = fromHex(v.intermediate.headerMac);
        expect(toHex(sealed.subarray(11, 11 + header.length + 32))).toBe(toHex(concatBytes(header, mac)));
        const chunkSize = 1 << decodeHeader(header).chunkExponent;
        const cipherBytes = sealed.length - 11 - header.length - 32;
        const chunkCount = Math.max(1, Math.ceil(cipherBytes / (chunkSize + 16)));
        expect(cipherBytes - 16 * chunkCount, 'plaintext stream length').toBe(v.intermediate.plaintextStreamLength);
        // SPEC 5.5: chunk i is ChaCha20-Poly1305 under the payload key with nonce = 11-byte
        // big-endian i || last flag; the plaintexts join to payload || zero padding || signature.
        const im = v.intermediate;
        expect(im.chunks).toHaveLength(chunkCount);
        const plain: Uint8Array[] = [];
        let off = 11 + header.length + 32;
        for (const [i, c] of im.chunks.entries()) {
          const nonce = new Uint8Array(12);
          new DataView(nonce.buffer).setUint32(7, i, false);
          nonce[11] = i === chunkCount - 1 ? 1 : 0;
          expect(c.nonce).toBe(toHex(nonce));
          const p = chachaDecrypt(fromHex(im.payloadKey), nonce, sealed.subarray(off, off + c.plaintextLength + 16));
          expect(p?.length, `chunk ${i}`).toBe(c.plaintextLength);
          plain.push(p!);
          off += c.plaintextLength + 16;
        }
        expect(off).toBe(sealed.length);
        const payload = fromHex(v.seal.payload);
        // The checkpoint closing the one window: the signature, or 64 zero bytes if anonymous.
        const signature = im.signature === null ? new Uint8Array(64) : fromHex(im.signature);
        const padding = new Uint8Array(im.plaintextStreamLength - payload.length - signature.length);
        expect(toHex(concatBytes(...plain))).toBe(toHex(concatBytes(payload, padding, signature)));
        if (v.tamper === undefined) {
          expect(toHex(sealed)).toBe(v.envelope);
          if (v.armored !== undefined && v.expect.result === 'success') {
            // Armor success vectors differ from the canonical armor only in line endings and surrounding whitespace.
            expect(toHex(await dearmor(v.armored))).toBe(v.envelope);
            expect(armor(sealed)).toBe(v.armored.replaceAll('\r\n', '\n').trim() + '\n');
          }
        }
      });

      it('records intermediate values that match the key schedule recomputed from the primitives', async () => {
        const im = v.intermediate;
        for (const [name, id] of Object.entries(v.identities)) {
          const keys = await identityKeysFromSeed(fromHex(id.seed));
          if (id.signing) expect(toHex(keys.signing.publicKey), `${name} signing`).toBe(id.signing.publicKey);
          if (id.signing) expect(toHex(keys.signing.secretKey), `${name} signing`).toBe(id.signing.secretKey);
          if (id.x25519) expect([toHex(keys.x25519.publicKey), toHex(keys.x25519.secretKey)]).toEqual([id.x25519.publicKey, id.x25519.secretKey]);
          if (id.xwing) expect([toHex(keys.xwing.publicKey), toHex(keys.xwing.secretKey)]).toEqual([id.xwing.publicKey, id.xwing.secretKey]);
        }
        const fileKey = fromHex(im.fileKey);
        const salt = fromHex(im.salt);
        // SPEC 5: the file key and the salt are the first two random draws.
        expect(v.seal.random.slice(0, 2)).toEqual([im.fileKey, im.salt]);
        expect(toHex(hkdfSha256(fileKey, salt, 'lintas/v1 header mac', 32))).toBe(im.macKey);
        expect(toHex(hkdfSha256(fileKey, salt, 'lintas/v1 key commitment', 32))).toBe(im.commitment);
        expect(toHex(hkdfSha256(fileKey, salt, 'lintas/v1 meta', 32))).toBe(im.metaKey);
        expect(toHex(hkdfSha256(fileKey, salt, 'lintas/v1 payload', 32))).toBe(im.payloadKey);

        const headerBytes = fromHex(im.header);
        const header = decodeHeader(headerBytes);
        expect(toHex(header.commit)).toBe(im.commitment);
        expect(toHex(header.salt)).toBe(im.salt);
        const prefix = concatBytes(utf8('LINTAS'), new Uint8Array([1, headerBytes.length >>> 24, (headerBytes.length >>> 16) & 255, (headerBytes.length >>> 8) & 255, headerBytes.length & 255]));
        const prefixAndHeader = concatBytes(prefix, headerBytes);
        expect(toHex(hmacSha256(fromHex(im.macKey), prefixAndHeader))).toBe(im.headerMac);
        expect(toHex(chachaDecrypt(fromHex(im.metaKey), new Uint8Array(12), header.meta)!)).toBe(im.meta);

        expect(im.wraps.map((w) => `${w.identity}/${w.type}`)).toEqual(v.seal.options.recipients.map((r) => `${r.identity}/${r.type}`));
        for (const w of im.wraps) {
          const kp = keyPairOf(v, { identity: w.identity, type: w.type });
          const stanza = header.stanzas[w.stanza]!;
          expect(stanza.type).toBe(w.type);
          expect(toHex(recipientId(kp))).toBe(w.recipientId);
          expect(stanza.recipientId === null ? null : toHex(stanza.recipientId)).toBe(v.seal.options.hideRecipients ? null : w.recipientId);
          const share = stanza.args[0]!;
          const shared = w.type === 'X25519' ? x25519(kp.secretKey, share) : xwingDecapsulate(share, kp.secretKey);
          expect(toHex(shared)).toBe(w.sharedSecret);
          const wrapKey =
            w.type === 'X25519'
              ? hkdfSha256(shared, concatBytes(share, kp.publicKey), 'lintas/v1 X25519 wrap', 32)
              : hkdfSha256(shared, recipientId(kp), 'lintas/v1 X-Wing wrap', 32);
          expect(toHex(wrapKey)).toBe(w.wrapKey);
          expect(toHex(chachaDecrypt(wrapKey, new Uint8Array(12), stanza.body)!)).toBe(im.fileKey);
        }

        // SPEC 5.7: one window here, whose data is payload || zero padding.
        const paddingLength = im.plaintextStreamLength - fromHex(v.seal.payload).length - 64;
        const dataHash = sha256(concatBytes(fromHex(v.seal.payload), new Uint8Array(paddingLength)));
        expect(toHex(dataHash)).toBe(im.dataHash);
        if (v.seal.options.sender === undefined) {
          expect([im.signedMessage, im.signature]).toEqual([null, null]);
        } else {
          const position = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 1]); // u64be(0) || final
          const message = concatBytes(utf8('lintas/v1 checkpoint'), new Uint8Array([0]), sha256(prefixAndHeader), position, dataHash);
          expect(toHex(message)).toBe(im.signedMessage);
          expect(ed25519Verify(signingPublicKey(v, v.seal.options.sender), message, fromHex(im.signature!))).toBe(true);
        }
      });
    });
  }
});
