/**
 * Adversarial index (docs/THREAT-MODEL.md): truncating an audit log through its own crash
 * repair. `AuditLog.open` drops a torn last record (a crash during an append). It used to take
 * any record whose length field ran past the end of the log for a torn one: raising one length
 * field in the middle of the log made the next open delete every acknowledged entry from there
 * (an override among them), sign new ones on top, and `verifyAuditLog` then said OK. Cutting
 * whole records off the end was not visible at all without a head noted elsewhere.
 *
 * Now only a tail whose bytes are the start of a record of exactly the declared length counts as
 * torn; anything else is `ERR_AUDIT_BROKEN` and nothing is deleted. The log signs an anchor
 * (entry count and head hash) that the CLI keeps beside it and checks: a log shorter than its
 * anchor is `ERR_AUDIT_TRUNCATED`, also when the attacker forges a consistent-looking torn tail.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog, MemoryAuditStore } from '../../src/audit/log.js';
import { verifyAuditLog } from '../../src/audit/verify.js';
import { MAX_AUDIT_RECORD_BYTES, type AuditEvent } from '../../src/audit/entry.js';
import { generateIdentityKeys, type IdentityKeys } from '../../src/index.js';
import { expectCode } from '../envelope/envelope-kit.js';
import { Cli, buildCli, workFolder } from '../cli/cli-kit.js';

let app: IdentityKeys;
let other: IdentityKeys;
beforeAll(async () => {
  [app, other] = await Promise.all([generateIdentityKeys(), generateIdentityKeys()]);
});

const bundleId = new Uint8Array(16).fill(7);
const EVENTS: AuditEvent[] = [
  { event: 'sealed', bundleId, to: [new Uint8Array(32).fill(1)], markings: { tlp: 'AMBER' } },
  { event: 'override', bundleId, override: { reason: 'Joint operation', authorisedBy: 'Deputy Director', lifted: [{ rule: 'releasability', recipient: new Uint8Array(32).fill(2) }] } },
  { event: 'sent', bundleId },
  { event: 'received', bundleId },
  { event: 'opened', bundleId },
];

/** A log of the five events, the offsets of its records, and its signed anchor. */
async function genuineLog() {
  const store = new MemoryAuditStore();
  const log = await AuditLog.open(store, app.signing);
  for (const e of EVENTS) await log.record(e);
  const bytes = store.bytes();
  const offsets: number[] = [];
  for (let off = 0; off < bytes.length; off += 4 + new DataView(bytes.buffer, bytes.byteOffset + off).getUint32(0)) offsets.push(off);
  return { bytes, offsets, anchor: log.anchor().bytes };
}

/** `bytes` with the u32 at `offset` set to `value`. */
function withLength(bytes: Uint8Array, offset: number, value: number): Uint8Array {
  const out = bytes.slice();
  new DataView(out.buffer).setUint32(offset, value);
  return out;
}

describe('attack: audit log truncated by raising a length field', () => {
  it('raising any one record length past the end is ERR_AUDIT_BROKEN; nothing is deleted or appended', async () => {
    const { bytes, offsets } = await genuineLog();
    for (const [i, off] of offsets.entries()) {
      for (const value of [bytes.length - off - 4 + 1, MAX_AUDIT_RECORD_BYTES]) {
        const tampered = withLength(bytes, off, value);
        const store = new MemoryAuditStore(tampered);
        await expectCode(AuditLog.open(store, app.signing), 'ERR_AUDIT_BROKEN');
        expect(store.bytes()).toEqual(tampered);
        const v = await verifyAuditLog(tampered);
        expect([v.ok, v.firstBroken?.index, v.firstBroken?.reason], `record ${i}, length ${value}`).toEqual([false, i, 'malformed']);
      }
    }
  });

  it('a record length out of range (0, or above 262,144) is malformed wherever it is, also at the tail', async () => {
    const { bytes, offsets } = await genuineLog();
    for (const off of [offsets[1]!, offsets[4]!]) {
      for (const value of [0, MAX_AUDIT_RECORD_BYTES + 1, 0xffffffff]) {
        const v = await verifyAuditLog(withLength(bytes, off, value));
        expect(v.firstBroken?.reason).toBe('malformed');
        await expectCode(AuditLog.open(new MemoryAuditStore(withLength(bytes, off, value)), app.signing), 'ERR_AUDIT_BROKEN');
      }
    }
  });

  it('control: a genuinely torn last record, cut anywhere, is still repaired', async () => {
    const { bytes, offsets } = await genuineLog();
    const last = offsets[4]!;
    for (let cut = last + 1; cut < bytes.length; cut += 5) {
      const store = new MemoryAuditStore(bytes.subarray(0, cut));
      const log = await AuditLog.open(store, app.signing);
      expect(log.repairedBytes).toBe(cut - last);
      expect(log.head()?.seq).toBe(3);
    }
  });
});

describe('attack: whole records cut off the end of the audit log', () => {
  it('the signed anchor finds them: AuditLog.open refuses with ERR_AUDIT_TRUNCATED, verifyAuditLog reports "anchor"', async () => {
    const { bytes, offsets, anchor } = await genuineLog();
    const cut = bytes.slice(0, offsets[3]!); // the last two entries gone, at a record boundary
    expect((await verifyAuditLog(cut)).ok).toBe(true); // the chain alone cannot show it
    const store = new MemoryAuditStore(cut);
    await expectCode(AuditLog.open(store, app.signing, { anchor }), 'ERR_AUDIT_TRUNCATED');
    expect(store.bytes()).toEqual(cut);
    const v = await verifyAuditLog(cut, { signer: app.signing.publicKey, anchor });
    expect([v.ok, v.firstBroken?.reason]).toEqual([false, 'anchor']);
    // Control: the whole log matches its anchor, and entries appended after it are fine.
    expect((await verifyAuditLog(bytes, { anchor })).ok).toBe(true);
    const log = await AuditLog.open(new MemoryAuditStore(bytes), app.signing, { anchor });
    await log.record({ event: 'opened', bundleId });
  });

  it('a forged torn tail (record and entry lengths of the last record raised together) is still caught by the anchor, and nothing is cut', async () => {
    const { bytes, offsets, anchor } = await genuineLog();
    const off = offsets[4]!;
    const recordLength = new DataView(bytes.buffer, bytes.byteOffset + off).getUint32(0);
    const tampered = bytes.slice();
    // record = 0x82, 0x58 u8(entry length), entry, 0x58 0x40, signature: raise both lengths by 70,
    // past the signature, so the last record looks like one whose end never reached the disk.
    expect([tampered[off + 4], tampered[off + 5]]).toEqual([0x82, 0x58]);
    expect(tampered[off + 6]! + 70).toBeLessThan(256);
    new DataView(tampered.buffer).setUint32(off, recordLength + 70);
    tampered[off + 6]! += 70;
    expect((await verifyAuditLog(tampered)).firstBroken?.reason).toBe('truncated'); // indistinguishable from a crash without the anchor
    const store = new MemoryAuditStore(tampered);
    await expectCode(AuditLog.open(store, app.signing, { anchor }), 'ERR_AUDIT_TRUNCATED');
    expect(store.bytes()).toEqual(tampered);
  });

  it('an anchor signed by another key, or altered, is ERR_AUDIT_ANCHOR_INVALID', async () => {
    const { bytes } = await genuineLog();
    const forger = await AuditLog.open(new MemoryAuditStore(), other.signing);
    await expectCode(AuditLog.open(new MemoryAuditStore(bytes), app.signing, { anchor: forger.anchor().bytes }), 'ERR_AUDIT_ANCHOR_INVALID');
    const { anchor } = await genuineLog();
    const altered = anchor.slice();
    altered[altered.length - 1]! ^= 1;
    await expectCode(AuditLog.open(new MemoryAuditStore(bytes), app.signing, { anchor: altered }), 'ERR_AUDIT_ANCHOR_INVALID');
  });
});

describe('the CLI keeps the anchor beside each log and checks it', () => {
  let script: string;
  let work: Awaited<ReturnType<typeof workFolder>>;
  beforeAll(async () => {
    script = await buildCli();
    work = await workFolder('audit-anchor');
  });
  afterAll(() => work.remove());

  it('lintas audit verify FILE uses FILE.anchor: a cut log exits 4', async () => {
    const { bytes, offsets, anchor } = await genuineLog();
    const file = join(work.dir, 'desk.log');
    await fs.writeFile(`${file}.anchor`, anchor);
    const cli = new Cli(script, join(work.dir, 'home'), null);
    await fs.writeFile(file, bytes);
    expect((await cli.run(['audit', 'verify', file])).code).toBe(0);
    await fs.writeFile(file, bytes.subarray(0, offsets[4]));
    const cut = await cli.json(['audit', 'verify', file]);
    expect(cut.run.code).toBe(4);
    expect(cut.value.firstBroken.reason).toBe('anchor');
  });

  it('a key ring command refuses when an identity log is shorter than its anchor (ERR_AUDIT_TRUNCATED, exit 4), and writes no new anchor', async () => {
    const home = join(work.dir, 'home-cli');
    const cli = new Cli(script, home);
    expect((await cli.run(['identity', 'create', 'desk', '--org', 'BIN', '--country', 'ID'])).code).toBe(0);
    expect((await cli.run(['seal', '--to', 'desk', '--tlp', 'GREEN', '-o', join(work.dir, 'a.lintas')], { input: 'first' })).code).toBe(0);
    expect((await cli.run(['seal', '--to', 'desk', '--tlp', 'GREEN', '-o', join(work.dir, 'b.lintas')], { input: 'second' })).code).toBe(0);
    const [log] = (await fs.readdir(join(home, 'audit'))).filter((f) => f.endsWith('.log'));
    const path = join(home, 'audit', log!);
    const anchorBefore = await fs.readFile(`${path}.anchor`);
    const bytes = await fs.readFile(path);
    const first = 4 + bytes.readUInt32BE(0);
    await fs.writeFile(path, bytes.subarray(0, first)); // the second seal's entry removed
    const refused = await cli.json(['identity', 'list']);
    expect(refused.run.code).toBe(4);
    expect(refused.value.error.code).toBe('ERR_AUDIT_TRUNCATED');
    expect(await fs.readFile(`${path}.anchor`)).toEqual(anchorBefore);
  });
});
