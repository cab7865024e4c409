/**
 * The HTTP relay client: a {@link Transport} over a lintas relay (src/transports/relay/server.ts)
 * using only `fetch`, so it runs in browsers as well as Node. It authenticates as a mailbox owner
 * by signing the relay's challenge with the owner's Ed25519 key, and, when the relay keeps an
 * allow list, as a sender with the sender's key. No passwords exist anywhere.
 */
import { LintasError } from '../../errors/index.js';
import { cryptoReady } from '../../crypto/sodium.js';
import { ed25519Sign } from '../../crypto/ed25519.js';
import { systemRandom } from '../../crypto/random.js';
import type { SigningKeyPair } from '../../keys/index.js';
import { LeaseRenewal, pause } from '../lease-renewal.js';
import { checkMailboxId, mailboxId } from '../mailbox.js';
import {
  checkEnvelopeBody,
  checkPositiveInteger,
  checkReceiveOptions,
  transportClosed,
  type Delivery,
  type EnvelopeBody,
  type ReceiveOptions,
  type Transport,
} from '../transport.js';
import { fromBase64, isBase64 } from '../base64.js';
import {
  challengeMessage,
  codeForStatus,
  hexOf,
  INLINE_ENVELOPE_BYTES,
  originOf,
  parseHex,
  NONCE_BYTES,
  RelayRequestError,
  REQUEST_NONCE_BYTES,
  REQUEST_NONCE_HEADER,
  REQUEST_SIGNATURE_HEADER,
  REQUEST_TIME_HEADER,
  requestMessage,
  TOKEN_BYTES,
  type SessionPurpose,
} from './protocol.js';
import { MAX_RATE_LIMIT_RETRIES, rateLimitDelayMs } from './backoff.js';

/** Node's `util.inspect` hook; a registered symbol, so this module still loads in browsers. */
const INSPECT: unique symbol = Symbol.for('nodejs.util.inspect.custom');

/** Envelopes up to this size are fetched whole; larger ones are streamed when read. */
const WHOLE_BYTES = 1024 * 1024;
/** Renew a session this long before the relay would expire it. */
const SESSION_MARGIN_MS = 30_000;
/** Envelopes leased by one request of a receive loop. */
const LEASE_BATCH = 8;
/** Most consecutive 429 answers a receive loop waits out before giving up. */
const MAX_RATE_LIMIT_WAITS = 20;

/** Options for {@link RelayTransport}. */
export interface RelayTransportOptions {
  /** The relay's base URL, e.g. "https://relay.example.org". */
  url: string;
  /** Signing keys of the mailboxes this client receives from (the mailbox id derives from the key). */
  mailboxKeys?: SigningKeyPair[];
  /** The key this client sends as, required by relays that keep a sender allow list. */
  senderKey?: SigningKeyPair;
  /** The origin signed in challenges; default the origin of `url`. Must match the relay's configured origin. */
  origin?: string;
  /** How long one lease request waits on the relay for new mail, in ms. Default 20 000. */
  longPollMs?: number;
  /** A `fetch` to use instead of the global one (custom TLS agents, tests). */
  fetch?: typeof fetch;
}

interface CachedSession {
  token: string;
  expiresAtMs: number;
  /** The relay's clock minus ours when the session opened, to date request signatures in its time. */
  offsetMs: number;
}

interface LeaseInfo {
  id: string;
  size: number;
  lease: string;
  leaseMs: number;
  /** The envelope, if the relay sent it inline in the lease answer; else null (fetched). */
  body: Uint8Array | null;
}

/** What a relay says about its limits ({@link RelayTransport.limits}). */
export interface RelayLimitsInfo {
  /** The largest envelope it accepts, in bytes. */
  maxEnvelopeBytes: number;
}

/** One stored envelope as the relay lists it. */
export interface RelayEnvelopeInfo {
  /** The relay's id of the stored envelope. */
  id: string;
  /** Its size in bytes. */
  size: number;
  /** True while a receiver holds a lease on it. */
  leased: boolean;
}

/**
 * A {@link Transport} over a lintas HTTP relay. Browser-safe (fetch only). Ordering: FIFO per
 * mailbox as the relay received them. Durability: send resolves after the relay answered 201,
 * which it does only after fsyncing the envelope.
 *
 * Streaming uploads (an AsyncIterable envelope) use `fetch` with a ReadableStream body, which
 * Node and Chromium support; elsewhere pass bytes.
 *
 * A client proves it owns a mailbox by signing the relay's challenge with the mailbox's signing
 * key (`mailboxKeys`); sending needs no key unless the relay keeps a sender allow list.
 * @example
 * ```ts
 * import { mkdtemp, rm } from 'node:fs/promises';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { envelopeBytes, generateIdentityKeys, mailboxId, open, RelayTransport, seal } from 'lintas';
 * import { startRelay } from 'lintas/node';
 *
 * const dir = await mkdtemp(join(tmpdir(), 'relay-'));
 * const relay = await startRelay({ dir }); // usually run elsewhere: `lintas relay start`
 * const analyst = await generateIdentityKeys();
 * const source = await generateIdentityKeys();
 *
 * const sender = new RelayTransport({ url: relay.url });
 * await sender.send(mailboxId(analyst.signing.publicKey), await seal(new TextEncoder().encode('tip'), { recipients: [analyst.xwing], sender: source.signing }));
 *
 * const receiver = new RelayTransport({ url: relay.url, mailboxKeys: [analyst.signing] });
 * for await (const delivery of receiver.receive(mailboxId(analyst.signing.publicKey), { untilEmpty: true })) {
 *   const opened = await open(await envelopeBytes(delivery.envelope), { keys: [analyst.xwing] });
 *   console.log(new TextDecoder().decode(opened.payload)); // tip
 *   await delivery.ack();
 * }
 * await Promise.all([sender.close(), receiver.close()]);
 * await relay.close();
 * await rm(dir, { recursive: true });
 * ```
 */
export class RelayTransport implements Transport {
  private readonly base: string;
  private readonly origin: string;
  private readonly mailboxKeys: SigningKeyPair[];
  private readonly senderKey: SigningKeyPair | null;
  private readonly longPollMs: number;
  private readonly fetch: typeof fetch;
  private readonly closing = new AbortController();
  private readonly sessions = new Map<string, CachedSession>();
  private readonly renewals = new Set<LeaseRenewal>();

  /**
   * Prints without key material (`console.log`, `util.inspect` at any depth): it holds the mailbox
   * and sender signing keys and session tokens.
   */
  [INSPECT](): string {
    return 'RelayTransport { [secret keys not shown] }';
  }

  /** `JSON.stringify` shows no key material either. */
  toJSON(): {
    /** The class name, and nothing else. */
    type: 'RelayTransport';
  } {
    return { type: 'RelayTransport' };
  }

  /** @throws {TypeError} / {RangeError} for invalid options. */
  constructor(options: RelayTransportOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
    if (typeof options.url !== 'string') throw new TypeError('options.url must be the relay URL');
    const url = new URL(options.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError('options.url must be an http(s) URL');
    this.base = url.href.replace(/\/+$/, '');
    this.origin = originOf(options.origin ?? options.url);
    if (options.mailboxKeys !== undefined && (!Array.isArray(options.mailboxKeys) || !options.mailboxKeys.every(isSigningKeyPair))) {
      throw new TypeError('options.mailboxKeys must be an array of signing key pairs');
    }
    if (options.senderKey !== undefined && !isSigningKeyPair(options.senderKey)) throw new TypeError('options.senderKey must be a signing key pair');
    this.mailboxKeys = options.mailboxKeys ?? [];
    this.senderKey = options.senderKey ?? null;
    this.longPollMs = checkPositiveInteger(options.longPollMs, 'options.longPollMs', 20_000);
    if (options.fetch !== undefined && typeof options.fetch !== 'function') throw new TypeError('options.fetch must be a function');
    const f = options.fetch ?? globalThis.fetch;
    if (typeof f !== 'function') throw new TypeError('no fetch available: pass options.fetch');
    this.fetch = f.bind(globalThis);
  }

  /** @inheritdoc */
  async send(mailbox: string, envelope: EnvelopeBody): Promise<void> {
    checkMailboxId(mailbox);
    checkEnvelopeBody(envelope);
    this.assertOpen();
    const path = `/v1/mailboxes/${mailbox}/envelopes`;
    const bytes = envelope instanceof Uint8Array;
    const sent = { bytes: bytes ? envelope.length : 0, started: false };
    const init = async (): Promise<RequestInit> => {
      const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
      if (this.senderKey) Object.assign(headers, await this.signedHeaders('sender', null, this.senderKey, 'POST', path));
      // redirect 'error' for a stream: otherwise fetch clones the request to be able to follow a
      // redirect, and a cloned stream body is teed, keeping every chunk sent in memory (a
      // 2 GiB envelope took 2 GiB). The relay protocol never redirects.
      return bytes
        ? { method: 'POST', headers, body: envelope as BodyInit }
        : ({ method: 'POST', headers, body: streamBody(counting(envelope, sent)), duplex: 'half', redirect: 'error' } as RequestInit);
    };
    // Bytes can be sent again, so a 429 is waited out and an expired session renewed; a stream
    // only as long as fetch has not begun reading it. Once it has, sending it again would upload
    // whatever is left of it as if it were the envelope: refused instead (consumedStream below).
    try {
      await this.call(path, init, () => bytes || !sent.started, this.senderKey ? { purpose: 'sender', mailbox: null } : null);
    } catch (e) {
      throw await this.explainLostUpload(e, sent);
    }
  }

  /**
   * The relay's limits (`GET /v1/limits`, no session needed), so a sender can refuse an
   * envelope above them from its size, before streaming any of it.
   * @throws {@link LintasError} `ERR_TRANSPORT_UNAVAILABLE`, `ERR_RELAY_PROTOCOL`, and the relay's codes.
   */
  async limits(): Promise<RelayLimitsInfo> {
    this.assertOpen();
    const body = await readJson(await this.call('/v1/limits', async () => ({ method: 'GET' }), always, null));
    if (typeof body.maxEnvelopeBytes !== 'number' || !Number.isSafeInteger(body.maxEnvelopeBytes) || body.maxEnvelopeBytes <= 0) throw protocolError();
    return { maxEnvelopeBytes: body.maxEnvelopeBytes };
  }

  /**
   * A relay refusing an oversize upload answers 413 and then closes the connection, which can
   * reach the client as a reset before the answer does: ask the relay for its limit, and if
   * more than that was sent, report the refusal it was.
   */
  private async explainLostUpload(e: unknown, sent: { bytes: number }): Promise<unknown> {
    if (!(e instanceof LintasError) || e.code !== 'ERR_TRANSPORT_UNAVAILABLE' || sent.bytes === 0) return e;
    const limit = await this.limits().then(
      (l) => l.maxEnvelopeBytes,
      () => null,
    );
    if (limit === null || sent.bytes <= limit) return e;
    return new LintasError('ERR_TRANSPORT_ENVELOPE_TOO_LARGE', `Relay refused the request: Envelope exceeds this relay's limit of ${limit} bytes`, { cause: e });
  }

  /** @inheritdoc */
  receive(mailbox: string, options?: ReceiveOptions): AsyncIterable<Delivery> {
    checkMailboxId(mailbox);
    const o = checkReceiveOptions(options);
    return this.loop(mailbox, o.untilEmpty, o.signal);
  }

  /**
   * List the envelopes stored in one of this client's mailboxes, without leasing them.
   * @throws {@link LintasError} `ERR_RELAY_AUTH_FAILED` (no key for the mailbox, or refused), `ERR_TRANSPORT_UNAVAILABLE`.
   */
  async list(mailbox: string): Promise<RelayEnvelopeInfo[]> {
    checkMailboxId(mailbox);
    this.assertOpen();
    const res = await this.ownerRequest(mailbox, `/v1/mailboxes/${mailbox}/envelopes`, { method: 'GET' });
    const body = await readJson(res);
    const list = body.envelopes;
    if (!Array.isArray(list)) throw protocolError();
    return list.map((e: Record<string, unknown>) => {
      if (typeof e?.id !== 'string' || typeof e.size !== 'number' || typeof e.leased !== 'boolean') throw protocolError();
      return { id: e.id, size: e.size, leased: e.leased };
    });
  }

  private async *loop(mailbox: string, untilEmpty: boolean, signal: AbortSignal | null): AsyncGenerator<Delivery> {
    this.assertOpen();
    this.keyFor(mailbox);
    // Aborted when the loop ends, so a lease request made ahead does not outlive it.
    const ended = new AbortController();
    const stop = linkedAbort(this.closing.signal, signal, ended.signal);
    let renewal: LeaseRenewal | null = null;
    /** Leased and not yet handed out: one request leases up to LEASE_BATCH (a third of the round trips). */
    const pending: LeaseInfo[] = [];
    /** The next of them, already being fetched while the app handles the one before. */
    let ahead: { held: LeaseInfo; delivery: Promise<Delivery | null> } | null = null;
    /** The next batch, asked for while the app handles the last of this one (see below). */
    let nextBatch: Promise<LeaseInfo[]> | null = null;
    let rateLimitWaits = 0;
    try {
      while (!stop.signal.aborted) {
        if (ahead === null && pending.length === 0) {
          try {
            const batch = nextBatch ?? this.leaseBatch(mailbox, untilEmpty ? 0 : this.longPollMs, stop.signal);
            nextBatch = null;
            pending.push(...(await batch));
            rateLimitWaits = 0;
          } catch (e) {
            if (stop.signal.aborted) return;
            if (e instanceof RelayRequestError && e.code === 'ERR_RELAY_RATE_LIMITED' && rateLimitWaits++ < MAX_RATE_LIMIT_WAITS) {
              await pause((e.retryAfterSeconds ?? 1) * 1000, stop.signal);
              continue;
            }
            throw e;
          }
          if (pending.length === 0) {
            if (untilEmpty) return;
            continue;
          }
          // Renew at a third of the lease, so two renewals can fail before it lapses.
          renewal ??= new LeaseRenewal(Math.max(1, Math.floor(pending[0]!.leaseMs / 3)));
          this.renewals.add(renewal);
          this.hold(mailbox, renewal, pending);
        }
        const current = ahead ?? this.fetchAhead(mailbox, pending.shift()!, renewal!);
        const delivery = await current.delivery;
        // Fetch the next one now, so its round trip overlaps the app's work and acknowledgement
        // of this one (one envelope of at most WHOLE_BYTES held in advance).
        ahead = pending.length > 0 ? this.fetchAhead(mailbox, pending.shift()!, renewal!) : null;
        // Nothing left to hand out after the next one: ask for the next batch now, so the lease
        // request (the costliest, reading the inline envelopes) overlaps the app's work and the
        // acknowledgements of the last two instead of waiting behind them. Its leases are
        // renewed from the moment they arrive.
        if (pending.length === 0 && nextBatch === null && !stop.signal.aborted) {
          const renewing = renewal!;
          nextBatch = this.leaseBatch(mailbox, untilEmpty ? 0 : this.longPollMs, stop.signal).then((batch) => {
            // Answered as the loop ended: not held, so they lapse like any lease not handed out.
            if (!stop.signal.aborted) this.hold(mailbox, renewing, batch);
            return batch;
          });
          nextBatch.catch(() => {}); // reported when the loop gets to it, or dropped if it never does
        }
        if (delivery === null) renewal!.release(current.held.id);
        else yield delivery;
      }
    } finally {
      ended.abort();
      stop.detach();
      // Leases not handed out are let go: they lapse on the relay after leaseMs.
      if (renewal) {
        renewal.stop();
        this.renewals.delete(renewal);
      }
    }
  }

  /** Keep renewing `leases` until each is acknowledged or given up. */
  private hold(mailbox: string, renewal: LeaseRenewal, leases: LeaseInfo[]): void {
    for (const held of leases) renewal.hold(held.id, () => this.renew(mailbox, held));
  }

  /** Start fetching a leased envelope; a failure is reported when the loop gets to it, or dropped if it never does. */
  private fetchAhead(mailbox: string, held: LeaseInfo, renewal: LeaseRenewal): { held: LeaseInfo; delivery: Promise<Delivery | null> } {
    const delivery = this.delivery(mailbox, held, renewal);
    delivery.catch(() => {});
    return { held, delivery };
  }

  /**
   * Lease up to {@link LEASE_BATCH} envelopes, asking for those up to INLINE_ENVELOPE_BYTES inline
   * in the answer (saving a fetch each; docs/TRANSPORTS.md 3.3, "Inline envelopes"). A relay that
   * does not know the flag ignores it, and every envelope is fetched.
   */
  private async leaseBatch(mailbox: string, waitMs: number, signal: AbortSignal): Promise<LeaseInfo[]> {
    const res = await this.ownerRequest(mailbox, `/v1/mailboxes/${mailbox}/leases`, jsonInit('POST', { max: LEASE_BATCH, waitMs, inlineMaxBytes: INLINE_ENVELOPE_BYTES }, signal));
    const body = await readJson(res);
    if (!Array.isArray(body.leases) || typeof body.leaseMs !== 'number') throw protocolError();
    const leaseMs = body.leaseMs;
    return (body.leases as Record<string, unknown>[]).map((l) => {
      if (typeof l?.id !== 'string' || !Number.isSafeInteger(l.size) || (l.size as number) < 0 || typeof l.lease !== 'string') throw protocolError();
      const size = l.size as number;
      let inline: Uint8Array | null = null;
      if (l.body !== undefined) {
        // Held to what a fetch is held to: exactly the leased size (a short or padded body is the
        // relay's or a proxy's fault, not an envelope); a changed byte is for `open` to find.
        if (typeof l.body !== 'string' || !isBase64(l.body)) throw protocolError();
        inline = fromBase64(l.body);
        if (inline.length !== size) throw protocolError();
      }
      return { id: l.id, size, lease: l.lease, leaseMs, body: inline };
    });
  }

  private async renew(mailbox: string, lease: LeaseInfo): Promise<boolean> {
    if (this.closing.signal.aborted) return false;
    try {
      await this.ownerRequest(mailbox, `/v1/mailboxes/${mailbox}/envelopes/${lease.id}/renew`, jsonInit('POST', { lease: lease.lease }));
      return true;
    } catch (e) {
      if (isStatus(e, 409) || isStatus(e, 404)) return false;
      throw e;
    }
  }

  private async delivery(mailbox: string, lease: LeaseInfo, renewal: LeaseRenewal): Promise<Delivery | null> {
    const path = `/v1/mailboxes/${mailbox}/envelopes/${lease.id}`;
    let envelope: EnvelopeBody;
    if (lease.body !== null) {
      envelope = lease.body;
    } else if (lease.size <= WHOLE_BYTES) {
      let res: Response;
      try {
        res = await this.ownerRequest(mailbox, path, { method: 'GET' });
      } catch (e) {
        if (isStatus(e, 404)) return null; // acknowledged by another receiver meanwhile
        throw e;
      }
      try {
        envelope = new Uint8Array(await res.arrayBuffer());
      } catch (e) {
        throw unavailable(e); // the connection broke mid-body
      }
      // The size the relay leased it with: anything else is not the stored envelope.
      if (envelope.length !== lease.size) throw protocolError();
    } else {
      envelope = this.streamEnvelope(mailbox, path);
    }
    return {
      id: lease.id,
      envelope,
      ack: async () => {
        this.assertOpen();
        renewal.release(lease.id);
        try {
          await this.ownerRequest(mailbox, path, { method: 'DELETE' });
        } catch (e) {
          if (!isStatus(e, 404)) throw e; // 404: already acknowledged
        }
      },
    };
  }

  private async *streamEnvelope(mailbox: string, path: string): AsyncGenerator<Uint8Array> {
    const res = await this.ownerRequest(mailbox, path, { method: 'GET' });
    if (!res.body) throw protocolError();
    const reader = res.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value;
      }
    } catch (e) {
      throw e instanceof LintasError ? e : unavailable(e);
    } finally {
      await reader.cancel().catch(() => {});
    }
  }

  /** A request as the mailbox owner, signed; see {@link call} for the retries. */
  private async ownerRequest(mailbox: string, path: string, init: RequestInit): Promise<Response> {
    const key = this.keyFor(mailbox);
    const method = init.method ?? 'GET';
    return this.call(
      path,
      async () => ({ ...init, headers: { ...(init.headers as Record<string, string> | undefined), ...(await this.signedHeaders('owner', mailbox, key, method, path)) } }),
      always,
      { purpose: 'owner', mailbox },
    );
  }

  /**
   * Make a request built afresh by `init` for each attempt (each carries a new request
   * signature). While `resendable()` (its body can be sent again), a request waits out a 429 with
   * backoff.ts's delays up to {@link MAX_RATE_LIMIT_RETRIES} times, and one made under `session`
   * opens a new session once on a 401 (the session expired or the relay restarted). Fetches and
   * acknowledgements are retried like everything else, so a busy relay does not cause a second
   * delivery.
   */
  private async call(
    path: string,
    init: () => Promise<RequestInit>,
    resendable: () => boolean,
    session: { purpose: SessionPurpose; mailbox: string | null } | null,
  ): Promise<Response> {
    let reauthenticated = false;
    for (let waits = 0; ; ) {
      const request = await init();
      try {
        return await this.request(path, request);
      } catch (e) {
        if (session !== null && isStatus(e, 401) && !reauthenticated) {
          reauthenticated = true;
          // Forgotten either way, so the next request (or the caller's next send) opens a new one.
          this.sessions.delete(sessionKey(session.purpose, session.mailbox));
          if (!resendable()) throw consumedStream(e as RelayRequestError);
          continue;
        }
        if (!resendable() || !isStatus(e, 429) || waits >= MAX_RATE_LIMIT_RETRIES || this.closing.signal.aborted || request.signal?.aborted) throw e;
        await pause(rateLimitDelayMs(waits++, (e as RelayRequestError).retryAfterSeconds), this.closing.signal, request.signal ?? null);
        if (this.closing.signal.aborted) throw transportClosed();
        if (request.signal?.aborted) throw e;
      }
    }
  }

  /** The headers that authenticate one request: the session token and this request's signature. */
  private async signedHeaders(purpose: SessionPurpose, mailbox: string | null, key: SigningKeyPair, method: string, path: string): Promise<Record<string, string>> {
    const session = await this.session(purpose, mailbox, key);
    const time = Date.now() + session.offsetMs;
    const token = parseHex(session.token, TOKEN_BYTES);
    if (!token) throw protocolError();
    const nonce = systemRandom(REQUEST_NONCE_BYTES);
    const signature = ed25519Sign(key.secretKey, requestMessage({ method, path, origin: this.origin, token, time, nonce }));
    return {
      authorization: `Bearer ${session.token}`,
      [REQUEST_TIME_HEADER]: String(time),
      [REQUEST_NONCE_HEADER]: hexOf(nonce),
      [REQUEST_SIGNATURE_HEADER]: hexOf(signature),
    };
  }

  /** A session for `purpose`, from the cache or by answering a fresh challenge. */
  private async session(purpose: SessionPurpose, mailbox: string | null, key: SigningKeyPair): Promise<CachedSession> {
    const cacheKey = sessionKey(purpose, mailbox);
    const cached = this.sessions.get(cacheKey);
    if (cached && cached.expiresAtMs - SESSION_MARGIN_MS > Date.now() + cached.offsetMs) return cached;
    await cryptoReady();
    const challenge = await readJson(await this.call('/v1/challenge', async () => jsonInit('POST', { purpose, mailbox }), always, null));
    const nonce = parseHex(challenge.nonce, NONCE_BYTES);
    if (!nonce || typeof challenge.expiresAt !== 'number') throw protocolError();
    // Sign the origin we addressed, never the one the relay claims: that is what stops a
    // malicious relay from relaying another relay's challenge to us.
    const message = challengeMessage({ purpose, mailbox, nonce, origin: this.origin, expiresAt: challenge.expiresAt, publicKey: key.publicKey });
    const signature = ed25519Sign(key.secretKey, message);
    const opened = await readJson(
      await this.call('/v1/session', async () => jsonInit('POST', { nonce: hexOf(nonce), publicKey: hexOf(key.publicKey), signature: hexOf(signature) }), always, null),
    );
    if (typeof opened.token !== 'string' || typeof opened.expiresAt !== 'number' || typeof opened.time !== 'number') throw protocolError();
    const session = { token: opened.token, expiresAtMs: opened.expiresAt * 1000, offsetMs: opened.time - Date.now() };
    this.sessions.set(cacheKey, session);
    return session;
  }

  private async request(path: string, init: RequestInit): Promise<Response> {
    let res: Response;
    try {
      res = await this.fetch(this.base + path, init);
    } catch (e) {
      throw unavailable(e);
    }
    if (res.ok) return res;
    let body: Record<string, unknown> = {};
    try {
      body = (await res.json()) as Record<string, unknown>;
    } catch {
      // Not a relay error body (a proxy's HTML page, say): the status alone decides.
    }
    const retryAfter = Number(res.headers.get('retry-after'));
    const code = codeForStatus(res.status, body?.error);
    const detail = typeof body?.message === 'string' ? body.message.slice(0, 300) : `HTTP ${res.status}`;
    throw new RelayRequestError(code, `Relay refused the request: ${detail}`, res.status, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null);
  }

  private keyFor(mailbox: string): SigningKeyPair {
    const key = this.mailboxKeys.find((k) => mailboxId(k.publicKey) === mailbox);
    if (!key) throw new LintasError('ERR_RELAY_AUTH_FAILED', 'No signing key for this mailbox: pass its owner\'s signing key pair in mailboxKeys');
    return key;
  }

  private assertOpen(): void {
    if (this.closing.signal.aborted) throw transportClosed();
  }

  /** @inheritdoc */
  async close(): Promise<void> {
    this.closing.abort();
    for (const r of this.renewals) r.stop();
    this.sessions.clear();
  }
}

function isSigningKeyPair(k: unknown): k is SigningKeyPair {
  return !!k && (k as SigningKeyPair).publicKey instanceof Uint8Array && (k as SigningKeyPair).secretKey instanceof Uint8Array;
}

function sessionKey(purpose: SessionPurpose, mailbox: string | null): string {
  return `${purpose}:${mailbox ?? ''}`;
}

function isStatus(e: unknown, status: number): boolean {
  return e instanceof RelayRequestError && e.status === status;
}

function jsonInit(method: string, body: unknown, signal?: AbortSignal): RequestInit {
  return { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), ...(signal ? { signal } : {}) };
}

async function readJson(res: Response): Promise<Record<string, unknown>> {
  try {
    const value: unknown = await res.json();
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw protocolError();
}

/** Every request whose body is bytes (or empty) can be sent again. */
const always = (): boolean => true;

/**
 * The relay refused a streamed upload for an expired session after fetch had begun reading the
 * stream: what is left of it is not the envelope, so it is not sent again. The relay stored
 * nothing; the session is forgotten, so sending the envelope again from its start opens a new one.
 */
function consumedStream(e: RelayRequestError): RelayRequestError {
  return new RelayRequestError(
    e.code,
    'The relay session expired while the envelope was streaming, and a stream cannot be sent again from where it stopped: ' +
      'the relay stored nothing. Send the envelope again from its start (a new session is opened)',
    e.status,
  );
}

function protocolError(): LintasError {
  return new LintasError('ERR_RELAY_PROTOCOL', 'The relay answered with something that is not the lintas relay protocol; check the URL');
}

function unavailable(cause: unknown): LintasError {
  return new LintasError('ERR_TRANSPORT_UNAVAILABLE', 'Could not reach the relay; check the URL, the network and that the relay is running', { cause });
}

/** Pass chunks through, adding up their sizes in `sent`; `started` once the source is asked for its first. */
async function* counting(source: AsyncIterable<Uint8Array>, sent: { bytes: number; started: boolean }): AsyncGenerator<Uint8Array> {
  sent.started = true;
  for await (const c of source) {
    sent.bytes += c.length;
    yield c;
  }
}

function streamBody(source: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const it = source[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await it.next();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    async cancel() {
      await it.return?.();
    },
  });
}

/** An AbortController that aborts when any of the given signals does; detach() unhooks it. */
function linkedAbort(...signals: (AbortSignal | null)[]): { signal: AbortSignal; detach(): void } {
  const controller = new AbortController();
  const active = signals.filter((s): s is AbortSignal => s !== null);
  const abort = (): void => controller.abort();
  for (const s of active) {
    if (s.aborted) controller.abort();
    else s.addEventListener('abort', abort, { once: true });
  }
  return { signal: controller.signal, detach: () => active.forEach((s) => s.removeEventListener('abort', abort)) };
}
