/**
 * Bundles end to end with real STIX 2.1 content: build, seal, open, read items lazily.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { BundleBuilder, describeItemSource } from '../../src/bundle/builder.js';
import { sealBundle, sealBundleStream } from '../../src/bundle/seal.js';
import { openBundle } from '../../src/bundle/open.js';
import { STIX_MEDIA_TYPE, TEXT_MEDIA_TYPE, BUNDLE_CONTENT_TYPE } from '../../src/bundle/constants.js';
import { seal } from '../../src/envelope/seal.js';
import { sha256 } from '../../src/crypto/hash.js';
import { concatBytes } from '../../src/crypto/bytes.js';
import { cast, collect, expectCode, stixFixture, utf8 } from './bundle-kit.js';

let c: Awaited<ReturnType<typeof cast>>;
beforeAll(async () => {
  c = await cast();
});

function report(): BundleBuilder {
  return new BundleBuilder({
    title: 'Poison Ivy and APT1 infrastructure',
    summary: 'Two OASIS reference reports for the joint CT desk.\nSee items.',
    markings: { tlp: 'GREEN', classification: 'TERBATAS', caveats: ['NO PRINT'] },
  })
    .addText('analyst-note.txt', 'Poison Ivy C2 overlaps with APT1 infrastructure: review before Monday.')
    .addStix('poisonivy.json', stixFixture('poisonivy'))
    .addStix('apt1.json', stixFixture('apt1'));
}

describe('sealBundle / openBundle', () => {
  it('round-trips text and STIX items to several recipients, with one manifest for all', async () => {
    const sealed = await sealBundle(report(), { sender: c.ayu.identity, recipients: [c.budi.named, c.citra.named, c.mei.named] });
    expect(sealed.deliveries).toHaveLength(1);
    const [d] = sealed.deliveries;
    expect(d!.items).toEqual(['analyst-note.txt', 'poisonivy.json', 'apt1.json']);
    for (const who of [c.budi, c.citra, c.mei]) {
      const b = await openBundle(d!.envelope, { keys: who.openKeys, trustedSenders: [c.ayu.keys.signing.publicKey] });
      expect(b.envelope.contentType).toBe(BUNDLE_CONTENT_TYPE);
      expect(b.manifest.title).toBe('Poison Ivy and APT1 infrastructure');
      expect(b.manifest.summary).toContain('joint CT desk');
      expect(b.manifest.markings).toEqual({ tlp: 'GREEN', classification: 'TERBATAS', releasableTo: null, amberOrganizations: [], caveats: ['NO PRINT'] });
      expect(b.manifest.id).toEqual(sealed.bundleId);
      expect(b.manifestDigest).toEqual(d!.manifestDigest);
      expect(b.originator.name).toBe('Ayu');
      expect(b.originator.fingerprint).toEqual(c.ayu.attributes.fingerprint);
      expect(b.forwarded).toBe(false);
      expect(b.sender.signingKey).toEqual(c.ayu.keys.signing.publicKey);
      expect(b.expired).toBe(false);
      expect(b.manifest.items.map((i) => [i.name, i.mediaType])).toEqual([
        ['analyst-note.txt', TEXT_MEDIA_TYPE],
        ['poisonivy.json', STIX_MEDIA_TYPE],
        ['apt1.json', STIX_MEDIA_TYPE],
      ]);
      const seen: string[] = [];
      for await (const item of b.items()) {
        if (item.mediaType === TEXT_MEDIA_TYPE) expect(await item.text()).toContain('Poison Ivy C2');
        else {
          const { bundle, summary } = await item.stix();
          expect(bundle.type).toBe('bundle');
          expect(summary.objectCount).toBeGreaterThan(50);
        }
        seen.push(item.name);
      }
      expect(seen).toEqual(['analyst-note.txt', 'poisonivy.json', 'apt1.json']);
    }
  });

  it('carries STIX bytes unchanged, granular markings included', async () => {
    const granular = stixFixture('using-granular-markings');
    const b = new BundleBuilder({ title: 'Joker indicators', markings: { tlp: 'RED' } }).addStix('granular.json', granular);
    const sealed = await sealBundle(b, { sender: c.ayu.identity, recipients: [c.budi.named] });
    const opened = await openBundle(sealed.deliveries[0]!.envelope, { keys: c.budi.openKeys });
    const [item] = await opened.readAll();
    expect(item!.bytes).toEqual(utf8(granular));
    const parsed = JSON.parse(new TextDecoder().decode(item!.bytes));
    expect(parsed.objects[1].granular_markings).toHaveLength(3);
  });

  it('reads the summary of a bundle with a 2 GiB attachment after pulling only its first window', async () => {
    const GiB2 = 2 * 1024 * 1024 * 1024;
    let produced = 0;
    const attachment = {
      name: 'disk-image.raw',
      mediaType: 'application/octet-stream',
      size: GiB2,
      // Never read to the end, so the digest is never checked: this test is about laziness.
      sha256: new Uint8Array(32),
      open: async function* () {
        const block = new Uint8Array(1 << 16);
        for (let left = GiB2; left > 0; left -= block.length) {
          produced += block.length;
          yield block;
        }
      },
    };
    const b = new BundleBuilder({ title: 'Seized laptop image', summary: 'Image of the courier laptop', markings: { tlp: 'AMBER' } }).addFile(attachment);
    const sealed = await sealBundleStream(b, { sender: c.ayu.identity, recipients: [c.budi.named] });
    // The envelope is produced lazily and read lazily: nothing is buffered in between.
    const opened = await openBundle(sealed.deliveries[0]!.envelope, { keys: c.budi.openKeys });
    expect(opened.manifest.summary).toBe('Image of the courier laptop');
    expect(opened.manifest.items[0]!.size).toBe(GiB2);
    // The head comes out with the first 4 MiB window, once its checkpoint verified (SPEC 6.6).
    expect(produced).toBeLessThanOrEqual(5 << 20);
    await opened.close();
  });

  it('streams items in pieces and verifies one the reader skipped', async () => {
    const big = new Uint8Array(300_000).map((_, i) => (i * 7) & 0xff);
    const source = await describeItemSource('capture.pcap', 'application/vnd.tcpdump.pcap', () => [big.subarray(0, 100_000), big.subarray(100_000)]);
    const b = new BundleBuilder({ title: 'Capture', markings: { tlp: 'GREEN' } }).addFile(source).addText('note.txt', 'after the capture');
    const sealed = await sealBundle(b, { sender: c.ayu.identity, recipients: [c.mei.named], chunkSize: 4096 });
    // Read the capture in pieces.
    const opened = await openBundle(sealed.deliveries[0]!.envelope, { keys: c.mei.openKeys });
    let pieces = 0;
    for await (const item of opened.items()) {
      if (item.name === 'capture.pcap') {
        const parts: Uint8Array[] = [];
        for await (const p of item.stream()) {
          parts.push(p.slice());
          pieces++;
        }
        expect(sha256(concatBytes(...parts))).toEqual(sha256(big));
      } else expect(await item.text()).toBe('after the capture');
    }
    expect(pieces).toBeGreaterThan(10);
    // Skip the capture entirely, and read only half of it: both still verify and reach the note.
    for (const readPart of [false, true]) {
      const again = await openBundle(sealed.deliveries[0]!.envelope, { keys: c.mei.openKeys });
      const texts: string[] = [];
      for await (const item of again.items()) {
        if (item.name === 'note.txt') texts.push(await item.text());
        else if (readPart) {
          for await (const _ of item.stream()) break;
        }
      }
      expect(texts).toEqual(['after the capture']);
    }
  });

  it('reports expiry, and refuses it in strict mode', async () => {
    const expiresAt = new Date(Date.now() + 3600_000);
    const b = new BundleBuilder({ title: 'Courier schedule', markings: { tlp: 'AMBER' }, expiresAt }).addText('schedule.txt', 'Arrives 07:40');
    const sealed = await sealBundle(b, { sender: c.ayu.identity, recipients: [c.budi.named] });
    const env = sealed.deliveries[0]!.envelope;
    const fresh = await openBundle(env, { keys: c.budi.openKeys });
    expect(fresh.expired).toBe(false);
    expect(fresh.manifest.expires!.getTime()).toBe(Math.floor(expiresAt.getTime() / 1000) * 1000);
    const later = new Date(expiresAt.getTime() + 1000);
    const stale = await openBundle(env, { keys: c.budi.openKeys, now: later });
    expect(stale.expired).toBe(true);
    expect(await stale.readAll()).toHaveLength(1);
    await expectCode(openBundle(env, { keys: c.budi.openKeys, now: later, strictExpiry: true }), 'ERR_BUNDLE_EXPIRED');
  });

  it('refuses envelopes that do not carry a bundle', async () => {
    const env = await seal(utf8('just text'), { recipients: [c.budi.named.encryptionKey], sender: c.ayu.keys.signing, contentType: 'text/plain' });
    await expectCode(openBundle(env, { keys: c.budi.openKeys }), 'ERR_BUNDLE_NOT_A_BUNDLE');
  });

  it('refuses a file item that changed after it was described', async () => {
    let content = utf8('version one');
    const source = await describeItemSource('memo.txt', 'text/plain', () => [content]);
    const b = new BundleBuilder({ title: 'Memo', markings: { tlp: 'GREEN' } }).addFile(source);
    content = utf8('version two');
    const sealed = await sealBundleStream(b, { sender: c.ayu.identity, recipients: [c.budi.named] });
    await expectCode(collect(sealed.deliveries[0]!.envelope), 'ERR_BUNDLE_ITEM_MISMATCH');
  });

  it('refuses misuse of the reader: allowAnonymous, iterating items twice', async () => {
    const sealed = await sealBundle(report(), { sender: c.ayu.identity, recipients: [c.budi.named] });
    const env = sealed.deliveries[0]!.envelope;
    await expect(openBundle(env, { keys: c.budi.openKeys, allowAnonymous: true } as never)).rejects.toThrow(TypeError);
    const b = await openBundle(env, { keys: c.budi.openKeys });
    b.items();
    expect(() => b.items()).toThrow(TypeError);
    await b.close();
  });

  it('a bundle with no items carries title and summary only', async () => {
    const b = new BundleBuilder({ title: 'Heads-up', summary: 'Call me on the secure line.', markings: { tlp: 'CLEAR' } });
    const sealed = await sealBundle(b, { sender: c.ayu.identity, recipients: [c.tan.named] });
    const opened = await openBundle(sealed.deliveries[0]!.envelope, { keys: c.tan.openKeys });
    expect(opened.manifest.items).toEqual([]);
    expect(await opened.readAll()).toEqual([]);
  });
});

describe('BundleBuilder checks items where they are added', () => {
  const b = () => new BundleBuilder({ title: 'x', markings: { tlp: 'GREEN' } });

  it('refuses names that act as paths, duplicates and bad media types', () => {
    for (const name of ['../etc/passwd', 'a/b', 'a\\b', '..', '.', ' lead', 'bad\u202ename', '']) {
      expect(() => b().addText(name, 'x'), name).toThrow(RangeError);
    }
    expect(() => b().addText('a.txt', 'x').addText('a.txt', 'y')).toThrow(RangeError);
    expect(() => b().addBytes('a.bin', 'not a type', new Uint8Array(1))).toThrow(RangeError);
    expect(() => b().addBytes('a.json', STIX_MEDIA_TYPE, utf8('{}'))).toThrow(TypeError);
    expect(() => new BundleBuilder({ title: '', markings: { tlp: 'GREEN' } })).toThrow(RangeError);
    expect(() => new BundleBuilder({ title: 't', markings: { tlp: 'PURPLE' as 'RED' } })).toThrow(RangeError);
  });

  it('refuses STIX content marked more restrictively than the bundle', async () => {
    const granular = stixFixture('using-granular-markings'); // carries TLP:RED (1.0) markings
    await expectCode(async () => b().addStix('g.json', granular), 'ERR_BUNDLE_MARKING_CONFLICT');
    const amber = stixFixture('using-marking-definitions'); // TLP:AMBER
    await expectCode(async () => b().addStix('m.json', amber), 'ERR_BUNDLE_MARKING_CONFLICT');
    expect(() => new BundleBuilder({ title: 't', markings: { tlp: 'AMBER' } }).addStix('m.json', amber)).not.toThrow();
    await expectCode(async () => b().addStix('bad.json', '{"type":"bundle"}'), 'ERR_BUNDLE_STIX_INVALID');
  });

  it('refuses an expiry in the past at sealing', async () => {
    const past = new BundleBuilder({ title: 't', markings: { tlp: 'GREEN' }, expiresAt: new Date(Date.now() - 1000) });
    await expect(sealBundle(past, { sender: c.ayu.identity, recipients: [c.budi.named] })).rejects.toThrow(RangeError);
  });
});
