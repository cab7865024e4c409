/**
 * Round trips of the envelope layer at every size and in every mode: 1 to 1,024 recipients of
 * both types, signed and anonymous, binary and armored, hidden recipients, padding, chunk
 * boundaries, metadata, sender and freshness policy, and argument validation at the edge.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  armor,
  armorStream,
  dearmor,
  dearmorStream,
  generateIdentityKeys,
  inspect,
  open,
  openStream,
  recipientId,
  seal,
  sealStream,
  type IdentityKeys,
  type OpenOptions,
  type RecipientPublicKey,
  type SealOptions,
} from '../../src/index.js';
import { collect, expectCode, patternBytes, sealWithSecrets } from './envelope-kit.js';

const te = new TextEncoder();
let alice: IdentityKeys;
let bob: IdentityKeys;
let carol: IdentityKeys;
/** 1,024 identities: enough for the largest recipient list the format allows. */
let crowd: IdentityKeys[];

beforeAll(async () => {
  alice = await generateIdentityKeys();
  bob = await generateIdentityKeys();
  carol = await generateIdentityKeys();
  crowd = [];
  for (let i = 0; i < 1024; i++) crowd.push(await generateIdentityKeys());
});

function publicOf(k: { type: RecipientPublicKey['type']; publicKey: Uint8Array }): RecipientPublicKey {
  return { type: k.type, publicKey: k.publicKey };
}

describe('recipient counts and types', () => {
  it('opens a signed X25519 envelope for one recipient and reports everything the sender set', async () => {
    const payload = te.encode('one recipient');
    const env = await seal(payload, { recipients: [publicOf(bob.x25519)], sender: alice.signing });
    const o = await open(env, { keys: [bob.x25519] });
    expect(o.payload).toEqual(payload);
    expect(o.authenticated).toBe(true);
    expect(o.sender).toEqual(alice.signing.publicKey);
    expect(o.recipients).toEqual([recipientId(bob.x25519)]);
    expect(o.openedWith).toEqual({ type: 'X25519', recipientId: recipientId(bob.x25519) });
    expect(o.envelopeId).toHaveLength(16);
  });

  for (const type of ['x25519', 'xwing'] as const) {
    it(`seals to 1,000 ${type} recipients and opens as #1 and as #1000`, async () => {
      const keys = crowd.slice(0, 1000).map((k) => k[type]);
      const payload = patternBytes(5000);
      const env = await seal(payload, { recipients: keys.map(publicOf), sender: alice.signing });
      expect((await inspect(env)).stanzas).toHaveLength(1000);
      for (const who of [0, 999]) {
        const o = await open(env, { keys: [keys[who]!] });
        expect(o.payload).toEqual(payload);
        expect(o.openedWith.recipientId).toEqual(recipientId(keys[who]!));
        expect(o.recipients).toHaveLength(1000);
        expect(o.recipients[who]).toEqual(recipientId(keys[who]!));
      }
      await expectCode(open(env, { keys: [crowd[1000]![type]] }), 'ERR_ENVELOPE_NOT_FOR_ME');
    });
  }

  it('seals to the maximum of 1,024 recipients (974 X25519 + 50 X-Wing) and refuses 1,025', async () => {
    const recipients = [...crowd.slice(0, 974).map((k) => k.x25519), ...crowd.slice(974, 1024).map((k) => k.xwing)];
    const payload = patternBytes(100);
    const env = await seal(payload, { recipients: recipients.map(publicOf), sender: alice.signing });
    for (const key of [recipients[0]!, recipients[973]!, recipients[974]!, recipients[1023]!]) {
      const o = await open(env, { keys: [key] });
      expect(o.payload).toEqual(payload);
      expect(o.openedWith.type).toBe(key.type);
    }
    await expect(seal(payload, { recipients: [...recipients, bob.x25519].map(publicOf), sender: alice.signing })).rejects.toBeInstanceOf(RangeError);
  });

  it('opens hidden-recipient envelopes for 1,000 recipients as #1 and #1000, X25519 and X-Wing mixed', async () => {
    const recipients = [...crowd.slice(0, 950).map((k) => k.x25519), ...crowd.slice(950, 1000).map((k) => k.xwing)];
    const env = await seal(patternBytes(10), { recipients: recipients.map(publicOf), sender: alice.signing, hideRecipients: true });
    const view = await inspect(env);
    expect(view.hiddenRecipients).toBe(true);
    expect(view.stanzas.every((s) => s.recipientId === null)).toBe(true);
    for (const key of [recipients[0]!, recipients[949]!, recipients[999]!]) {
      const o = await open(env, { keys: [key] });
      expect(o.payload).toEqual(patternBytes(10));
      expect(o.openedWith.recipientId).toEqual(recipientId(key));
    }
    await expectCode(open(env, { keys: [bob.x25519, bob.xwing] }), 'ERR_ENVELOPE_NOT_FOR_ME');
  });

  it('finds the matching key among several (rotated-out keys, both types)', async () => {
    const env = await seal(te.encode('x'), { recipients: [bob.xwing], sender: alice.signing });
    const o = await open(env, { keys: [carol.x25519, bob.x25519, carol.xwing, bob.xwing] });
    expect(o.openedWith.type).toBe('X-Wing');
  });
});

describe('signed and anonymous', () => {
  for (const type of ['x25519', 'xwing'] as const) {
    it(`anonymous ${type} envelopes open only with allowAnonymous and are never reported authenticated`, async () => {
      const payload = te.encode('tip line');
      const env = await seal(payload, { recipients: [bob[type]], anonymous: true });
      await expectCode(open(env, { keys: [bob[type]] }), 'ERR_ENVELOPE_ANONYMOUS');
      await expectCode(open(env, { keys: [bob[type]], allowAnonymous: false }), 'ERR_ENVELOPE_ANONYMOUS');
      const o = await open(env, { keys: [bob[type]], allowAnonymous: true });
      expect(o.payload).toEqual(payload);
      expect(o.authenticated).toBe(false);
      expect(o.sender).toBeNull();
    });
  }

  it('a signed envelope opens whether or not anonymous envelopes are allowed', async () => {
    const env = await seal(te.encode('signed'), { recipients: [bob.x25519], sender: alice.signing });
    expect((await open(env, { keys: [bob.x25519], allowAnonymous: true })).authenticated).toBe(true);
  });

  it('trustedSenders accepts a listed sender and refuses any other with ERR_UNKNOWN_SENDER', async () => {
    const env = await seal(te.encode('from alice'), { recipients: [bob.x25519], sender: alice.signing });
    const ok = await open(env, { keys: [bob.x25519], trustedSenders: [carol.signing.publicKey, alice.signing.publicKey] });
    expect(ok.sender).toEqual(alice.signing.publicKey);
    await expectCode(open(env, { keys: [bob.x25519], trustedSenders: [carol.signing.publicKey] }), 'ERR_UNKNOWN_SENDER');
    await expectCode(open(env, { keys: [bob.x25519], trustedSenders: [] }), 'ERR_UNKNOWN_SENDER');
  });
});

describe('armor', () => {
  let env: Uint8Array;
  const payload = patternBytes(3000);
  beforeAll(async () => {
    env = await seal(payload, { recipients: [bob.x25519], sender: alice.signing, chunkSize: 4096 });
  });

  it('opens armored text given as a string, as bytes, and with CRLF line endings', async () => {
    const text = armor(env);
    expect(text.startsWith('-----BEGIN LINTAS ENVELOPE-----\n')).toBe(true);
    expect((await open(text, { keys: [bob.x25519] })).payload).toEqual(payload);
    expect((await open(te.encode(text), { keys: [bob.x25519] })).payload).toEqual(payload);
    expect((await open(text.replace(/\n/g, '\r\n'), { keys: [bob.x25519] })).payload).toEqual(payload);
    expect(await dearmor(text)).toEqual(env);
    expect(await dearmor(te.encode(text))).toEqual(env);
  });

  it('opens armor preceded and followed by blank lines (whitespace around the block)', async () => {
    for (const before of ['\n', '\n\n\n\n\n\n\n\n\n\n\n\n', ' \r\n'.repeat(40)]) {
      const text = before + armor(env) + '\n\n';
      expect((await open(text, { keys: [bob.x25519] })).payload).toEqual(payload);
      expect((await inspect(text)).armored).toBe(true);
    }
    // Whitespace alone is neither a binary envelope nor a complete armor block.
    await expectCode(open(' \n'.repeat(20), { keys: [bob.x25519] }), 'ERR_ARMOR_MALFORMED');
  });

  it('armorStream and dearmorStream round-trip a sealStream and feed openStream', async () => {
    const streamed = () => sealStream([payload.subarray(0, 1000), payload.subarray(1000)], { recipients: [bob.x25519], sender: alice.signing, chunkSize: 4096 });
    const text = await collect(armorStream(streamed()));
    expect(new TextDecoder().decode(text)).toMatch(/^-----BEGIN LINTAS ENVELOPE-----\n(?:[A-Za-z0-9+/]{64}\n)*[A-Za-z0-9+/=]{4,64}\n-----END LINTAS ENVELOPE-----\n$/);
    const binary = await collect(dearmorStream(armorStream(streamed())));
    expect((await open(binary, { keys: [bob.x25519] })).payload).toEqual(payload);
    const opened = await openStream(armorStream(streamed()), { keys: [bob.x25519] });
    expect(await collect(opened.payload)).toEqual(payload);
    // armorStream of a whole envelope gives exactly armor()'s text.
    expect(new TextDecoder().decode(await collect(armorStream(env)))).toBe(armor(env));
  });
});

describe('padding', () => {
  const sizeOf = async (n: number, extra: Partial<SealOptions> = {}) =>
    (await seal(new Uint8Array(n), { recipients: [bob.x25519], sender: alice.signing, padding: true, ...extra })).length;

  it('payload sizes in one Padmé bucket give identical envelope sizes; the next bucket is larger', async () => {
    // Sizes whose `len` has the same CBOR width: the unpadded meta block (SPEC 10.13) also leaks
    // that width (0-23, 24-255, 256-65535, ...), e.g. 0 and 24 bytes differ by one byte.
    const bucket1024 = await Promise.all([1000, 1001, 1010, 1023, 1024].map((n) => sizeOf(n)));
    expect(new Set(bucket1024).size).toBe(1);
    const bucket256 = await Promise.all([24, 100, 200, 255].map((n) => sizeOf(n)));
    expect(new Set(bucket256).size).toBe(1);
    expect(await sizeOf(1025)).toBeGreaterThan(bucket1024[0]!);
  });

  it('inspect() shows the padded plaintext size and the payload opens at its exact length', async () => {
    // Padmé: 0..256 -> 256, 1000 -> 1024, 1025 -> 1088, 100,000 -> 100,352.
    for (const [size, padded] of [[0, 256], [1000, 1024], [1025, 1088], [100_000, 100_352]] as const) {
      const payload = patternBytes(size);
      const env = await seal(payload, { recipients: [bob.x25519], sender: alice.signing, padding: true });
      expect((await inspect(env)).plaintextStreamBytes).toBe(padded + 64);
      // SPEC 5.6: signed or anonymous, a padded envelope has the same sizes.
      const anon = await seal(payload, { recipients: [bob.x25519], anonymous: true, padding: true });
      expect((await inspect(anon)).plaintextStreamBytes).toBe(padded + 64);
      expect(anon.length).toBe(env.length);
      const o = await open(env, { keys: [bob.x25519] });
      expect(o.payload).toEqual(payload);
      expect(o.payloadLength).toBe(size);
    }
  });

  it('pads the stanza count of each type to a power of two (at least 4), in normal and hidden mode', async () => {
    const cases: [number, number, number, number][] = [
      // [X25519 recipients, X-Wing recipients, X25519 stanzas, X-Wing stanzas]
      [1, 0, 4, 0],
      [4, 0, 4, 0],
      [5, 0, 8, 0],
      [9, 0, 16, 0],
      [3, 5, 4, 8],
      [0, 17, 0, 32],
    ];
    for (const [nx, nw, sx, sw] of cases) {
      for (const hideRecipients of [false, true]) {
        const recipients = [...crowd.slice(0, nx).map((k) => k.x25519), ...crowd.slice(100, 100 + nw).map((k) => k.xwing)];
        const env = await seal(te.encode('padded'), { recipients: recipients.map(publicOf), sender: alice.signing, padding: true, hideRecipients });
        const view = await inspect(env);
        expect(view.stanzas.filter((s) => s.type === 'X25519')).toHaveLength(sx);
        expect(view.stanzas.filter((s) => s.type === 'X-Wing')).toHaveLength(sw);
        expect(view.stanzas.every((s) => (s.recipientId === null) === hideRecipients)).toBe(true);
        const last = recipients[recipients.length - 1]!;
        const o = await open(env, { keys: [last] });
        expect(o.payload).toEqual(te.encode('padded'));
        expect(o.recipients).toHaveLength(nx + nw);
      }
    }
  });

  it('refuses padding that would need more than 1,024 stanzas', async () => {
    const recipients = [...crowd.slice(0, 513).map((k) => k.x25519), ...crowd.slice(600, 601).map((k) => k.xwing)];
    await expect(seal(new Uint8Array(1), { recipients, sender: alice.signing, padding: true })).rejects.toBeInstanceOf(RangeError);
  });
});

describe('payload sizes around chunk boundaries (chunkSize 4096)', () => {
  const sizes = [0, 1, 4095, 4096, 4097, 3 * 4096 + 5, 4 * 4096];
  for (const anonymous of [false, true]) {
    for (const size of sizes) {
      it(`${size} bytes, ${anonymous ? 'anonymous' : 'signed'}: whole, streamed and split round trips`, async () => {
        const payload = patternBytes(size, size);
        const base = { recipients: [bob.x25519], chunkSize: 4096, ...(anonymous ? { anonymous: true } : { sender: alice.signing }) };
        const env = await seal(payload, base);
        // SPEC 1.2: one window, closed by a 64-byte checkpoint (a signature, or zeros if anonymous).
        const plain = size + 64;
        const view = await inspect(env);
        expect(view.chunkSize).toBe(4096);
        expect(view.plaintextStreamBytes).toBe(plain);
        expect(view.chunkCount).toBe(Math.max(1, Math.ceil(plain / 4096)));
        const o = await open(env, { keys: [bob.x25519], allowAnonymous: anonymous });
        expect(o.payload).toEqual(payload);
        expect(o.payloadLength).toBe(size);

        // Streamed without a declared size: the length is not reported, the bytes are the same.
        const pieces = [payload.subarray(0, 7), payload.subarray(7, 4100), payload.subarray(4100)];
        const streamed = await collect(sealStream(pieces, base));
        expect((await inspect(streamed)).plaintextStreamBytes).toBe(plain);
        const opened = await openStream(splitEvery(streamed, 777), { keys: [bob.x25519], allowAnonymous: anonymous });
        expect(opened.info.payloadLength).toBeNull();
        expect(await collect(opened.payload)).toEqual(payload);
      });
    }
  }
});

function* splitEvery(bytes: Uint8Array, n: number): Generator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += n) yield bytes.subarray(i, i + n);
}

describe('metadata and freshness', () => {
  it('reports contentType, expiresAt, createdAt, payloadLength and a fresh envelopeId', async () => {
    const expiresAt = new Date(Date.now() + 3600_000);
    const before = Math.floor(Date.now() / 1000);
    const env = await seal(te.encode('{}'), { recipients: [bob.x25519], sender: alice.signing, contentType: 'application/json', expiresAt });
    const o = await open(env, { keys: [bob.x25519] });
    expect(o.contentType).toBe('application/json');
    expect(o.expiresAt?.getTime()).toBe(Math.floor(expiresAt.getTime() / 1000) * 1000);
    expect(o.createdAt.getTime() / 1000).toBeGreaterThanOrEqual(before);
    expect(o.createdAt.getTime()).toBeLessThanOrEqual(Date.now());
    expect(o.payloadLength).toBe(2);
    const plain = await open(await seal(te.encode('{}'), { recipients: [bob.x25519], sender: alice.signing }), { keys: [bob.x25519] });
    expect(plain.contentType).toBeNull();
    expect(plain.expiresAt).toBeNull();
    expect(plain.envelopeId).not.toEqual(o.envelopeId);
  });

  it('accepts a 256-byte multi-byte content type and refuses 257 bytes', async () => {
    const cty = 'é'.repeat(128); // 256 UTF-8 bytes
    const o = await open(await seal(new Uint8Array(1), { recipients: [bob.x25519], sender: alice.signing, contentType: cty }), { keys: [bob.x25519] });
    expect(o.contentType).toBe(cty);
    await expect(seal(new Uint8Array(1), { recipients: [bob.x25519], sender: alice.signing, contentType: cty + 'x' })).rejects.toBeInstanceOf(RangeError);
  });

  it('refuses an expired envelope (ERR_ENVELOPE_EXPIRED), accepting it up to its expiry second', async () => {
    const expiresAt = new Date(Date.now() + 60_000);
    const env = await seal(te.encode('short-lived'), { recipients: [bob.x25519], sender: alice.signing, expiresAt });
    const expirySecond = Math.floor(expiresAt.getTime() / 1000) * 1000;
    expect((await open(env, { keys: [bob.x25519], now: new Date(expirySecond) })).payload).toEqual(te.encode('short-lived'));
    await expectCode(open(env, { keys: [bob.x25519], now: new Date(expirySecond + 1000) }), 'ERR_ENVELOPE_EXPIRED');
    await expectCode(open(env, { keys: [bob.x25519], now: new Date(Date.now() + 86_400_000) }), 'ERR_ENVELOPE_EXPIRED');
  });

  it('refuses an envelope created in the future beyond the clock skew (ERR_ENVELOPE_NOT_YET_VALID)', async () => {
    const created = Date.UTC(2030, 0, 1);
    const { envelope } = await sealWithSecrets(te.encode('from the future'), { recipients: [bob.x25519], sender: alice.signing }, created);
    await expectCode(open(envelope, { keys: [bob.x25519] }), 'ERR_ENVELOPE_NOT_YET_VALID');
    expect((await open(envelope, { keys: [bob.x25519], now: new Date(created - 300_000) })).createdAt.getTime()).toBe(created);
    await expectCode(open(envelope, { keys: [bob.x25519], now: new Date(created - 301_000) }), 'ERR_ENVELOPE_NOT_YET_VALID');
    await expectCode(open(envelope, { keys: [bob.x25519], now: new Date(created - 1000), maxClockSkewSeconds: 0 }), 'ERR_ENVELOPE_NOT_YET_VALID');
    expect((await open(envelope, { keys: [bob.x25519], now: new Date(created - 3600_000), maxClockSkewSeconds: 3600 })).payload).toEqual(te.encode('from the future'));
  });
});

describe('recipient errors at sealing', () => {
  it('refuses a duplicate recipient with ERR_SEAL_INVALID_RECIPIENT', async () => {
    await expectCode(seal(new Uint8Array(1), { recipients: [bob.x25519, carol.x25519, publicOf(bob.x25519)], sender: alice.signing }), 'ERR_SEAL_INVALID_RECIPIENT');
    await expectCode(seal(new Uint8Array(1), { recipients: [bob.xwing, bob.xwing], anonymous: true }), 'ERR_SEAL_INVALID_RECIPIENT');
  });

  it('refuses unknown types, wrong key lengths and a low-order X25519 key with ERR_SEAL_INVALID_RECIPIENT', async () => {
    const bad: unknown[] = [
      { type: 'RSA', publicKey: new Uint8Array(32) },
      { type: 'X25519', publicKey: new Uint8Array(31) },
      { type: 'X-Wing', publicKey: new Uint8Array(32) },
      { type: 'X25519', publicKey: new Uint8Array(32) }, // the all-zero point has low order
    ];
    for (const r of bad) {
      await expectCode(seal(new Uint8Array(1), { recipients: [r as RecipientPublicKey], sender: alice.signing }), 'ERR_SEAL_INVALID_RECIPIENT');
    }
  });
});

describe('argument validation', () => {
  const good = (): SealOptions => ({ recipients: [bob.x25519], sender: alice.signing });

  it('seal: TypeError for wrong types', async () => {
    const p = new Uint8Array(1);
    const cases: [unknown, unknown][] = [
      ['text', good()],
      [new ArrayBuffer(1), good()],
      [[1, 2], good()],
      [p, null],
      [p, 'options'],
      [p, { sender: alice.signing }],
      [p, { recipients: bob.x25519, sender: alice.signing }],
      [p, { recipients: [null], sender: alice.signing }],
      [p, { recipients: [{ type: 'X25519', publicKey: [1, 2] }], sender: alice.signing }],
      [p, { recipients: [bob.x25519] }],
      [p, { recipients: [bob.x25519], sender: alice.signing, anonymous: true }],
      [p, { recipients: [bob.x25519], anonymous: 'yes' }],
      [p, { recipients: [bob.x25519], sender: { publicKey: 'x', secretKey: 'y' } }],
      [p, { ...good(), hideRecipients: 1 }],
      [p, { ...good(), padding: 'true' }],
      [p, { ...good(), expiresAt: Date.now() + 1000 }],
      [p, { ...good(), expiresAt: new Date(NaN) }],
      [p, { ...good(), contentType: 5 }],
      [p, { ...good(), chunkSize: '4096' }],
    ];
    for (const [payload, options] of cases) {
      await expect(seal(payload as Uint8Array, options as SealOptions), JSON.stringify(options)).rejects.toBeInstanceOf(TypeError);
    }
  });

  it('seal and sealStream: RangeError for wrong lengths and ranges', async () => {
    const p = new Uint8Array(1);
    const cases: unknown[] = [
      { recipients: [], sender: alice.signing },
      { recipients: [bob.x25519], sender: { publicKey: new Uint8Array(31), secretKey: new Uint8Array(64) } },
      { recipients: [bob.x25519], sender: { publicKey: new Uint8Array(32), secretKey: new Uint8Array(32) } },
      { ...good(), expiresAt: new Date(Date.now() - 1000) },
      { ...good(), chunkSize: 1000 },
      { ...good(), chunkSize: 2048 },
      { ...good(), chunkSize: 2 ** 21 },
      { ...good(), chunkSize: 4096.5 },
      { ...good(), chunkSize: NaN },
    ];
    for (const options of cases) {
      await expect(seal(p, options as SealOptions), JSON.stringify(options)).rejects.toBeInstanceOf(RangeError);
    }
    for (const size of [-1, 1.5, 2 ** 53]) {
      await expect(collect(sealStream([p], { ...good(), size }))).rejects.toBeInstanceOf(RangeError);
    }
    await expect(collect(sealStream([p], { ...good(), size: '1' as unknown as number }))).rejects.toBeInstanceOf(TypeError);
    expect(() => sealStream(42 as unknown as Uint8Array, good())).toThrow(TypeError);
  });

  it('open: TypeError for wrong types and RangeError for a bad clock skew', async () => {
    const env = await seal(new Uint8Array(1), good());
    const typeCases: unknown[] = [
      null,
      'options',
      {},
      { keys: bob.x25519 },
      { keys: [null] },
      { keys: [{ type: 'X25519', publicKey: bob.x25519.publicKey }] },
      { keys: [bob.x25519], allowAnonymous: 'yes' },
      { keys: [bob.x25519], trustedSenders: alice.signing.publicKey },
      { keys: [bob.x25519], trustedSenders: ['alice'] },
      { keys: [bob.x25519], now: Date.now() },
      { keys: [bob.x25519], now: new Date(NaN) },
      { keys: [bob.x25519], maxClockSkewSeconds: '5' },
    ];
    for (const options of typeCases) {
      await expect(open(env, options as OpenOptions), JSON.stringify(options)).rejects.toBeInstanceOf(TypeError);
      await expect(openStream(env, options as OpenOptions)).rejects.toBeInstanceOf(TypeError);
    }
    for (const maxClockSkewSeconds of [-1, NaN, Infinity]) {
      await expect(open(env, { keys: [bob.x25519], maxClockSkewSeconds })).rejects.toBeInstanceOf(RangeError);
    }
    for (const envelope of [42, null, undefined, {}, [1, 2, 3], new ArrayBuffer(8)]) {
      await expect(open(envelope as Uint8Array, { keys: [bob.x25519] }), String(envelope)).rejects.toBeInstanceOf(TypeError);
    }
  });
});
