/**
 * Files on disk as bundle items (lintas/node): described by streaming, sealed by streaming, and
 * refused if the file changes between the two.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileItemSource } from '../../src/bundle/node.js';
import { BundleBuilder } from '../../src/bundle/builder.js';
import { sealBundleStream } from '../../src/bundle/seal.js';
import { openBundle } from '../../src/bundle/open.js';
import { sha256 } from '../../src/crypto/hash.js';
import { concatBytes } from '../../src/crypto/bytes.js';
import { cast, collect, expectCode } from './bundle-kit.js';

const dir = mkdtempSync(join(tmpdir(), 'lintas-bundle-files-'));
let c: Awaited<ReturnType<typeof cast>>;
beforeAll(async () => {
  c = await cast();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fileItemSource', () => {
  it('streams a file into a bundle and out again', async () => {
    const content = new Uint8Array(3 * 1024 * 1024 + 17).map((_, i) => (i * 31) >> 3);
    const path = join(dir, 'capture.pcap');
    writeFileSync(path, content);
    const item = await fileItemSource(path, { mediaType: 'application/vnd.tcpdump.pcap' });
    expect([item.name, item.size]).toEqual(['capture.pcap', content.length]);
    expect(item.sha256).toEqual(sha256(content));
    const sealed = await sealBundleStream(new BundleBuilder({ title: 'Capture', markings: { tlp: 'GREEN' } }).addFile(item), { sender: c.ayu.identity, recipients: [c.budi.named] });
    const opened = await openBundle(sealed.deliveries[0]!.envelope, { keys: c.budi.openKeys });
    const parts: Uint8Array[] = [];
    for await (const it of opened.items()) for await (const p of it.stream()) parts.push(p.slice());
    expect(sha256(concatBytes(...parts))).toEqual(sha256(content));
  });

  it('refuses a file that changed after it was described', async () => {
    const path = join(dir, 'memo.txt');
    writeFileSync(path, 'version one');
    const item = await fileItemSource(path);
    writeFileSync(path, 'version two');
    const sealed = await sealBundleStream(new BundleBuilder({ title: 'Memo', markings: { tlp: 'GREEN' } }).addFile(item), { sender: c.ayu.identity, recipients: [c.budi.named] });
    await expectCode(collect(sealed.deliveries[0]!.envelope), 'ERR_BUNDLE_ITEM_MISMATCH');
    writeFileSync(path, 'version one, longer now');
    const again = await sealBundleStream(new BundleBuilder({ title: 'Memo', markings: { tlp: 'GREEN' } }).addFile(item), { sender: c.ayu.identity, recipients: [c.budi.named] });
    await expectCode(collect(again.deliveries[0]!.envelope), 'ERR_BUNDLE_ITEM_MISMATCH');
  });
});
