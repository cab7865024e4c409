/**
 * Adversarial index (docs/THREAT-MODEL.md): surreptitious forwarding and recipient substitution.
 * Each test attacks a real envelope or bundle made with real keys through the public API; the
 * insider variants use the file key, which every recipient learns (envelope-kit.ts records it
 * through the internal sealing core). Deeper, exhaustive variants: test/envelope/attacks.test.ts
 * ("surreptitious forwarding", "splicing and swapping") and test/bundle/attacks.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BUNDLE_CONTENT_TYPE,
  BundleBuilder,
  generateIdentityKeys,
  open,
  openBundle,
  recipientId,
  seal,
  sealBundle,
  type IdentityKeys,
  type RecipientPublicKey,
} from '../../src/index.js';
import { encodeHeader, encodePrefix, type RecipientStanza } from '../../src/envelope/header.js';
import { x25519Scheme } from '../../src/envelope/stanza-x25519.js';
import { xwingScheme } from '../../src/envelope/stanza-xwing.js';
import { concatBytes } from '../../src/crypto/bytes.js';
import { systemRandom } from '../../src/crypto/random.js';
import { expectCode, forgeEnvelope, readMeta, readPlaintextStream, reassemble, sealWithSecrets, splitEnvelope } from '../envelope/envelope-kit.js';

let alice: IdentityKeys; // sender
let bob: IdentityKeys; // recipient, the attacker when he is an insider
let carol: IdentityKeys; // the victim of forwarding
let dave: IdentityKeys; // a second recipient

beforeAll(async () => {
  [alice, bob, carol, dave] = await Promise.all([generateIdentityKeys(), generateIdentityKeys(), generateIdentityKeys(), generateIdentityKeys()]);
});

const text = (s: string) => new TextEncoder().encode(s);

/** A stanza wrapping `fileKey` for `key`, as an insider who knows the file key would make it. */
function wrapFor(key: RecipientPublicKey, fileKey: Uint8Array): RecipientStanza {
  const scheme = key.type === 'X25519' ? x25519Scheme : xwingScheme;
  const w = scheme.wrap(fileKey, key, systemRandom);
  return { type: key.type, recipientId: recipientId(key), args: w.args, body: w.body };
}

describe('attack: surreptitious forwarding', () => {
  // SPEC 10.1: the signed meta block names the recipients ("to"), and the signature covers the header.
  it("Bob re-wraps Alice's signed envelope for Carol: Carol sees it was not addressed to her", async () => {
    const payload = text('Alice to Bob only: the meeting moved to 14:00');
    const sealed = await sealWithSecrets(payload, { recipients: [bob.xwing], sender: alice.signing });
    const parts = splitEnvelope(sealed.envelope);
    const meta = readMeta(sealed.keys, parts.header);
    const plaintext = readPlaintextStream(sealed.keys, parts); // payload || Alice's signature
    // The "to" list is copied unchanged: Carol refuses before releasing any payload.
    const forwarded = forgeEnvelope({ fileKey: sealed.fileKey, salt: sealed.salt, stanzas: [wrapFor(carol.xwing, sealed.fileKey)], meta, plaintext }).envelope;
    await expectCode(open(forwarded, { keys: [carol.xwing], trustedSenders: [alice.signing.publicKey] }), 'ERR_NOT_ADDRESSED_TO_ME');
    // Rewriting "to" to name Carol breaks Alice's signature over the header.
    const rewritten = forgeEnvelope({ fileKey: sealed.fileKey, salt: sealed.salt, stanzas: [wrapFor(carol.xwing, sealed.fileKey)], meta: { ...meta, to: [recipientId(carol.xwing)] }, plaintext }).envelope;
    await expectCode(open(rewritten, { keys: [carol.xwing], trustedSenders: [alice.signing.publicKey] }), 'ERR_SIGNATURE_INVALID');
    // Adding Carol's stanza to the original header (MAC fixed with the file key) is still not addressed to her.
    const added = reassemble({ ...parts.header, stanzas: [...parts.header.stanzas, wrapFor(carol.xwing, sealed.fileKey)] }, sealed.keys.macKey, parts.chunks);
    await expectCode(open(added, { keys: [carol.xwing] }), 'ERR_NOT_ADDRESSED_TO_ME');
  });

  it('with the public API alone Bob can only re-seal as himself: Carol sees Bob, never Alice', async () => {
    const original = await seal(text('from Alice'), { recipients: [bob.x25519], sender: alice.signing });
    const opened = await open(original, { keys: [bob.x25519], trustedSenders: [alice.signing.publicKey] });
    const resealed = await seal(opened.payload, { recipients: [carol.x25519], sender: bob.signing });
    await expectCode(open(resealed, { keys: [carol.x25519], trustedSenders: [alice.signing.publicKey] }), 'ERR_UNKNOWN_SENDER');
    const seen = await open(resealed, { keys: [carol.x25519] });
    expect(seen.sender).toEqual(bob.signing.publicKey);
    expect(seen.recipients).toEqual([recipientId(carol.x25519)]);
  });

  it("Bob re-seals Alice's bundle to Carol without a forward record: refused as not sealed by the originator", async () => {
    // SPEC 12.6: the envelope's sender must be the originator or the last recorded forwarder.
    const bundle = new BundleBuilder({ title: 'Port watch', markings: { tlp: 'GREEN' } }).addText('report.txt', 'vessel sighted');
    const sealed = await sealBundle(bundle, {
      sender: { signing: alice.signing, card: { fingerprint: systemRandom(32), name: 'Alice', organization: 'BIN', country: 'ID' } },
      recipients: [{ encryptionKey: bob.xwing, attributes: { fingerprint: systemRandom(32), name: 'Bob', organization: 'PDRM', country: 'MY', explicit: true, verification: 'verified' } }],
    });
    const bundlePayload = (await open(sealed.deliveries[0]!.envelope, { keys: [bob.xwing] })).payload;
    const resealed = await seal(bundlePayload, { recipients: [carol.xwing], sender: bob.signing, contentType: BUNDLE_CONTENT_TYPE });
    await expectCode(openBundle(resealed, { keys: [carol.xwing] }), 'ERR_BUNDLE_ORIGINATOR_MISMATCH');
  });
});

describe('attack: recipient substitution', () => {
  // SPEC 10.2: wrap keys bind the recipient key, the header MAC and signature cover every stanza.
  it('an outsider replaces, swaps or adds stanzas: the header MAC catches it', async () => {
    const env = await seal(text('for Bob and Dave'), { recipients: [bob.x25519, dave.xwing], sender: alice.signing });
    const p = splitEnvelope(env);
    const withStanzas = (stanzas: RecipientStanza[]) => {
      const h = encodeHeader({ ...p.header, stanzas });
      return concatBytes(encodePrefix(h.length), h, p.mac, ...p.chunks);
    };
    const [forBob, forDave] = p.header.stanzas as [RecipientStanza, RecipientStanza];
    // Dave's stanza replaced by one for Carol with a key the attacker chose.
    const replaced = withStanzas([forBob, wrapFor(carol.x25519, systemRandom(32))]);
    await expectCode(open(replaced, { keys: [carol.x25519] }), 'ERR_ENVELOPE_HEADER_TAMPERED');
    await expectCode(open(replaced, { keys: [bob.x25519] }), 'ERR_ENVELOPE_HEADER_TAMPERED');
    // Stanzas swapped.
    await expectCode(open(withStanzas([forDave, forBob]), { keys: [bob.x25519] }), 'ERR_ENVELOPE_HEADER_TAMPERED');
    // Carol's stanza added.
    const added = withStanzas([forBob, forDave, wrapFor(carol.x25519, systemRandom(32))]);
    await expectCode(open(added, { keys: [carol.x25519] }), 'ERR_ENVELOPE_HEADER_TAMPERED');
    await expectCode(open(added, { keys: [dave.xwing] }), 'ERR_ENVELOPE_HEADER_TAMPERED');
    // Bob's stanza re-labelled with Carol's recipient id: it cannot unwrap for Carol's key.
    await expectCode(open(withStanzas([{ ...forBob, recipientId: recipientId(carol.x25519) }, forDave]), { keys: [carol.x25519] }), 'ERR_ENVELOPE_HEADER_TAMPERED');
  });

  it('an insider who knows the file key adds a recipient or replaces one: the signed "to" list and signature refuse it', async () => {
    const sealed = await sealWithSecrets(text('for Bob and Dave'), { recipients: [bob.x25519, dave.x25519], sender: alice.signing });
    const p = splitEnvelope(sealed.envelope);
    // Bob (insider) replaces Dave's stanza with one for Carol and fixes the header MAC.
    const replaced = reassemble({ ...p.header, stanzas: [p.header.stanzas[0]!, wrapFor(carol.x25519, sealed.fileKey)] }, sealed.keys.macKey, p.chunks);
    await expectCode(open(replaced, { keys: [carol.x25519] }), 'ERR_NOT_ADDRESSED_TO_ME');
    // Every honest recipient detects the changed header through Alice's signature.
    await expectCode(open(replaced, { keys: [bob.x25519] }), 'ERR_SIGNATURE_INVALID');
    // Adding Carol as a third recipient.
    const added = reassemble({ ...p.header, stanzas: [...p.header.stanzas, wrapFor(carol.x25519, sealed.fileKey)] }, sealed.keys.macKey, p.chunks);
    await expectCode(open(added, { keys: [carol.x25519] }), 'ERR_NOT_ADDRESSED_TO_ME');
    await expectCode(open(added, { keys: [dave.x25519] }), 'ERR_SIGNATURE_INVALID');
    // A stanza from another envelope to Bob (another file key) fails the key commitment.
    const other = splitEnvelope(await seal(text('other'), { recipients: [bob.x25519], sender: alice.signing }));
    const moved = reassemble({ ...p.header, stanzas: [other.header.stanzas[0]!, p.header.stanzas[1]!] }, sealed.keys.macKey, p.chunks);
    await expectCode(open(moved, { keys: [bob.x25519] }), 'ERR_ENVELOPE_HEADER_TAMPERED');
  });
});
