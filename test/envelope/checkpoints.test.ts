/**
 * Signed checkpoints and padding (SPEC 5.5–5.7, 6.6, 10.13): what an insider, a recipient who
 * knows the file key and so can re-encrypt the payload at will, can no longer do. A streaming
 * reader releases a window only after the sender's checkpoint over it has verified, so no byte
 * the insider wrote comes out; and the amount of padding is fixed by the signed meta block, so a
 * re-padded envelope is refused. Memory is not measured here (bench/ does, with RSS): what is
 * asserted is how far ahead of the consumer the reader runs, which bounds what it holds.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { cryptoReady } from '../../src/crypto/sodium.js';
import { concatBytes } from '../../src/crypto/bytes.js';
import { WINDOW_BYTES } from '../../src/envelope/constants.js';
import { WINDOW_DATA_BYTES } from '../../src/envelope/checkpoints.js';
import { paddedLength } from '../../src/envelope/padding.js';
import { HOLD_AHEAD_BYTES } from '../../src/envelope/plaintext-reader.js';
import { StreamEncryptor } from '../../src/envelope/payload-stream.js';
import { generateIdentityKeys, inspect, open, openStream, seal, type IdentityKeys, type SealStreamOptions } from '../../src/index.js';
import { expectCode, patternBytes, readMeta, readPlaintextStream, sealWithSecrets, splitEnvelope, type SealedWithSecrets } from './envelope-kit.js';

const CHUNK = 64 * 1024;

let alice: IdentityKeys;
let bob: IdentityKeys;
let carol: IdentityKeys;
let dave: IdentityKeys;

beforeAll(async () => {
  await cryptoReady();
  [alice, bob, carol, dave] = await Promise.all([generateIdentityKeys(), generateIdentityKeys(), generateIdentityKeys(), generateIdentityKeys()]);
});

/** The insider's tool: the same header, MAC and file key, any plaintext stream, re-encrypted. */
function reencrypt(sealed: SealedWithSecrets, plaintext: Uint8Array): Uint8Array {
  const parts = splitEnvelope(sealed.envelope);
  const chunkSize = 1 << parts.header.chunkExponent;
  const enc = new StreamEncryptor(sealed.keys.payloadKey);
  const chunks: Uint8Array[] = [];
  let off = 0;
  while (plaintext.length - off > chunkSize) {
    chunks.push(enc.encrypt(plaintext.subarray(off, off + chunkSize), false));
    off += chunkSize;
  }
  chunks.push(enc.encrypt(plaintext.subarray(off), true));
  return concatBytes(sealed.envelope.subarray(0, parts.payloadOffset), ...chunks);
}

/**
 * Open as a stream, reading in 10,000-byte pieces, and report what came out before the end, how
 * it ended, and the most envelope bytes read ahead of the payload handed out.
 */
async function streamOpen(envelope: Uint8Array): Promise<{ released: Uint8Array; code: string; maxAhead: number }> {
  let pulled = 0;
  async function* pieces(): AsyncGenerator<Uint8Array> {
    for (let off = 0; off < envelope.length; off += 10_000) {
      pulled += Math.min(10_000, envelope.length - off);
      yield envelope.subarray(off, off + 10_000);
    }
  }
  const parts: Uint8Array[] = [];
  let released = 0;
  let maxAhead = 0;
  let code = 'SUCCESS';
  try {
    const opened = await openStream(pieces(), { keys: [bob.x25519] });
    for await (const p of opened.payload) {
      parts.push(p.slice());
      released += p.length;
      maxAhead = Math.max(maxAhead, pulled - released);
    }
  } catch (e) {
    code = (e as { code?: string }).code ?? String(e);
  }
  return { released: concatBytes(...parts), code, maxAhead };
}

describe('signed checkpoints: an insider who rewrites the payload gets none of it released', () => {
  // Three windows: two full ones and 1 MiB more.
  const payload = patternBytes(2 * WINDOW_DATA_BYTES + (1 << 20), 3);
  let sealed: SealedWithSecrets;
  let plaintext: Uint8Array;

  beforeAll(async () => {
    sealed = await sealWithSecrets(payload, { recipients: [bob.x25519, carol.x25519], sender: alice.signing });
    plaintext = readPlaintextStream(sealed.keys, splitEnvelope(sealed.envelope));
    // SPEC 1.2: data_0 || checkpoint_0 || data_1 || checkpoint_1 || data_2 || checkpoint_2.
    expect(plaintext.length).toBe(payload.length + 3 * 64);
  });

  it('control: the untouched envelope streams whole, one window ahead at most', async () => {
    const r = await streamOpen(sealed.envelope);
    expect(r.code).toBe('SUCCESS');
    expect(Buffer.from(r.released).equals(Buffer.from(payload))).toBe(true);
    // One window, and what the reader decrypts of the next while the window's checkpoint is
    // checked on the hash thread.
    expect(r.maxAhead).toBeLessThanOrEqual(WINDOW_BYTES + HOLD_AHEAD_BYTES + 2 * (CHUNK + 16) + 10_000);
  });

  it('a chunk rewritten in the second window: the first window comes out, nothing after it, ERR_SIGNATURE_INVALID', async () => {
    // Carol, a recipient, changes bytes inside chunk k = 70 (window 1 holds chunks 64..127) and
    // re-encrypts the whole stream under the payload key: every chunk tag is valid.
    const forgedPlain = plaintext.slice();
    const k = 70;
    forgedPlain.set(new TextEncoder().encode('transfer approved: 90 units'), k * CHUNK + 100);
    const forged = reencrypt(sealed, forgedPlain);
    const r = await streamOpen(forged);
    expect(r.code).toBe('ERR_SIGNATURE_INVALID');
    // Exactly the data of window 0, which the sender's checkpoint 0 covers, and not a byte more.
    expect(r.released.length).toBe(WINDOW_DATA_BYTES);
    expect(Buffer.from(r.released).equals(Buffer.from(payload.subarray(0, WINDOW_DATA_BYTES)))).toBe(true);
    // Bounded: the reader never ran more than one window (and the hold-ahead) past what it released.
    expect(r.maxAhead).toBeLessThanOrEqual(WINDOW_BYTES + HOLD_AHEAD_BYTES + 2 * (CHUNK + 16) + 10_000);
    await expectCode(open(forged, { keys: [bob.x25519] }), 'ERR_SIGNATURE_INVALID');
  });

  it('a later failure does not overtake a window whose checkpoint is still being checked', async () => {
    // The reader decrypts the start of window 2 while window 1's checkpoint is checked on the
    // hash thread. A failure there must come after window 1's verdict, as in SPEC 6.6's order.
    const corruptWindow2 = (envelope: Uint8Array): Uint8Array => {
      const out = envelope.slice();
      const at = splitEnvelope(envelope).payloadOffset + (2 * (WINDOW_BYTES / CHUNK) + 1) * (CHUNK + 16) + 5; // chunk 129
      out[at]! ^= 1;
      return out;
    };
    // Window 1 rewritten by an insider, then a broken chunk in window 2: the signature failure.
    const forgedPlain = plaintext.slice();
    forgedPlain[WINDOW_BYTES + 3 * CHUNK]! ^= 1;
    const both = await streamOpen(corruptWindow2(reencrypt(sealed, forgedPlain)));
    expect([both.code, both.released.length]).toEqual(['ERR_SIGNATURE_INVALID', WINDOW_DATA_BYTES]);
    // Window 1 genuine, then a broken chunk in window 2: window 1 is released first, then the failure.
    const broken = await streamOpen(corruptWindow2(sealed.envelope));
    expect([broken.code, broken.released.length]).toEqual(['ERR_ENVELOPE_TAMPERED', 2 * WINDOW_DATA_BYTES]);
    expect(Buffer.from(broken.released).equals(Buffer.from(payload.subarray(0, 2 * WINDOW_DATA_BYTES)))).toBe(true);
  });

  it('a chunk rewritten in the first window: nothing at all comes out', async () => {
    const forgedPlain = plaintext.slice();
    forgedPlain[5 * CHUNK]! ^= 1;
    const r = await streamOpen(reencrypt(sealed, forgedPlain));
    expect([r.code, r.released.length]).toEqual(['ERR_SIGNATURE_INVALID', 0]);
  });

  it('windows swapped, dropped or cut off at a window boundary are refused after the last good window', async () => {
    const w = (i: number) => plaintext.subarray(i * WINDOW_BYTES, Math.min(plaintext.length, (i + 1) * WINDOW_BYTES));
    // Swapped: checkpoint 1 read at place 0 (each checkpoint signs its index).
    const swapped = await streamOpen(reencrypt(sealed, concatBytes(w(1), w(0), w(2))));
    expect([swapped.code, swapped.released.length]).toEqual(['ERR_SIGNATURE_INVALID', 0]);
    // Dropped: window 2 read as window 1; the declared length is not reached.
    const dropped = await streamOpen(reencrypt(sealed, concatBytes(w(0), w(2))));
    expect([dropped.code, dropped.released.length]).toEqual(['ERR_ENVELOPE_TAMPERED', WINDOW_DATA_BYTES]);
    // Cut after window 1, re-encrypted with a proper last chunk: the declared length is not reached.
    const cut = await streamOpen(reencrypt(sealed, concatBytes(w(0), w(1))));
    expect([cut.code, cut.released.length]).toEqual(['ERR_ENVELOPE_TAMPERED', WINDOW_DATA_BYTES]);
  });

  it('without a declared length, the index and final flag each checkpoint signs catch a dropped or cut window', async () => {
    const streamed = await sealWithSecrets(payload, { recipients: [bob.x25519], sender: alice.signing, size: undefined as unknown as number });
    expect(readMeta(streamed.keys, splitEnvelope(streamed.envelope).header).len).toBeNull();
    const plain = readPlaintextStream(streamed.keys, splitEnvelope(streamed.envelope));
    const w = (i: number) => plain.subarray(i * WINDOW_BYTES, Math.min(plain.length, (i + 1) * WINDOW_BYTES));
    // Checkpoint 1 was signed as "not final": read as the last window, it does not verify.
    const cut = await streamOpen(reencrypt(streamed, concatBytes(w(0), w(1))));
    expect([cut.code, cut.released.length]).toEqual(['ERR_SIGNATURE_INVALID', WINDOW_DATA_BYTES]);
    // Checkpoint 2 read as checkpoint 1.
    const dropped = await streamOpen(reencrypt(streamed, concatBytes(w(0), w(2))));
    expect([dropped.code, dropped.released.length]).toEqual(['ERR_SIGNATURE_INVALID', WINDOW_DATA_BYTES]);
    expect((await streamOpen(streamed.envelope)).code).toBe('SUCCESS');
  });

  it('an anonymous envelope says nothing about insiders: a rewritten window opens (only outsiders are kept out)', async () => {
    const anon = await sealWithSecrets(patternBytes(1000), { recipients: [bob.x25519, carol.x25519], anonymous: true });
    const plain = readPlaintextStream(anon.keys, splitEnvelope(anon.envelope));
    expect(plain.subarray(1000)).toEqual(new Uint8Array(64));
    const rewritten = plain.slice();
    rewritten[0]! ^= 1;
    const opened = await open(reencrypt(anon, rewritten), { keys: [bob.x25519], allowAnonymous: true });
    expect([opened.authenticated, opened.payload[0]]).toEqual([false, plain[0]! ^ 1]);
    // Its checkpoint slot must stay zero: anything else is refused.
    const slot = plain.slice();
    slot[1000 + 63] = 1;
    await expectCode(open(reencrypt(anon, slot), { keys: [bob.x25519], allowAnonymous: true }), 'ERR_ENVELOPE_TAMPERED');
  });
});

describe('padding: sizes that say nothing about recipients or sender, and that an insider cannot change', () => {
  it('envelopes with 1 to 4 real recipients, signed or anonymous, any content type and expiry, have one size', async () => {
    const payload = patternBytes(3000);
    const sizes = new Set<string>();
    const recipients = [bob.x25519, carol.x25519, dave.x25519, alice.x25519];
    for (let n = 1; n <= 4; n++) {
      for (const signed of [true, false]) {
        const options: SealStreamOptions = {
          recipients: recipients.slice(0, n),
          padding: true,
          ...(signed ? { sender: alice.signing } : { anonymous: true }),
          ...(n % 2 === 0 ? { contentType: 'application/stix+json;version=2.1', expiresAt: new Date(Date.now() + 86_400_000) } : {}),
        };
        const env = await seal(payload, options);
        const view = await inspect(env);
        sizes.add(`${env.length} ${view.headerBytes} ${view.plaintextStreamBytes}`);
      }
    }
    expect([...sizes]).toHaveLength(1);
    expect([...sizes][0]!.split(' ')[2]).toBe(String(paddedLength(3000) + 64));
  });

  it('a recipient who re-pads a signed envelope (more or fewer zeros, same header) is refused', async () => {
    const payload = patternBytes(1000); // Padmé: 1,024
    const sealed = await sealWithSecrets(payload, { recipients: [bob.x25519, carol.x25519], sender: alice.signing, padding: true });
    const plain = readPlaintextStream(sealed.keys, splitEnvelope(sealed.envelope));
    expect(plain.length).toBe(1024 + 64);
    const signature = plain.subarray(1024);
    // Control: the insider's tool reproduces the genuine envelope.
    expect(reencrypt(sealed, plain)).toEqual(sealed.envelope);
    for (const padding of [0, 23, 25, 152, 4096]) {
      const repadded = reencrypt(sealed, concatBytes(payload, new Uint8Array(padding), signature));
      await expectCode(open(repadded, { keys: [bob.x25519] }), 'ERR_ENVELOPE_TAMPERED');
      expect((await streamOpen(repadded)).released.length).toBe(0);
    }
  });

  it('an unpadded envelope carries no padding: zero bytes after the declared payload are refused', async () => {
    const payload = patternBytes(1000);
    const sealed = await sealWithSecrets(payload, { recipients: [bob.x25519, carol.x25519], anonymous: true });
    const extra = reencrypt(sealed, concatBytes(payload, new Uint8Array(24), new Uint8Array(64)));
    await expectCode(open(extra, { keys: [bob.x25519], allowAnonymous: true }), 'ERR_ENVELOPE_TAMPERED');
  });
});
