/**
 * Attacks on bundles by someone who holds a real signing key (a malicious sender, a recipient
 * who re-seals, a forwarder who rewrites history): the envelope around such a payload verifies,
 * so only the bundle's own checks stand between the forgery and the reader.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { BundleBuilder, bundleDraftOf } from '../../src/bundle/builder.js';
import { prepareSeal, sealBundle } from '../../src/bundle/seal.js';
import { openBundle } from '../../src/bundle/open.js';
import { forwardBundle } from '../../src/bundle/forward.js';
import { BUNDLE_CONTENT_TYPE, BUNDLE_LIMITS } from '../../src/bundle/constants.js';
import { decodeHead, encodeHead, encodeForwardRecord, decodeForwardRecord, headPrefix, signForwardRecord, type BundleHead } from '../../src/bundle/head.js';
import { decodeManifest, encodeManifest, signManifest } from '../../src/bundle/manifest.js';
import { seal, sealStream } from '../../src/envelope/seal.js';
import { open } from '../../src/envelope/open.js';
import { LintasError, type LintasErrorCode } from '../../src/errors/index.js';
import { concatBytes } from '../../src/crypto/bytes.js';
import { systemRandom } from '../../src/crypto/random.js';
import { encodeCanonical } from '../../src/cbor/index.js';
import type { SigningKeyPair } from '../../src/keys/index.js';
import { cast, collect, expectCode, stixFixture, utf8, type Agent } from './bundle-kit.js';

let c: Awaited<ReturnType<typeof cast>>;
beforeAll(async () => {
  c = await cast();
});

/** A genuine bundle taken apart: head and item bytes. */
async function genuine(from: Agent = c.ayu): Promise<{ head: BundleHead; items: Uint8Array[] }> {
  const b = new BundleBuilder({ title: 'Poison Ivy', summary: 'C2 update', markings: { tlp: 'GREEN' } })
    .addText('a.txt', 'first item, 28 bytes long...')
    .addText('b.txt', 'other item, 28 bytes long...')
    .addStix('poisonivy.json', stixFixture('poisonivy'));
  const p = prepareSeal(bundleDraftOf(b), { sender: from.identity, recipients: [c.budi.named] }, { random: systemRandom, now: () => Date.now() });
  const d = p.deliveries[0]!;
  const items = await Promise.all(d.items.map((it) => collect(it.open())));
  return { head: decodeHead(d.headBytes.subarray(4)), items };
}

function payloadOf(head: BundleHead | Uint8Array, items: Uint8Array[]): Uint8Array {
  const h = head instanceof Uint8Array ? head : encodeHead(head);
  return concatBytes(headPrefix(h.length), h, ...items);
}

/** Seal a forged payload as `sender`, to Budi. */
function sealAs(sender: SigningKeyPair, payload: Uint8Array, to: Agent[] = [c.budi]): Promise<Uint8Array> {
  return seal(payload, { recipients: to.map((a) => a.named.encryptionKey), sender, contentType: BUNDLE_CONTENT_TYPE });
}

/** Open as Budi and read everything; the code it fails with, or 'SUCCESS'. */
async function readAsBudi(envelope: Uint8Array | AsyncIterable<Uint8Array>): Promise<LintasErrorCode | 'SUCCESS'> {
  try {
    const b = await openBundle(envelope, { keys: c.budi.openKeys });
    await b.readAll();
    return 'SUCCESS';
  } catch (e) {
    if (e instanceof LintasError) return e.code;
    throw e;
  }
}

describe('the manifest and items are bound by the originator signature', () => {
  it('accepts the genuine payload sealed by the originator', async () => {
    const g = await genuine();
    expect(await readAsBudi(await sealAs(c.ayu.keys.signing, payloadOf(g.head, g.items)))).toBe('SUCCESS');
  });

  it('refuses an edited manifest (title, markings, item hash), signed or not by someone else', async () => {
    const g = await genuine();
    const m = decodeManifest(g.head.manifest);
    for (const edited of [
      { ...m, title: 'Nothing to see' },
      { ...m, markings: { ...m.markings, tlp: 'CLEAR' as const } },
      { ...m, items: m.items.map((it, i) => (i === 0 ? { ...it, sha256: new Uint8Array(32) } : it)) },
    ]) {
      const bytes = encodeManifest(edited);
      expect(await readAsBudi(await sealAs(c.ayu.keys.signing, payloadOf({ ...g.head, manifest: bytes }, g.items)))).toBe('ERR_BUNDLE_SIGNATURE_INVALID');
      // Re-signing with another key does not help: the manifest names its originator's key.
      const resigned = { ...g.head, manifest: bytes, signature: signManifest(bytes, c.budi.keys.signing.secretKey) };
      expect(await readAsBudi(await sealAs(c.ayu.keys.signing, payloadOf(resigned, g.items)))).toBe('ERR_BUNDLE_SIGNATURE_INVALID');
    }
  });

  it('refuses a flipped, swapped, truncated or extended item', async () => {
    const g = await genuine();
    const flipped = g.items.map((it, i) => (i === 2 ? it.map((b, j) => (j === 500 ? b ^ 1 : b)) : it));
    expect(await readAsBudi(await sealAs(c.ayu.keys.signing, payloadOf(g.head, flipped)))).toBe('ERR_BUNDLE_ITEM_MISMATCH');
    const swapped = [g.items[1]!, g.items[0]!, g.items[2]!]; // same sizes
    expect(await readAsBudi(await sealAs(c.ayu.keys.signing, payloadOf(g.head, swapped)))).toBe('ERR_BUNDLE_ITEM_MISMATCH');
    // With the payload length declared in the envelope, a length change is refused before any item.
    const short = [g.items[0]!, g.items[1]!, g.items[2]!.subarray(0, 100)];
    expect(await readAsBudi(await sealAs(c.ayu.keys.signing, payloadOf(g.head, short)))).toBe('ERR_BUNDLE_MALFORMED');
    const long = [...g.items, utf8('trailing')];
    expect(await readAsBudi(await sealAs(c.ayu.keys.signing, payloadOf(g.head, long)))).toBe('ERR_BUNDLE_MALFORMED');
    // Without a declared length (a streamed envelope), the item check and the end check catch it.
    const undeclared = (items: Uint8Array[]) =>
      collect(sealStream([payloadOf(g.head, items)], { recipients: [c.budi.named.encryptionKey], sender: c.ayu.keys.signing, contentType: BUNDLE_CONTENT_TYPE }));
    expect(await readAsBudi(await undeclared(short))).toBe('ERR_BUNDLE_ITEM_MISMATCH');
    expect(await readAsBudi(await undeclared(long))).toBe('ERR_BUNDLE_MALFORMED');
  });

  it('reports an item failure only when that item is read, after the head verified', async () => {
    const g = await genuine();
    const flipped = g.items.map((it, i) => (i === 1 ? it.map((b, j) => (j === 0 ? b ^ 0x20 : b)) : it));
    const b = await openBundle(await sealAs(c.ayu.keys.signing, payloadOf(g.head, flipped)), { keys: c.budi.openKeys });
    const it = b.items()[Symbol.asyncIterator]();
    const first = (await it.next()).value!;
    expect(await first.text()).toBe('first item, 28 bytes long...');
    const second = (await it.next()).value!;
    await expectCode(second.bytes(), 'ERR_BUNDLE_ITEM_MISMATCH');
    await expectCode(it.next(), 'ERR_BUNDLE_ITEM_MISMATCH');
  });
});

describe('who sealed the envelope must match the bundle', () => {
  it('refuses a recipient who re-seals the originator bundle as if it came from them', async () => {
    const g = await genuine();
    expect(await readAsBudi(await sealAs(c.mei.keys.signing, payloadOf(g.head, g.items)))).toBe('ERR_BUNDLE_ORIGINATOR_MISMATCH');
  });

  it('refuses a forwarder who strips its forward record', async () => {
    const env = await sealBundle(new BundleBuilder({ title: 't', markings: { tlp: 'GREEN' } }).addText('a.txt', 'x'), { sender: c.ayu.identity, recipients: [c.mei.named] });
    const fwd = await forwardBundle(env.deliveries[0]!.envelope, { keys: c.mei.openKeys, forwarder: c.mei.identity, recipients: [c.budi.named] });
    const payload = (await open(fwd.envelope, { keys: c.budi.openKeys })).payload;
    const headLen = new DataView(payload.buffer, payload.byteOffset).getUint32(0);
    const head = decodeHead(payload.subarray(4, 4 + headLen));
    const stripped = payloadOf({ ...head, forwards: [] }, [payload.subarray(4 + headLen)]);
    expect(await readAsBudi(await sealAs(c.mei.keys.signing, stripped))).toBe('ERR_BUNDLE_ORIGINATOR_MISMATCH');
    // Sealed by the real last forwarder, the untouched payload is fine.
    expect(await readAsBudi(await sealAs(c.mei.keys.signing, payload))).toBe('SUCCESS');
  });

  it('refuses an anonymous envelope carrying a bundle', async () => {
    const g = await genuine();
    const env = await seal(payloadOf(g.head, g.items), { recipients: [c.budi.named.encryptionKey], anonymous: true, contentType: BUNDLE_CONTENT_TYPE });
    expect(await readAsBudi(env)).toBe('ERR_ENVELOPE_ANONYMOUS');
  });
});

describe('the forward chain', () => {
  /** Ayu -> Mei -> Tan -> Budi: the head Budi receives, and the items. */
  async function twoHops(): Promise<{ head: BundleHead; items: Uint8Array }> {
    const env = await sealBundle(new BundleBuilder({ title: 't', markings: { tlp: 'GREEN' } }).addText('a.txt', 'x'), { sender: c.ayu.identity, recipients: [c.mei.named] });
    const f1 = await forwardBundle(env.deliveries[0]!.envelope, { keys: c.mei.openKeys, forwarder: c.mei.identity, recipients: [c.tan.named] });
    const f2 = await forwardBundle(f1.envelope, { keys: c.tan.openKeys, forwarder: c.tan.identity, recipients: [c.budi.named] });
    const payload = (await open(f2.envelope, { keys: c.budi.openKeys })).payload;
    const headLen = new DataView(payload.buffer, payload.byteOffset).getUint32(0);
    return { head: decodeHead(payload.subarray(4, 4 + headLen)), items: payload.subarray(4 + headLen) };
  }

  it('accepts the genuine chain', async () => {
    const { head, items } = await twoHops();
    expect(await readAsBudi(await sealAs(c.tan.keys.signing, payloadOf(head, [items])))).toBe('SUCCESS');
  });

  it('refuses reordered, dropped or spliced forward records', async () => {
    const { head, items } = await twoHops();
    const [r1, r2] = head.forwards;
    expect(await readAsBudi(await sealAs(c.mei.keys.signing, payloadOf({ ...head, forwards: [r2!, r1!] }, [items])))).toBe('ERR_BUNDLE_FORWARD_INVALID');
    expect(await readAsBudi(await sealAs(c.tan.keys.signing, payloadOf({ ...head, forwards: [r2!] }, [items])))).toBe('ERR_BUNDLE_FORWARD_INVALID');
    // A record made for another bundle, moved into this one.
    const other = await twoHops();
    expect(await readAsBudi(await sealAs(c.tan.keys.signing, payloadOf({ ...head, forwards: [r1!, other.head.forwards[1]!] }, [items])))).toBe('ERR_BUNDLE_FORWARD_INVALID');
  });

  it('refuses a forward record edited by a later forwarder', async () => {
    const { head, items } = await twoHops();
    const r1 = decodeForwardRecord(head.forwards[0]!.record, 'r1');
    // Tan rewrites Mei's record to hide that Mei also sent it to someone else.
    const edited = encodeForwardRecord({ ...r1, to: [c.budi.attributes.fingerprint] });
    const forged = { ...head, forwards: [{ record: edited, signature: head.forwards[0]!.signature }, head.forwards[1]!] };
    expect(await readAsBudi(await sealAs(c.tan.keys.signing, payloadOf(forged, [items])))).toBe('ERR_BUNDLE_SIGNATURE_INVALID');
    // Signing the edit with his own key instead of Mei's does not help either.
    const resigned = { ...head, forwards: [{ record: edited, signature: signForwardRecord(edited, c.tan.keys.signing.secretKey) }, head.forwards[1]!] };
    expect(await readAsBudi(await sealAs(c.tan.keys.signing, payloadOf(resigned, [items])))).toBe('ERR_BUNDLE_SIGNATURE_INVALID');
  });
});

describe('malformed heads never get past the error hierarchy', () => {
  it('refuses unknown fields, other versions, oversized and cut-short heads', async () => {
    const g = await genuine();
    const raw = { v: 1, manifest: g.head.manifest, sig: g.head.signature, fwd: [] };
    const cases: [Uint8Array, LintasErrorCode][] = [
      [payloadOf(encodeCanonical({ ...raw, extra: true }), g.items), 'ERR_BUNDLE_MALFORMED'],
      [payloadOf(encodeCanonical({ ...raw, v: 2 }), g.items), 'ERR_BUNDLE_UNSUPPORTED_VERSION'],
      [payloadOf(encodeCanonical([raw.manifest]), g.items), 'ERR_BUNDLE_MALFORMED'],
      [concatBytes(headPrefix(BUNDLE_LIMITS.maxHeadBytes + 1), new Uint8Array(16)), 'ERR_BUNDLE_LIMIT_EXCEEDED'],
      [concatBytes(headPrefix(5000), new Uint8Array(16)), 'ERR_BUNDLE_MALFORMED'],
      [new Uint8Array(2), 'ERR_BUNDLE_MALFORMED'],
    ];
    for (const [payload, code] of cases) expect(await readAsBudi(await sealAs(c.ayu.keys.signing, payload))).toBe(code);
  });

  it('any single-byte change to the head is refused with a bundle error', async () => {
    const g = await genuine();
    const head = encodeHead(g.head);
    const allowed = new Set<string>(['ERR_BUNDLE_MALFORMED', 'ERR_BUNDLE_UNSUPPORTED_VERSION', 'ERR_BUNDLE_SIGNATURE_INVALID', 'ERR_BUNDLE_LIMIT_EXCEEDED', 'ERR_BUNDLE_ORIGINATOR_MISMATCH']);
    await fc.assert(
      fc.asyncProperty(fc.nat(head.length - 1), fc.integer({ min: 1, max: 255 }), async (i, x) => {
        const mutated = head.slice();
        mutated[i]! ^= x;
        const code = await readAsBudi(await sealAs(c.ayu.keys.signing, payloadOf(mutated, g.items)));
        expect(allowed.has(code), `byte ${i} ^ ${x}: ${code}`).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('an envelope damaged in transit surfaces as the envelope error before the head is shown (one window)', async () => {
    const sealed = await sealBundle(new BundleBuilder({ title: 't', markings: { tlp: 'GREEN' } }).addStix('apt1.json', stixFixture('apt1')), {
      sender: c.ayu.identity,
      recipients: [c.budi.named],
      chunkSize: 4096,
    });
    const env = sealed.deliveries[0]!.envelope.slice();
    env[env.length - 3000]! ^= 1;
    // SPEC 6.6: the head is released only with the window holding it, once that window passed.
    await expectCode(openBundle(env, { keys: c.budi.openKeys }), 'ERR_ENVELOPE_TAMPERED');
  });
});
