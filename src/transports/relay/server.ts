/**
 * The lintas HTTP relay: store-and-forward for sealed envelopes (Node only). It never sees
 * keys or plaintext; it keeps envelopes per mailbox until their owner has fetched and
 * acknowledged them. The endpoints and the authentication are described in docs/TRANSPORTS.md.
 *
 * - Owners prove possession of the mailbox's signing key with an Ed25519 signature over a
 *   single-use, expiring nonce bound to the mailbox and this relay's origin; they get a short
 *   session token (stored hashed) for listing, fetching, renewing leases and acking.
 * - With `allowSenders`, senders open a session the same way and only listed keys may send.
 * - An envelope is fsynced (file and directory) before the relay answers 201.
 * - Size limit (413), per-mailbox quota (507), token-bucket rate limits per client address and
 *   per mailbox (429 with Retry-After).
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { LintasError, type LintasErrorCode } from '../../errors/index.js';
import { cryptoReady } from '../../crypto/sodium.js';
import { systemRandom } from '../../crypto/random.js';
import { sha256 } from '../../crypto/hash.js';
import { ED25519_PUBLIC_KEY_BYTES, ED25519_SIGNATURE_BYTES, ed25519Verify } from '../../crypto/ed25519.js';
import { isMailboxId, mailboxId } from '../mailbox.js';
import { STORED_NAME_PATTERN } from '../stored-name.js';
import { checkPositiveInteger, limitEnvelope } from '../transport.js';
import { RelayFileStore } from './file-store.js';
import { LockFile } from '../lock-file.js';
import { checkRate, TokenBuckets, type Rate } from './rate-limit.js';
import {
  challengeMessage,
  hexOf,
  NONCE_BYTES,
  originOf,
  parseHex,
  RELAY_ERROR_STATUS,
  TOKEN_BYTES,
  type RelayErrorCode,
  type SessionPurpose,
} from './protocol.js';

/** Abuse limits of a relay. Every field has a default. */
export interface RelayLimits {
  /** Largest envelope accepted, in bytes (413 above it). Default 64 MiB. */
  maxEnvelopeBytes?: number;
  /** Most envelopes stored per mailbox (507 above it). Default 10 000. */
  maxEnvelopesPerMailbox?: number;
  /** Requests per client address. Default 20 per second, bursts of 100. */
  clientRate?: Rate;
  /** Envelopes sent into one mailbox. Default 5 per second, bursts of 50. */
  mailboxSendRate?: Rate;
  /** Longest a lease request waits for mail, in ms. Default 25 000. */
  maxLongPollMs?: number;
  /** Most challenges issued and not yet used or expired. Default 10 000. */
  maxPendingChallenges?: number;
}

/** Options for {@link startRelay}. */
export interface RelayOptions {
  /** Directory for stored envelopes (created if missing). One relay process per directory, enforced by the lock file `relay.lock` in it. */
  dir: string;
  /** TCP port; default 0 (any free port, see {@link RelayServer.port}). */
  port?: number;
  /** Address to listen on; default "127.0.0.1". */
  host?: string;
  /**
   * The origin clients use to reach this relay ("https://relay.example.org"), which they sign in
   * every challenge. Set it when the relay is behind a proxy or a DNS name; default the listening
   * address, e.g. "http://127.0.0.1:8080"; required when `host` is "0.0.0.0" or "::".
   */
  origin?: string;
  /** Ed25519 public keys allowed to send. Default: anyone may send (envelopes are sealed anyway). */
  allowSenders?: Uint8Array[];
  /** Sizes and request rates; see {@link RelayLimits} for the defaults. */
  limits?: RelayLimits;
  /** Serve HTTPS with this PEM key and certificate (chain). */
  tls?: {
    /** PEM private key. */
    key: string | Uint8Array;
    /** PEM certificate chain. */
    cert: string | Uint8Array;
  };
  /** How long a leased envelope stays invisible to other receivers without renewal, in ms. Default 60 000. */
  leaseMs?: number;
  /** How long a challenge can be answered, in seconds. Default 60. */
  challengeTtlSeconds?: number;
  /** How long a session token is valid, in seconds. Default 600. */
  sessionTtlSeconds?: number;
  /** Called with unexpected internal errors (answered as 500). Default: one line on stderr. */
  onError?: (error: unknown) => void;
}

/** A running relay. */
export interface RelayServer {
  /** Base URL to give clients, e.g. "http://127.0.0.1:41234". */
  readonly url: string;
  /** The origin clients must sign. */
  readonly origin: string;
  /** The port it listens on. */
  readonly port: number;
  /** Stop listening, end long polls and close connections. Stored envelopes stay on disk. */
  close(): Promise<void>;
}

interface Challenge {
  purpose: SessionPurpose;
  mailbox: string | null;
  expiresAt: number; // unix seconds
}

interface Session {
  purpose: SessionPurpose;
  mailbox: string | null;
  expiresAtMs: number;
}

interface Lease {
  token: string;
  expiresAtMs: number;
}

const MAX_JSON_BYTES = 8 * 1024;
const MAX_LEASES_PER_REQUEST = 100;

class HttpError extends Error {
  constructor(
    readonly code: RelayErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/**
 * Start a relay server: an HTTP(S) mailbox store for {@link RelayTransport} clients, which sees
 * only sealed envelopes. Envelopes are fsynced in `dir` before a send is acknowledged, and
 * survive restarts. The relay holds the lock file `dir/relay.lock` while it runs.
 * @throws {TypeError | RangeError} for invalid options; the listen error (e.g. EADDRINUSE) as is.
 * @throws {@link LintasError} `ERR_RELAY_STORAGE_LOCKED` if another running relay uses `dir`.
 * @example
 * ```ts
 * import { mkdtemp, rm } from 'node:fs/promises';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { generateIdentityKeys } from 'lintas';
 * import { startRelay } from 'lintas/node';
 *
 * const dir = await mkdtemp(join(tmpdir(), 'relay-'));
 * const partner = await generateIdentityKeys();
 * const relay = await startRelay({
 *   dir,
 *   port: 0, // any free port; a real relay listens on a fixed one, behind TLS (`tls: { key, cert }`)
 *   allowSenders: [partner.signing.publicKey], // only this partner may send
 *   limits: { maxEnvelopeBytes: 16 * 1024 * 1024 },
 * });
 * console.log(relay.url); // http://127.0.0.1:<port>
 * await relay.close();
 * await rm(dir, { recursive: true });
 * ```
 */
export async function startRelay(options: RelayOptions): Promise<RelayServer> {
  const relay = new Relay(options);
  await relay.start();
  return relay;
}

class Relay implements RelayServer {
  url = '';
  origin = '';
  port = 0;
  private store!: RelayFileStore;
  private lock: LockFile | null = null;
  private readonly server: Server;
  private readonly closing = new AbortController();
  private readonly challenges = new Map<string, Challenge>();
  private readonly sessions = new Map<string, Session>();
  private readonly leases = new Map<string, Map<string, Lease>>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly clientBuckets: TokenBuckets;
  private readonly mailboxBuckets: TokenBuckets;
  private readonly allowSenders: Uint8Array[] | null;
  private readonly limits: Required<Omit<RelayLimits, 'clientRate' | 'mailboxSendRate'>>;
  private readonly leaseMs: number;
  private readonly challengeTtlSeconds: number;
  private readonly sessionTtlSeconds: number;
  private readonly onError: (error: unknown) => void;

  constructor(private readonly options: RelayOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
    if (typeof options.dir !== 'string' || options.dir.length === 0) throw new TypeError('options.dir must be a directory path');
    if (options.port !== undefined && (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535)) {
      throw new RangeError('options.port must be an integer from 0 to 65535');
    }
    if (options.host !== undefined && typeof options.host !== 'string') throw new TypeError('options.host must be a string');
    if (options.origin !== undefined) originOf(options.origin); // throws TypeError for a malformed URL
    if (options.origin === undefined && ['0.0.0.0', '::', '[::]'].includes(options.host ?? '')) {
      // Clients sign the origin they connect to, which is never the wildcard address.
      throw new RangeError('options.origin is required when listening on all interfaces: set it to the URL clients use');
    }
    if (options.allowSenders !== undefined) {
      if (!Array.isArray(options.allowSenders) || options.allowSenders.some((k) => !(k instanceof Uint8Array))) {
        throw new TypeError('options.allowSenders must be an array of Ed25519 public keys (Uint8Array)');
      }
      if (options.allowSenders.some((k) => k.length !== ED25519_PUBLIC_KEY_BYTES)) throw new RangeError('options.allowSenders keys must be 32 bytes');
    }
    const limits = options.limits ?? {};
    if (limits === null || typeof limits !== 'object') throw new TypeError('options.limits must be an object');
    this.limits = {
      maxEnvelopeBytes: checkPositiveInteger(limits.maxEnvelopeBytes, 'limits.maxEnvelopeBytes', 64 * 1024 * 1024),
      maxEnvelopesPerMailbox: checkPositiveInteger(limits.maxEnvelopesPerMailbox, 'limits.maxEnvelopesPerMailbox', 10_000),
      maxLongPollMs: checkPositiveInteger(limits.maxLongPollMs, 'limits.maxLongPollMs', 25_000),
      maxPendingChallenges: checkPositiveInteger(limits.maxPendingChallenges, 'limits.maxPendingChallenges', 10_000),
    };
    this.clientBuckets = new TokenBuckets(checkRate(limits.clientRate, 'limits.clientRate', { perSecond: 20, burst: 100 }));
    this.mailboxBuckets = new TokenBuckets(checkRate(limits.mailboxSendRate, 'limits.mailboxSendRate', { perSecond: 5, burst: 50 }));
    this.allowSenders = options.allowSenders ? options.allowSenders.map((k) => k.slice()) : null;
    this.leaseMs = checkPositiveInteger(options.leaseMs, 'options.leaseMs', 60_000);
    this.challengeTtlSeconds = checkPositiveInteger(options.challengeTtlSeconds, 'options.challengeTtlSeconds', 60);
    this.sessionTtlSeconds = checkPositiveInteger(options.sessionTtlSeconds, 'options.sessionTtlSeconds', 600);
    if (options.onError !== undefined && typeof options.onError !== 'function') throw new TypeError('options.onError must be a function');
    this.onError = options.onError ?? ((e) => console.error(`lintas relay: internal error: ${e instanceof Error ? e.message : String(e)}`));
    const handler = (req: IncomingMessage, res: ServerResponse): void => void this.handle(req, res);
    if (options.tls !== undefined) {
      if (options.tls === null || typeof options.tls !== 'object' || options.tls.key === undefined || options.tls.cert === undefined) {
        throw new TypeError('options.tls must be { key, cert } in PEM');
      }
      const pem = (v: string | Uint8Array): string | Buffer => (typeof v === 'string' ? v : Buffer.from(v));
      this.server = createHttpsServer({ key: pem(options.tls.key), cert: pem(options.tls.cert) }, handler);
    } else {
      this.server = createHttpServer(handler);
    }
  }

  async start(): Promise<void> {
    await cryptoReady();
    // Two relays on one folder would lease the same envelopes twice: one relay per folder (docs/TRANSPORTS.md, "Locks").
    await mkdir(this.options.dir, { recursive: true });
    this.lock = await LockFile.acquire(join(this.options.dir, 'relay.lock'), {
      mode: 'hold',
      timeoutMs: 0,
      foreignStaleMs: 120_000,
      busy: (who) => new LintasError('ERR_RELAY_STORAGE_LOCKED', `The relay folder ${this.options.dir} is in use by ${who}; run one relay per folder`),
    });
    const host = this.options.host ?? '127.0.0.1';
    try {
      this.store = await RelayFileStore.open(this.options.dir);
      await new Promise<void>((resolve, reject) => {
        this.server.once('error', reject);
        this.server.listen(this.options.port ?? 0, host, () => {
          this.server.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      await this.lock.release();
      throw e;
    }
    this.port = (this.server.address() as AddressInfo).port;
    const scheme = this.options.tls ? 'https' : 'http';
    this.url = originOf(`${scheme}://${host.includes(':') ? `[${host}]` : host}:${this.port}`);
    this.origin = this.options.origin !== undefined ? originOf(this.options.origin) : this.url;
  }

  async close(): Promise<void> {
    this.closing.abort();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    await this.lock?.release();
    this.lock = null;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const wait = this.clientBuckets.take(`client:${req.socket.remoteAddress ?? 'unknown'}`);
      if (wait > 0) throw rateLimited(wait);
      await this.route(req, res);
    } catch (e) {
      if (e instanceof HttpError) return sendError(req, res, e);
      if (e instanceof LintasError && e.code === 'ERR_TRANSPORT_ENVELOPE_TOO_LARGE') {
        return sendError(req, res, new HttpError('ERR_TRANSPORT_ENVELOPE_TOO_LARGE', `Envelope exceeds this relay's limit of ${this.limits.maxEnvelopeBytes} bytes`));
      }
      if (req.destroyed || res.destroyed) return; // the client went away mid-request
      this.onError(e);
      sendError(req, res, new HttpError('ERR_RELAY_SERVER_ERROR', 'The relay failed to handle the request; try again later'));
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const method = req.method ?? 'GET';
    if (path === '/v1/challenge' && method === 'POST') return this.issueChallenge(req, res);
    if (path === '/v1/session' && method === 'POST') return this.openSession(req, res);
    const m = /^\/v1\/mailboxes\/([^/]+)\/(envelopes|leases)(?:\/([^/]+))?(\/renew)?$/.exec(path);
    if (!m) throw new HttpError('ERR_RELAY_NOT_FOUND', 'No such endpoint');
    const [, mailbox, kind, id, renew] = m;
    if (!isMailboxId(mailbox)) throw new HttpError('ERR_RELAY_BAD_REQUEST', 'Mailbox id must be 64 lower-case hex digits');
    if (id !== undefined && !STORED_NAME_PATTERN.test(id)) throw new HttpError('ERR_RELAY_NOT_FOUND', 'No such envelope');
    if (kind === 'envelopes' && id === undefined && method === 'POST') return this.acceptEnvelope(req, res, mailbox);
    this.authorize(req, 'owner', mailbox);
    if (kind === 'leases' && id === undefined && renew === undefined && method === 'POST') return this.grantLeases(req, res, mailbox);
    if (kind === 'envelopes' && id === undefined && renew === undefined && method === 'GET') return this.listEnvelopes(res, mailbox);
    if (kind === 'envelopes' && id !== undefined && renew === undefined && method === 'GET') return this.fetchEnvelope(res, mailbox, id);
    if (kind === 'envelopes' && id !== undefined && renew === undefined && method === 'DELETE') return this.deleteEnvelope(res, mailbox, id);
    if (kind === 'envelopes' && id !== undefined && renew !== undefined && method === 'POST') return this.renewLease(req, res, mailbox, id);
    throw new HttpError('ERR_RELAY_NOT_FOUND', 'No such endpoint');
  }

  // --- Authentication -------------------------------------------------------------------------

  private async issueChallenge(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readJson(req);
    const purpose = body.purpose;
    if (purpose !== 'owner' && purpose !== 'sender') throw new HttpError('ERR_RELAY_BAD_REQUEST', 'purpose must be "owner" or "sender"');
    let mailbox: string | null = null;
    if (purpose === 'owner') {
      if (!isMailboxId(body.mailbox)) throw new HttpError('ERR_RELAY_BAD_REQUEST', 'mailbox must be a mailbox id');
      mailbox = body.mailbox;
    }
    const now = nowSeconds();
    if (this.challenges.size >= this.limits.maxPendingChallenges) {
      for (const [k, c] of this.challenges) if (c.expiresAt < now) this.challenges.delete(k);
      if (this.challenges.size >= this.limits.maxPendingChallenges) throw rateLimited(1000);
    }
    const nonce = hexOf(systemRandom(NONCE_BYTES));
    const expiresAt = now + this.challengeTtlSeconds;
    this.challenges.set(nonce, { purpose, mailbox, expiresAt });
    sendJson(res, 200, { nonce, expiresAt, origin: this.origin });
  }

  private async openSession(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readJson(req);
    const nonce = parseHex(body.nonce, NONCE_BYTES);
    const publicKey = parseHex(body.publicKey, ED25519_PUBLIC_KEY_BYTES);
    const signature = parseHex(body.signature, ED25519_SIGNATURE_BYTES);
    if (!nonce || !publicKey || !signature) throw new HttpError('ERR_RELAY_BAD_REQUEST', 'nonce, publicKey and signature must be hex of 32, 32 and 64 bytes');
    const challenge = this.challenges.get(hexOf(nonce));
    // Single use: a challenge is spent by the first attempt, whether it succeeds or not.
    this.challenges.delete(hexOf(nonce));
    const denied = new HttpError('ERR_RELAY_AUTH_FAILED', 'Authentication failed: request a new challenge and sign it with the mailbox owner\'s key');
    if (!challenge || challenge.expiresAt < nowSeconds()) throw denied;
    if (challenge.purpose === 'owner' && mailboxId(publicKey) !== challenge.mailbox) throw denied;
    const message = challengeMessage({ ...challenge, nonce, origin: this.origin, publicKey });
    if (!ed25519Verify(publicKey, message, signature)) throw denied;
    if (challenge.purpose === 'sender' && this.allowSenders !== null && !this.allowSenders.some((k) => equalBytes(k, publicKey))) {
      throw new HttpError('ERR_RELAY_SENDER_NOT_ALLOWED', 'This relay only accepts envelopes from senders on its allow list; ask its operator to add your signing key');
    }
    const token = systemRandom(TOKEN_BYTES);
    const expiresAtMs = Date.now() + this.sessionTtlSeconds * 1000;
    this.pruneSessions();
    this.sessions.set(hexOf(sha256(token)), { purpose: challenge.purpose, mailbox: challenge.mailbox, expiresAtMs });
    sendJson(res, 200, { token: hexOf(token), expiresAt: Math.floor(expiresAtMs / 1000) });
  }

  /** Checks the bearer token; tokens are stored hashed so a memory dump does not reveal them. */
  private authorize(req: IncomingMessage, purpose: SessionPurpose, mailbox: string | null): void {
    const m = /^Bearer ([0-9a-f]{64})$/.exec(req.headers.authorization ?? '');
    const token = m ? parseHex(m[1], TOKEN_BYTES) : null;
    const session = token ? this.sessions.get(hexOf(sha256(token))) : undefined;
    if (!session || session.expiresAtMs < Date.now() || session.purpose !== purpose || (purpose === 'owner' && session.mailbox !== mailbox)) {
      throw new HttpError('ERR_RELAY_AUTH_FAILED', purpose === 'owner' ? 'Only the mailbox owner may do this: open a session with a signed challenge' : 'Open a sender session with a signed challenge first');
    }
  }

  private pruneSessions(): void {
    if (this.sessions.size < 1000) return;
    const now = Date.now();
    for (const [k, s] of this.sessions) if (s.expiresAtMs < now) this.sessions.delete(k);
  }

  // --- Sending --------------------------------------------------------------------------------

  private async acceptEnvelope(req: IncomingMessage, res: ServerResponse, mailbox: string): Promise<void> {
    if (this.allowSenders !== null) {
      try {
        this.authorize(req, 'sender', null);
      } catch {
        throw new HttpError('ERR_RELAY_SENDER_NOT_ALLOWED', 'This relay only accepts envelopes from allow-listed senders: open a sender session with a signed challenge');
      }
    }
    const wait = this.mailboxBuckets.take(`mailbox:${mailbox}`);
    if (wait > 0) throw rateLimited(wait);
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > this.limits.maxEnvelopeBytes) throw new LintasError('ERR_TRANSPORT_ENVELOPE_TOO_LARGE', 'declared length above limit');
    if ((await this.store.count(mailbox)) >= this.limits.maxEnvelopesPerMailbox) {
      throw new HttpError('ERR_RELAY_MAILBOX_FULL', 'The mailbox is full; its owner must fetch and acknowledge envelopes first');
    }
    // destroyOnReturn false: on a size violation the request stays open, so the 413 can be read.
    const body = req.iterator({ destroyOnReturn: false }) as AsyncIterable<Uint8Array>;
    const id = await this.store.put(mailbox, limitEnvelope(body, this.limits.maxEnvelopeBytes));
    // Answered only now: the envelope and its directory entry are on disk.
    sendJson(res, 201, { id });
    for (const wake of [...(this.waiters.get(mailbox) ?? [])]) wake();
  }

  // --- Owner operations -----------------------------------------------------------------------

  private async listEnvelopes(res: ServerResponse, mailbox: string): Promise<void> {
    const now = Date.now();
    const held = this.leases.get(mailbox);
    const envelopes = (await this.store.list(mailbox)).map((e) => ({ ...e, leased: (held?.get(e.id)?.expiresAtMs ?? 0) > now }));
    sendJson(res, 200, { envelopes });
  }

  private async grantLeases(req: IncomingMessage, res: ServerResponse, mailbox: string): Promise<void> {
    const body = await readJson(req);
    const max = body.max ?? 10;
    const waitMs = body.waitMs ?? 0;
    if (!Number.isInteger(max) || (max as number) < 1 || (max as number) > MAX_LEASES_PER_REQUEST) throw new HttpError('ERR_RELAY_BAD_REQUEST', `max must be 1..${MAX_LEASES_PER_REQUEST}`);
    if (!Number.isInteger(waitMs) || (waitMs as number) < 0) throw new HttpError('ERR_RELAY_BAD_REQUEST', 'waitMs must be a non-negative integer');
    const deadline = Date.now() + Math.min(waitMs as number, this.limits.maxLongPollMs);
    const gone = new AbortController();
    res.on('close', () => gone.abort());
    for (;;) {
      const granted = await this.lease(mailbox, max as number);
      if (granted.length > 0 || Date.now() >= deadline || gone.signal.aborted || this.closing.signal.aborted) {
        return sendJson(res, 200, { leases: granted, leaseMs: this.leaseMs });
      }
      // Woken by a new envelope; the periodic re-check also catches leases that expired.
      await this.waitForMail(mailbox, Math.min(deadline - Date.now(), 1000), gone.signal);
    }
  }

  /**
   * Lease up to `max` available envelopes. The check-and-set runs between two awaits, so it is
   * atomic against concurrent lease requests.
   */
  private async lease(mailbox: string, max: number): Promise<{ id: string; size: number; lease: string; expiresAt: number }[]> {
    const stored = await this.store.ids(mailbox);
    const now = Date.now();
    const held = this.leases.get(mailbox) ?? new Map<string, Lease>();
    this.leases.set(mailbox, held);
    const present = new Set(stored);
    for (const [id, l] of held) if (l.expiresAtMs <= now || !present.has(id)) held.delete(id);
    const granted: { id: string; lease: Lease }[] = [];
    for (const id of stored) {
      if (granted.length >= max) break;
      if (held.has(id)) continue;
      const lease = { token: hexOf(systemRandom(16)), expiresAtMs: now + this.leaseMs };
      held.set(id, lease);
      granted.push({ id, lease });
    }
    if (held.size === 0) this.leases.delete(mailbox);
    const out = [];
    for (const g of granted) {
      const size = await this.store.size(mailbox, g.id);
      if (size === null) held.delete(g.id); // acknowledged meanwhile
      else out.push({ id: g.id, size, lease: g.lease.token, expiresAt: g.lease.expiresAtMs });
    }
    return out;
  }

  private waitForMail(mailbox: string, ms: number, gone: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const set = this.waiters.get(mailbox) ?? new Set<() => void>();
      this.waiters.set(mailbox, set);
      const done = (): void => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0 && this.waiters.get(mailbox) === set) this.waiters.delete(mailbox);
        gone.removeEventListener('abort', done);
        this.closing.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      set.add(done);
      gone.addEventListener('abort', done, { once: true });
      this.closing.signal.addEventListener('abort', done, { once: true });
    });
  }

  private async fetchEnvelope(res: ServerResponse, mailbox: string, id: string): Promise<void> {
    const file = await this.store.open(mailbox, id);
    if (!file) throw new HttpError('ERR_RELAY_NOT_FOUND', 'No such envelope (already acknowledged?)');
    try {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(file.size), 'cache-control': 'no-store' });
      const stream = file.handle.createReadStream({ autoClose: false });
      await new Promise<void>((resolve, reject) => {
        stream.on('error', reject);
        res.on('close', resolve);
        stream.pipe(res);
      });
    } finally {
      await file.handle.close();
    }
  }

  private async renewLease(req: IncomingMessage, res: ServerResponse, mailbox: string, id: string): Promise<void> {
    const body = await readJson(req);
    const lease = this.leases.get(mailbox)?.get(id);
    if (!lease || typeof body.lease !== 'string' || lease.token !== body.lease || lease.expiresAtMs <= Date.now()) {
      return sendJson(res, 409, { error: 'ERR_RELAY_NOT_FOUND', message: 'The lease expired or belongs to another receiver' });
    }
    lease.expiresAtMs = Date.now() + this.leaseMs;
    sendJson(res, 200, { expiresAt: lease.expiresAtMs });
  }

  private async deleteEnvelope(res: ServerResponse, mailbox: string, id: string): Promise<void> {
    const removed = await this.store.remove(mailbox, id);
    this.leases.get(mailbox)?.delete(id);
    if (!removed) throw new HttpError('ERR_RELAY_NOT_FOUND', 'No such envelope (already acknowledged?)');
    res.writeHead(204).end();
  }
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function rateLimited(waitMs: number): HttpError {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  return new HttpError('ERR_RELAY_RATE_LIMITED', `Too many requests; retry after ${seconds} s`, { 'retry-after': String(seconds) });
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    n += chunk.length;
    if (n > MAX_JSON_BYTES) throw new HttpError('ERR_RELAY_BAD_REQUEST', 'Request body too large');
    parts.push(chunk);
  }
  if (n === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(parts).toString('utf8'));
  } catch {
    throw new HttpError('ERR_RELAY_BAD_REQUEST', 'Request body must be JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new HttpError('ERR_RELAY_BAD_REQUEST', 'Request body must be a JSON object');
  return value as Record<string, unknown>;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), 'cache-control': 'no-store', ...headers });
  res.end(text);
}

function sendError(req: IncomingMessage, res: ServerResponse, e: HttpError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const code: LintasErrorCode = e.code;
  // Let the client finish sending before answering, so it reads the status instead of a reset
  // connection; a client that keeps streaming past twice the limit is cut off.
  if (!req.complete) {
    res.setHeader('connection', 'close');
    let drained = 0;
    req.on('data', (c: Buffer) => {
      drained += c.length;
      if (drained > 16 * 1024 * 1024) req.destroy();
    });
  }
  sendJson(res, RELAY_ERROR_STATUS[e.code], { error: code, message: e.message }, e.headers);
}
