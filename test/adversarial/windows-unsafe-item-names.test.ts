/**
 * Adversarial index (docs/THREAT-MODEL.md): item names that are harmless on Linux but act as a
 * drive, a stream, a device or an aliased name on Windows. An originator (or anyone holding its
 * key) signs a manifest naming an item `D:x.exe`, `a.pdf:x`, `CON` or `report.pdf.`; a Windows
 * analyst who saves the bundle would write to another drive's working folder, into an alternate
 * data stream, to a device, or over another item. SPEC 12.3 now excludes these names on every
 * platform: the writer refuses them, the reader refuses a manifest carrying one, and the CLI
 * checks again with both path conventions before it writes anything.
 */
import { posix, win32 } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BundleBuilder, bundleDraftOf } from '../../src/bundle/builder.js';
import { prepareSeal } from '../../src/bundle/seal.js';
import { openBundle } from '../../src/bundle/open.js';
import { BUNDLE_CONTENT_TYPE } from '../../src/bundle/constants.js';
import { decodeHead, encodeHead, headPrefix } from '../../src/bundle/head.js';
import { decodeManifest, encodeManifest, signManifest } from '../../src/bundle/manifest.js';
import { seal } from '../../src/envelope/seal.js';
import { concatBytes } from '../../src/crypto/bytes.js';
import { systemRandom } from '../../src/crypto/random.js';
import { LintasError } from '../../src/errors/index.js';
import { itemOutputPath } from '../../src/cli/files.js';
import { cast, collect, expectCode } from '../bundle/bundle-kit.js';

/** Names SPEC 12.3 allowed before, each unsafe on Windows. */
const UNSAFE = [
  'D:x.exe', // drive-relative path: the current folder of drive D
  'a.pdf:x', // NTFS alternate data stream of a.pdf
  'report.pdf:Zone.Identifier',
  'CON',
  'con',
  'NUL.txt',
  'COM1',
  'lpt9.log',
  'COM\u00b9', // superscript one: also a device
  'AUX .tar.gz',
  'report.pdf.', // Windows drops the trailing dot: the same file as report.pdf
  'report...',
  'a<b',
  'a>b',
  'a"b',
  'a|b',
  'what?',
  '*.txt',
  'tab\there',
];

let c: Awaited<ReturnType<typeof cast>>;
beforeAll(async () => {
  c = await cast();
});

/** A bundle from Ayu to Budi whose manifest names its only item `name`, correctly signed by Ayu. */
async function signedBundleNaming(name: string): Promise<Uint8Array> {
  const b = new BundleBuilder({ title: 'Indicators', markings: { tlp: 'GREEN' } }).addText('note.txt', 'harmless text');
  const d = prepareSeal(bundleDraftOf(b), { sender: c.ayu.identity, recipients: [c.budi.named] }, { random: systemRandom, now: () => Date.now() }).deliveries[0]!;
  const items = await Promise.all(d.items.map((it) => collect(it.open())));
  const head = decodeHead(d.headBytes.subarray(4));
  const m = decodeManifest(head.manifest);
  const manifest = encodeManifest({ ...m, items: m.items.map((it) => ({ ...it, name })) });
  const h = encodeHead({ ...head, manifest, signature: signManifest(manifest, c.ayu.keys.signing.secretKey) });
  const payload = concatBytes(headPrefix(h.length), h, ...items);
  return seal(payload, { recipients: [c.budi.named.encryptionKey], sender: c.ayu.keys.signing, contentType: BUNDLE_CONTENT_TYPE });
}

describe('attack: item names that are a drive, a stream, a device or an alias on Windows', () => {
  it.each(UNSAFE)('the writer refuses to seal an item named %j', (name) => {
    expect(() => new BundleBuilder({ title: 't', markings: { tlp: 'GREEN' } }).addText(name, 'x')).toThrow(RangeError);
  });

  it.each(UNSAFE)('a reader refuses a correctly signed manifest naming an item %j (ERR_BUNDLE_MALFORMED), before any item', async (name) => {
    await expectCode(openBundle(await signedBundleNaming(name), { keys: c.budi.openKeys }), 'ERR_BUNDLE_MALFORMED');
  });

  it('ordinary names, including dots inside, non-ASCII and device names as a part, still work', async () => {
    for (const name of ['report.pdf', '.hidden', 'a..b', 'CONFIG.SYS', 'console.log', 'Laporan Intelijen – Mei.docx', '報告.txt', 'nul-results.csv']) {
      expect(() => new BundleBuilder({ title: 't', markings: { tlp: 'GREEN' } }).addText(name, 'x'), name).not.toThrow();
    }
    const b = await openBundle(await signedBundleNaming('CONFIG.SYS'), { keys: c.budi.openKeys });
    expect(b.manifest.items[0]!.name).toBe('CONFIG.SYS');
    await b.readAll();
  });
});

describe('the CLI never writes outside the output folder, with either path convention', () => {
  const escapes = ['../x', '..\\x', 'a/../../x', 'a\\..\\..\\x', '/etc/passwd', 'C:\\Windows\\x.exe', 'C:x.exe', '\\\\server\\share\\x', '\\\\?\\C:\\x', '.', '..', 'a/b', 'a\\b', ...UNSAFE];
  for (const [label, paths, dir] of [
    ['POSIX', posix, '/home/analyst/out'],
    ['Windows', win32, 'C:\\Users\\analyst\\out'],
  ] as const) {
    it(`${label}: every escaping or unsafe name is refused with ERR_BUNDLE_MALFORMED`, () => {
      for (const name of escapes) {
        let code: string | undefined;
        try {
          itemOutputPath(dir, name, paths);
        } catch (e) {
          code = e instanceof LintasError ? e.code : String(e);
        }
        expect(code, name).toBe('ERR_BUNDLE_MALFORMED');
      }
    });

    it(`${label}: a plain name lands directly in the folder`, () => {
      expect(itemOutputPath(dir, 'report.pdf', paths)).toBe(paths.join(dir, 'report.pdf'));
    });
  }
});
