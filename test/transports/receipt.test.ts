import { beforeAll, describe, expect, it } from 'vitest';
import {
  armor,
  createReceipt,
  envelopeHeaderHash,
  generateIdentityKeys,
  open,
  seal,
  verifyReceipt,
  type IdentityKeys,
  type OpenedEnvelope,
} from '../../src/index.js';
import { decodeCanonical, encodeCanonical, type CborMap } from '../../src/cbor/index.js';
import { ed25519Sign } from '../../src/crypto/ed25519.js';

let alice: IdentityKeys;
let bob: IdentityKeys;
let envelope: Uint8Array;
let opened: OpenedEnvelope;
let receipt: Uint8Array;
const at = new Date('2026-11-25T07:40:00Z');

beforeAll(async () => {
  alice = await generateIdentityKeys();
  bob = await generateIdentityKeys();
  envelope = await seal(new TextEncoder().encode('report'), { recipients: [bob.xwing], sender: alice.signing });
  opened = await open(envelope, { keys: [bob.xwing] });
  receipt = await createReceipt(envelope, opened, bob.signing, { now: at });
});

/** Decode, change, re-encode: a receipt an attacker edited. */
function edit(change: (m: CborMap) => void): Uint8Array {
  const m = { ...(decodeCanonical(receipt) as CborMap) };
  change(m);
  return encodeCanonical(m);
}

describe('delivery receipts', () => {
  it('binds envelope id, header hash, recipient and time, verifiable by the sender from the envelope it sent', async () => {
    const r = await verifyReceipt(receipt, bob.signing.publicKey, { envelope });
    expect(r.envelopeId).toEqual(opened.envelopeId);
    expect(r.headerHash).toEqual(await envelopeHeaderHash(envelope));
    expect(r.recipient).toEqual(bob.signing.publicKey);
    expect(r.receivedAt).toEqual(at);
    expect(await verifyReceipt(receipt, bob.signing.publicKey, { envelopeId: opened.envelopeId })).toEqual(r);
    expect(await verifyReceipt(receipt, bob.signing.publicKey, { envelope: armor(envelope), envelopeId: opened.envelopeId })).toEqual(r);
    // The armored form of the same envelope has the same header hash.
    expect(await envelopeHeaderHash(armor(envelope))).toEqual(r.headerHash);
  });

  it('is refused for another recipient or another envelope', async () => {
    await expect(verifyReceipt(receipt, alice.signing.publicKey, { envelope })).rejects.toMatchObject({ code: 'ERR_RECEIPT_MISMATCH' });
    const other = await seal(new TextEncoder().encode('report'), { recipients: [bob.xwing], sender: alice.signing });
    await expect(verifyReceipt(receipt, bob.signing.publicKey, { envelope: other })).rejects.toMatchObject({ code: 'ERR_RECEIPT_MISMATCH' });
    const otherId = (await open(other, { keys: [bob.xwing] })).envelopeId;
    await expect(verifyReceipt(receipt, bob.signing.publicKey, { envelopeId: otherId })).rejects.toMatchObject({ code: 'ERR_RECEIPT_MISMATCH' });
  });

  it('is refused when any signed field or the signature is altered', async () => {
    const flip = (b: Uint8Array): Uint8Array => {
      const c = b.slice();
      c[0]! ^= 1;
      return c;
    };
    for (const forged of [
      edit((m) => void (m.at = (m.at as number) + 1)),
      edit((m) => void (m.env = flip(m.env as Uint8Array))),
      edit((m) => void (m.hh = flip(m.hh as Uint8Array))),
      edit((m) => void (m.sig = flip(m.sig as Uint8Array))),
    ]) {
      await expect(verifyReceipt(forged, bob.signing.publicKey, { envelopeId: (decodeCanonical(forged) as CborMap).env as Uint8Array })).rejects.toMatchObject({
        code: 'ERR_RECEIPT_SIGNATURE_INVALID',
      });
    }
  });

  it('is refused if signed without the receipt context (a signature made for another purpose)', async () => {
    const m = decodeCanonical(receipt) as CborMap;
    const { sig: _, ...body } = m;
    const forged = encodeCanonical({ ...body, sig: ed25519Sign(bob.signing.secretKey, encodeCanonical(body)) });
    await expect(verifyReceipt(forged, bob.signing.publicKey, { envelope })).rejects.toMatchObject({ code: 'ERR_RECEIPT_SIGNATURE_INVALID' });
  });

  it('is refused when malformed: truncated, extra or missing fields, wrong version or sizes, non-canonical, not CBOR', async () => {
    const nonCanonical = receipt.slice();
    nonCanonical[0] = 0xbf; // indefinite-length map header
    for (const bad of [
      receipt.subarray(0, receipt.length - 1),
      edit((m) => void (m.extra = 1)),
      edit((m) => void delete m.at),
      edit((m) => void (m.v = 2)),
      edit((m) => void (m.rcpt = (m.rcpt as Uint8Array).subarray(0, 31))),
      edit((m) => void (m.at = 'yesterday')),
      nonCanonical,
      encodeCanonical([1, 2, 3]),
      new Uint8Array(2000),
      new TextEncoder().encode('receipt'),
    ]) {
      await expect(verifyReceipt(bad, bob.signing.publicKey, { envelope })).rejects.toMatchObject({ code: 'ERR_RECEIPT_MALFORMED' });
    }
  });

  it('validates arguments', async () => {
    await expect(verifyReceipt(receipt, bob.signing.publicKey, {})).rejects.toBeInstanceOf(TypeError);
    await expect(createReceipt(envelope, { envelopeId: new Uint8Array(3) }, bob.signing)).rejects.toBeInstanceOf(RangeError);
    await expect(createReceipt(new Uint8Array(20), opened, bob.signing)).rejects.toMatchObject({ code: expect.stringMatching(/^ERR_ENVELOPE_/) });
  });
});
