/**
 * The bundle and audit-log vectors in docs/vectors/bundle (format: its README.md):
 * (a) the committed files are exactly what scripts/generate-bundle-vectors.ts produces;
 * (b) the layout and signatures they record check out when recomputed here from the
 *     primitives and the context strings of SPEC section 12, not through the bundle code;
 * (c) each payload, sealed in a real envelope by the vector's sender, opens to the expected outcome.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AUDIT_VECTOR_FORMAT,
  BUNDLE_VECTOR_DIR,
  BUNDLE_VECTOR_FORMAT,
  generateBundleVectors,
  type AuditVector,
  type BundleVector,
} from '../../scripts/generate-bundle-vectors.js';
import { cryptoReady } from '../../src/crypto/sodium.js';
import { concatBytes, utf8 } from '../../src/crypto/bytes.js';
import { sha256 } from '../../src/crypto/hash.js';
import { ed25519Verify } from '../../src/crypto/ed25519.js';
import { decodeCanonical, type CborMap } from '../../src/cbor/index.js';
import { identityKeysFromSeed } from '../../src/keys/index.js';
import { sealCore } from '../../src/envelope/seal.js';
import { systemRandom } from '../../src/crypto/random.js';
import { openBundle } from '../../src/bundle/open.js';
import { verifyAuditLog } from '../../src/audit/verify.js';
import { LintasError } from '../../src/errors/index.js';
import { collect } from './bundle-kit.js';

const files = readdirSync(BUNDLE_VECTOR_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();
const all = files.map((f) => JSON.parse(readFileSync(join(BUNDLE_VECTOR_DIR, f), 'utf8')) as BundleVector | AuditVector);
const bundles = all.filter((v): v is BundleVector => v.format === BUNDLE_VECTOR_FORMAT);
const audits = all.filter((v): v is AuditVector => v.format === AUDIT_VECTOR_FORMAT);

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
function unhex(s: string): Uint8Array {
  if (!/^([0-9a-f]{2})*$/.test(s)) throw new Error('not lower-case hex');
  return Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));
}
const signed = (context: string, bytes: Uint8Array) => concatBytes(utf8(context), new Uint8Array([0]), bytes);

beforeAll(async () => {
  await cryptoReady();
});

describe('bundle vectors', () => {
  it('are what the generator produces', async () => {
    const generated = await generateBundleVectors();
    expect(files).toEqual([...generated.keys()].sort());
    for (const f of files) expect(readFileSync(join(BUNDLE_VECTOR_DIR, f), 'utf8'), f).toBe(generated.get(f));
    expect(bundles.length).toBeGreaterThanOrEqual(20);
    expect(audits.length).toBeGreaterThanOrEqual(5);
  });

  for (const v of bundles) {
    it(`${v.name}: parties, layout and signatures recompute from the primitives`, async () => {
      for (const p of Object.values(v.parties)) {
        expect(hex((await identityKeysFromSeed(unhex(p.seed))).signing.publicKey)).toBe(p.signingPublicKey);
      }
      const manifest = unhex(v.parts.manifest);
      if (v.expect.result !== 'ok') return;
      // Layout: u32be(len(head)) || head || items, nothing else.
      const head = unhex(v.parts.head);
      const items = v.parts.items.map((i) => unhex(i.content));
      const prefix = new Uint8Array(4);
      new DataView(prefix.buffer).setUint32(0, head.length);
      expect(hex(concatBytes(prefix, head, ...items))).toBe(v.payload);
      const h = decodeCanonical(head) as CborMap;
      expect(Object.keys(h).sort()).toEqual(['fwd', 'manifest', 'sig', 'v']);
      expect(hex(h.manifest as Uint8Array)).toBe(v.parts.manifest);
      // The originator's signature over the manifest, and the digest everyone logs.
      const m = decodeCanonical(manifest) as CborMap;
      const originator = m.originator as CborMap;
      expect(ed25519Verify(originator.key as Uint8Array, signed('lintas/v1 bundle manifest', manifest), h.sig as Uint8Array)).toBe(true);
      expect(hex(sha256(manifest))).toBe(v.expect.manifestDigest);
      expect(hex(m.id as Uint8Array)).toBe(v.expect.bundleId);
      // The manifest commits to every item by size and SHA-256.
      const entries = m.items as CborMap[];
      expect(entries.map((e) => [e.name, e.size, hex(e.sha256 as Uint8Array)])).toEqual(items.map((c, i) => [v.parts.items[i]!.name, c.length, hex(sha256(c))]));
      // Forward records: signed by their forwarder, bound to the manifest and to each other.
      let prev: Uint8Array = new Uint8Array(32);
      for (const f of v.parts.forwards) {
        const record = unhex(f.record);
        const r = decodeCanonical(record) as CborMap;
        expect(ed25519Verify((r.by as CborMap).key as Uint8Array, signed('lintas/v1 bundle forward', record), unhex(f.signature))).toBe(true);
        expect(r.manifest).toEqual(sha256(manifest));
        expect(r.prev).toEqual(prev);
        prev = sha256(record);
      }
    });

    it(`${v.name}: sealed by ${v.envelope.sender}, opens to ${v.expect.result === 'ok' ? 'ok' : v.expect.code}`, async () => {
      const sender = (await identityKeysFromSeed(unhex(v.parties[v.envelope.sender]!.seed))).signing;
      const reader = await identityKeysFromSeed(sha256(utf8('vector reader')));
      const payload = unhex(v.payload);
      const options = { recipients: [{ type: 'X25519' as const, publicKey: reader.x25519.publicKey }], sender, contentType: 'application/vnd.lintas.bundle' };
      // Sealed a minute before the reader's clock (the vectors' clock is fixed, the real one is not).
      const size = v.envelope.declaredLength === null ? {} : { size: payload.length };
      const envelope = await collect(sealCore((async function* () { yield payload; })(), { ...options, ...size }, { random: systemRandom, now: () => (v.now - 60) * 1000 }));
      let outcome: string;
      try {
        const b = await openBundle(envelope, { keys: [reader.x25519], now: new Date(v.now * 1000) });
        expect(hex(b.manifestDigest)).toBe(v.expect.result === 'ok' ? v.expect.manifestDigest : hex(b.manifestDigest));
        const items = await b.readAll();
        if (v.expect.result === 'ok') {
          expect(b.expired).toBe(v.expect.expired);
          expect(b.forwards.length).toBe(v.expect.forwarders.length);
          expect(items.map((i) => [i.name, i.mediaType, hex(sha256(i.bytes))])).toEqual(v.expect.items.map((i) => [i.name, i.mediaType, i.sha256]));
        }
        outcome = 'ok';
      } catch (e) {
        if (!(e instanceof LintasError)) throw e;
        outcome = e.code;
      }
      expect(outcome).toBe(v.expect.result === 'ok' ? 'ok' : v.expect.code);
    });
  }
});

describe('audit-log vectors', () => {
  for (const v of audits) {
    it(`${v.name}: verifies to the expected result`, async () => {
      const log = unhex(v.log);
      const r = await verifyAuditLog(log, { signer: unhex(v.signer.publicKey), ...(v.anchor ? { anchor: unhex(v.anchor) } : {}) });
      expect(r.ok).toBe(v.expect.ok);
      expect(r.entries.length).toBe(v.expect.entries);
      expect(r.head ? { seq: r.head.seq, hash: hex(r.head.hash) } : null).toEqual(v.expect.head);
      expect(r.firstBroken ? { index: r.firstBroken.index, reason: r.firstBroken.reason } : null).toEqual(v.expect.firstBroken);
      if (!v.expect.ok) return;
      // Recompute the chain from the primitives: u32be length || CBOR [entry, signature].
      let prev: Uint8Array = new Uint8Array(32);
      let seq = 0;
      for (let off = 0; off < log.length; seq++) {
        const len = new DataView(log.buffer, log.byteOffset + off).getUint32(0);
        const record = log.subarray(off + 4, off + 4 + len);
        const [entry, sig] = decodeCanonical(record) as [Uint8Array, Uint8Array];
        const e = decodeCanonical(entry) as CborMap;
        expect(ed25519Verify(unhex(v.signer.publicKey), signed('lintas/v1 audit entry', entry), sig)).toBe(true);
        expect([e.seq, e.prev]).toEqual([seq, prev]);
        prev = sha256(record);
        off += 4 + len;
      }
      expect(hex(prev)).toBe(v.expect.head!.hash);
      if (v.anchor) {
        // The anchor from the primitives: [body, Ed25519(signer, context || 0x00 || body)], body { count, head, ... }.
        const [body, sig] = decodeCanonical(unhex(v.anchor)) as [Uint8Array, Uint8Array];
        const b = decodeCanonical(body) as CborMap;
        expect(ed25519Verify(unhex(v.signer.publicKey), signed('lintas/v1 audit anchor', body), sig)).toBe(true);
        expect([b.v, hex(b.signer as Uint8Array), b.count, hex(b.head as Uint8Array)]).toEqual([1, v.signer.publicKey, seq, hex(prev)]);
      }
    });
  }
});
