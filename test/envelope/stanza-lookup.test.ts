/**
 * Finding one's stanza on open (SPEC 6.2) by an index instead of a scan: the position among
 * 1,000 stanzas does not matter, a key ring finds the key that fits, the first stanza carrying
 * an id is the one used (as a scan would), and look-alike ids and stanzas of another type
 * carrying our id are passed over. Header edits are re-MACed with the true key, so an outcome
 * shows what the lookup did, not just that the MAC caught the edit.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { open } from '../../src/envelope/open.js';
import { seal } from '../../src/envelope/seal.js';
import { generateIdentityKeys, recipientId, type IdentityKeys } from '../../src/keys/index.js';
import type { RecipientStanza } from '../../src/envelope/header.js';
import { expectCode, patternBytes, reassemble, sealWithSecrets, splitEnvelope } from './envelope-kit.js';

let alice: IdentityKeys;
let bob: IdentityKeys;
let carol: IdentityKeys;
let crowd: IdentityKeys[];

beforeAll(async () => {
  alice = await generateIdentityKeys();
  bob = await generateIdentityKeys();
  carol = await generateIdentityKeys();
  crowd = [];
  for (let i = 0; i < 1000; i++) crowd.push(await generateIdentityKeys());
});

/** An anonymous envelope (no signature over the header, so an edited, re-MACed header opens). */
async function anonymousWithSecrets(recipients: IdentityKeys[]) {
  const payload = patternBytes(3000);
  const sealed = await sealWithSecrets(payload, { recipients: recipients.map((r) => r.x25519), anonymous: true });
  return { payload, ...sealed, parts: splitEnvelope(sealed.envelope) };
}

function stanzaOf(stanzas: RecipientStanza[], who: IdentityKeys): RecipientStanza {
  const rid = recipientId(who.x25519);
  return stanzas.find((s) => s.recipientId !== null && Buffer.from(s.recipientId).equals(Buffer.from(rid)))!;
}

describe('stanza lookup on open', () => {
  it('opens a 1,000-recipient envelope as the first, a middle and the last recipient', async () => {
    const payload = patternBytes(1024);
    const envelope = await seal(payload, { recipients: crowd.map((c) => c.x25519), sender: alice.signing });
    for (const i of [0, 499, 999]) {
      const opened = await open(envelope, { keys: [crowd[i]!.x25519] });
      expect(opened.payload).toEqual(payload);
      expect(opened.openedWith.recipientId).toEqual(recipientId(crowd[i]!.x25519));
    }
    await expectCode(open(envelope, { keys: [bob.x25519, bob.xwing] }), 'ERR_ENVELOPE_NOT_FOR_ME');
  });

  it('finds the fitting key in a key ring, whatever its position in the ring', async () => {
    const payload = patternBytes(100);
    const envelope = await seal(payload, { recipients: [carol.xwing, ...crowd.slice(0, 50).map((c) => c.x25519)], sender: alice.signing });
    const ring = [bob.x25519, bob.xwing, ...crowd.slice(200, 220).map((c) => c.x25519), crowd[42]!.x25519];
    expect((await open(envelope, { keys: ring })).openedWith.recipientId).toEqual(recipientId(crowd[42]!.x25519));
    expect((await open(envelope, { keys: [bob.x25519, carol.xwing] })).openedWith.type).toBe('X-Wing');
  });

  it('uses the first stanza that carries our id: a valid one first opens, a broken one first is refused', async () => {
    const { payload, keys, parts } = await anonymousWithSecrets([carol, bob]);
    const own = stanzaOf(parts.header.stanzas, bob);
    const broken: RecipientStanza = { ...own, body: own.body.map((b, i) => (i === 0 ? b ^ 1 : b)) };
    const validFirst = reassemble({ ...parts.header, stanzas: [...parts.header.stanzas, broken] }, keys.macKey, parts.chunks);
    expect((await open(validFirst, { keys: [bob.x25519], allowAnonymous: true })).payload).toEqual(payload);
    const brokenFirst = reassemble({ ...parts.header, stanzas: [broken, ...parts.header.stanzas] }, keys.macKey, parts.chunks);
    await expectCode(open(brokenFirst, { keys: [bob.x25519], allowAnonymous: true }), 'ERR_ENVELOPE_HEADER_TAMPERED');
  });

  it('passes over stanzas whose id only shares its first bytes with ours, and stanzas of another type carrying our id', async () => {
    const { payload, keys, parts } = await anonymousWithSecrets([bob, carol]);
    const own = stanzaOf(parts.header.stanzas, bob);
    const carols = stanzaOf(parts.header.stanzas, carol);
    const lookAlikes: RecipientStanza[] = [1, 8, 31].map((i) => {
      const rid = own.recipientId!.slice();
      rid[i]! ^= 0x80; // same bucket (first four bytes), different id
      return { ...carols, recipientId: rid };
    });
    // An X-Wing-typed stanza with a well-formed X-Wing shape but bob's X25519 id.
    const xwingSealed = await sealWithSecrets(patternBytes(1), { recipients: [carol.xwing], anonymous: true });
    const otherType: RecipientStanza = { ...splitEnvelope(xwingSealed.envelope).header.stanzas[0]!, recipientId: own.recipientId };
    const envelope = reassemble({ ...parts.header, stanzas: [...lookAlikes, otherType, ...parts.header.stanzas] }, keys.macKey, parts.chunks);
    expect((await open(envelope, { keys: [bob.x25519], allowAnonymous: true })).payload).toEqual(payload);
  });

  it('hidden recipients: every recipient finds its stanza by trial decryption, others are not addressed', async () => {
    const payload = patternBytes(500);
    const recipients = [...crowd.slice(0, 30).map((c) => c.x25519), carol.xwing];
    const envelope = await seal(payload, { recipients, sender: alice.signing, hideRecipients: true });
    for (const who of [crowd[0]!.x25519, crowd[29]!.x25519, carol.xwing]) {
      expect((await open(envelope, { keys: [bob.x25519, who] })).openedWith.recipientId).toEqual(recipientId(who));
    }
    await expectCode(open(envelope, { keys: [bob.x25519, bob.xwing] }), 'ERR_ENVELOPE_NOT_FOR_ME');
  });
});
