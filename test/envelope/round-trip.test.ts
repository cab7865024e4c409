import { describe, expect, it, beforeAll } from 'vitest';
import { generateIdentityKeys, open, seal, armor, type IdentityKeys } from '../../src/index.js';

let alice: IdentityKeys;
let bob: IdentityKeys;

beforeAll(async () => {
  alice = await generateIdentityKeys();
  bob = await generateIdentityKeys();
});

describe('seal/open round trip', () => {
  for (const type of ['x25519', 'xwing'] as const) {
    it(`opens a signed envelope sealed to an ${type} key and reports the sender`, async () => {
      const payload = new TextEncoder().encode('report: vessel sighted 03:10Z');
      const env = await seal(payload, { recipients: [bob[type]], sender: alice.signing });
      const opened = await open(env, { keys: [bob.x25519, bob.xwing] });
      expect(opened.payload).toEqual(payload);
      expect(opened.authenticated).toBe(true);
      expect(opened.sender).toEqual(alice.signing.publicKey);
      expect(opened.openedWith.type).toBe(bob[type].type);
    });
  }

  it('opens the armored form to the same payload', async () => {
    const payload = new Uint8Array([1, 2, 3]);
    const env = await seal(payload, { recipients: [bob.x25519], sender: alice.signing });
    const opened = await open(armor(env), { keys: [bob.x25519] });
    expect(opened.payload).toEqual(payload);
  });

  it('refuses a reader who is not a recipient', async () => {
    const env = await seal(new Uint8Array(10), { recipients: [bob.x25519], sender: alice.signing });
    await expect(open(env, { keys: [alice.x25519, alice.xwing] })).rejects.toMatchObject({ code: 'ERR_ENVELOPE_NOT_FOR_ME' });
  });
});
