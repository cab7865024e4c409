/**
 * Hidden-recipients mode (SPEC 4.3, 6.2–6.3, 10.8): what a reader reveals and how much work an
 * envelope can make it do.
 *
 * - An outsider who alters a hidden envelope's header (salt, commitment, MAC, a stanza) must not
 *   make its recipients answer differently from everyone else: all say ERR_ENVELOPE_NOT_FOR_ME.
 * - A stanza that unwraps but fails the key commitment is passed over, so a bogus stanza placed
 *   before a reader's real one cannot lock it out.
 * - Trial unwraps are bounded per envelope, summed over the reader's keys.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { open, seal } from '../../src/envelope/index.js';
import { generateIdentityKeys, type IdentityKeys } from '../../src/keys/index.js';
import { HEADER_MAC_BYTES } from '../../src/envelope/constants.js';
import { x25519Scheme } from '../../src/envelope/stanza-x25519.js';
import { systemRandom } from '../../src/crypto/random.js';
import { expectCode, flipBit, outcome, patternBytes, reassemble, sealWithSecrets, splitEnvelope } from './envelope-kit.js';

let alice: IdentityKeys;
let bob: IdentityKeys;
let carol: IdentityKeys;
let eve: IdentityKeys;

beforeAll(async () => {
  [alice, bob, carol, eve] = await Promise.all([generateIdentityKeys(), generateIdentityKeys(), generateIdentityKeys(), generateIdentityKeys()]);
});

describe('an outsider altering a hidden header cannot tell recipients from others (SPEC 10.8)', () => {
  it('salt, commitment, MAC and stanza changes give every reader ERR_ENVELOPE_NOT_FOR_ME', async () => {
    const s = await sealWithSecrets(patternBytes(40), { recipients: [bob.x25519, carol.xwing], sender: alice.signing, hideRecipients: true });
    const p = splitEnvelope(s.envelope);
    const macOffset = p.payloadOffset - HEADER_MAC_BYTES;
    // An outsider cannot recompute the MAC; the commitment and salt changes keep the old one.
    const variants: [string, Uint8Array][] = [
      ['salt', reassemble({ ...p.header, salt: flipBit(p.header.salt, 0, 0) }, s.keys.macKey, p.chunks)],
      ['commitment', reassemble({ ...p.header, commit: flipBit(p.header.commit, 5, 3) }, s.keys.macKey, p.chunks)],
      ['MAC', flipBit(s.envelope, macOffset, 0)],
      ['salt, MAC left as it was', reassemble({ ...p.header, salt: flipBit(p.header.salt, 31, 7) }, new Uint8Array(32), p.chunks)],
    ];
    for (const [what, env] of variants) {
      const outcomes = await Promise.all(
        [[bob.x25519], [carol.xwing], [eve.x25519, eve.xwing], [bob.x25519, carol.xwing]].map((keys) => outcome(() => open(env, { keys }))),
      );
      expect(outcomes, what).toEqual(Array(4).fill('ERR_ENVELOPE_NOT_FOR_ME'));
    }
    // The unaltered envelope still opens for each recipient.
    for (const key of [bob.x25519, carol.xwing]) expect((await open(s.envelope, { keys: [key] })).payload).toEqual(patternBytes(40));
  });

  it('normal mode keeps ERR_ENVELOPE_HEADER_TAMPERED (the stanza names its recipient anyway)', async () => {
    const s = await sealWithSecrets(patternBytes(40), { recipients: [bob.x25519], sender: alice.signing });
    const p = splitEnvelope(s.envelope);
    await expectCode(open(reassemble({ ...p.header, salt: flipBit(p.header.salt, 0, 0) }, s.keys.macKey, p.chunks), { keys: [bob.x25519] }), 'ERR_ENVELOPE_HEADER_TAMPERED');
  });

  it('a stanza that unwraps to another file key does not hide the reader\'s real stanza behind it', async () => {
    // carol, an insider, puts a stanza for bob wrapping a random file key in front and re-MACs.
    const s = await sealWithSecrets(patternBytes(40), { recipients: [bob.x25519, carol.x25519], anonymous: true, hideRecipients: true });
    const p = splitEnvelope(s.envelope);
    const bogus = x25519Scheme.wrap(systemRandom(32), bob.x25519, systemRandom);
    const env = reassemble({ ...p.header, stanzas: [{ type: 'X25519', recipientId: null, args: bogus.args, body: bogus.body }, ...p.header.stanzas] }, s.keys.macKey, p.chunks);
    expect((await open(env, { keys: [bob.x25519], allowAnonymous: true })).payload).toEqual(patternBytes(40));
  });
});

describe('trial unwraps are bounded per envelope, over all keys (SPEC 4.3)', () => {
  it('maxTrialDecryptions counts every trial of every key, in key order', async () => {
    // No padding: the stanzas keep the caller's order, so bob's is the second X25519 stanza.
    const env = await seal(patternBytes(10), { recipients: [carol.x25519, bob.x25519], sender: alice.signing, hideRecipients: true });
    await expectCode(open(env, { keys: [bob.x25519], maxTrialDecryptions: 1 }), 'ERR_ENVELOPE_NOT_FOR_ME');
    expect((await open(env, { keys: [bob.x25519], maxTrialDecryptions: 2 })).payload).toEqual(patternBytes(10));
    // eve's key spends two trials first; X-Wing keys spend none on X25519 stanzas.
    await expectCode(open(env, { keys: [eve.x25519, eve.xwing, bob.x25519], maxTrialDecryptions: 3 }), 'ERR_ENVELOPE_NOT_FOR_ME');
    expect((await open(env, { keys: [eve.x25519, eve.xwing, bob.x25519], maxTrialDecryptions: 4 })).payload).toEqual(patternBytes(10));
  });

  it('does not apply to normal mode, where one lookup finds the stanza', async () => {
    const env = await seal(patternBytes(10), { recipients: [carol.x25519, bob.x25519], sender: alice.signing });
    expect((await open(env, { keys: [eve.x25519, bob.x25519], maxTrialDecryptions: 1 })).payload).toEqual(patternBytes(10));
  });

  it('validates the option', async () => {
    const env = await seal(patternBytes(10), { recipients: [bob.x25519], sender: alice.signing, hideRecipients: true });
    for (const bad of [0, 1.5, -1, 1_048_577, Number.NaN]) {
      await expect(open(env, { keys: [bob.x25519], maxTrialDecryptions: bad })).rejects.toBeInstanceOf(RangeError);
    }
    await expect(open(env, { keys: [bob.x25519], maxTrialDecryptions: '2' as unknown as number })).rejects.toBeInstanceOf(TypeError);
  });
});
