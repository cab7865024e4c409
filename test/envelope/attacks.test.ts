/**
 * Attacks on the envelope format, each a named test: bit flips at every position, truncation at
 * every length, appending, splicing, swapping and reordering stanzas, replacing recipients,
 * stripping and moving signatures, surreptitious forwarding, chunk reordering, key commitment,
 * replay ids, malformed CBOR and wrong input types. Insider attacks use the file key, recorded
 * through the internal sealing core (envelope-kit.ts), as a real recipient would know it.
 */
import * as fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  armor,
  armorStream,
  dearmor,
  generateIdentityKeys,
  inspect,
  open,
  openStream,
  recipientId,
  seal,
  type IdentityKeys,
  type LintasErrorCode,
  type RecipientKeyPair,
  type RecipientPublicKey,
} from '../../src/index.js';
import { encodeCanonical, type CborValue } from '../../src/cbor/index.js';
import { concatBytes } from '../../src/crypto/bytes.js';
import { systemRandom } from '../../src/crypto/random.js';
import { deriveEnvelopeKeys } from '../../src/envelope/key-schedule.js';
import { encodeHeader, encodePrefix, type RecipientStanza } from '../../src/envelope/header.js';
import { encodeMeta } from '../../src/envelope/meta.js';
import { x25519Scheme } from '../../src/envelope/stanza-x25519.js';
import { xwingScheme } from '../../src/envelope/stanza-xwing.js';
import {
  collect,
  expectCode,
  flipBit,
  forgeEnvelope,
  outcome,
  patternBytes,
  readMeta,
  readPlaintextStream,
  reassemble,
  sealWithSecrets,
  signEnvelope,
  splitEnvelope,
  type EnvelopeParts,
} from './envelope-kit.js';

let alice: IdentityKeys; // sender
let bob: IdentityKeys; // recipient
let carol: IdentityKeys; // second recipient, sometimes the insider
let dave: IdentityKeys; // outsider
let mallory: IdentityKeys; // outsider with her own signing key

beforeAll(async () => {
  alice = await generateIdentityKeys();
  bob = await generateIdentityKeys();
  carol = await generateIdentityKeys();
  dave = await generateIdentityKeys();
  mallory = await generateIdentityKeys();
});

/** Open with every key and the most permissive policy, so only integrity checks can refuse. */
const openAs = (env: Uint8Array, ...keys: RecipientKeyPair[]) => open(env, { keys, allowAnonymous: true });

function wrapFor(key: RecipientPublicKey, fileKey: Uint8Array, hidden = false): RecipientStanza {
  const scheme = key.type === 'X25519' ? x25519Scheme : xwingScheme;
  const w = scheme.wrap(fileKey, key, systemRandom);
  return { type: key.type, recipientId: hidden ? null : recipientId(key), args: w.args, body: w.body };
}

type Region = 'magic' | 'version' | 'length' | 'header' | 'mac' | 'payload';

function regionOf(i: number, p: EnvelopeParts): Region {
  if (i < 6) return 'magic';
  if (i === 6) return 'version';
  if (i < 11) return 'length';
  if (i < 11 + p.headerBytes.length) return 'header';
  if (i < p.payloadOffset) return 'mac';
  return 'payload';
}

const ALLOWED: Record<Region, LintasErrorCode[]> = {
  magic: ['ERR_ENVELOPE_MALFORMED'],
  version: ['ERR_ENVELOPE_UNSUPPORTED_VERSION'],
  // A changed header length cuts the header short, runs it into the MAC, or points past the end.
  length: ['ERR_ENVELOPE_MALFORMED', 'ERR_ENVELOPE_LIMIT_EXCEEDED', 'ERR_ENVELOPE_TRUNCATED'],
  // LIMIT_EXCEEDED: a flip in the chunk exponent (16) can take it outside 12..20 before any crypto.
  header: ['ERR_ENVELOPE_MALFORMED', 'ERR_ENVELOPE_LIMIT_EXCEEDED', 'ERR_ENVELOPE_HEADER_TAMPERED', 'ERR_ENVELOPE_NOT_FOR_ME'],
  mac: ['ERR_ENVELOPE_HEADER_TAMPERED'],
  payload: ['ERR_ENVELOPE_TAMPERED'],
};

/** Flip the chosen bits at every position; return the tally and every outcome outside ALLOWED. */
async function flipEverywhere(env: Uint8Array, key: RecipientKeyPair, bitsAt: (i: number) => number[], allowed = ALLOWED) {
  const parts = splitEnvelope(env);
  const tally = new Map<string, number>();
  const wrong: string[] = [];
  let tried = 0;
  for (let i = 0; i < env.length; i++) {
    const region = regionOf(i, parts);
    for (const bit of bitsAt(i)) {
      tried++;
      const code = await outcome(() => openAs(flipBit(env, i, bit), key));
      tally.set(`${region} ${code}`, (tally.get(`${region} ${code}`) ?? 0) + 1);
      if (code === 'SUCCESS' || !allowed[region].includes(code)) wrong.push(`byte ${i} bit ${bit} (${region}): ${code}`);
    }
  }
  return { tried, tally, wrong };
}

describe('bit flips', () => {
  it('every single-bit change of a small signed envelope is rejected with a code that fits its region', async () => {
    const env = await seal(patternBytes(100), { recipients: [bob.x25519, carol.x25519], sender: alice.signing, chunkSize: 4096 });
    const all = [0, 1, 2, 3, 4, 5, 6, 7];
    const r = await flipEverywhere(env, bob.x25519, () => all);
    expect(r.wrong).toEqual([]);
    expect(r.tried).toBe(env.length * 8);
    // Every region was hit, and the MAC and payload regions always give their one code.
    for (const region of ['magic', 'version', 'length', 'header', 'mac', 'payload']) {
      expect([...r.tally.keys()].some((k) => k.startsWith(region))).toBe(true);
    }
  });

  it('bit flips in X-Wing, hidden-recipient, padded and multi-chunk envelopes are rejected by region', async () => {
    const variants = [
      await seal(patternBytes(50), { recipients: [bob.xwing], sender: alice.signing }),
      await seal(patternBytes(50), { recipients: [carol.x25519, bob.x25519], sender: alice.signing, hideRecipients: true }),
      await seal(patternBytes(50), { recipients: [bob.x25519], anonymous: true, padding: true }),
      await seal(patternBytes(2 * 4096 + 100), { recipients: [bob.x25519], sender: alice.signing, chunkSize: 4096 }),
    ];
    const keys = [bob.xwing, bob.x25519, bob.x25519, bob.x25519];
    // SPEC 10.8: in hidden mode a header that fails its MAC is "not for me", as for everyone else.
    const hiddenAllowed = { ...ALLOWED, mac: ['ERR_ENVELOPE_NOT_FOR_ME'] satisfies LintasErrorCode[] };
    for (const [n, env] of variants.entries()) {
      // One bit per position, rotating, to keep the run short.
      const r = await flipEverywhere(env, keys[n]!, (i) => [i % 8], n === 1 ? hiddenAllowed : ALLOWED);
      expect(r.wrong, `variant ${n}`).toEqual([]);
    }
  });

  it('a flipped bit in the payload of a streamed open fails before the final piece is released', async () => {
    const payload = patternBytes(3 * 4096);
    const env = await seal(payload, { recipients: [bob.x25519], sender: alice.signing, chunkSize: 4096 });
    const lastChunkStart = splitEnvelope(env).payloadOffset + 3 * (4096 + 16);
    const opened = await openStream(flipBit(env, lastChunkStart + 5, 2), { keys: [bob.x25519] });
    let delivered = 0;
    await expectCode(
      (async () => {
        for await (const p of opened.payload) delivered += p.length;
      })(),
      'ERR_ENVELOPE_TAMPERED',
    );
    expect(delivered).toBeLessThan(payload.length);
  });
});

describe('truncation and extension', () => {
  it('truncation at every length is rejected: TRUNCATED before the payload, TAMPERED inside it', async () => {
    const env = await seal(patternBytes(4096 + 10), { recipients: [bob.x25519], sender: alice.signing, chunkSize: 4096 });
    const { payloadOffset } = splitEnvelope(env);
    const wrong: string[] = [];
    for (let n = 0; n < env.length; n++) {
      const code = await outcome(() => openAs(env.subarray(0, n), bob.x25519));
      // An empty input is not a cut-short envelope but no envelope at all.
      const expected = n === 0 ? 'ERR_ENVELOPE_MALFORMED' : n < payloadOffset ? 'ERR_ENVELOPE_TRUNCATED' : 'ERR_ENVELOPE_TAMPERED';
      if (code !== expected) wrong.push(`length ${n}: ${code}, expected ${expected}`);
    }
    expect(wrong).toEqual([]);
  });

  it('truncation of an armored envelope at every line is rejected', async () => {
    const text = armor(await seal(patternBytes(300), { recipients: [bob.x25519], sender: alice.signing }));
    const lines = text.split('\n');
    for (let n = 1; n < lines.length - 1; n++) {
      const code = await outcome(() => openAs(new TextEncoder().encode(lines.slice(0, n).join('\n') + '\n'), bob.x25519));
      expect(code, `${n} lines`).toBe('ERR_ARMOR_MALFORMED');
    }
  });

  it('appending bytes to a valid envelope is rejected', async () => {
    for (const size of [100, 4096 - 64]) {
      // 4096 - 64: the signature fills the last chunk exactly, so the final chunk is full-size.
      const env = await seal(patternBytes(size), { recipients: [bob.x25519], sender: alice.signing, chunkSize: 4096 });
      const parts = splitEnvelope(env);
      const tails = [new Uint8Array(1), new Uint8Array(16), new Uint8Array(64).fill(1), new Uint8Array(4112), parts.chunks[parts.chunks.length - 1]!, env];
      for (const tail of tails) {
        await expectCode(openAs(concatBytes(env, tail), bob.x25519), 'ERR_ENVELOPE_TAMPERED');
      }
    }
  });
});

describe('splicing and swapping', () => {
  it('the header of envelope A with the payload of envelope B (same sender and recipient) is rejected', async () => {
    const a = await seal(patternBytes(500, 1), { recipients: [bob.x25519], sender: alice.signing });
    const b = await seal(patternBytes(500, 2), { recipients: [bob.x25519], sender: alice.signing });
    const pa = splitEnvelope(a);
    const pb = splitEnvelope(b);
    await expectCode(openAs(concatBytes(a.subarray(0, pa.payloadOffset), b.subarray(pb.payloadOffset)), bob.x25519), 'ERR_ENVELOPE_TAMPERED');
    // Header and MAC of different envelopes.
    await expectCode(openAs(concatBytes(a.subarray(0, pa.payloadOffset - 32), pb.mac, a.subarray(pa.payloadOffset)), bob.x25519), 'ERR_ENVELOPE_HEADER_TAMPERED');
  });

  it('swapping the stanzas between two envelopes is rejected', async () => {
    const a = await sealWithSecrets(patternBytes(64, 1), { recipients: [bob.x25519, carol.xwing], sender: alice.signing });
    const b = await sealWithSecrets(patternBytes(64, 2), { recipients: [bob.x25519, carol.xwing], sender: alice.signing });
    const pa = splitEnvelope(a.envelope);
    const pb = splitEnvelope(b.envelope);
    // An outsider cannot recompute the MAC; the original MAC is kept.
    const withStanzas = (stanzas: RecipientStanza[]) => {
      const h = encodeHeader({ ...pa.header, stanzas });
      return concatBytes(encodePrefix(h.length), h, pa.mac, ...pa.chunks);
    };
    for (const stanzas of [pb.header.stanzas, [pb.header.stanzas[0]!, pa.header.stanzas[1]!], [pa.header.stanzas[0]!, pb.header.stanzas[1]!]]) {
      await expectCode(openAs(withStanzas(stanzas), bob.x25519), 'ERR_ENVELOPE_HEADER_TAMPERED');
      await expectCode(openAs(withStanzas(stanzas), carol.xwing), 'ERR_ENVELOPE_HEADER_TAMPERED');
    }
    // An insider of both (knows A's MAC key) moves B's stanza for Bob into A: the key commitment fails.
    const insider = reassemble({ ...pa.header, stanzas: [pb.header.stanzas[0]!, pa.header.stanzas[1]!] }, a.keys.macKey, pa.chunks);
    await expectCode(openAs(insider, bob.x25519), 'ERR_ENVELOPE_HEADER_TAMPERED');
  });

  it('swapping the order of stanzas is caught by the header MAC (normal and hidden mode)', async () => {
    for (const hideRecipients of [false, true]) {
      const env = await seal(patternBytes(10), { recipients: [bob.x25519, carol.x25519, dave.xwing], sender: alice.signing, hideRecipients });
      const p = splitEnvelope(env);
      const [s0, s1, s2] = p.header.stanzas as [RecipientStanza, RecipientStanza, RecipientStanza];
      for (const order of [[s1, s0, s2], [s2, s1, s0], [s0, s2, s1]]) {
        const h = encodeHeader({ ...p.header, stanzas: order });
        const swapped = concatBytes(encodePrefix(h.length), h, p.mac, ...p.chunks);
        // SPEC 10.8: a hidden-mode reader reports a header that fails its MAC as not for it.
        const code = hideRecipients ? 'ERR_ENVELOPE_NOT_FOR_ME' : 'ERR_ENVELOPE_HEADER_TAMPERED';
        for (const key of [bob.x25519, carol.x25519, dave.xwing]) await expectCode(openAs(swapped, key), code);
      }
    }
  });

  it('replacing a stanza with one wrapped for another key is rejected', async () => {
    const sealed = await sealWithSecrets(patternBytes(80), { recipients: [bob.x25519, carol.x25519], sender: alice.signing });
    const p = splitEnvelope(sealed.envelope);
    const header = (stanzas: RecipientStanza[]) => {
      const h = encodeHeader({ ...p.header, stanzas });
      return concatBytes(encodePrefix(h.length), h, p.mac, ...p.chunks);
    };
    // Outsider: Carol's stanza becomes one for Dave with a key of the outsider's choosing.
    const outsider = header([p.header.stanzas[0]!, wrapFor(dave.x25519, systemRandom(32))]);
    await expectCode(openAs(outsider, bob.x25519), 'ERR_ENVELOPE_HEADER_TAMPERED');
    await expectCode(openAs(outsider, dave.x25519), 'ERR_ENVELOPE_HEADER_TAMPERED');
    // Outsider: Bob's stanza carries Bob's id but a low-order ephemeral key or another key's wrap.
    const lowOrder = { ...p.header.stanzas[0]!, args: [new Uint8Array(32)] };
    await expectCode(openAs(header([lowOrder, p.header.stanzas[1]!]), bob.x25519), 'ERR_ENVELOPE_HEADER_TAMPERED');
    const forBobWithCarolsWrap = { ...p.header.stanzas[1]!, recipientId: recipientId(bob.x25519) };
    await expectCode(openAs(header([forBobWithCarolsWrap, p.header.stanzas[1]!]), bob.x25519), 'ERR_ENVELOPE_HEADER_TAMPERED');
    // Insider Carol wraps the real file key for Dave in place of her own stanza and fixes the MAC.
    const insider = reassemble({ ...p.header, stanzas: [p.header.stanzas[0]!, wrapFor(dave.x25519, sealed.fileKey)] }, sealed.keys.macKey, p.chunks);
    await expectCode(openAs(insider, dave.x25519), 'ERR_NOT_ADDRESSED_TO_ME');
    await expectCode(openAs(insider, bob.x25519), 'ERR_SIGNATURE_INVALID');
  });
});

describe('signature stripping (insider who knows the file key)', () => {
  async function original(withLength: boolean) {
    const payload = patternBytes(700);
    const options = { recipients: [bob.x25519], sender: alice.signing, chunkSize: 4096 };
    const sealed = withLength
      ? await sealWithSecrets(payload, options)
      : await sealWithSecrets(payload, { ...options, size: undefined as unknown as number });
    const parts = splitEnvelope(sealed.envelope);
    const meta = readMeta(sealed.keys, parts.header);
    expect(meta.len).toBe(withLength ? payload.length : null);
    const plaintext = readPlaintextStream(sealed.keys, parts);
    return { payload, sealed, parts, meta, plaintext, signature: plaintext.subarray(payload.length) };
  }

  it('re-sealed as anonymous, it opens only with allowAnonymous and is reported unauthenticated', async () => {
    const o = await original(true);
    // SPEC 5.7: an anonymous envelope's checkpoint is 64 zero bytes.
    const plaintext = concatBytes(o.payload, new Uint8Array(64));
    const forged = forgeEnvelope({ fileKey: o.sealed.fileKey, salt: o.sealed.salt, stanzas: o.parts.header.stanzas, meta: { ...o.meta, sender: null }, plaintext }).envelope;
    await expectCode(open(forged, { keys: [bob.x25519] }), 'ERR_ENVELOPE_ANONYMOUS');
    const opened = await open(forged, { keys: [bob.x25519], allowAnonymous: true });
    expect(opened.authenticated).toBe(false);
    expect(opened.sender).toBeNull();
    await expectCode(open(forged, { keys: [bob.x25519], trustedSenders: [alice.signing.publicKey] }), 'ERR_ENVELOPE_ANONYMOUS');
  });

  it('the original signature bytes moved into a forged anonymous envelope are never reported as authenticated', async () => {
    for (const withLength of [true, false]) {
      const o = await original(withLength);
      // Payload || signature as the plaintext of an envelope whose meta has no sender: the
      // signature sits where an anonymous envelope has its zero checkpoint (SPEC 6.6).
      const forged = forgeEnvelope({ fileKey: o.sealed.fileKey, salt: o.sealed.salt, stanzas: o.parts.header.stanzas, meta: { ...o.meta, sender: null }, plaintext: o.plaintext }).envelope;
      await expectCode(open(forged, { keys: [bob.x25519] }), 'ERR_ENVELOPE_ANONYMOUS');
      await expectCode(openAs(forged, bob.x25519), 'ERR_ENVELOPE_TAMPERED');
      if (!withLength) {
        // As data of an anonymous envelope the bytes open, but only as anonymous.
        const asData = forgeEnvelope({ ...o.sealed, stanzas: o.parts.header.stanzas, meta: { ...o.meta, sender: null }, plaintext: concatBytes(o.plaintext, new Uint8Array(64)) }).envelope;
        const opened = await openAs(asData, bob.x25519);
        expect(opened.authenticated).toBe(false);
        expect(opened.sender).toBeNull();
        expect(opened.payload).toEqual(o.plaintext);
      }
    }
  });

  it('dropping the signature but keeping the sender is rejected', async () => {
    for (const withLength of [true, false]) {
      const o = await original(withLength);
      const forged = forgeEnvelope({ fileKey: o.sealed.fileKey, salt: o.sealed.salt, stanzas: o.parts.header.stanzas, meta: o.meta, plaintext: o.payload }).envelope;
      await expectCode(openAs(forged, bob.x25519), withLength ? 'ERR_ENVELOPE_TAMPERED' : 'ERR_SIGNATURE_INVALID');
      // A payload shorter than a signature cannot even hold one.
      const tiny = forgeEnvelope({ fileKey: o.sealed.fileKey, salt: o.sealed.salt, stanzas: o.parts.header.stanzas, meta: { ...o.meta, len: null }, plaintext: new Uint8Array(10) }).envelope;
      await expectCode(openAs(tiny, bob.x25519), 'ERR_ENVELOPE_TAMPERED');
    }
  });

  it('claiming another sender for the original signature, or re-signing as Mallory for Alice, is rejected', async () => {
    const o = await original(true);
    const asMallory = forgeEnvelope({ fileKey: o.sealed.fileKey, salt: o.sealed.salt, stanzas: o.parts.header.stanzas, meta: { ...o.meta, sender: mallory.signing.publicKey }, plaintext: o.plaintext }).envelope;
    await expectCode(openAs(asMallory, bob.x25519), 'ERR_SIGNATURE_INVALID');
    // Mallory signs with her own key but names Alice as the sender.
    const draft = { fileKey: o.sealed.fileKey, salt: o.sealed.salt, stanzas: o.parts.header.stanzas, meta: o.meta };
    const { prefixAndHeader } = forgeEnvelope({ ...draft, plaintext: o.payload });
    const sig = signEnvelope(mallory.signing, prefixAndHeader, o.payload);
    await expectCode(openAs(forgeEnvelope({ ...draft, plaintext: concatBytes(o.payload, sig) }).envelope, bob.x25519), 'ERR_SIGNATURE_INVALID');
    // Control: the same construction signed by Alice is accepted, so the forging tools are faithful.
    const good = signEnvelope(alice.signing, prefixAndHeader, o.payload);
    expect((await openAs(forgeEnvelope({ ...draft, plaintext: concatBytes(o.payload, good) }).envelope, bob.x25519)).authenticated).toBe(true);
  });
});

describe('surreptitious forwarding', () => {
  it("recipient Bob re-encrypting Alice's signed payload and signature for Carol is rejected", async () => {
    for (const hidden of [false, true]) {
      const payload = patternBytes(1000);
      const sealed = await sealWithSecrets(payload, { recipients: [bob.x25519], sender: alice.signing, hideRecipients: hidden });
      const parts = splitEnvelope(sealed.envelope);
      const meta = readMeta(sealed.keys, parts.header);
      const plaintext = readPlaintextStream(sealed.keys, parts); // payload || Alice's signature
      const fresh = () => ({ fileKey: systemRandom(32), salt: systemRandom(32) });
      const forward = (to: Uint8Array[], reuse: boolean, key: RecipientPublicKey = carol.x25519) => {
        const k = reuse ? { fileKey: sealed.fileKey, salt: sealed.salt } : fresh();
        return forgeEnvelope({ ...k, stanzas: [wrapFor(key, k.fileKey, hidden)], meta: { ...meta, to }, plaintext, chunkExponent: parts.header.chunkExponent }).envelope;
      };
      const bobId = recipientId(bob.x25519);
      const carolId = recipientId(carol.x25519);
      // Meta copied as is: the signed recipient list does not name Carol.
      await expectCode(openAs(forward([bobId], false), carol.x25519), 'ERR_NOT_ADDRESSED_TO_ME');
      await expectCode(openAs(forward([bobId], true), carol.x25519), 'ERR_NOT_ADDRESSED_TO_ME');
      await expectCode(openAs(forward([bobId], false, carol.xwing), carol.xwing), 'ERR_NOT_ADDRESSED_TO_ME');
      // Recipient list rewritten: the signature no longer matches the header.
      for (const to of [[carolId], [bobId, carolId], [carolId, bobId]]) {
        await expectCode(openAs(forward(to, false), carol.x25519), 'ERR_SIGNATURE_INVALID');
        await expectCode(openAs(forward(to, true), carol.x25519), 'ERR_SIGNATURE_INVALID');
      }
      // Carol's stanza added next to Bob's, original key, original meta: still not addressed to her.
      const both = reassemble({ ...parts.header, stanzas: [...parts.header.stanzas, wrapFor(carol.x25519, sealed.fileKey, hidden)] }, sealed.keys.macKey, parts.chunks);
      await expectCode(openAs(both, carol.x25519), 'ERR_NOT_ADDRESSED_TO_ME');
      await expectCode(openAs(both, bob.x25519), 'ERR_SIGNATURE_INVALID');
    }
  });
});

describe('payload chunks', () => {
  it('reordering, duplicating, dropping and replacing chunks is rejected', async () => {
    const options = { recipients: [bob.x25519], sender: alice.signing, chunkSize: 4096 };
    const env = await seal(patternBytes(3 * 4096 + 7, 1), options);
    const other = await seal(patternBytes(3 * 4096 + 7, 2), options);
    const p = splitEnvelope(env);
    const q = splitEnvelope(other);
    expect(p.chunks).toHaveLength(4);
    const [c0, c1, c2, c3] = p.chunks as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    const head = env.subarray(0, p.payloadOffset);
    const layouts: Record<string, Uint8Array[]> = {
      'swap 0,1': [c1, c0, c2, c3],
      'swap 2,3 (last)': [c0, c1, c3, c2],
      'reverse': [c3, c2, c1, c0],
      'duplicate 0': [c0, c0, c1, c2, c3],
      'duplicate last': [c0, c1, c2, c3, c3],
      'duplicate middle at the end': [c0, c1, c2, c1],
      'drop first': [c1, c2, c3],
      'drop middle': [c0, c2, c3],
      'drop last': [c0, c1, c2],
      'only the last': [c3],
      'no chunks': [],
      'chunk 1 from another envelope': [c0, q.chunks[1]!, c2, c3],
      'last chunk from another envelope': [c0, c1, c2, q.chunks[3]!],
    };
    for (const [name, chunks] of Object.entries(layouts)) {
      expect(await outcome(() => openAs(concatBytes(head, ...chunks), bob.x25519)), name).toBe('ERR_ENVELOPE_TAMPERED');
    }
  });
});

describe('key commitment', () => {
  it('a header whose key commitment does not match the file key is refused, even with a valid MAC', async () => {
    const sealed = await sealWithSecrets(patternBytes(40), { recipients: [bob.x25519], sender: alice.signing });
    const p = splitEnvelope(sealed.envelope);
    for (const commit of [systemRandom(32), new Uint8Array(32), flipBit(p.header.commit, 31, 7)]) {
      const forged = reassemble({ ...p.header, commit }, sealed.keys.macKey, p.chunks);
      await expectCode(openAs(forged, bob.x25519), 'ERR_ENVELOPE_HEADER_TAMPERED');
    }
  });

  it('a sender cannot make one envelope open to different contents for different recipients', async () => {
    // Alice wraps file key K1 for Bob and K2 for Dave; commitment, MAC, meta and payload use K1.
    const k1 = systemRandom(32);
    const k2 = systemRandom(32);
    const salt = systemRandom(32);
    const stanzas = [wrapFor(bob.x25519, k1), wrapFor(dave.x25519, k2)];
    const meta = { id: systemRandom(16), created: Math.floor(Date.now() / 1000), expires: null, sender: alice.signing.publicKey, to: [recipientId(bob.x25519), recipientId(dave.x25519)], len: 3, contentType: null };
    const payload = new Uint8Array([1, 2, 3]);
    const { prefixAndHeader } = forgeEnvelope({ fileKey: k1, salt, stanzas, meta, plaintext: payload });
    const env = forgeEnvelope({ fileKey: k1, salt, stanzas, meta, plaintext: concatBytes(payload, signEnvelope(alice.signing, prefixAndHeader, payload)) }).envelope;
    expect((await open(env, { keys: [bob.x25519] })).payload).toEqual(payload);
    await expectCode(open(env, { keys: [dave.x25519] }), 'ERR_ENVELOPE_HEADER_TAMPERED');
    // Committing to K2 instead (MAC still under K1) only moves the failure to Bob.
    const k2Commit = deriveEnvelopeKeys(k2, salt).commitment;
    const env2 = forgeEnvelope({ fileKey: k1, salt, stanzas, meta, plaintext: payload, commit: k2Commit }).envelope;
    await expectCode(open(env2, { keys: [bob.x25519] }), 'ERR_ENVELOPE_HEADER_TAMPERED');
    await expectCode(open(env2, { keys: [dave.x25519] }), 'ERR_ENVELOPE_HEADER_TAMPERED');
  });
});

describe('replay', () => {
  it('the same envelope opened twice yields the same envelopeId; 1,000 seals yield 1,000 ids', async () => {
    const payload = new TextEncoder().encode('same payload every time');
    const env = await seal(payload, { recipients: [bob.x25519], sender: alice.signing });
    const first = await open(env, { keys: [bob.x25519] });
    const second = await open(env, { keys: [bob.x25519] });
    expect(second.envelopeId).toEqual(first.envelopeId);
    expect(second.createdAt).toEqual(first.createdAt);
    // Recipients of one envelope see the same id (the transport's replay cache can key on it).
    const both = await seal(payload, { recipients: [bob.x25519, carol.xwing], sender: alice.signing });
    expect((await open(both, { keys: [bob.x25519] })).envelopeId).toEqual((await open(both, { keys: [carol.xwing] })).envelopeId);
    const ids = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const o = await open(await seal(payload, { recipients: [bob.x25519], sender: alice.signing }), { keys: [bob.x25519] });
      expect(o.envelopeId).toHaveLength(16);
      ids.add(Buffer.from(o.envelopeId).toString('hex'));
    }
    expect(ids.size).toBe(1000);
  });
});

describe('malformed CBOR', () => {
  const randomMac = () => systemRandom(32);
  const withHeader = (header: Uint8Array, tail: Uint8Array = new Uint8Array(16)) => concatBytes(encodePrefix(header.length), header, randomMac(), tail);

  it('random bytes behind a valid prefix never crash and always yield a LintasError code', async () => {
    const allowed: LintasErrorCode[] = ['ERR_ENVELOPE_MALFORMED', 'ERR_ENVELOPE_LIMIT_EXCEEDED', 'ERR_ENVELOPE_NOT_FOR_ME', 'ERR_ENVELOPE_HEADER_TAMPERED'];
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 400 }), fc.uint8Array({ maxLength: 100 }), async (header, tail) => {
        const env = withHeader(header, tail);
        const code = await outcome(() => openAs(env, bob.x25519, bob.xwing));
        expect(allowed).toContain(code);
        const viewed = await outcome(() => inspect(env));
        expect(viewed === 'SUCCESS' || allowed.includes(viewed)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('random CBOR values as the header never crash and always yield a LintasError code', async () => {
    const leaf = fc.oneof(
      fc.nat({ max: 40 }),
      fc.constantFrom(16, 12, 20, 2 ** 53 - 1),
      fc.string({ maxLength: 8 }),
      fc.constantFrom('X25519', 'X-Wing', 'chunk', 'commit', 'meta', 'salt', 'stanzas'),
      fc.uint8Array({ maxLength: 40 }),
      fc.constantFrom(new Uint8Array(32), new Uint8Array(48), null, true, false),
    );
    const value = fc.letrec<{ v: CborValue }>((tie) => ({
      v: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        leaf,
        fc.array(tie('v'), { maxLength: 4 }),
        fc.dictionary(fc.constantFrom('chunk', 'commit', 'meta', 'salt', 'stanzas', 'x'), tie('v'), { maxKeys: 6 }) as fc.Arbitrary<CborValue>,
      ),
    })).v;
    const headerLike = fc.record({
      chunk: fc.oneof(fc.constant(16), value),
      commit: fc.oneof(fc.constant(new Uint8Array(32)), value),
      meta: fc.oneof(fc.uint8Array({ minLength: 16, maxLength: 80 }), value),
      salt: fc.oneof(fc.constant(new Uint8Array(32)), value),
      stanzas: fc.oneof(fc.array(fc.tuple(fc.constantFrom('X25519', 'X-Wing', 'other'), fc.oneof(fc.constant(null), fc.uint8Array({ minLength: 32, maxLength: 32 }), value), fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 2 }), fc.uint8Array({ maxLength: 60 })), { maxLength: 3 }), value),
    }, { requiredKeys: [] });
    const allowed: LintasErrorCode[] = ['ERR_ENVELOPE_MALFORMED', 'ERR_ENVELOPE_LIMIT_EXCEEDED', 'ERR_ENVELOPE_NOT_FOR_ME', 'ERR_ENVELOPE_HEADER_TAMPERED'];
    await fc.assert(
      fc.asyncProperty(fc.oneof(value, headerLike as fc.Arbitrary<CborValue>), async (v) => {
        const code = await outcome(() => openAs(withHeader(encodeCanonical(v)), bob.x25519, bob.xwing));
        expect(allowed).toContain(code);
      }),
      { numRuns: 500 },
    );
  });

  it('each header rule is enforced before any crypto, with its own code', async () => {
    const good = splitEnvelope(await seal(new Uint8Array(1), { recipients: [bob.x25519], sender: alice.signing })).header;
    const s = good.stanzas[0]!;
    const stanza = (over: Partial<Record<'type' | 'rid' | 'args' | 'body', CborValue>>): CborValue => [
      'type' in over ? over.type! : s.type,
      'rid' in over ? over.rid! : s.recipientId,
      'args' in over ? over.args! : s.args,
      'body' in over ? over.body! : s.body,
    ];
    const base = { chunk: 16, commit: good.commit, meta: good.meta, salt: good.salt, stanzas: [stanza({})] as CborValue };
    const cases: [string, CborValue, LintasErrorCode][] = [
      ['not a map', [1, 2, 3], 'ERR_ENVELOPE_MALFORMED'],
      ['missing salt', { chunk: 16, commit: good.commit, meta: good.meta, stanzas: base.stanzas }, 'ERR_ENVELOPE_MALFORMED'],
      ['unknown key', { ...base, extra: 1 }, 'ERR_ENVELOPE_MALFORMED'],
      ['chunk 11', { ...base, chunk: 11 }, 'ERR_ENVELOPE_LIMIT_EXCEEDED'],
      ['chunk 21', { ...base, chunk: 21 }, 'ERR_ENVELOPE_LIMIT_EXCEEDED'],
      ['chunk as text', { ...base, chunk: '16' }, 'ERR_ENVELOPE_MALFORMED'],
      ['commit 31 bytes', { ...base, commit: good.commit.subarray(1) }, 'ERR_ENVELOPE_MALFORMED'],
      ['salt 33 bytes', { ...base, salt: new Uint8Array(33) }, 'ERR_ENVELOPE_MALFORMED'],
      ['meta too large', { ...base, meta: new Uint8Array(128 * 1024 + 1) }, 'ERR_ENVELOPE_LIMIT_EXCEEDED'],
      ['no stanzas', { ...base, stanzas: [] }, 'ERR_ENVELOPE_MALFORMED'],
      ['stanzas not an array', { ...base, stanzas: { a: 1 } }, 'ERR_ENVELOPE_MALFORMED'],
      ['1,025 stanzas', { ...base, stanzas: Array.from({ length: 1025 }, () => stanza({ rid: systemRandom(32) })) }, 'ERR_ENVELOPE_LIMIT_EXCEEDED'],
      ['stanza of 3 elements', { ...base, stanzas: [[s.type, s.recipientId, s.args]] }, 'ERR_ENVELOPE_MALFORMED'],
      ['empty type', { ...base, stanzas: [stanza({ type: '' })] }, 'ERR_ENVELOPE_MALFORMED'],
      ['33-byte type', { ...base, stanzas: [stanza({ type: 'x'.repeat(33) })] }, 'ERR_ENVELOPE_LIMIT_EXCEEDED'],
      ['31-byte recipient id', { ...base, stanzas: [stanza({ rid: new Uint8Array(31) })] }, 'ERR_ENVELOPE_MALFORMED'],
      ['args not an array', { ...base, stanzas: [stanza({ args: s.args[0]! })] }, 'ERR_ENVELOPE_MALFORMED'],
      ['5 args', { ...base, stanzas: [stanza({ type: 'other', args: [1, 2, 3, 4, 5].map(() => new Uint8Array(1)) })] }, 'ERR_ENVELOPE_LIMIT_EXCEEDED'],
      ['body not bytes', { ...base, stanzas: [stanza({ body: 'body' })] }, 'ERR_ENVELOPE_MALFORMED'],
      ['stanza over 2,048 bytes', { ...base, stanzas: [stanza({ type: 'other', body: new Uint8Array(2100) })] }, 'ERR_ENVELOPE_LIMIT_EXCEEDED'],
      ['hidden and visible mixed', { ...base, stanzas: [stanza({}), stanza({ rid: null })] }, 'ERR_ENVELOPE_MALFORMED'],
      ['X25519 stanza with 2 args', { ...base, stanzas: [stanza({ args: [s.args[0]!, s.args[0]!] })] }, 'ERR_ENVELOPE_MALFORMED'],
      ['X25519 stanza with a short body', { ...base, stanzas: [stanza({ body: s.body.subarray(1) })] }, 'ERR_ENVELOPE_MALFORMED'],
      ['X-Wing stanza with an X25519 shape', { ...base, stanzas: [stanza({ type: 'X-Wing' })] }, 'ERR_ENVELOPE_MALFORMED'],
      ['nesting too deep', { ...base, stanzas: [stanza({ args: [[[[new Uint8Array(1)]]]] as CborValue })] }, 'ERR_ENVELOPE_LIMIT_EXCEEDED'],
      ['only unknown stanza types', { ...base, stanzas: [stanza({ type: 'PQ-Next' })] }, 'ERR_ENVELOPE_NOT_FOR_ME'],
      ['valid structure, wrong MAC', base, 'ERR_ENVELOPE_HEADER_TAMPERED'],
    ];
    for (const [name, header, code] of cases) {
      expect(await outcome(() => openAs(withHeader(encodeCanonical(header)), bob.x25519)), name).toBe(code);
    }
  });

  it('non-canonical CBOR encodings of a valid header are refused as malformed', async () => {
    const env = await seal(new Uint8Array(1), { recipients: [bob.x25519], sender: alice.signing });
    const p = splitEnvelope(env);
    const h = p.headerBytes;
    const at = (needle: number[]) => {
      for (let i = 0; i + needle.length <= h.length; i++) if (needle.every((b, j) => h[i + j] === b)) return i;
      throw new Error('needle not found');
    };
    const chunkKey = at([0x65, 0x63, 0x68, 0x75, 0x6e, 0x6b]); // text(5) "chunk"
    const variants: Record<string, Uint8Array> = {
      // chunk: 16 as a one-byte-argument uint (0x18 0x10) instead of the shortest form (0x10).
      'long-form integer': concatBytes(h.subarray(0, chunkKey + 6), new Uint8Array([0x18, 0x10]), h.subarray(chunkKey + 7)),
      // The map head says 5 entries; an indefinite-length map (0xbf ... 0xff) means the same.
      'indefinite-length map': concatBytes(new Uint8Array([0xbf]), h.subarray(1), new Uint8Array([0xff])),
      // chunk: 16.0 as a half float.
      'float': concatBytes(h.subarray(0, chunkKey + 6), new Uint8Array([0xf9, 0x4c, 0x00]), h.subarray(chunkKey + 7)),
      // chunk: tag 0 around the integer.
      'tag': concatBytes(h.subarray(0, chunkKey + 6), new Uint8Array([0xc0, 0x10]), h.subarray(chunkKey + 7)),
      'trailing byte': concatBytes(h, new Uint8Array([0x00])),
    };
    for (const [name, header] of Object.entries(variants)) {
      const forged = concatBytes(encodePrefix(header.length), header, p.mac, ...p.chunks);
      expect(await outcome(() => openAs(forged, bob.x25519)), name).toBe('ERR_ENVELOPE_MALFORMED');
    }
    // Duplicate and unsorted keys: a map of 2 entries, "chunk" twice or salt before chunk.
    const dup = encodeCanonical({ chunk: 16 }).subarray(1);
    expect(await outcome(() => openAs(withHeader(concatBytes(new Uint8Array([0xa2]), dup, dup)), bob.x25519))).toBe('ERR_ENVELOPE_MALFORMED');
    const unsorted = concatBytes(new Uint8Array([0xa2]), encodeCanonical({ salt: 1 }).subarray(1), dup);
    expect(await outcome(() => openAs(withHeader(unsorted), bob.x25519))).toBe('ERR_ENVELOPE_MALFORMED');
  });

  it('a malformed or inconsistent meta block behind a valid MAC yields ERR_ENVELOPE_TAMPERED', async () => {
    const sealed = await sealWithSecrets(new Uint8Array(5), { recipients: [bob.x25519], sender: alice.signing });
    const p = splitEnvelope(sealed.envelope);
    const meta = readMeta(sealed.keys, p.header);
    const rawMetas: Record<string, Uint8Array> = {
      'not CBOR': new Uint8Array([0xff, 0x00]),
      'empty': new Uint8Array(0),
      'an array': encodeCanonical([1]),
      'missing id': encodeCanonical({ created: meta.created, to: meta.to }),
      'short id': encodeCanonical({ created: meta.created, id: new Uint8Array(15), to: meta.to }),
      'empty to': encodeCanonical({ created: meta.created, id: meta.id, to: [] }),
      'unknown key': encodeCanonical({ created: meta.created, id: meta.id, to: meta.to, x: 1 }),
      'expires before created': encodeCanonical({ created: meta.created, expires: meta.created - 1, id: meta.id, to: meta.to }),
      'sender of 31 bytes': encodeCanonical({ created: meta.created, id: meta.id, sender: new Uint8Array(31), to: meta.to }),
      'cty not text': encodeCanonical({ created: meta.created, cty: new Uint8Array(3), id: meta.id, to: meta.to }),
      'trailing bytes': concatBytes(encodeMeta(meta), new Uint8Array(1)),
    };
    for (const [name, rawMeta] of Object.entries(rawMetas)) {
      const forged = forgeEnvelope({ fileKey: sealed.fileKey, salt: sealed.salt, stanzas: p.header.stanzas, meta, rawMeta, plaintext: new Uint8Array(5) }).envelope;
      expect(await outcome(() => openAs(forged, bob.x25519)), name).toBe('ERR_ENVELOPE_TAMPERED');
    }
  });
});

describe('prefix', () => {
  it('wrong magic, a future version, a zero or oversized header length are refused before any crypto', async () => {
    const env = await seal(new Uint8Array(1), { recipients: [bob.x25519], sender: alice.signing });
    const patch = (offset: number, bytes: number[]) => {
      const out = env.slice();
      out.set(bytes, offset);
      return out;
    };
    expect(await outcome(() => openAs(patch(0, [0x6c]), bob.x25519))).toBe('ERR_ENVELOPE_MALFORMED');
    expect(await outcome(() => openAs(patch(6, [2]), bob.x25519))).toBe('ERR_ENVELOPE_UNSUPPORTED_VERSION');
    expect(await outcome(() => openAs(patch(6, [0]), bob.x25519))).toBe('ERR_ENVELOPE_UNSUPPORTED_VERSION');
    expect(await outcome(() => openAs(patch(7, [0, 0, 0, 0]), bob.x25519))).toBe('ERR_ENVELOPE_MALFORMED');
    expect(await outcome(() => openAs(patch(7, [0, 0x20, 0, 1]), bob.x25519))).toBe('ERR_ENVELOPE_LIMIT_EXCEEDED');
    expect(await outcome(() => openAs(patch(7, [0xff, 0xff, 0xff, 0xff]), bob.x25519))).toBe('ERR_ENVELOPE_LIMIT_EXCEEDED');
    expect(await outcome(() => openAs(patch(7, [0, 0x1f, 0, 0]), bob.x25519))).toBe('ERR_ENVELOPE_TRUNCATED');
    for (const bad of [patch(0, [0x6c]), patch(6, [2]), patch(7, [0, 0, 0, 0])]) {
      const inspected = await outcome(() => inspect(bad));
      expect(inspected).not.toBe('SUCCESS');
    }
  });
});

describe('wrong input types', () => {
  it('every public entry point throws TypeError for inputs of the wrong type', async () => {
    const keys = { keys: [bob.x25519] };
    for (const bad of [42, null, undefined, {}, new ArrayBuffer(4), [1, 2, 3], Symbol('x')]) {
      await expect(open(bad as unknown as Uint8Array, keys), String(bad?.toString())).rejects.toBeInstanceOf(TypeError);
      await expect(openStream(bad as unknown as Uint8Array, keys)).rejects.toBeInstanceOf(TypeError);
      await expect(inspect(bad as unknown as Uint8Array)).rejects.toBeInstanceOf(TypeError);
      expect(() => armor(bad as unknown as Uint8Array)).toThrow(TypeError);
      await expect(collect(armorStream(bad as unknown as Uint8Array))).rejects.toBeInstanceOf(TypeError);
      // An array of numbers is an iterable the armor reader sees as text of the wrong kind (reported).
      if (!Array.isArray(bad)) await expect(dearmor(bad as unknown as Uint8Array)).rejects.toBeInstanceOf(TypeError);
      await expect(seal(bad as unknown as Uint8Array, { recipients: [bob.x25519], sender: alice.signing })).rejects.toBeInstanceOf(TypeError);
    }
    // Sources that yield something other than bytes.
    const env = await seal(new Uint8Array(1), { recipients: [bob.x25519], sender: alice.signing });
    await expect(open([env.subarray(0, 20), 'rest' as unknown as Uint8Array], keys)).rejects.toBeInstanceOf(TypeError);
    await expect(open(['LINTAS' as unknown as Uint8Array], keys)).rejects.toBeInstanceOf(TypeError);
  });
});
