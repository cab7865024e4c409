/**
 * Inputs found by the property tests and the fuzzer (docs/SECURITY-TESTING.md, "Findings"), each
 * kept as a named test after its fix: the exact input where it is short, else how it is built.
 */
import { describe, expect, it } from 'vitest';
import { armor, dearmor, generateIdentityKeys, open, seal } from '../../src/index.js';
import { armorKeyCard, createKeyCard, decodeKeyCard } from '../../src/keyring/index.js';
import { expectCode } from '../envelope/envelope-kit.js';

const enc = (s: string) => new TextEncoder().encode(s);
const EMPTY_ARMOR = '-----BEGIN LINTAS ENVELOPE-----\n-----END LINTAS ENVELOPE-----';

describe('armor', () => {
  it('refuses an incomplete UTF-8 sequence at the very end (it was dropped silently, so the text had a second armored form)', async () => {
    await expectCode(dearmor(Uint8Array.from([...enc(EMPTY_ARMOR), 0xc2])), 'ERR_ARMOR_MALFORMED');
    await expectCode(dearmor(Uint8Array.from([...enc(EMPTY_ARMOR + '\n'), 0xe2, 0x82])), 'ERR_ARMOR_MALFORMED');
    // The same bytes in the middle of the text were always refused.
    await expectCode(dearmor(Uint8Array.from([...enc(EMPTY_ARMOR), 0xc2, 0x0a])), 'ERR_ARMOR_MALFORMED');
  });

  it('an armored envelope with a stray lead byte after it does not open', async () => {
    const keys = await generateIdentityKeys();
    const env = await seal(enc('x'), { recipients: [keys.x25519], sender: keys.signing });
    const text = enc(armor(env));
    expect((await open(text, { keys: [keys.x25519] })).payload).toEqual(enc('x'));
    await expectCode(open(Uint8Array.from([...text, 0xc3]), { keys: [keys.x25519] }), 'ERR_ARMOR_MALFORMED');
  });

  it('takes only SP and HT as blank around the block (String.trim() also took NBSP, BOM, U+2028, form feed)', async () => {
    for (const blank of ['\u00a0', '\ufeff', '\u2028', '\f', '\v', '\u3000']) {
      await expectCode(dearmor(`${EMPTY_ARMOR}\n${blank}\n`), 'ERR_ARMOR_MALFORMED');
      await expectCode(dearmor(`${blank}\n${EMPTY_ARMOR}\n`), 'ERR_ARMOR_MALFORMED');
    }
    // What SPEC 8 allows still decodes.
    expect(await dearmor(` \t\r\n${EMPTY_ARMOR}\r\n\t \n\n`)).toEqual(new Uint8Array(0));
  });

  it('key cards, which share the armor reader, take the same blanks', async () => {
    const keys = await generateIdentityKeys();
    const card = await createKeyCard({ keys, name: 'Desk', organization: 'BIN', country: 'ID', validUntil: new Date(Date.now() + 86_400_000) });
    const text = armorKeyCard(card);
    expect((await decodeKeyCard(` \n${text}\t\n`)).bytes).toEqual(card.bytes);
    await expectCode(decodeKeyCard(`${text}\u00a0`), 'ERR_ARMOR_MALFORMED');
  });
});

describe('version fields of the wrong type', () => {
  // Found by the bundle head property of test/bundle/attacks.test.ts (seed -1381762084): a byte
  // change turned the head's version into a map, and building the "unsupported version" message
  // threw a bare TypeError (a decoded CBOR map has no prototype, so String() cannot print it).
  const notANumber = [{}, [], new Uint8Array(1), 'one', true];

  it('a bundle head or manifest whose version is not a number is malformed', async () => {
    const { decodeHead } = await import('../../src/bundle/head.js');
    const { decodeManifest } = await import('../../src/bundle/manifest.js');
    const { encodeCanonical } = await import('../../src/cbor/index.js');
    for (const v of notANumber) {
      const head = encodeCanonical({ v, manifest: new Uint8Array(1), sig: new Uint8Array(64), fwd: [] } as never);
      expect(() => decodeHead(head)).toThrow(expect.objectContaining({ code: 'ERR_BUNDLE_MALFORMED' }));
      expect(() => decodeManifest(encodeCanonical({ v } as never))).toThrow(expect.objectContaining({ code: 'ERR_BUNDLE_MALFORMED' }));
    }
    expect(() => decodeHead(encodeCanonical({ v: 9, manifest: new Uint8Array(1), sig: new Uint8Array(64), fwd: [] }))).toThrow(
      expect.objectContaining({ code: 'ERR_BUNDLE_UNSUPPORTED_VERSION' }),
    );
  });

  it('an audit record whose version is not a number is a broken record, not a crash', async () => {
    const { decodeAuditRecord } = await import('../../src/audit/entry.js');
    const { encodeCanonical } = await import('../../src/cbor/index.js');
    for (const v of notANumber) {
      let caught: unknown;
      try {
        decodeAuditRecord(encodeCanonical({ v } as never));
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(Error);
      expect(caught).not.toBeInstanceOf(TypeError);
    }
  });
});
