/**
 * Adversarial index (docs/THREAT-MODEL.md): downgrade to an older or unknown format version, and
 * to a weaker recipient type (an X-Wing recipient's stanza replaced by an X25519 one). Deeper
 * variants: test/envelope/attacks.test.ts ("prefix"), test/keyring/key-card.test.ts and
 * test/keyring/storage.test.ts ("unsupported version").
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  armorKeyCard,
  decodeKeyCard,
  formatFingerprint,
  generateIdentityKeys,
  inspect,
  KeyRing,
  KEYRING_KDF_MINIMUM,
  MemoryKeyRingStorage,
  open,
  recipientId,
  seal,
  type IdentityKeys,
  type RecipientPublicKey,
} from '../../src/index.js';
import { decodeCanonical, encodeCanonical, type CborMap } from '../../src/cbor/index.js';
import { concatBytes } from '../../src/crypto/bytes.js';
import { systemRandom } from '../../src/crypto/random.js';
import { headerMac } from '../../src/envelope/key-schedule.js';
import type { RecipientStanza } from '../../src/envelope/header.js';
import { x25519Scheme } from '../../src/envelope/stanza-x25519.js';
import { expectCode, forgeEnvelope, readMeta, readPlaintextStream, reassemble, sealWithSecrets, splitEnvelope } from '../envelope/envelope-kit.js';

const text = (s: string) => new TextEncoder().encode(s);
const PASS = { passphrase: 'downgrade test ring', kdf: KEYRING_KDF_MINIMUM };

let alice: IdentityKeys;
let dave: IdentityKeys;
beforeAll(async () => {
  [alice, dave] = await Promise.all([generateIdentityKeys(), generateIdentityKeys()]);
});

/** Bob: a key ring whose identity publishes X25519 and X-Wing keys (a hybrid card), Alice verified. */
async function bobsRing() {
  const ring = await KeyRing.create(new MemoryKeyRingStorage(), PASS);
  const identity = await ring.createIdentity({ name: 'Bob', organization: 'PDRM', country: 'MY' });
  const aliceRing = await KeyRing.create(new MemoryKeyRingStorage(), PASS);
  const aliceIdentity = await aliceRing.createIdentity({ name: 'Alice', organization: 'BIN', country: 'ID', keys: alice });
  await ring.importKeyCard(armorKeyCard(aliceIdentity.card), { name: 'Alice', fingerprint: formatFingerprint(aliceIdentity.card) });
  await aliceRing.importKeyCard(armorKeyCard(identity.card), { name: 'Bob', fingerprint: formatFingerprint(identity.card) });
  const key = (type: 'X25519' | 'X-Wing') => identity.card.encryptionKeys.find((k) => k.type === type)!;
  return { ring, identity, aliceRing, x25519: key('X25519'), xwing: key('X-Wing') };
}

function x25519StanzaFor(key: RecipientPublicKey, fileKey: Uint8Array): RecipientStanza {
  const w = x25519Scheme.wrap(fileKey, key, systemRandom);
  return { type: 'X25519', recipientId: recipientId(key), args: w.args, body: w.body };
}

describe('attack: downgrade to an older or unknown version', () => {
  // SPEC 6.1 step 2 and 10.12: one version, checked first; the prefix is under the MAC and signature.
  it('an envelope with another version byte is refused before anything else, even with a recomputed MAC', async () => {
    const sealed = await sealWithSecrets(text('x'), { recipients: [dave.x25519], sender: alice.signing });
    const p = splitEnvelope(sealed.envelope);
    for (const version of [0x00, 0x02, 0xff]) {
      const prefix = p.prefix.slice();
      prefix[6] = version;
      const outsider = concatBytes(prefix, p.headerBytes, p.mac, ...p.chunks);
      await expectCode(open(outsider, { keys: [dave.x25519] }), 'ERR_ENVELOPE_UNSUPPORTED_VERSION');
      // An insider with the file key re-MACs the changed prefix: the version is still refused first.
      const insider = concatBytes(prefix, p.headerBytes, headerMac(sealed.keys.macKey, concatBytes(prefix, p.headerBytes)), ...p.chunks);
      await expectCode(open(insider, { keys: [dave.x25519] }), 'ERR_ENVELOPE_UNSUPPORTED_VERSION');
      await expectCode(inspect(insider), 'ERR_ENVELOPE_UNSUPPORTED_VERSION');
    }
  });

  it('a key card or key ring file of another version is refused as unsupported', async () => {
    const { identity } = await bobsRing();
    const outer = decodeCanonical(identity.card.bytes) as CborMap;
    for (const v of [0, 2]) await expectCode(decodeKeyCard(encodeCanonical({ ...outer, v })), 'ERR_KEYCARD_UNSUPPORTED_VERSION');
    const storage = new MemoryKeyRingStorage();
    await KeyRing.create(storage, PASS);
    const file = (await storage.load())!.slice();
    file[8] = 0; // the format version byte of the key ring file (docs/KEYRING.md, "Storage format")
    await expectCode(KeyRing.open(new MemoryKeyRingStorage(file), PASS), 'ERR_KEYRING_UNSUPPORTED_VERSION');
  });
});

describe('attack: downgrade to a weaker recipient type', () => {
  // SPEC 10.9: a hybrid recipient gets only an X-Wing stanza; 10.2 and 10.12: nobody but the
  // sender can change the stanzas of a signed envelope.
  it('the key ring seals to the X-Wing key of a hybrid card only', async () => {
    const bob = await bobsRing();
    const env = await bob.aliceRing.seal(text('x'), { from: 'Alice', to: ['Bob'] });
    expect((await inspect(env)).stanzas.map((s) => s.type)).toEqual(['X-Wing']);
    const opened = await bob.ring.open(env);
    expect([opened.openedWith.type, opened.downgraded]).toEqual(['X-Wing', false]);
  });

  it("an outsider replacing Bob's X-Wing stanza with an X25519 stanza for Bob is refused", async () => {
    const bob = await bobsRing();
    const env = await bob.aliceRing.seal(text('post-quantum only'), { from: 'Alice', to: ['Bob'] });
    const p = splitEnvelope(env);
    const forged = reassemble({ ...p.header, stanzas: [x25519StanzaFor(bob.x25519, systemRandom(32))] }, systemRandom(32), p.chunks);
    await expectCode(bob.ring.open(forged), 'ERR_ENVELOPE_HEADER_TAMPERED');
  });

  it("a co-recipient who knows the file key swaps Bob's X-Wing stanza for an X25519 one: refused", async () => {
    const bob = await bobsRing();
    const sealed = await sealWithSecrets(text('post-quantum only'), { recipients: [bob.xwing, dave.x25519], sender: alice.signing });
    const p = splitEnvelope(sealed.envelope);
    const stanzas = [x25519StanzaFor(bob.x25519, sealed.fileKey), p.header.stanzas[1]!];
    // The signed recipient list names Bob's X-Wing key, not the X25519 key that now opens it.
    await expectCode(bob.ring.open(reassemble({ ...p.header, stanzas }, sealed.keys.macKey, p.chunks)), 'ERR_NOT_ADDRESSED_TO_ME');
    // Naming the X25519 key in the recipient list breaks Alice's signature.
    const meta = readMeta(sealed.keys, p.header);
    const rewritten = forgeEnvelope({
      fileKey: sealed.fileKey,
      salt: sealed.salt,
      stanzas,
      meta: { ...meta, to: [recipientId(bob.x25519), meta.to[1]!] },
      plaintext: readPlaintextStream(sealed.keys, p),
      chunkExponent: p.header.chunkExponent,
    }).envelope;
    await expectCode(bob.ring.open(rewritten), 'ERR_SIGNATURE_INVALID');
  });

  it("a sender who seals to the X25519 key of Bob's hybrid card is not accepted silently", async () => {
    // Only the sender can do this (it signs the header). The envelope is then only as strong as
    // X25519 against a recorder with a future quantum computer; Bob's key ring must say so.
    const bob = await bobsRing();
    const weak = await seal(text('classic only'), { recipients: [bob.x25519], sender: alice.signing });
    const opened = await bob.ring.open(weak);
    expect(opened.openedWith.type).toBe('X25519');
    expect(opened.senderVerification).toBe('verified');
    expect(opened.downgraded).toBe(true);
    const streamed = await bob.ring.openStream(weak);
    expect(streamed.info.downgraded).toBe(true);
    for await (const _ of streamed.payload) void _;
    // An identity whose card has no X-Wing key is not downgraded when its X25519 key is used.
    const classic = await bob.ring.createIdentity({ name: 'Bob-classic', organization: 'PDRM', country: 'MY', includeXWing: false });
    const toClassic = await seal(text('x'), { recipients: [classic.card.encryptionKeys[0]!], sender: alice.signing });
    expect(classic.card.encryptionKeys.map((k) => k.type)).toEqual(['X25519']);
    expect((await bob.ring.open(toClassic)).downgraded).toBe(false);
  });
});
