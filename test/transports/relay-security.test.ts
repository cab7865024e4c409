/**
 * The relay under attack and under load: strangers, replayed and expired challenges, the sender
 * allow list, size, quota and rate limits, a relay process killed and restarted, and TLS.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import {
  cryptoReady,
  envelopeBytes,
  generateIdentityKeys,
  identityKeysFromSeed,
  isLintasError,
  mailboxId,
  MemoryReplayGuard,
  receiveEnvelopes,
  RelayRequestError,
  RelayTransport,
  seal,
  type SigningKeyPair,
} from '../../src/index.js';
import { startRelay, type RelayOptions, type RelayServer } from '../../src/node.js';
import { ed25519Sign } from '../../src/crypto/ed25519.js';
import { challengeMessage, INLINE_ANSWER_BYTES, INLINE_ENVELOPE_BYTES, requestMessage } from '../../src/transports/relay/protocol.js';
import { startWorker, stopWorker, type Worker } from './process-helpers.js';

const generous = { perSecond: 10_000, burst: 10_000 };
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lintas-relay-sec-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function relay(options: Partial<RelayOptions> = {}): Promise<RelayServer> {
  const r = await startRelay({ dir: await tempDir(), leaseMs: 1000, ...options, limits: { clientRate: generous, mailboxSendRate: generous, ...options.limits } });
  cleanups.push(() => r.close());
  return r;
}

function client(r: RelayServer, options: Partial<ConstructorParameters<typeof RelayTransport>[0]> = {}): RelayTransport {
  const t = new RelayTransport({ url: r.url, longPollMs: 1000, ...options });
  cleanups.push(() => t.close());
  return t;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

async function post(r: RelayServer, path: string, body: unknown, token?: string): Promise<Response> {
  return fetch(r.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
}

/** Ask for a challenge and sign it; returns the session request body (not yet sent). */
async function signedChallenge(
  r: RelayServer,
  mailbox: string,
  signer: SigningKeyPair,
  opts: { claimKey?: Uint8Array; origin?: string } = {},
): Promise<{ nonce: string; publicKey: string; signature: string }> {
  await cryptoReady();
  const c = (await (await post(r, '/v1/challenge', { purpose: 'owner', mailbox })).json()) as { nonce: string; expiresAt: number };
  const publicKey = opts.claimKey ?? signer.publicKey;
  const message = challengeMessage({ purpose: 'owner', mailbox, nonce: Buffer.from(c.nonce, 'hex'), origin: opts.origin ?? r.origin, expiresAt: c.expiresAt, publicKey });
  return { nonce: c.nonce, publicKey: hex(publicKey), signature: hex(ed25519Sign(signer.secretKey, message)) };
}

/** The headers of one request under a session: the token and this request's signature (docs/TRANSPORTS.md 3.3). */
function signed(r: RelayServer, token: string, key: SigningKeyPair, method: string, path: string): Record<string, string> {
  const time = Date.now();
  const nonce = randomBytes(16);
  const signature = ed25519Sign(key.secretKey, requestMessage({ method, path, origin: r.origin, token: Buffer.from(token, 'hex'), time, nonce }));
  return { authorization: `Bearer ${token}`, 'x-lintas-time': String(time), 'x-lintas-nonce': hex(nonce), 'x-lintas-signature': hex(signature) };
}

async function ownerToken(r: RelayServer, owner: SigningKeyPair): Promise<string> {
  const res = await post(r, '/v1/session', await signedChallenge(r, mailboxId(owner.publicKey), owner));
  expect(res.status).toBe(200);
  return ((await res.json()) as { token: string }).token;
}

describe('relay: a stranger cannot touch another mailbox', () => {
  it('refuses listing, reading and deleting without the owner\'s session, and the envelope survives', async () => {
    const r = await relay();
    const victim = (await generateIdentityKeys()).signing;
    const stranger = (await generateIdentityKeys()).signing;
    const mailbox = mailboxId(victim.publicKey);
    await client(r).send(mailbox, new Uint8Array([1, 2, 3]));
    const [stored] = await client(r, { mailboxKeys: [victim] }).list(mailbox);
    const strangerToken = await ownerToken(r, stranger); // valid, but for the stranger's own mailbox
    const envelopePath = `/v1/mailboxes/${mailbox}/envelopes/${stored!.id}`;
    for (const token of [undefined, strangerToken, 'ab'.repeat(32), 'not hex']) {
      const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
      expect((await fetch(`${r.url}/v1/mailboxes/${mailbox}/envelopes`, { headers })).status).toBe(401);
      expect((await fetch(r.url + envelopePath, { headers })).status).toBe(401);
      expect((await fetch(r.url + envelopePath, { method: 'DELETE', headers })).status).toBe(401);
      expect((await post(r, `/v1/mailboxes/${mailbox}/leases`, {}, token)).status).toBe(401);
    }
    // The client refuses to try without the key, with a typed error.
    await expect(client(r, { mailboxKeys: [stranger] }).list(mailbox)).rejects.toMatchObject({ code: 'ERR_RELAY_AUTH_FAILED' });
    const owner = client(r, { mailboxKeys: [victim] });
    expect((await owner.list(mailbox)).map((e) => e.id)).toEqual([stored!.id]);
  });

  it('refuses a challenge signed with the wrong key, a forged claim, another origin, a replay and an expired one', async () => {
    const r = await relay({ challengeTtlSeconds: 1 });
    const victim = (await generateIdentityKeys()).signing;
    const stranger = (await generateIdentityKeys()).signing;
    const mailbox = mailboxId(victim.publicKey);
    const refused = async (body: unknown): Promise<void> => {
      const res = await post(r, '/v1/session', body);
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: string }).error).toBe('ERR_RELAY_AUTH_FAILED');
    };
    await refused(await signedChallenge(r, mailbox, stranger)); // stranger's key: not this mailbox
    await refused(await signedChallenge(r, mailbox, stranger, { claimKey: victim.publicKey })); // claims the victim's key
    await refused(await signedChallenge(r, mailbox, victim, { origin: 'https://evil.example' })); // signed for another relay
    const tampered = await signedChallenge(r, mailbox, victim);
    await refused({ ...tampered, signature: tampered.signature.replace(/^../, (b) => (parseInt(b, 16) ^ 1).toString(16).padStart(2, '0')) });
    await refused({ ...(await signedChallenge(r, mailbox, victim)), nonce: hex(randomBytes(32)) }); // never issued
    const good = await signedChallenge(r, mailbox, victim);
    expect((await post(r, '/v1/session', good)).status).toBe(200);
    await refused(good); // replayed
    const late = await signedChallenge(r, mailbox, victim);
    await new Promise((res) => setTimeout(res, 2100)); // outlive the 1 s challenge
    await refused(late);
    expect((await post(r, '/v1/session', { nonce: 'zz', publicKey: 1 })).status).toBe(400);
  });

  it('does not accept a sender session as an owner session, nor odd paths', async () => {
    const r = await relay();
    const owner = (await generateIdentityKeys()).signing;
    const mailbox = mailboxId(owner.publicKey);
    const c = (await (await post(r, '/v1/challenge', { purpose: 'sender' })).json()) as { nonce: string; expiresAt: number };
    await cryptoReady();
    const message = challengeMessage({ purpose: 'sender', mailbox: null, nonce: Buffer.from(c.nonce, 'hex'), origin: r.origin, expiresAt: c.expiresAt, publicKey: owner.publicKey });
    const s = await post(r, '/v1/session', { nonce: c.nonce, publicKey: hex(owner.publicKey), signature: hex(ed25519Sign(owner.secretKey, message)) });
    const { token } = (await s.json()) as { token: string };
    expect((await fetch(`${r.url}/v1/mailboxes/${mailbox}/envelopes`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    const ownerSession = await ownerToken(r, owner);
    const odd = `/v1/mailboxes/${mailbox}/envelopes/..%2f..%2fetc`;
    expect((await fetch(r.url + odd, { headers: signed(r, ownerSession, owner, 'GET', odd) })).status).toBe(404);
    const upper = `/v1/mailboxes/${mailbox.toUpperCase()}/envelopes`;
    expect((await fetch(r.url + upper, { headers: signed(r, ownerSession, owner, 'GET', upper) })).status).toBe(400);
    expect((await fetch(`${r.url}/v2/anything`)).status).toBe(404);
  });
});

describe('relay: options', () => {
  it('refuses options that could not work or are malformed', async () => {
    const dir = await tempDir();
    await expect(startRelay({ dir, host: '0.0.0.0' })).rejects.toBeInstanceOf(RangeError); // origin needed
    await expect(startRelay({ dir, port: 70_000 })).rejects.toBeInstanceOf(RangeError);
    await expect(startRelay({ dir, allowSenders: [new Uint8Array(31)] })).rejects.toBeInstanceOf(RangeError);
    await expect(startRelay({ dir, limits: { maxEnvelopeBytes: -1 } })).rejects.toBeInstanceOf(RangeError);
    await expect(startRelay({ dir, limits: { clientRate: { perSecond: 0, burst: 1 } } })).rejects.toBeInstanceOf(RangeError);
    await expect(startRelay({ dir: 42 as unknown as string })).rejects.toBeInstanceOf(TypeError);
    expect(() => new RelayTransport({ url: 'ftp://relay.example' })).toThrow(TypeError);
  });
});

describe('relay: sender allow list', () => {
  it('accepts listed senders only', async () => {
    const alice = (await generateIdentityKeys()).signing;
    const mallory = (await generateIdentityKeys()).signing;
    const owner = (await generateIdentityKeys()).signing;
    const mailbox = mailboxId(owner.publicKey);
    const r = await relay({ allowSenders: [alice.publicKey] });
    await client(r, { senderKey: alice }).send(mailbox, new Uint8Array([1]));
    for (const c of [client(r), client(r, { senderKey: mallory })]) {
      const err = await c.send(mailbox, new Uint8Array([2])).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RelayRequestError);
      expect(err).toMatchObject({ code: 'ERR_RELAY_SENDER_NOT_ALLOWED', status: 403 });
    }
    const stored = await client(r, { mailboxKeys: [owner] }).list(mailbox);
    expect(stored.length).toBe(1);
  });
});

describe('relay: limits', () => {
  it('answers 413 for an oversize envelope, sent whole or streamed, and stores nothing', async () => {
    const owner = (await generateIdentityKeys()).signing;
    const mailbox = mailboxId(owner.publicKey);
    const r = await relay({ limits: { maxEnvelopeBytes: 1000 } });
    const raw = await fetch(`${r.url}/v1/mailboxes/${mailbox}/envelopes`, { method: 'POST', body: new Uint8Array(1001) });
    expect(raw.status).toBe(413);
    const t = client(r);
    await expect(t.send(mailbox, new Uint8Array(1001))).rejects.toMatchObject({ code: 'ERR_TRANSPORT_ENVELOPE_TOO_LARGE', status: 413 });
    const stream = async function* (): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 20; i++) yield new Uint8Array(100);
    };
    await expect(t.send(mailbox, stream())).rejects.toMatchObject({ code: 'ERR_TRANSPORT_ENVELOPE_TOO_LARGE' });
    await t.send(mailbox, new Uint8Array(1000)); // exactly the limit is fine
    expect((await client(r, { mailboxKeys: [owner] }).list(mailbox)).map((e) => e.size)).toEqual([1000]);
  });

  it('tells its limit (GET /v1/limits), and a streamed upload cut off by the refusal is still reported as too large with the limit', async () => {
    const mailbox = mailboxId((await generateIdentityKeys()).signing.publicKey);
    const r = await relay({ limits: { maxEnvelopeBytes: 1 << 20 } });
    const t = client(r);
    expect(await t.limits()).toEqual({ maxEnvelopeBytes: 1 << 20 });
    // The relay answers 413 after 1 MiB and closes the connection after draining a little more:
    // the sender, still streaming, may see the reset before the answer. Either way it learns the truth.
    const piece = new Uint8Array(1 << 20);
    const stream = async function* (): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 256; i++) yield piece;
    };
    const error = await t.send(mailbox, stream()).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'ERR_TRANSPORT_ENVELOPE_TOO_LARGE' });
    expect((error as Error).message).toContain(`${1 << 20} bytes`);
  });

  it('answers 507 when a mailbox is full', async () => {
    const mailbox = mailboxId((await generateIdentityKeys()).signing.publicKey);
    const r = await relay({ limits: { maxEnvelopesPerMailbox: 2 } });
    const t = client(r);
    await t.send(mailbox, new Uint8Array([1]));
    await t.send(mailbox, new Uint8Array([2]));
    await expect(t.send(mailbox, new Uint8Array([3]))).rejects.toMatchObject({ code: 'ERR_RELAY_MAILBOX_FULL', status: 507 });
  });

  it('rate-limits a client address with 429 and Retry-After', async () => {
    const mailbox = mailboxId((await generateIdentityKeys()).signing.publicKey);
    const r = await relay({ limits: { clientRate: { perSecond: 0.1, burst: 3 } } });
    const path = `${r.url}/v1/mailboxes/${mailbox}/envelopes`;
    for (let i = 0; i < 3; i++) expect((await fetch(path, { method: 'POST', body: new Uint8Array([i]) })).status).toBe(201);
    const refused = await fetch(path, { method: 'POST', body: new Uint8Array([9]) });
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: string }).error).toBe('ERR_RELAY_RATE_LIMITED');
    const raw = await fetch(`${r.url}/v1/challenge`, { method: 'POST', body: '{}' });
    expect(raw.status).toBe(429);
    expect(Number(raw.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('rate-limits one sender\'s sends into one mailbox without blocking other mailboxes', async () => {
    const [a, b] = [mailboxId((await generateIdentityKeys()).signing.publicKey), mailboxId((await generateIdentityKeys()).signing.publicKey)];
    const r = await relay({ limits: { mailboxSendRate: { perSecond: 0.1, burst: 2 } } });
    const send = (m: string): Promise<Response> => fetch(`${r.url}/v1/mailboxes/${m}/envelopes`, { method: 'POST', body: new Uint8Array([1]) });
    expect((await send(a)).status).toBe(201);
    expect((await send(a)).status).toBe(201);
    const refused = await send(a);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await send(b)).status).toBe(201);
  });
});

type LeaseAnswer = { leases: { id: string; size: number; lease: string; body?: string }[]; leaseMs: number };

/** POST a signed lease request as `key` under `token` to `mailbox`'s leases. */
async function leaseRequest(r: RelayServer, token: string, key: SigningKeyPair, mailbox: string, body: unknown): Promise<Response> {
  const path = `/v1/mailboxes/${mailbox}/leases`;
  return fetch(r.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...signed(r, token, key, 'POST', path) }, body: JSON.stringify(body) });
}

/**
 * A `fetch` for RelayTransport that, in 'inline' mode, passes `edit` each inline body of lease
 * answers, and in 'fetch' mode asks without the inline flag (as clients before it did) and
 * passes `edit` each fetched envelope. It counts the envelope fetches.
 */
function meddling(mode: 'inline' | 'fetch', edit: (bytes: Uint8Array) => Uint8Array = (b) => b): { fetch: typeof fetch; fetches: () => number } {
  let fetches = 0;
  const f = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = String(input);
    if (url.endsWith('/leases') && mode === 'fetch') {
      const { inlineMaxBytes, ...rest } = JSON.parse(init!.body as string) as Record<string, unknown>;
      expect(inlineMaxBytes).toBe(INLINE_ENVELOPE_BYTES); // the client asks for it
      init = { ...init, body: JSON.stringify(rest) };
    }
    const res = await fetch(input, init);
    if (url.endsWith('/leases') && res.ok) {
      const answer = (await res.json()) as LeaseAnswer;
      for (const l of answer.leases) {
        if (mode === 'fetch') expect(l.body).toBeUndefined(); // no flag, no bodies
        else if (l.body !== undefined) l.body = Buffer.from(edit(Buffer.from(l.body, 'base64'))).toString('base64');
      }
      return new Response(JSON.stringify(answer), { status: 200, headers: { 'content-type': 'application/json' } });
    }
    if (/\/envelopes\/[^/]+$/.test(url) && (init?.method ?? 'GET') === 'GET' && res.ok) {
      fetches++;
      return new Response(Buffer.from(edit(new Uint8Array(await res.arrayBuffer()))), { status: 200 });
    }
    return res;
  };
  return { fetch: f as typeof fetch, fetches: () => fetches };
}

describe('relay: inline envelopes in lease answers', () => {
  it('puts envelopes the owner asked for inline, within the per-envelope and per-answer limits; without the flag, none', async () => {
    const owner = (await generateIdentityKeys()).signing;
    const mailbox = mailboxId(owner.publicKey);
    const r = await relay({ leaseMs: 60_000 });
    const sender = client(r);
    const small = [new Uint8Array([1, 2, 3]), randomBytes(200), randomBytes(1000)];
    for (const e of small) await sender.send(mailbox, e);
    await sender.send(mailbox, randomBytes(INLINE_ENVELOPE_BYTES + 1)); // over the relay's own cap
    const token = await ownerToken(r, owner);
    // The client's own cap (500) is below the relay's: the 1000-byte one is left to a fetch.
    let answer = (await (await leaseRequest(r, token, owner, mailbox, { max: 10, inlineMaxBytes: 500 })).json()) as LeaseAnswer;
    expect(answer.leases.map((l) => (l.body === undefined ? null : Buffer.from(l.body, 'base64')))).toEqual([Buffer.from(small[0]!), Buffer.from(small[1]!), null, null]);
    // Asking for more than the relay allows gets its cap, not more.
    const sizes: number[] = [];
    for (let i = 0; i < 3; i++) await sender.send(mailbox, randomBytes(INLINE_ENVELOPE_BYTES));
    answer = (await (await leaseRequest(r, token, owner, mailbox, { max: 10, inlineMaxBytes: 100 * INLINE_ENVELOPE_BYTES })).json()) as LeaseAnswer;
    for (const l of answer.leases) sizes.push(l.body === undefined ? -1 : Buffer.from(l.body, 'base64').length);
    expect(sizes).toEqual([INLINE_ENVELOPE_BYTES, INLINE_ENVELOPE_BYTES, INLINE_ENVELOPE_BYTES]);
    // Without the flag (clients before it), no bodies at all.
    const plainOwner = (await generateIdentityKeys()).signing;
    await sender.send(mailboxId(plainOwner.publicKey), new Uint8Array([7]));
    await sender.send(mailboxId(plainOwner.publicKey), new Uint8Array(0));
    answer = (await (await leaseRequest(r, await ownerToken(r, plainOwner), plainOwner, mailboxId(plainOwner.publicKey), { max: 10 })).json()) as LeaseAnswer;
    expect(answer.leases.map((l) => [l.size, l.body])).toEqual([
      [1, undefined],
      [0, undefined],
    ]);
  });

  it('keeps one answer under INLINE_ANSWER_BYTES of bodies, leaving the rest to fetches', async () => {
    const owner = (await generateIdentityKeys()).signing;
    const mailbox = mailboxId(owner.publicKey);
    const r = await relay({ leaseMs: 60_000 });
    const perAnswer = INLINE_ANSWER_BYTES / INLINE_ENVELOPE_BYTES;
    for (let i = 0; i < perAnswer + 4; i++) await client(r).send(mailbox, randomBytes(INLINE_ENVELOPE_BYTES));
    const res = await leaseRequest(r, await ownerToken(r, owner), owner, mailbox, { max: perAnswer + 4, inlineMaxBytes: INLINE_ENVELOPE_BYTES });
    const answer = (await res.json()) as LeaseAnswer;
    expect(answer.leases).toHaveLength(perAnswer + 4);
    const inline = answer.leases.filter((l) => l.body !== undefined);
    expect(inline).toHaveLength(perAnswer);
    expect(inline.reduce((n, l) => n + Buffer.from(l.body!, 'base64').length, 0)).toBe(INLINE_ANSWER_BYTES);
  });

  it('charges each inline body to the owner key\'s rate, like the fetch it saves', async () => {
    const owner = (await generateIdentityKeys()).signing;
    const mailbox = mailboxId(owner.publicKey);
    // Burst 4: the lease request takes one token, three bodies the other three, and two bodies find none.
    const r = await relay({ limits: { keyRate: { perSecond: 0.001, burst: 4 } } });
    for (let i = 0; i < 5; i++) await client(r).send(mailbox, new Uint8Array([i]));
    const answer = (await (await leaseRequest(r, await ownerToken(r, owner), owner, mailbox, { max: 5, inlineMaxBytes: 100 })).json()) as LeaseAnswer;
    expect(answer.leases.map((l) => l.body !== undefined)).toEqual([true, true, true, false, false]);
  });

  it('gives another key neither leases nor inline bodies of a mailbox it does not own, and refuses a malformed flag', async () => {
    const victim = (await generateIdentityKeys()).signing;
    const stranger = (await generateIdentityKeys()).signing;
    const mailbox = mailboxId(victim.publicKey);
    const r = await relay({ leaseMs: 60_000 });
    await client(r).send(mailbox, new Uint8Array([1, 2, 3]));
    const strangerToken = await ownerToken(r, stranger); // valid, for the stranger's own mailbox
    // Signed correctly by the stranger under its own session, and signed by the stranger under no session.
    const res = await leaseRequest(r, strangerToken, stranger, mailbox, { max: 10, inlineMaxBytes: 1000 });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).toBe('ERR_RELAY_AUTH_FAILED');
    expect((await post(r, `/v1/mailboxes/${mailbox}/leases`, { inlineMaxBytes: 1000 }, strangerToken)).status).toBe(401);
    // Nothing was leased: the owner gets it, inline.
    const token = await ownerToken(r, victim);
    for (const bad of [-1, 1.5, '100', true]) expect((await leaseRequest(r, token, victim, mailbox, { inlineMaxBytes: bad })).status).toBe(400);
    const answer = (await (await leaseRequest(r, token, victim, mailbox, { inlineMaxBytes: 1000 })).json()) as LeaseAnswer;
    expect(answer.leases.map((l) => l.body)).toEqual([Buffer.from([1, 2, 3]).toString('base64')]);
  });

  it('delivers through a client that does not ask for inline bodies (fetching each), and one that does (fetching none)', async () => {
    const owner = (await generateIdentityKeys()).signing;
    const mailbox = mailboxId(owner.publicKey);
    const r = await relay();
    const sent = [randomBytes(10), randomBytes(300), randomBytes(INLINE_ENVELOPE_BYTES + 10)];
    for (const mode of ['fetch', 'inline'] as const) {
      for (const e of sent) await client(r).send(mailbox, e);
      const m = meddling(mode);
      const got: Buffer[] = [];
      for await (const d of client(r, { mailboxKeys: [owner], fetch: m.fetch }).receive(mailbox, { untilEmpty: true })) {
        got.push(Buffer.from(await envelopeBytes(d.envelope)));
        await d.ack();
      }
      expect(got).toEqual(sent.map((e) => Buffer.from(e)));
      // The one over INLINE_ENVELOPE_BYTES is always fetched.
      expect(m.fetches()).toBe(mode === 'fetch' ? 3 : 1);
    }
  });

  it('detects a short or padded body inline exactly as on a fetch (ERR_RELAY_PROTOCOL), and a changed byte fails to open either way', async () => {
    const me = await generateIdentityKeys();
    const source = await generateIdentityKeys();
    const mailbox = mailboxId(me.signing.publicKey);
    const r = await relay();
    const cut = (b: Uint8Array): Uint8Array => b.subarray(0, b.length - 1);
    const padded = (b: Uint8Array): Uint8Array => Buffer.concat([b, Buffer.from([0])]);
    for (const mode of ['inline', 'fetch'] as const) {
      for (const edit of [cut, padded]) {
        await client(r).send(mailbox, new Uint8Array([1, 2, 3, 4]));
        const receiving = client(r, { mailboxKeys: [me.signing], fetch: meddling(mode, edit).fetch });
        const error = await (async () => {
          for await (const d of receiving.receive(mailbox, { untilEmpty: true })) await d.ack();
        })().then(
          () => null,
          (e: unknown) => e,
        );
        expect(error, `${mode} ${edit.name}`).toMatchObject({ code: 'ERR_RELAY_PROTOCOL' });
        await receiving.close();
        // Not acknowledged: still there for the next (honest) receive, once its lease (1 s) lapses.
        const honest = new AbortController();
        let redelivered = 0;
        for await (const d of client(r, { mailboxKeys: [me.signing], fetch: meddling(mode).fetch }).receive(mailbox, { signal: honest.signal })) {
          expect([...(await envelopeBytes(d.envelope))]).toEqual([1, 2, 3, 4]);
          await d.ack();
          redelivered++;
          honest.abort();
        }
        expect(redelivered).toBe(1);
      }
      // A flipped byte has the right length: the transport passes it on, and opening it fails.
      await client(r).send(mailbox, await seal(new TextEncoder().encode('tip'), { recipients: [me.xwing], sender: source.signing }));
      const flip = (b: Uint8Array): Uint8Array => {
        const c = Uint8Array.from(b);
        c[c.length - 1]! ^= 1;
        return c;
      };
      const rejected: string[] = [];
      const result = await receiveEnvelopes(client(r, { mailboxKeys: [me.signing], fetch: meddling(mode, flip).fetch }), mailbox, {
        keys: [me.xwing],
        replayGuard: new MemoryReplayGuard(),
        untilEmpty: true,
        handler: () => {
          throw new Error('a tampered envelope reached the handler');
        },
        onRejected: (x) => void rejected.push(x.error.code),
      });
      expect(result, mode).toEqual({ processed: 0, rejected: 1 });
      expect(rejected, mode).toEqual(['ERR_ENVELOPE_TAMPERED']);
    }
  });
});

describe('relay: the receive loop leases the next batch ahead', () => {
  it('lets the leases asked for ahead lapse when the loop stops, so another receiver gets every unacknowledged envelope', async () => {
    const owner = (await generateIdentityKeys()).signing;
    const mailbox = mailboxId(owner.publicKey);
    const r = await relay({ leaseMs: 1000 });
    const sent = Array.from({ length: 12 }, (_, i) => new Uint8Array([i]));
    for (const e of sent) await client(r).send(mailbox, e);
    // Batches of 8: handing out the 7th asks for the next batch (9 to 12). Stop there, unacknowledged.
    let n = 0;
    for await (const d of client(r, { mailboxKeys: [owner] }).receive(mailbox)) {
      if (++n === 7) break;
      await d.ack();
    }
    await new Promise((res) => setTimeout(res, 300)); // let the lease request made ahead be answered
    const got: number[] = [];
    const enough = new AbortController();
    const deadline = setTimeout(() => enough.abort(), 15_000);
    for await (const d of client(r, { mailboxKeys: [owner] }).receive(mailbox, { signal: enough.signal })) {
      got.push((await envelopeBytes(d.envelope))[0]!);
      await d.ack();
      if (got.length === 6) enough.abort();
    }
    clearTimeout(deadline);
    expect(got.sort((a, b) => a - b)).toEqual([6, 7, 8, 9, 10, 11]);
  });
});

describe('relay: restart', () => {
  const relayScript = fileURLToPath(new URL('./fixtures/relay-process.ts', import.meta.url));
  const workers: Worker[] = [];
  afterEach(async () => {
    for (const w of workers.splice(0)) await stopWorker(w, 'SIGKILL');
  });

  async function startRelayProcess(dir: string, port: number): Promise<{ worker: Worker; url: string }> {
    const worker = startWorker(relayScript, [dir, String(port), '1000']);
    workers.push(worker);
    const url = (await worker.waitForLine((l) => l.startsWith('listening '), 'listening')).slice('listening '.length);
    return { worker, url };
  }

  it('loses nothing when the relay process is killed and restarted, including leased and half-uploaded envelopes', async () => {
    const dir = await tempDir();
    const owner = (await generateIdentityKeys()).signing;
    const mailbox = mailboxId(owner.publicKey);
    const first = await startRelayProcess(dir, 0);
    const port = Number(new URL(first.url).port);
    const sender = new RelayTransport({ url: first.url });
    const sent: string[] = [];
    for (let i = 0; i < 20; i++) {
      const e = new Uint8Array(randomBytes(200 + i));
      await sender.send(mailbox, e); // each one answered 201
      sent.push(hex(e));
    }
    // One envelope is leased (not acked) when the relay dies, and an upload is cut off midway.
    const receiver = new RelayTransport({ url: first.url, mailboxKeys: [owner], longPollMs: 1000 });
    const loop = receiver.receive(mailbox)[Symbol.asyncIterator]();
    const leased = (await loop.next()).value!;
    const never = (async function* (): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(1000);
      await new Promise(() => {}); // the rest never comes
    })();
    const halfUpload = sender.send(mailbox, never).catch((e: unknown) => e);
    await new Promise((res) => setTimeout(res, 200));
    await stopWorker(first.worker, 'SIGKILL');
    expect(isLintasError(await halfUpload, 'ERR_TRANSPORT_UNAVAILABLE')).toBe(true);
    await receiver.close();
    await sender.close();

    const second = await startRelayProcess(dir, port);
    const after = new RelayTransport({ url: second.url, mailboxKeys: [owner], longPollMs: 1000 });
    const got: string[] = [];
    for await (const d of after.receive(mailbox, { untilEmpty: true })) {
      got.push(hex(await envelopeBytes(d.envelope)));
      await d.ack();
    }
    await after.close();
    expect(got).toEqual(sent); // all 20, in order, the leased one included
    expect(got).toContain(hex(await envelopeBytes(leased.envelope)));
    expect(await readdir(join(dir, 'tmp'))).toEqual([]); // the cut-off upload was discarded
  });
});

describe('relay: TLS', () => {
  const hasOpenssl = ((): boolean => {
    try {
      execFileSync('openssl', ['version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

  it('serves HTTPS with a configured key and certificate; clients that do not trust it are refused', async () => {
    // .ci/run installs openssl; without it this test cannot make a certificate.
    expect(hasOpenssl).toBe(true);
    const dir = await tempDir();
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    const r = await relay({ tls: { key: await readFile(join(dir, 'key.pem')), cert: await readFile(join(dir, 'cert.pem'), 'utf8') } });
    expect(r.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    // This process does not trust the certificate: a typed error, nothing sent.
    const untrusting = client(r);
    await expect(untrusting.send(mailboxId(randomBytes(32)), new Uint8Array([1]))).rejects.toMatchObject({ code: 'ERR_TRANSPORT_UNAVAILABLE' });
    // A process that trusts it exchanges an envelope over TLS.
    const seed = randomBytes(32);
    await identityKeysFromSeed(seed);
    const worker = startWorker(fileURLToPath(new URL('./fixtures/relay-client.ts', import.meta.url)), [r.url, hex(seed), 'over TLS'], {
      NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem'),
    });
    cleanups.push(() => stopWorker(worker, 'SIGKILL'));
    expect(await worker.waitForLine((l) => l.startsWith('received '), 'received')).toBe('received over TLS');
  });
});
