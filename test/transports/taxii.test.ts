/**
 * TaxiiTransport against lintas's own TAXII 2.1 server: the transport conformance suite, then
 * what TAXII adds: the durable cursor across a crash, the cursor folder's lock, permissions per
 * collection, credentials, a collection shared with other STIX content, and the artifact shape.
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { envelopeBytes, MemoryTaxiiCursorStore, TaxiiTransport, taxiiCollectionId, discoverTaxii } from '../../src/index.js';
import { FileTaxiiCursorStore, startTaxiiServer, type TaxiiServer } from '../../src/node.js';
import { CollectionCursor, TAXII_SETTLE_MS } from '../../src/transports/taxii/cursor.js';
import { randomMailbox, runTransportConformance } from './conformance.js';

const MAX_BYTES = 16 * 1024 * 1024;
const READER = { username: 'reader', password: 'reader-password-1' };
const WRITER = { username: 'writer', password: 'writer-password-1' };
const TOKEN = 'bearer-token-for-the-tests-0123456789';

async function server(dir: string, mailboxes: string[], extra: Partial<Parameters<typeof startTaxiiServer>[0]> = {}): Promise<TaxiiServer> {
  const ids = mailboxes.map(taxiiCollectionId);
  return startTaxiiServer({
    dir,
    collections: ids.map((id, i) => ({ id, title: `mailbox ${i}` })),
    users: [
      { ...READER, canRead: ids, canWrite: ids },
      { ...WRITER, canWrite: ids },
      { username: 'token-user', token: TOKEN, canRead: ids, canWrite: ids },
    ],
    maxContentLength: Math.ceil((MAX_BYTES * 4) / 3) + 4096,
    ...extra,
  });
}

runTransportConformance('TAXII 2.1', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lintas-taxii-'));
  const mailboxes = [randomMailbox(), randomMailbox(), randomMailbox()];
  const s = await server(dir, mailboxes);
  // One cursor store shared by every connection, as receivers in one process share one.
  const cursors = new FileTaxiiCursorStore(join(dir, 'cursors'));
  return {
    connect: async () => new TaxiiTransport({ apiRoot: s.apiRoot, auth: READER, cursorStore: cursors, pollIntervalMs: 50, maxEnvelopeBytes: MAX_BYTES }),
    dispose: async () => {
      await cursors.close();
      await s.close();
      await rm(dir, { recursive: true, force: true });
    },
    mailboxes,
    ordering: 'fifo',
    maxEnvelopeBytes: MAX_BYTES,
  };
});

describe('TAXII 2.1 transport', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  async function setUp(extra: Partial<Parameters<typeof startTaxiiServer>[0]> = {}) {
    const dir = await mkdtemp(join(tmpdir(), 'lintas-taxii-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const mailbox = randomMailbox();
    const s = await server(join(dir, 'server'), [mailbox], extra);
    cleanups.push(() => s.close());
    const transport = (o: Partial<ConstructorParameters<typeof TaxiiTransport>[0]> = {}) => {
      const t = new TaxiiTransport({ apiRoot: s.apiRoot, auth: READER, pollIntervalMs: 50, ...o });
      cleanups.push(() => t.close());
      return t;
    };
    return { dir, mailbox, s, transport };
  }

  it('resumes from its durable cursor after a crash: nothing acked comes back, nothing unacked is skipped', async () => {
    const { dir, mailbox, transport } = await setUp();
    const sender = transport({ auth: WRITER });
    const sent = [0, 1, 2, 3, 4].map((i) => new Uint8Array([i, ...randomBytes(20)]));
    for (const e of sent) await sender.send(mailbox, e);

    const store1 = new FileTaxiiCursorStore(join(dir, 'cursors'));
    const first = transport({ cursorStore: store1 });
    const got: Uint8Array[] = [];
    for await (const d of first.receive(mailbox)) {
      got.push(await envelopeBytes(d.envelope));
      if (got.length <= 2) await d.ack(); // the third is processed but the process dies before ack
      if (got.length === 3) break;
    }
    await first.close();
    await store1.close(); // what a crashed process leaves: the cursor file as of the last ack

    const store2 = new FileTaxiiCursorStore(join(dir, 'cursors'));
    cleanups.push(() => store2.close());
    const again: Uint8Array[] = [];
    for await (const d of transport({ cursorStore: store2 }).receive(mailbox, { untilEmpty: true })) {
      again.push(await envelopeBytes(d.envelope));
      await d.ack();
    }
    expect(got).toEqual(sent.slice(0, 3));
    expect(again).toEqual(sent.slice(2)); // the unacked third again, then the rest; never the first two
  });

  it('refuses a second process on the same cursor folder, and takes over the lock of a dead one', async () => {
    const { dir, mailbox, transport } = await setUp();
    const a = new FileTaxiiCursorStore(join(dir, 'cursors'));
    cleanups.push(() => a.close());
    for await (const _ of transport({ cursorStore: a }).receive(mailbox, { untilEmpty: true })) void _;
    const lock = join(dir, 'cursors', 'taxii-cursors.lock');
    const held = JSON.parse(await readFile(lock, 'utf8')) as { pid: number };
    expect(held.pid).toBe(process.pid);
    // A second store in this process stands for a second process: the lock says a live pid holds it.
    const b = new FileTaxiiCursorStore(join(dir, 'cursors'));
    await expect(b.load('x')).rejects.toMatchObject({ code: 'ERR_TAXII_CURSOR_LOCKED' });
    await a.close();
    // A lock left by a pid that no longer exists is taken over.
    const { writeFile } = await import('node:fs/promises');
    await writeFile(lock, JSON.stringify({ pid: 2 ** 22 + 12345, host: (await import('node:os')).hostname() }));
    const c = new FileTaxiiCursorStore(join(dir, 'cursors'));
    cleanups.push(() => c.close());
    await expect(c.load('x')).resolves.toBeNull();
  });

  it('sends with HTTP Basic or a bearer token; wrong credentials and missing permissions are typed errors', async () => {
    const { mailbox, s, transport } = await setUp();
    await transport({ auth: { bearer: TOKEN } }).send(mailbox, new Uint8Array([7]));
    await expect(transport({ auth: { username: 'reader', password: 'wrong-password-xx' } }).send(mailbox, new Uint8Array([1]))).rejects.toMatchObject({ code: 'ERR_TAXII_AUTH_FAILED' });
    await expect(transport({ auth: undefined }).send(mailbox, new Uint8Array([1]))).rejects.toMatchObject({ code: 'ERR_TAXII_AUTH_FAILED' });
    // The writer may post but not read.
    const loop = transport({ auth: WRITER }).receive(mailbox, { untilEmpty: true })[Symbol.asyncIterator]();
    await expect(loop.next()).rejects.toMatchObject({ code: 'ERR_TAXII_AUTH_FAILED' });
    // A mailbox without a collection on the server.
    await expect(transport({ auth: WRITER }).send(randomMailbox(), new Uint8Array([1]))).rejects.toMatchObject({ code: 'ERR_TAXII_REFUSED' });
    const got: number[] = [];
    for await (const d of transport().receive(mailbox, { untilEmpty: true })) {
      got.push((await envelopeBytes(d.envelope))[0]!);
      await d.ack();
    }
    expect(got).toEqual([7]);
    const discovery = await discoverTaxii(s.discoveryUrl, { auth: READER });
    expect(discovery.api_roots).toEqual([s.apiRoot]);
  });

  it('posts a bare STIX 2.1 artifact: no mailbox, sender or hash in plain properties', async () => {
    const { dir, mailbox, transport } = await setUp();
    const envelope = new Uint8Array(randomBytes(100));
    await transport({ auth: WRITER }).send(mailbox, envelope);
    const folder = join(dir, 'server', taxiiCollectionId(mailbox), 'objects');
    const [file] = await readdir(folder);
    const stored = JSON.parse(await readFile(join(folder, file!), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(stored).sort()).toEqual(['id', 'mime_type', 'payload_bin', 'spec_version', 'type']);
    expect(stored).toMatchObject({ type: 'artifact', spec_version: '2.1', mime_type: 'application/vnd.lintas.envelope', payload_bin: Buffer.from(envelope).toString('base64') });
    expect(stored.id).toMatch(/^artifact--[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(JSON.stringify(stored)).not.toContain(mailbox);
  });

  it('skips other STIX content in the collection and deletes acked envelopes when asked', async () => {
    const { mailbox, s, transport } = await setUp();
    const collection = `${s.apiRoot}collections/${taxiiCollectionId(mailbox)}/objects/`;
    const post = (objects: unknown[]) =>
      fetch(collection, {
        method: 'POST',
        headers: { accept: 'application/taxii+json;version=2.1', 'content-type': 'application/taxii+json;version=2.1', authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({ objects }),
      });
    const indicator = { type: 'indicator', spec_version: '2.1', id: 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f', created: '2026-01-01T00:00:00.000Z', modified: '2026-01-01T00:00:00.000Z', pattern: "[ipv4-addr:value = '198.51.100.1']", pattern_type: 'stix', valid_from: '2026-01-01T00:00:00Z' };
    const otherArtifact = { type: 'artifact', spec_version: '2.1', id: 'artifact--6f2b7a4e-4a0a-4c43-9b7e-2b1f6c2d9a10', mime_type: 'text/plain', payload_bin: 'aGVsbG8=' };
    expect((await post([indicator, otherArtifact])).status).toBe(202);
    await transport({ auth: WRITER }).send(mailbox, new Uint8Array([42]));
    const got: number[] = [];
    for await (const d of transport({ deleteOnAck: true }).receive(mailbox, { untilEmpty: true })) {
      got.push((await envelopeBytes(d.envelope))[0]!);
      await d.ack();
    }
    expect(got).toEqual([42]);
    const left = (await (await fetch(`${collection}?match[type]=artifact`, { headers: { accept: 'application/taxii+json;version=2.1', authorization: `Bearer ${TOKEN}` } })).json()) as { objects: { id: string }[] };
    expect(left.objects.map((o) => o.id)).toEqual([otherArtifact.id]); // the envelope was deleted; other content stays
  });

  it('checks the size against the server\'s max_content_length before posting', async () => {
    const { mailbox, transport } = await setUp({ maxContentLength: 10_000 });
    await expect(transport({ auth: WRITER }).send(mailbox, new Uint8Array(8_000))).rejects.toMatchObject({ code: 'ERR_TRANSPORT_ENVELOPE_TOO_LARGE' });
    await transport({ auth: WRITER }).send(mailbox, new Uint8Array(7_000));
  });

  it('validates its options at the edge', () => {
    expect(() => new TaxiiTransport({ apiRoot: 'ftp://x/' })).toThrow(TypeError);
    expect(() => new TaxiiTransport({ apiRoot: 'https://user:pw@taxii.example/api/' })).toThrow(TypeError);
    expect(() => new TaxiiTransport({ apiRoot: 'https://taxii.example/api/', auth: { username: 'a:b', password: 'x' } })).toThrow(RangeError);
    expect(() => new TaxiiTransport({ apiRoot: 'https://taxii.example/api/', pollIntervalMs: 0 })).toThrow(RangeError);
    const t = new TaxiiTransport({ apiRoot: 'https://taxii.example/api/', auth: { username: 'a', password: 'secret-password' } });
    expect(JSON.stringify(t)).not.toContain('secret-password');
  });
});

describe('TAXII cursor (the durable position of a receiver)', () => {
  const t = (s: number, micros = 0) => new Date(Date.UTC(2026, 11, 2, 12, 0, 0) + s * 1000).toISOString().replace(/\.\d{3}Z$/, `.${String(micros).padStart(6, '0')}Z`);

  it('moves the floor only over finished objects, and stays TAXII_SETTLE_MS behind the newest', async () => {
    const store = new MemoryTaxiiCursorStore();
    const c = await CollectionCursor.open(store, 'k');
    const me = Symbol('loop');
    c.startPass(me);
    const objs = [0, 1, 2, 20, 21].map((s, i) => ({ id: `artifact--00000000-0000-4000-8000-00000000000${i}`, dateAdded: t(s) }));
    for (const o of objs) expect(c.isDone(o.id, o.dateAdded, me)).toBe(false);
    await c.finish([objs[0]!, objs[2]!]); // the second is still in progress
    expect(c.addedAfter()).toBeNull(); // 0 s is done, but within TAXII_SETTLE_MS of the newest (2 s)
    await c.finish([objs[1]!, objs[3]!, objs[4]!]);
    // Everything is done, but the floor stays TAXII_SETTLE_MS behind the newest (21 s): at 2 s.
    expect(TAXII_SETTLE_MS).toBe(5_000);
    expect(c.addedAfter()).toBe(new Date(Date.parse(objs[2]!.dateAdded) - 1).toISOString());
    const saved = await store.load('k');
    expect(Object.keys(saved!.done).sort()).toEqual(objs.slice(2).map((o) => o.id).sort()); // older ones pruned
    // Reopened from the store: the same position, and the done ids inside the window are skipped.
    const again = await CollectionCursor.open(store, 'k');
    again.startPass(me);
    expect(again.isDone(objs[3]!.id, objs[3]!.dateAdded, me)).toBe(true);
  });

  it('still lists an object stamped with the floor\'s own time that appears after the floor moved', async () => {
    const store = new MemoryTaxiiCursorStore();
    const c = await CollectionCursor.open(store, 'k');
    const me = Symbol('loop');
    c.startPass(me);
    const a = { id: 'artifact--00000000-0000-4000-8000-00000000000a', dateAdded: t(0, 500) };
    const late = { id: 'artifact--00000000-0000-4000-8000-00000000000b', dateAdded: t(0, 500) }; // same microsecond
    const newer = { id: 'artifact--00000000-0000-4000-8000-00000000000c', dateAdded: t(30) };
    c.isDone(a.id, a.dateAdded, me);
    c.isDone(newer.id, newer.dateAdded, me);
    await c.finish([a, newer]);
    // The floor is a's time; added_after is strictly after, so the cursor asks from 1 ms earlier.
    expect(Date.parse(c.addedAfter()!)).toBeLessThan(Date.parse(late.dateAdded));
    c.startPass(me);
    expect(c.isDone(a.id, a.dateAdded, me)).toBe(true);
    expect(c.isDone(late.id, late.dateAdded, me)).toBe(false);
  });

  it('keeps leases per holder, and gives them back when the holder stops', async () => {
    const c = await CollectionCursor.open(new MemoryTaxiiCursorStore(), 'k');
    const [a, b] = [Symbol('a'), Symbol('b')];
    expect(c.lease('x', a)).toBe(true);
    expect(c.lease('x', b)).toBe(false);
    c.releaseAll(a);
    expect(c.lease('x', b)).toBe(true);
  });
});
