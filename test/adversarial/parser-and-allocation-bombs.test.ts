/**
 * Adversarial index (docs/THREAT-MODEL.md): oversized and deeply nested CBOR, and allocation
 * bombs (sizes declared larger than what follows, endless chunk streams, planted KDF costs).
 * lintas compresses nothing, so there is no decompression bomb; what remains are declared sizes,
 * which every reader checks against limits and against the bytes that actually arrive before it
 * allocates. Deeper variants: test/cbor/canonical-decode.test.ts ("nesting depth", "declared
 * lengths larger than the input"), test/envelope/attacks.test.ts ("malformed CBOR"),
 * test/keyring/storage.test.ts and test/bundle/attacks.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BUNDLE_CONTENT_TYPE,
  BundleBuilder,
  decodeKeyCard,
  decodeRevocation,
  generateIdentityKeys,
  KeyRing,
  KEYRING_KDF_MINIMUM,
  MemoryKeyRingStorage,
  open,
  openBundle,
  openStream,
  seal,
  sealBundle,
  type IdentityKeys,
} from '../../src/index.js';
import { decodeCanonical, encodeCanonical, type CborMap } from '../../src/cbor/index.js';
import { concatBytes, utf8 } from '../../src/crypto/bytes.js';
import { sha256 } from '../../src/crypto/hash.js';
import { systemRandom } from '../../src/crypto/random.js';
import { encodePrefix } from '../../src/envelope/header.js';
import { decodeHead, encodeHead, headPrefix } from '../../src/bundle/head.js';
import { decodeManifest, encodeManifest, signManifest } from '../../src/bundle/manifest.js';
import { expectCode, forgeEnvelope, readMeta, sealWithSecrets, splitEnvelope } from '../envelope/envelope-kit.js';

let alice: IdentityKeys;
let bob: IdentityKeys;
beforeAll(async () => {
  [alice, bob] = await Promise.all([generateIdentityKeys(), generateIdentityKeys()]);
});

const MiB = 1024 * 1024;
/** `depth` nested one-element arrays around an integer: 0x81 0x81 ... 0x00. */
const nested = (depth: number) => concatBytes(new Uint8Array(depth).fill(0x81), new Uint8Array([0]));
/** A header-shaped envelope prefix around arbitrary header bytes, with a random MAC and a short tail. */
const envelopeAround = (header: Uint8Array) => concatBytes(encodePrefix(header.length), header, systemRandom(32), new Uint8Array(16));
const openAsBob = (env: Uint8Array | AsyncIterable<Uint8Array>) => open(env, { keys: [bob.x25519, bob.xwing], allowAnonymous: true });

/** A real bundle from Alice to Bob, taken apart: its payload's head and the bytes after it. */
async function bundleParts() {
  const sealed = await sealBundle(new BundleBuilder({ title: 'Watch list', markings: { tlp: 'GREEN' } }).addText('list.txt', 'three names'), {
    sender: { signing: alice.signing, card: { fingerprint: sha256(alice.signing.publicKey), name: 'Alice', organization: 'BIN', country: 'ID' } },
    recipients: [{ encryptionKey: bob.xwing, attributes: { fingerprint: sha256(bob.signing.publicKey), name: 'Bob', organization: 'PDRM', country: 'MY', explicit: true, verification: 'verified' } }],
  });
  const payload = (await open(sealed.deliveries[0]!.envelope, { keys: [bob.xwing] })).payload;
  const headLength = new DataView(payload.buffer, payload.byteOffset).getUint32(0);
  return { head: decodeHead(payload.subarray(4, 4 + headLength)), items: payload.subarray(4 + headLength) };
}
/** Seal a bundle payload as Alice (the originator, so only the bundle's own checks can refuse it). */
const sealBundlePayload = (payload: Uint8Array) => seal(payload, { recipients: [bob.xwing], sender: alice.signing, contentType: BUNDLE_CONTENT_TYPE });
const readBundleAsBob = async (env: Uint8Array) => (await openBundle(env, { keys: [bob.xwing] })).readAll();

describe('attack: oversized and deeply nested CBOR', () => {
  it('an envelope header nested 100,000 levels deep is refused at the depth limit, without recursion', async () => {
    await expectCode(openAsBob(envelopeAround(nested(100_000))), 'ERR_ENVELOPE_LIMIT_EXCEEDED');
    // Nesting inside a valid-looking header: a stanza argument five levels down.
    const deepArgs = encodeCanonical({ chunk: 16, commit: new Uint8Array(32), meta: new Uint8Array(32), salt: new Uint8Array(32), stanzas: [['X25519', new Uint8Array(32), [[[[new Uint8Array(1)]]]], new Uint8Array(48)]] });
    await expectCode(openAsBob(envelopeAround(deepArgs)), 'ERR_ENVELOPE_LIMIT_EXCEEDED');
  });

  it('huge declared lengths are refused before anything is allocated or read', async () => {
    // Header length field at its maximum: refused from the 11-byte prefix alone.
    const prefix = concatBytes(utf8('LINTAS'), new Uint8Array([1, 0xff, 0xff, 0xff, 0xff]));
    await expectCode(openAsBob(prefix), 'ERR_ENVELOPE_LIMIT_EXCEEDED');
    // CBOR heads declaring 2^53 - 1 bytes, 2^32 - 1 array items and 2^32 - 1 map entries in a 12-byte header.
    // Strings longer than the input are malformed; arrays and maps over 1,024 entries are refused
    // at their head by the size rule (SPEC 2 rule 9), before the remaining bytes are counted.
    for (const [head, code] of [
      [[0x5b, 0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 'ERR_ENVELOPE_MALFORMED'],
      [[0x9a, 0xff, 0xff, 0xff, 0xff], 'ERR_ENVELOPE_LIMIT_EXCEEDED'],
      [[0xba, 0xff, 0xff, 0xff, 0xff], 'ERR_ENVELOPE_LIMIT_EXCEEDED'],
      [[0x7b, 0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 'ERR_ENVELOPE_MALFORMED'],
    ] as const) {
      await expectCode(openAsBob(envelopeAround(concatBytes(new Uint8Array(head), new Uint8Array(3)))), code);
    }
    // A meta block over 128 KiB, and 1,025 stanzas, are refused by the header limits (SPEC 7).
    const base = { chunk: 16, commit: new Uint8Array(32), salt: new Uint8Array(32) };
    const stanza = ['X25519', new Uint8Array(32), [new Uint8Array(32)], new Uint8Array(48)];
    await expectCode(openAsBob(envelopeAround(encodeCanonical({ ...base, meta: new Uint8Array(128 * 1024 + 1), stanzas: [stanza] }))), 'ERR_ENVELOPE_LIMIT_EXCEEDED');
    await expectCode(openAsBob(envelopeAround(encodeCanonical({ ...base, meta: new Uint8Array(32), stanzas: Array.from({ length: 1025 }, () => stanza) }))), 'ERR_ENVELOPE_LIMIT_EXCEEDED');
  });

  it('indefinite-length items are refused', async () => {
    for (const item of [[0x9f, 0x00, 0xff], [0xbf, 0xff], [0x5f, 0x41, 0x00, 0xff], [0x7f, 0x61, 0x61, 0xff]]) {
      await expectCode(openAsBob(envelopeAround(new Uint8Array(item))), 'ERR_ENVELOPE_MALFORMED');
    }
  });

  it('a deeply nested meta block behind a valid header MAC (an insider) is refused with the one post-MAC code', async () => {
    const sealed = await sealWithSecrets(new Uint8Array(5), { recipients: [bob.x25519], sender: alice.signing });
    const p = splitEnvelope(sealed.envelope);
    const meta = readMeta(sealed.keys, p.header);
    for (const rawMeta of [nested(10_000), new Uint8Array([0xbf, 0xff])]) {
      const forged = forgeEnvelope({ fileKey: sealed.fileKey, salt: sealed.salt, stanzas: p.header.stanzas, meta, rawMeta, plaintext: new Uint8Array(5) }).envelope;
      await expectCode(openAsBob(forged), 'ERR_ENVELOPE_TAMPERED');
    }
  });

  it('key cards, revocations and key ring files: nested, oversized and indefinite inputs are malformed', async () => {
    await expectCode(decodeKeyCard(nested(100_000)), 'ERR_KEYCARD_MALFORMED');
    await expectCode(decodeKeyCard(new Uint8Array(64 * 1024)), 'ERR_KEYCARD_MALFORMED');
    await expectCode(decodeKeyCard(new Uint8Array([0xbf, 0x61, 0x76, 0x01, 0xff])), 'ERR_KEYCARD_MALFORMED');
    await expectCode(decodeRevocation(nested(100_000)), 'ERR_REVOCATION_MALFORMED');
    await expectCode(decodeRevocation(new Uint8Array([0x5b, 0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])), 'ERR_REVOCATION_MALFORMED');
    // A key ring file whose header is a depth bomb (the header checksum fixed, as an attacker would).
    const storage = new MemoryKeyRingStorage();
    await KeyRing.create(storage, { passphrase: 'p', kdf: KEYRING_KDF_MINIMUM });
    const file = (await storage.load())!;
    const bomb = withKeyRingHeader(file, nested(10_000));
    await expectCode(KeyRing.open(new MemoryKeyRingStorage(bomb), { passphrase: 'p', kdf: KEYRING_KDF_MINIMUM }), 'ERR_KEYRING_MALFORMED');
  });

  it('a bundle head declaring 4 GiB, or nested deep, is refused by the bundle reader', async () => {
    const { head, items } = await bundleParts();
    await expectCode(readBundleAsBob(await sealBundlePayload(concatBytes(headPrefix(0xffffffff), new Uint8Array(64)))), 'ERR_BUNDLE_LIMIT_EXCEEDED');
    const deep = nested(10_000);
    await expectCode(readBundleAsBob(await sealBundlePayload(concatBytes(headPrefix(deep.length), deep, items))), 'ERR_BUNDLE_MALFORMED');
    // Control: the untouched parts open.
    const h = encodeHead(head);
    expect(await readBundleAsBob(await sealBundlePayload(concatBytes(headPrefix(h.length), h, items)))).toHaveLength(1);
  });
});

/** Replace a key ring file's header and fix its checksum (layout: docs/KEYRING.md, "Storage format"). */
function withKeyRingHeader(file: Uint8Array, header: Uint8Array): Uint8Array {
  const oldLength = (file[9]! << 8) | file[10]!;
  const prefix = file.slice(0, 11);
  prefix[9] = header.length >> 8;
  prefix[10] = header.length & 0xff;
  const ph = concatBytes(prefix, header);
  const sum = sha256(concatBytes(utf8('lintas/v1 key ring header checksum'), new Uint8Array([0]), ph)).subarray(0, 16);
  return concatBytes(ph, sum, file.subarray(11 + oldLength + 16));
}

describe('attack: decompression and allocation bombs', () => {
  it('a signed payload length of 2^53 - 1 over a few bytes of payload is refused, not allocated', async () => {
    const sealed = await sealWithSecrets(new Uint8Array(100), { recipients: [bob.x25519], anonymous: true });
    const p = splitEnvelope(sealed.envelope);
    const meta = readMeta(sealed.keys, p.header);
    const forged = forgeEnvelope({ fileKey: sealed.fileKey, salt: sealed.salt, stanzas: p.header.stanzas, meta: { ...meta, len: 2 ** 53 - 1 }, plaintext: new Uint8Array(100) }).envelope;
    await expectCode(openAsBob(forged), 'ERR_ENVELOPE_TAMPERED');
    // A declared length shorter than the stream makes the rest "padding", which must be zero.
    const padded = forgeEnvelope({ fileKey: sealed.fileKey, salt: sealed.salt, stanzas: p.header.stanzas, meta: { ...meta, len: 10 }, plaintext: new Uint8Array(100).fill(1) }).envelope;
    await expectCode(openAsBob(padded), 'ERR_ENVELOPE_TAMPERED');
  });

  it('an endless stream of chunks after a real header is refused at the first bad chunk, reading almost nothing', async () => {
    const env = await seal(new Uint8Array(10), { recipients: [bob.x25519], sender: alice.signing, chunkSize: 4096 });
    const { payloadOffset } = splitEnvelope(env);
    let pieces = 0;
    async function* endless() {
      yield env.subarray(0, payloadOffset);
      for (; pieces < 1_000_000; pieces++) yield systemRandom(4096 + 16);
    }
    const opened = await openStream(endless(), { keys: [bob.x25519] });
    await expectCode(
      (async () => {
        for await (const _ of opened.payload) void _;
      })(),
      'ERR_ENVELOPE_TAMPERED',
    );
    expect(pieces).toBeLessThan(4);
  });

  it('a bundle manifest that declares a 1 PiB item over a few bytes is refused before the item is read', async () => {
    const { head, items } = await bundleParts();
    const m = decodeManifest(head.manifest);
    const manifest = encodeManifest({ ...m, items: m.items.map((it) => ({ ...it, size: 2 ** 50 })) });
    const forged = encodeHead({ ...head, manifest, signature: signManifest(manifest, alice.signing.secretKey) });
    await expectCode(readBundleAsBob(await sealBundlePayload(concatBytes(headPrefix(forged.length), forged, items))), 'ERR_BUNDLE_MALFORMED');
  });

  it('a key ring file that plants a 64 GiB Argon2id memory cost is refused before Argon2id runs', async () => {
    const storage = new MemoryKeyRingStorage();
    await KeyRing.create(storage, { passphrase: 'p', kdf: KEYRING_KDF_MINIMUM });
    const file = (await storage.load())!;
    const oldLength = (file[9]! << 8) | file[10]!;
    const header = { ...(decodeCanonical(file.subarray(11, 11 + oldLength)) as CborMap) };
    header.kdf = { ...(header.kdf as CborMap), mem: 64 * 1024 * MiB };
    await expectCode(KeyRing.open(new MemoryKeyRingStorage(withKeyRingHeader(file, encodeCanonical(header))), { passphrase: 'p', kdf: KEYRING_KDF_MINIMUM }), 'ERR_KEYRING_KDF_LIMIT_EXCEEDED');
  });
});
