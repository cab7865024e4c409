/**
 * The audit trail: append-only, hash-chained, signed; every kind of tampering (edit, delete,
 * insert, reorder, re-sign, truncate) is found at the first broken record; never contents.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog, MemoryAuditStore } from '../../src/audit/log.js';
import { verifyAuditLog } from '../../src/audit/verify.js';
import { FileAuditStore, openAuditLogFile, verifyAuditLog as verifyAuditLogFile } from '../../src/audit/node.js';
import type { AuditEvent } from '../../src/audit/entry.js';
import { BundleBuilder } from '../../src/bundle/builder.js';
import { sealBundle } from '../../src/bundle/seal.js';
import { openBundle } from '../../src/bundle/open.js';
import { forwardBundle } from '../../src/bundle/forward.js';
import { concatBytes } from '../../src/crypto/bytes.js';
import { cast, contains, expectCode, stixFixture, utf8 } from '../bundle/bundle-kit.js';

let c: Awaited<ReturnType<typeof cast>>;
const dir = mkdtempSync(join(tmpdir(), 'lintas-audit-'));
beforeAll(async () => {
  c = await cast();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bundleId = new Uint8Array(16).fill(7);
function event(i: number): AuditEvent {
  return { event: (['sealed', 'sent', 'received', 'opened'] as const)[i % 4]!, bundleId, to: [new Uint8Array(32).fill(i)], markings: { tlp: 'AMBER' } };
}

/** A log of `n` entries and the byte offsets of its records. */
async function logOf(n: number, start = 1_750_000_000_000): Promise<{ bytes: Uint8Array; records: Uint8Array[] }> {
  let t = start;
  const store = new MemoryAuditStore();
  const log = await AuditLog.open(store, c.ayu.keys.signing, { now: () => (t += 1000) });
  for (let i = 0; i < n; i++) await log.record(event(i));
  const bytes = store.bytes();
  const records: Uint8Array[] = [];
  for (let off = 0; off < bytes.length; ) {
    const len = new DataView(bytes.buffer, bytes.byteOffset + off).getUint32(0);
    records.push(bytes.slice(off, off + 4 + len));
    off += 4 + len;
  }
  return { bytes, records };
}

describe('AuditLog', () => {
  it('records signed, chained entries that verify and read back', async () => {
    const { bytes } = await logOf(5);
    const v = await verifyAuditLog(bytes);
    expect(v.ok).toBe(true);
    expect(v.firstBroken).toBeNull();
    expect(v.entries.map((e) => [e.seq, e.event])).toEqual([
      [0, 'sealed'],
      [1, 'sent'],
      [2, 'received'],
      [3, 'opened'],
      [4, 'sealed'],
    ]);
    expect(v.entries[1]!.prev).toEqual(v.entries[0]!.hash);
    expect(v.entries[0]!.prev).toEqual(new Uint8Array(32));
    expect(v.entries[2]!.markings).toEqual({ tlp: 'AMBER' });
    expect(v.entries[0]!.at.getTime()).toBe(1_750_000_001_000);
    expect(v.signer).toEqual(c.ayu.keys.signing.publicKey);
    expect(v.head).toEqual({ seq: 4, hash: v.entries[4]!.hash });
  });

  it('serialises concurrent appends into one chain', async () => {
    const store = new MemoryAuditStore();
    const log = await AuditLog.open(store, c.ayu.keys.signing);
    await Promise.all(Array.from({ length: 20 }, (_, i) => log.record(event(i))));
    const v = await verifyAuditLog(store.bytes());
    expect(v.ok).toBe(true);
    expect(v.entries.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('continues the chain when reopened', async () => {
    const { bytes } = await logOf(3);
    const store = new MemoryAuditStore(bytes);
    const log = await AuditLog.open(store, c.ayu.keys.signing);
    expect(log.head()!.seq).toBe(2);
    const e = await log.record(event(3));
    expect(e.seq).toBe(3);
    expect((await verifyAuditLog(store.bytes())).ok).toBe(true);
  });

  it('records the transport, mailbox and refusal reason of sent, received and refused entries', async () => {
    const store = new MemoryAuditStore();
    const log = await AuditLog.open(store, c.ayu.keys.signing);
    await log.record({ event: 'sent', bundleId, transport: 'https://relay.example.org', mailbox: 'mbx-polri', envelopeDigest: new Uint8Array(32).fill(1) });
    await log.record({ event: 'refused', reason: 'ERR_REPLAY_DETECTED', envelopeId: new Uint8Array(16).fill(2) });
    const r = await verifyAuditLog(store.bytes());
    expect(r.ok).toBe(true);
    expect(r.entries.map((e) => [e.event, e.transport, e.mailbox, e.reason])).toEqual([
      ['sent', 'https://relay.example.org', 'mbx-polri', undefined],
      ['refused', undefined, undefined, 'ERR_REPLAY_DETECTED'],
    ]);
    expect(() => log.record({ event: 'refused', reason: '' })).toThrow(RangeError);
  });

  it('refuses malformed events', async () => {
    const log = await AuditLog.open(new MemoryAuditStore(), c.ayu.keys.signing);
    expect(() => log.record({ event: 'deleted' as 'sent' })).toThrow(RangeError);
    expect(() => log.record({ event: 'sent', bundleId: new Uint8Array(3) })).toThrow(RangeError);
    expect(() => log.record({ event: 'sent', markings: { tlp: 'PINK' as 'RED' } })).toThrow(RangeError);
  });
});

describe('verifyAuditLog finds the first broken record', () => {
  it('an edited entry (signature no longer verifies)', async () => {
    const { bytes, records } = await logOf(6);
    const edited = bytes.slice();
    const at = records[0]!.length + records[1]!.length + records[2]!.length - 20; // inside record 2
    edited[at]! ^= 1;
    const v = await verifyAuditLog(edited);
    expect(v.ok).toBe(false);
    expect(v.firstBroken!.index).toBe(2);
    expect(['signature', 'malformed']).toContain(v.firstBroken!.reason);
    expect(v.entries).toHaveLength(2);
  });

  it('a deleted, a reordered and an inserted entry', async () => {
    const { records } = await logOf(6);
    const deleted = await verifyAuditLog(concatBytes(...records.filter((_, i) => i !== 3)));
    expect([deleted.firstBroken!.index, deleted.firstBroken!.reason]).toEqual([3, 'chain']);
    const r = [...records];
    [r[1], r[4]] = [r[4]!, r[1]!];
    const reordered = await verifyAuditLog(concatBytes(...r));
    expect([reordered.firstBroken!.index, reordered.firstBroken!.reason]).toEqual([1, 'chain']);
    const other = await logOf(6, 1_760_000_000_000); // a genuine record from another log by the same key
    const inserted = await verifyAuditLog(concatBytes(records[0]!, records[1]!, other.records[2]!, ...records.slice(2)));
    expect([inserted.firstBroken!.index, inserted.firstBroken!.reason]).toEqual([2, 'chain']);
  });

  it('deleting the first entry, or the whole log rewritten by another key', async () => {
    const { records } = await logOf(3);
    const headless = await verifyAuditLog(concatBytes(...records.slice(1)));
    expect([headless.firstBroken!.index, headless.firstBroken!.reason]).toEqual([0, 'chain']);
    // Mallory rebuilds the log under her own key: consistent, but not the log's key.
    const store = new MemoryAuditStore();
    const forged = await AuditLog.open(store, c.mei.keys.signing);
    for (let i = 0; i < 3; i++) await forged.record(event(i));
    expect((await verifyAuditLog(store.bytes())).ok).toBe(true);
    const v = await verifyAuditLog(store.bytes(), { signer: c.ayu.keys.signing.publicKey });
    expect([v.firstBroken!.index, v.firstBroken!.reason]).toEqual([0, 'signer']);
    // One foreign entry appended to a genuine log.
    const spliced = await verifyAuditLog(concatBytes(...records, store.bytes().subarray(0)));
    expect([spliced.firstBroken!.index, spliced.firstBroken!.reason]).toEqual([3, 'signer']);
  });

  it('a truncated tail: a cut record is found by the chain, whole cut records by the anchor', async () => {
    const { bytes, records } = await logOf(4);
    const cut = await verifyAuditLog(bytes.subarray(0, bytes.length - 10));
    expect([cut.firstBroken!.index, cut.firstBroken!.reason]).toEqual([3, 'truncated']);
    const full = await verifyAuditLog(bytes);
    const anchor = full.head!;
    const shorter = concatBytes(...records.slice(0, 2));
    expect((await verifyAuditLog(shorter)).ok).toBe(true); // the chain alone cannot tell
    const anchored = await verifyAuditLog(shorter, { anchor });
    expect([anchored.ok, anchored.firstBroken!.reason]).toEqual([false, 'anchor']);
    expect((await verifyAuditLog(bytes, { anchor })).ok).toBe(true);
  });

  it('garbage is reported, not thrown', async () => {
    for (const junk of [new Uint8Array([0, 0, 0, 0]), new Uint8Array([0xff, 0xff, 0xff, 0xff, 1]), utf8('\u0000\u0000\u0000\u0005hello')]) {
      const v = await verifyAuditLog(junk);
      expect(v.ok).toBe(false);
      expect(v.firstBroken!.index).toBe(0);
    }
  });
});

describe('opening a damaged log for appending', () => {
  it('drops a torn last record (a crash mid-append) and continues', async () => {
    const { bytes } = await logOf(3);
    const store = new MemoryAuditStore(bytes.subarray(0, bytes.length - 7));
    const log = await AuditLog.open(store, c.ayu.keys.signing);
    expect(log.repairedBytes).toBeGreaterThan(0);
    await log.record(event(9));
    const v = await verifyAuditLog(store.bytes());
    expect(v.ok).toBe(true);
    expect(v.entries.map((e) => e.seq)).toEqual([0, 1, 2]);
  });

  it('refuses a log that was altered, and one signed by another key', async () => {
    const { records } = await logOf(3);
    await expectCode(AuditLog.open(new MemoryAuditStore(concatBytes(records[0]!, records[2]!)), c.ayu.keys.signing), 'ERR_AUDIT_BROKEN');
    await expectCode(AuditLog.open(new MemoryAuditStore(concatBytes(...records)), c.mei.keys.signing), 'ERR_AUDIT_SIGNER_MISMATCH');
  });
});

describe('file storage', () => {
  it('appends to a file, survives reopening, and verifies from a path', async () => {
    const path = join(dir, 'audit.log');
    const log = await openAuditLogFile(path, c.ayu.keys.signing);
    await log.record(event(0));
    await log.record(event(1));
    const again = await openAuditLogFile(path, c.ayu.keys.signing);
    await again.record(event(2));
    const v = await verifyAuditLogFile(path, { signer: c.ayu.keys.signing.publicKey });
    expect(v.ok).toBe(true);
    expect(v.entries).toHaveLength(3);
    // Tampering with the file is found from the path too.
    const bytes = readFileSync(path);
    bytes[bytes.length - 70]! ^= 4;
    writeFileSync(path, bytes);
    const broken = await verifyAuditLogFile(path);
    expect(broken.ok).toBe(false);
    expect(broken.firstBroken!.index).toBe(2);
    await expectCode(openAuditLogFile(path, c.ayu.keys.signing), 'ERR_AUDIT_BROKEN');
  });

  it('repairs a torn tail in the file', async () => {
    const path = join(dir, 'torn.log');
    const log = await openAuditLogFile(path, c.ayu.keys.signing);
    await log.record(event(0));
    const intact = readFileSync(path).length;
    await log.record(event(1));
    // A crash during the second append: only part of its record reached the disk.
    writeFileSync(path, readFileSync(path).subarray(0, intact + 30));
    const reopened = await AuditLog.open(new FileAuditStore(path), c.ayu.keys.signing);
    expect(reopened.repairedBytes).toBe(30);
    await reopened.record(event(1));
    expect((await verifyAuditLogFile(path)).entries).toHaveLength(2);
  });
});

describe('bundles record what happened, never contents', () => {
  it('sealed, opened, override and forwarded entries name ids, parties and markings only', async () => {
    const ayuStore = new MemoryAuditStore();
    const budiStore = new MemoryAuditStore();
    const ayuLog = await AuditLog.open(ayuStore, c.ayu.keys.signing);
    const budiLog = await AuditLog.open(budiStore, c.budi.keys.signing);
    const title = 'Courier KUCING arrives Tuesday';
    const secret = 'Safe house at Jalan Melati 12';
    const b = new BundleBuilder({ title, summary: 'Surveillance plan', markings: { tlp: 'AMBER', amberOrganizations: ['PDRM'] } })
      .addText('plan.txt', secret)
      .addStix('apt1.json', stixFixture('apt1'));
    const sealed = await sealBundle(b, { sender: c.ayu.identity, recipients: [c.budi.named], audit: ayuLog });
    const env = sealed.deliveries[0]!.envelope;
    const opened = await openBundle(env, { keys: c.budi.openKeys, audit: budiLog });
    await opened.close();
    await budiLog.record({ event: 'sent', bundleId: sealed.bundleId, to: [c.mei.attributes.fingerprint] });
    const override = { reason: 'PDRM desk officer seconded to BIN', authorisedBy: 'BIN duty officer' };
    const fwd = await forwardBundle(env, { keys: c.budi.openKeys, forwarder: c.budi.identity, recipients: [c.mei.named], override, audit: budiLog });
    expect(fwd.envelope.length).toBeGreaterThan(0);

    const ayuView = await verifyAuditLog(ayuStore.bytes(), { signer: c.ayu.keys.signing.publicKey });
    expect(ayuView.entries.map((e) => e.event)).toEqual(['sealed']);
    const sealedEntry = ayuView.entries[0]!;
    expect(sealedEntry.bundleId).toEqual(sealed.bundleId);
    expect(sealedEntry.manifestDigest).toEqual(sealed.deliveries[0]!.manifestDigest);
    expect(sealedEntry.to).toEqual([c.budi.attributes.fingerprint]);
    expect(sealedEntry.envelopeDigest).toHaveLength(32);

    const budiView = await verifyAuditLog(budiStore.bytes(), { signer: c.budi.keys.signing.publicKey });
    expect(budiView.entries.map((e) => e.event)).toEqual(['opened', 'sent', 'opened', 'override', 'forwarded']);
    expect(budiView.entries[0]!.manifestDigest).toEqual(sealedEntry.manifestDigest);
    expect(budiView.entries[0]!.envelopeId).toEqual(opened.envelope.envelopeId);
    expect(budiView.entries[3]!.override!.lifted).toEqual([{ rule: 'tlp-amber-forward-organization', recipient: c.mei.attributes.fingerprint }]);
    expect(budiView.entries[4]!.from).toEqual(c.budi.attributes.fingerprint);
    // Without a key ring nothing confirms the manifest's originator claim: never recorded as fact (SPEC 12.8).
    expect(budiView.entries[0]!.originator).toBeUndefined();
    expect(budiView.entries[4]!.originator).toBeUndefined();

    for (const log of [ayuStore.bytes(), budiStore.bytes()]) {
      for (const text of [title, secret, 'Surveillance plan', 'plan.txt', 'apt1.json', 'APT1']) expect(contains(log, utf8(text)), text).toBe(false);
    }
  });
});
