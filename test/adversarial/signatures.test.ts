/**
 * Adversarial index (docs/THREAT-MODEL.md): signature stripping and replacement,
 * key-compromise impersonation, and non-canonical Ed25519 signatures and keys. Envelopes are
 * made with real keys; the insider variants re-encrypt with the file key a recipient learns
 * (envelope-kit.ts). Deeper variants: test/envelope/attacks.test.ts ("signature stripping") and
 * test/crypto/ed25519.wycheproof.test.ts (every Wycheproof Ed25519 case).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createKeyCard,
  decodeKeyCard,
  generateIdentityKeys,
  KeyRing,
  KEYRING_KDF_MINIMUM,
  MemoryKeyRingStorage,
  armorKeyCard,
  formatFingerprint,
  open,
  recipientId,
  seal,
  type IdentityKeys,
} from '../../src/index.js';
import { decodeCanonical, encodeCanonical, type CborMap } from '../../src/cbor/index.js';
import { concatBytes } from '../../src/crypto/bytes.js';
import { systemRandom } from '../../src/crypto/random.js';
import { x25519Scheme } from '../../src/envelope/stanza-x25519.js';
import { expectCode, forgeEnvelope, readMeta, readPlaintextStream, sealWithSecrets, signEnvelope, splitEnvelope, type SealedWithSecrets } from '../envelope/envelope-kit.js';

let alice: IdentityKeys; // the sender being impersonated
let bob: IdentityKeys; // the recipient
let mallory: IdentityKeys; // the attacker's own keys

beforeAll(async () => {
  [alice, bob, mallory] = await Promise.all([generateIdentityKeys(), generateIdentityKeys(), generateIdentityKeys()]);
});

const text = (s: string) => new TextEncoder().encode(s);
/** Bob's open options: Alice is the one trusted sender. */
const fromAlice = () => ({ keys: [bob.x25519], trustedSenders: [alice.signing.publicKey] });

/** A genuine Alice -> Bob envelope, with the file key and its decrypted parts. */
async function genuine(payload = text('transfer approved: 40 units')) {
  const sealed: SealedWithSecrets = await sealWithSecrets(payload, { recipients: [bob.x25519], sender: alice.signing });
  const parts = splitEnvelope(sealed.envelope);
  const meta = readMeta(sealed.keys, parts.header);
  const stream = readPlaintextStream(sealed.keys, parts);
  // Same chunk size as the original, so the re-made header is byte for byte the signed one.
  const draft = { fileKey: sealed.fileKey, salt: sealed.salt, stanzas: parts.header.stanzas, meta, chunkExponent: parts.header.chunkExponent };
  return { payload, sealed, parts, meta, draft, signature: stream.subarray(payload.length) };
}

/** A fresh envelope to Bob whose meta claims `sender`, with `plaintext` as the plaintext stream. */
function claimingSender(sender: Uint8Array, payload: Uint8Array, signature: (prefixAndHeader: Uint8Array) => Uint8Array): Uint8Array {
  const fileKey = systemRandom(32);
  const w = x25519Scheme.wrap(fileKey, bob.x25519, systemRandom);
  const draft = {
    fileKey,
    salt: systemRandom(32),
    stanzas: [{ type: 'X25519', recipientId: recipientId(bob.x25519), args: w.args, body: w.body }],
    meta: { id: systemRandom(16), created: Math.floor(Date.now() / 1000), expires: null, sender, to: [recipientId(bob.x25519)], len: payload.length, contentType: null },
  };
  const { prefixAndHeader } = forgeEnvelope({ ...draft, plaintext: payload });
  return forgeEnvelope({ ...draft, plaintext: concatBytes(payload, signature(prefixAndHeader)) }).envelope;
}

describe('attack: signature stripping and replacement', () => {
  // SPEC 10.3: "sender" is in the MACed, signed meta block; its presence requires the signature.
  it('removing the signature but keeping the claimed sender is refused', async () => {
    // Longer than a signature, so without "len" the last 64 payload bytes are taken for one.
    const g = await genuine(text('transfer approved: 40 units. '.repeat(5)));
    const stripped = forgeEnvelope({ ...g.draft, plaintext: g.payload }).envelope;
    // "len" is declared, so the missing 64 bytes make the stream shorter than len + signature.
    await expectCode(open(stripped, fromAlice()), 'ERR_ENVELOPE_TAMPERED');
    const noLength = forgeEnvelope({ ...g.draft, meta: { ...g.meta, len: null }, plaintext: g.payload }).envelope;
    await expectCode(open(noLength, fromAlice()), 'ERR_SIGNATURE_INVALID');
  });

  it('making it look anonymous is refused by default and never reported as authenticated', async () => {
    const g = await genuine();
    // An anonymous envelope closes its window with 64 zero bytes (SPEC 5.7).
    const anonymous = forgeEnvelope({ ...g.draft, meta: { ...g.meta, sender: null }, plaintext: concatBytes(g.payload, new Uint8Array(64)) }).envelope;
    await expectCode(open(anonymous, { keys: [bob.x25519] }), 'ERR_ENVELOPE_ANONYMOUS');
    await expectCode(open(anonymous, fromAlice()), 'ERR_ENVELOPE_ANONYMOUS');
    const accepted = await open(anonymous, { keys: [bob.x25519], allowAnonymous: true });
    expect([accepted.authenticated, accepted.sender]).toEqual([false, null]);
  });

  it('re-signing with another key, under Alice\'s name or under the signer\'s own, is refused or shows the real signer', async () => {
    const g = await genuine();
    const { prefixAndHeader } = forgeEnvelope({ ...g.draft, plaintext: g.payload });
    // Mallory's signature under Alice's claimed key.
    const malloryForAlice = forgeEnvelope({ ...g.draft, plaintext: concatBytes(g.payload, signEnvelope(mallory.signing, prefixAndHeader, g.payload)) }).envelope;
    await expectCode(open(malloryForAlice, fromAlice()), 'ERR_SIGNATURE_INVALID');
    // Alice's signature moved under Mallory's key.
    const moved = forgeEnvelope({ ...g.draft, meta: { ...g.meta, sender: mallory.signing.publicKey }, plaintext: concatBytes(g.payload, g.signature) }).envelope;
    await expectCode(open(moved, { keys: [bob.x25519] }), 'ERR_SIGNATURE_INVALID');
    // Alice's signature over a changed payload.
    const changed = text('transfer approved: 90 units');
    const edited = forgeEnvelope({ ...g.draft, plaintext: concatBytes(changed, g.signature) }).envelope;
    await expectCode(open(edited, fromAlice()), 'ERR_SIGNATURE_INVALID');
    // Control: the same construction with Alice's true signature opens, so the forgeries differ only in the attack.
    expect((await open(forgeEnvelope({ ...g.draft, plaintext: concatBytes(g.payload, g.signature) }).envelope, fromAlice())).authenticated).toBe(true);
  });
});

describe('attack: key-compromise impersonation', () => {
  // lintas authenticates senders with Ed25519 signatures, not with a Diffie-Hellman between the
  // sender's and the recipient's keys, so Bob's decryption keys give no power to sign as Alice.
  it("an attacker holding Bob's X25519 and X-Wing secret keys cannot make Bob accept a message from Alice", async () => {
    const stolen = { x25519: bob.x25519, xwing: bob.xwing };
    // (1) seal() with Alice's public key and the attacker's secret key as a "key pair".
    const mixed = await seal(text('from "Alice"'), { recipients: [stolen.xwing], sender: { publicKey: alice.signing.publicKey, secretKey: mallory.signing.secretKey } });
    await expectCode(open(mixed, { keys: [bob.xwing], trustedSenders: [alice.signing.publicKey] }), 'ERR_SIGNATURE_INVALID');
    // (2) A real Alice -> Bob envelope, opened with the stolen key, payload replaced, Alice's signature kept.
    const g = await genuine();
    const replaced = forgeEnvelope({ ...g.draft, plaintext: concatBytes(text('transfer approved: 99 units'), g.signature) }).envelope;
    await expectCode(open(replaced, { keys: [stolen.x25519], trustedSenders: [alice.signing.publicKey] }), 'ERR_SIGNATURE_INVALID');
    // (3) A brand-new envelope that claims Alice, signed with everything the attacker has.
    for (const signer of [mallory.signing, { publicKey: alice.signing.publicKey, secretKey: mallory.signing.secretKey }]) {
      const forged = claimingSender(alice.signing.publicKey, text('from "Alice"'), (ph) => signEnvelope(signer, ph, text('from "Alice"')));
      await expectCode(open(forged, { keys: [stolen.x25519], trustedSenders: [alice.signing.publicKey] }), 'ERR_SIGNATURE_INVALID');
    }
    // (4) Unsigned, it can only be anonymous.
    const anon = await seal(text('from "Alice"'), { recipients: [stolen.x25519], anonymous: true });
    await expectCode(open(anon, { keys: [bob.x25519], trustedSenders: [alice.signing.publicKey] }), 'ERR_ENVELOPE_ANONYMOUS');
  });

  it("through Bob's key ring, a compromised decryption key does not turn a forgery into a verified sender", async () => {
    const pass = { passphrase: 'bob ring passphrase', kdf: KEYRING_KDF_MINIMUM };
    const ring = await KeyRing.create(new MemoryKeyRingStorage(), pass);
    const bobIdentity = await ring.createIdentity({ name: 'Bob', organization: 'PDRM', country: 'MY', keys: bob });
    const aliceCard = await createKeyCard({ keys: alice, name: 'Alice', organization: 'BIN', country: 'ID', validUntil: new Date(Date.now() + 86_400_000) });
    await ring.importKeyCard(armorKeyCard(aliceCard), { name: 'Alice', fingerprint: formatFingerprint(aliceCard) });
    const forged = await seal(text('from "Alice"'), { recipients: [bobIdentity.card.encryptionKeys[1]!], sender: { publicKey: alice.signing.publicKey, secretKey: mallory.signing.secretKey } });
    await expectCode(ring.open(forged), 'ERR_SIGNATURE_INVALID');
    const asMallory = await ring.open(await seal(text('from "Alice"'), { recipients: [bobIdentity.card.encryptionKeys[1]!], sender: mallory.signing }));
    expect([asMallory.senderVerification, asMallory.senderContact]).toEqual(['unknown', null]);
  });
});

/** Group order of Ed25519 (SPEC 1.3). */
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const P = 2n ** 255n - 19n;
const le32 = (n: bigint) => Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
const fromLe = (b: Uint8Array) => b.reduce((acc, v, i) => acc | (BigInt(v) << BigInt(8 * i)), 0n);
/** The neutral element (0, 1): canonical encoding, and the non-canonical encoding of y = p + 1. */
const IDENTITY = le32(1n);
const IDENTITY_NON_CANONICAL = le32(P + 1n);

describe('attack: non-canonical Ed25519 signatures', () => {
  // SPEC 1.3 rules 2-5 (libsodium's strict verification) and 10.10.
  it("a malleated copy of Alice's genuine signature (S + L) is refused", async () => {
    const g = await genuine();
    const s = fromLe(g.signature.subarray(32));
    expect(s < L).toBe(true);
    const malleated = concatBytes(g.signature.subarray(0, 32), le32(s + L));
    const env = forgeEnvelope({ ...g.draft, plaintext: concatBytes(g.payload, malleated) }).envelope;
    await expectCode(open(env, fromAlice()), 'ERR_SIGNATURE_INVALID');
    // Control: the unmalleated signature in the same re-made envelope verifies.
    expect((await open(forgeEnvelope({ ...g.draft, plaintext: concatBytes(g.payload, g.signature) }).envelope, fromAlice())).authenticated).toBe(true);
  });

  it('a small-order sender key with the signature that fits every message is refused, also non-canonically encoded', async () => {
    // With A = R = the neutral element and S = 0, [S]B - [k]A = R holds for any message: a lax
    // verifier would accept this "signature" on anything. Rules 3 and 4 refuse it.
    const payload = text('signed by nobody');
    for (const [a, r] of [
      [IDENTITY, IDENTITY],
      [IDENTITY_NON_CANONICAL, IDENTITY],
      [IDENTITY, IDENTITY_NON_CANONICAL],
    ] as const) {
      const env = claimingSender(a, payload, () => concatBytes(r, new Uint8Array(32)));
      await expectCode(open(env, { keys: [bob.x25519], trustedSenders: [a] }), 'ERR_SIGNATURE_INVALID');
    }
  });

  it('a key card whose signing key has small order cannot self-sign with the universal signature', async () => {
    const card = await createKeyCard({ keys: mallory, name: 'Mallory', organization: 'X', country: 'ID', validUntil: new Date(Date.now() + 86_400_000) });
    const outer = decodeCanonical(card.bytes) as CborMap;
    const body = { ...(decodeCanonical(outer.body as Uint8Array) as CborMap), sign: IDENTITY };
    const forged = encodeCanonical({ ...outer, body: encodeCanonical(body), self: concatBytes(IDENTITY, new Uint8Array(32)) });
    await expectCode(decodeKeyCard(forged), 'ERR_KEYCARD_SIGNATURE_INVALID');
    // A malleated self-signature on the genuine card is refused too.
    const self = outer.self as Uint8Array;
    const malleated = encodeCanonical({ ...outer, self: concatBytes(self.subarray(0, 32), le32(fromLe(self.subarray(32)) + L)) });
    await expectCode(decodeKeyCard(malleated), 'ERR_KEYCARD_SIGNATURE_INVALID');
  });
});
