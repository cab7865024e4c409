/**
 * The lintas HTTP relay: store-and-forward for sealed envelopes (Node only). It never sees
 * keys or plaintext; it keeps envelopes per mailbox until their owner has fetched and
 * acknowledged them. The endpoints and the authentication are described in docs/TRANSPORTS.md.
 *
 * - Owners prove possession of the mailbox's signing key with an Ed25519 signature over a
 *   single-use, expiring, stateless nonce (challenge.ts) bound to the mailbox and this relay's
 *   origin; they get a short session token (stored hashed). Every request under a session is
 *   also signed with the session's key (protocol.ts `requestMessage`), so a captured token is
 *   useless on its own.
 * - Senders may open a session the same way (required with `allowSenders`); their limits and
 *   quota are then keyed on their key instead of their address.
 * - An envelope is fsynced (file and directory) before the relay answers 201.
 * - Size limit (413), per-mailbox count (507 ERR_RELAY_MAILBOX_FULL), global and per-sender
 *   storage quotas (507 ERR_RELAY_STORAGE_FULL, quota.ts), an expiry for stored envelopes,
 *   token-bucket rate limits keyed on the authenticated key where there is one and else on the
 *   client address (429 with Retry-After), connection caps (connection-limits.ts) and capped,
 *   event-woken long polls. docs/TRANSPORTS.md 3.3 lists every default.
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
import { ChallengeIssuer } from './challenge.js';
import { charged, StorageQuota } from './quota.js';
import { MailboxIndex } from './mailbox-index.js';
import { checkTrustedProxies, clientAddress, limitConnections } from './connection-limits.js';
import {
  challengeMessage,
  INLINE_ANSWER_BYTES,
  INLINE_ENVELOPE_BYTES,
  hexOf,
  NONCE_BYTES,
  originOf,
  parseHex,
  RELAY_ERROR_STATUS,
  REQUEST_NONCE_BYTES,
  REQUEST_NONCE_HEADER,
  REQUEST_SIGNATURE_HEADER,
  REQUEST_TIME_HEADER,
  REQUEST_TIME_SKEW_MS,
  requestMessage,
  TOKEN_BYTES,
  type RelayErrorCode,
  type SessionPurpose,
} from './protocol.js';

/** Abuse limits of a relay. Every field has a default, safe on a public address (docs/TRANSPORTS.md 3.3). */
export interface RelayLimits {
  /** Largest envelope accepted, in bytes (413 above it). Default 64 MiB. */
  maxEnvelopeBytes?: number;
  /** Most envelopes stored per mailbox (507 `ERR_RELAY_MAILBOX_FULL` above it). Default 100 000. */
  maxEnvelopesPerMailbox?: number;
  /** Most bytes stored in all mailboxes together (507 `ERR_RELAY_STORAGE_FULL`). Default 10 GiB. */
  maxStorageBytes?: number;
  /** Most bytes stored from one sender: its key if it opened a sender session, else its address (507 `ERR_RELAY_STORAGE_FULL`). Default 1 GiB. */
  maxSenderStorageBytes?: number;
  /** Stored envelopes not acknowledged within this many seconds are deleted. Default 14 days (1 209 600). */
  envelopeTtlSeconds?: number;
  /** Requests per client address that carry no valid session (challenges, anonymous sends, failed logins). Default 200 per second, bursts of 400. */
  clientRate?: Rate;
  /** Requests per authenticated key (owner or sender session). Default 1 000 per second, bursts of 2 000. */
  keyRate?: Rate;
  /** Envelopes one sender (key, else address) sends into one mailbox. Default 250 per second, bursts of 500. */
  mailboxSendRate?: Rate;
  /** Longest a lease request waits for mail, in ms. Default 25 000. */
  maxLongPollMs?: number;
  /** Most lease requests waiting at once per mailbox key. Default 8. */
  maxWaitingPollsPerKey?: number;
  /** Most lease requests waiting at once per client address. Default 64. */
  maxWaitingPollsPerAddress?: number;
  /** Most open connections. Default 4 096. */
  maxConnections?: number;
  /** Most open connections per peer address (trusted proxies exempt). Default 256. */
  maxConnectionsPerAddress?: number;
  /** Ms a client may take to send its request headers. Default 10 000. */
  headersTimeoutMs?: number;
  /** Ms a connection may stay silent before it is closed; more than `maxLongPollMs`. Default 60 000. */
  idleTimeoutMs?: number;
}

/** Options for {@link startRelay}. */
export interface RelayOptions {
  /** Directory for stored envelopes (created if missing). One relay process per directory, enforced by the lock file `relay.lock` in it. */
  dir: string;
  /** TCP port; default 0 (any free port, see {@link RelayServer.port}). */
  port?: number;
  /** Address to listen on; default "127.0.0.1". Plain HTTP on another address is reported through `onWarning`. */
  host?: string;
  /**
   * The origin clients use to reach this relay ("https://relay.example.org"), which they sign in
   * every challenge. Set it when the relay is behind a proxy or a DNS name; default the listening
   * address, e.g. "http://127.0.0.1:8080"; required when `host` is "0.0.0.0" or "::".
   */
  origin?: string;
  /** Ed25519 public keys allowed to send. Default: anyone may send (envelopes are sealed anyway). */
  allowSenders?: Uint8Array[];
  /**
   * IP addresses of reverse proxies whose `X-Forwarded-For` names the client address that rate
   * limits and quotas apply to. Default none: the peer address is the client.
   */
  trustedProxies?: string[];
  /** Sizes, quotas, rates and caps; see {@link RelayLimits} for the defaults. */
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
  /** How long a session token is valid, in seconds. Default 300. */
  sessionTtlSeconds?: number;
  /** Called with unexpected internal errors (answered as 500). Default: one line on stderr. */
  onError?: (error: unknown) => void;
  /** Called with configuration warnings (plain HTTP on a public address). Default: one line on stderr. */
  onWarning?: (message: string) => void;
}

/** A running relay. */
export interface RelayServer {
  /** Base URL to give clients, e.g. "http://127.0.0.1:41234". */
  readonly url: string;
  /** The origin clients must sign. */
  readonly origin: string;
  /** The port it listens on. */
  readonly port: number;
  /** The limits in force, defaults filled in. */
  readonly limits: Readonly<Required<RelayLimits>>;
  /** Stop listening, end long polls and close connections. Stored envelopes stay on disk. */
  close(): Promise<void>;
}

interface Session {
  purpose: SessionPurpose;
  mailbox: string | null;
  publicKey: Uint8Array;
  expiresAtMs: number;
  /** Request signatures already seen (hex -> signed time), for single use within the skew window. */
  seen: Map<string, number>;
  /** Size of `seen` at which stale entries are next swept (doubling: amortised O(1) per request). */
  sweepAt: number;
}

/** One lease of a lease answer (docs/TRANSPORTS.md 3.3). */
interface GrantedLease {
  id: string;
  size: number;
  lease: string;
  expiresAt: number;
}

const MAX_JSON_BYTES = 8 * 1024;
const MAX_LEASES_PER_REQUEST = 100;
/** Envelopes up to this size are fetched with one read instead of a file stream (whose buffer is this size). */
const SMALL_ENVELOPE_BYTES = 64 * 1024;
const GIB = 1024 * 1024 * 1024;
/** How often expired envelopes are looked for, at most. */
const EXPIRY_SWEEP_MS = 60_000;

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
  private readonly challenges: ChallengeIssuer;
  private readonly sessions = new Map<string, Session>();
  private sessionSweepAt = 1024;
  private readonly mailboxes = new Map<string, MailboxIndex>();
  private readonly quota: StorageQuota;
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly waitingPolls = new Map<string, number>();
  private readonly clientBuckets: TokenBuckets;
  private readonly keyBuckets: TokenBuckets;
  private readonly sendBuckets: TokenBuckets;
  private readonly allowSenders: Uint8Array[] | null;
  private readonly trustedProxies: Set<string>;
  readonly limits: Readonly<Required<RelayLimits>>;
  private readonly leaseMs: number;
  private readonly sessionTtlSeconds: number;
  private readonly onError: (error: unknown) => void;
  private readonly onWarning: (message: string) => void;
  private sweepTimer: ReturnType<typeof setInterval> | null = null;

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
    this.trustedProxies = checkTrustedProxies(options.trustedProxies);
    const limits = options.limits ?? {};
    if (limits === null || typeof limits !== 'object') throw new TypeError('options.limits must be an object');
    const clientRate = checkRate(limits.clientRate, 'limits.clientRate', { perSecond: 200, burst: 400 });
    const keyRate = checkRate(limits.keyRate, 'limits.keyRate', { perSecond: 1000, burst: 2000 });
    const mailboxSendRate = checkRate(limits.mailboxSendRate, 'limits.mailboxSendRate', { perSecond: 250, burst: 500 });
    this.limits = {
      clientRate,
      keyRate,
      mailboxSendRate,
      maxEnvelopeBytes: checkPositiveInteger(limits.maxEnvelopeBytes, 'limits.maxEnvelopeBytes', 64 * 1024 * 1024),
      maxEnvelopesPerMailbox: checkPositiveInteger(limits.maxEnvelopesPerMailbox, 'limits.maxEnvelopesPerMailbox', 100_000),
      maxStorageBytes: checkPositiveInteger(limits.maxStorageBytes, 'limits.maxStorageBytes', 10 * GIB),
      maxSenderStorageBytes: checkPositiveInteger(limits.maxSenderStorageBytes, 'limits.maxSenderStorageBytes', GIB),
      envelopeTtlSeconds: checkPositiveInteger(limits.envelopeTtlSeconds, 'limits.envelopeTtlSeconds', 14 * 24 * 3600),
      maxLongPollMs: checkPositiveInteger(limits.maxLongPollMs, 'limits.maxLongPollMs', 25_000),
      maxWaitingPollsPerKey: checkPositiveInteger(limits.maxWaitingPollsPerKey, 'limits.maxWaitingPollsPerKey', 8),
      maxWaitingPollsPerAddress: checkPositiveInteger(limits.maxWaitingPollsPerAddress, 'limits.maxWaitingPollsPerAddress', 64),
      maxConnections: checkPositiveInteger(limits.maxConnections, 'limits.maxConnections', 4096),
      maxConnectionsPerAddress: checkPositiveInteger(limits.maxConnectionsPerAddress, 'limits.maxConnectionsPerAddress', 256),
      headersTimeoutMs: checkPositiveInteger(limits.headersTimeoutMs, 'limits.headersTimeoutMs', 10_000),
      idleTimeoutMs: checkPositiveInteger(limits.idleTimeoutMs, 'limits.idleTimeoutMs', 60_000),
    };
    if (this.limits.idleTimeoutMs <= this.limits.maxLongPollMs) {
      throw new RangeError('limits.idleTimeoutMs must be more than limits.maxLongPollMs, or waiting lease requests are cut off');
    }
    this.clientBuckets = new TokenBuckets(clientRate);
    this.keyBuckets = new TokenBuckets(keyRate);
    this.sendBuckets = new TokenBuckets(mailboxSendRate);
    this.quota = new StorageQuota(this.limits.maxStorageBytes, this.limits.maxSenderStorageBytes);
    this.allowSenders = options.allowSenders ? options.allowSenders.map((k) => k.slice()) : null;
    this.leaseMs = checkPositiveInteger(options.leaseMs, 'options.leaseMs', 60_000);
    this.challenges = new ChallengeIssuer(checkPositiveInteger(options.challengeTtlSeconds, 'options.challengeTtlSeconds', 60));
    this.sessionTtlSeconds = checkPositiveInteger(options.sessionTtlSeconds, 'options.sessionTtlSeconds', 300);
    if (options.onError !== undefined && typeof options.onError !== 'function') throw new TypeError('options.onError must be a function');
    if (options.onWarning !== undefined && typeof options.onWarning !== 'function') throw new TypeError('options.onWarning must be a function');
    this.onError = options.onError ?? ((e) => console.error(`lintas relay: internal error: ${e instanceof Error ? e.message : String(e)}`));
    this.onWarning = options.onWarning ?? ((m) => console.error(`lintas relay: WARNING: ${m}`));
    const handler = (req: IncomingMessage, res: ServerResponse): void => void this.handle(req, res);
    // Node ends any request after 5 minutes by default, which would cut off a large envelope on
    // a slow link: allow the largest accepted envelope at 1 MB/s (docs/TRANSPORTS.md, "Large envelopes").
    const requestTimeout = Math.max(300_000, Math.ceil(this.limits.maxEnvelopeBytes / 1000));
    // Node checks header and request timeouts on this interval (default 30 s): check often enough
    // that the headers timeout is what a slow client gets.
    const checking = { connectionsCheckingInterval: Math.max(250, Math.min(30_000, Math.floor(this.limits.headersTimeoutMs / 4))), requestTimeout };
    if (options.tls !== undefined) {
      if (options.tls === null || typeof options.tls !== 'object' || options.tls.key === undefined || options.tls.cert === undefined) {
        throw new TypeError('options.tls must be { key, cert } in PEM');
      }
      const pem = (v: string | Uint8Array): string | Buffer => (typeof v === 'string' ? v : Buffer.from(v));
      this.server = createHttpsServer({ key: pem(options.tls.key), cert: pem(options.tls.cert), ...checking }, handler);
    } else {
      this.server = createHttpServer(checking, handler);
    }
    limitConnections(this.server, this.limits, this.trustedProxies);
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
      // The folder is read once; from here on the index answers (docs/TRANSPORTS.md 3.3, "Index").
      for await (const e of this.store.scan()) {
        this.mailbox(e.mailbox).add({ id: e.id, size: e.size, sender: null, storedAtMs: e.storedAtMs });
        this.quota.add(null, e.size);
      }
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
    if (!this.options.tls && !isLoopback(host)) {
      this.onWarning(
        `serving plain HTTP on ${host}, which is not a loopback address: envelopes, mailbox ids and session traffic cross the network unencrypted. ` +
          'Serve TLS (tls / --tls-key and --tls-cert) or listen on 127.0.0.1 behind a TLS proxy.',
      );
    }
    const sweep = Math.min(EXPIRY_SWEEP_MS, this.limits.envelopeTtlSeconds * 1000);
    this.sweepTimer = setInterval(() => void this.expireEnvelopes().catch((e) => this.onError(e)), sweep);
    this.sweepTimer.unref();
  }

  async close(): Promise<void> {
    this.closing.abort();
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    this.challenges.destroy();
    await this.lock?.release();
    this.lock = null;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await this.route(req, res, clientAddress(req, this.trustedProxies));
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

  private async route(req: IncomingMessage, res: ServerResponse, address: string): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const method = req.method ?? 'GET';
    if (path === '/v1/challenge' && method === 'POST') {
      this.chargeAddress(address);
      return this.issueChallenge(req, res);
    }
    if (path === '/v1/session' && method === 'POST') {
      this.chargeAddress(address);
      return this.openSession(req, res);
    }
    // Public: a sender learns the limit before streaming a large envelope (docs/TRANSPORTS.md).
    if (path === '/v1/limits' && method === 'GET') {
      this.chargeAddress(address);
      return sendJson(res, 200, { maxEnvelopeBytes: this.limits.maxEnvelopeBytes });
    }
    const m = /^\/v1\/mailboxes\/([^/]+)\/(envelopes|leases)(?:\/([^/]+))?(\/renew)?$/.exec(path);
    if (!m) {
      this.chargeAddress(address);
      throw new HttpError('ERR_RELAY_NOT_FOUND', 'No such endpoint');
    }
    const [, mailbox, kind, id, renew] = m;
    if (!isMailboxId(mailbox)) {
      this.chargeAddress(address);
      throw new HttpError('ERR_RELAY_BAD_REQUEST', 'Mailbox id must be 64 lower-case hex digits');
    }
    if (kind === 'envelopes' && id === undefined && method === 'POST') return this.acceptEnvelope(req, res, mailbox!, address);
    // Owner requests are charged to the owner's key once authenticated, so a neighbour behind the
    // same address (or proxy) cannot lock the owner out; failures are charged to the address.
    const session = this.authenticate(req, 'owner', mailbox!, address);
    const key = `key:${hexOf(session.publicKey)}`;
    this.charge(this.keyBuckets, key);
    if (id !== undefined && !STORED_NAME_PATTERN.test(id)) throw new HttpError('ERR_RELAY_NOT_FOUND', 'No such envelope');
    if (kind === 'leases' && id === undefined && renew === undefined && method === 'POST') return this.grantLeases(req, res, mailbox!, address, key);
    if (kind === 'envelopes' && id === undefined && renew === undefined && method === 'GET') return this.listEnvelopes(res, mailbox!);
    if (kind === 'envelopes' && id !== undefined && renew === undefined && method === 'GET') return this.fetchEnvelope(res, mailbox!, id);
    if (kind === 'envelopes' && id !== undefined && renew === undefined && method === 'DELETE') return this.deleteEnvelope(res, mailbox!, id);
    if (kind === 'envelopes' && id !== undefined && renew !== undefined && method === 'POST') return this.renewLease(req, res, mailbox!, id);
    throw new HttpError('ERR_RELAY_NOT_FOUND', 'No such endpoint');
  }

  private chargeAddress(address: string): void {
    this.charge(this.clientBuckets, `client:${address}`);
  }

  private charge(buckets: TokenBuckets, key: string): void {
    const wait = buckets.take(key);
    if (wait > 0) throw rateLimited(wait);
  }

  private mailbox(id: string): MailboxIndex {
    let index = this.mailboxes.get(id);
    if (index === undefined) {
      index = new MailboxIndex();
      this.mailboxes.set(id, index);
    }
    return index;
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
    // Stateless (challenge.ts): issuing one stores nothing, so no number of requests fills a table.
    const { nonce, expiresAt } = this.challenges.issue(purpose, mailbox, nowSeconds());
    sendJson(res, 200, { nonce: hexOf(nonce), expiresAt, origin: this.origin });
  }

  private async openSession(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readJson(req);
    const nonce = parseHex(body.nonce, NONCE_BYTES);
    const publicKey = parseHex(body.publicKey, ED25519_PUBLIC_KEY_BYTES);
    const signature = parseHex(body.signature, ED25519_SIGNATURE_BYTES);
    if (!nonce || !publicKey || !signature) throw new HttpError('ERR_RELAY_BAD_REQUEST', 'nonce, publicKey and signature must be hex of 32, 32 and 64 bytes');
    const denied = new HttpError('ERR_RELAY_AUTH_FAILED', 'Authentication failed: request a new challenge and sign it with the mailbox owner\'s key');
    const now = nowSeconds();
    // The nonce says neither purpose nor mailbox: try the owner of the key's mailbox, then a sender.
    const owner = mailboxId(publicKey);
    let purpose: SessionPurpose = 'owner';
    let expiresAt = this.challenges.check(nonce, 'owner', owner, now);
    if (expiresAt === null) {
      purpose = 'sender';
      expiresAt = this.challenges.check(nonce, 'sender', null, now);
    }
    if (expiresAt === null) throw denied;
    const mailbox = purpose === 'owner' ? owner : null;
    const message = challengeMessage({ purpose, mailbox, nonce, origin: this.origin, expiresAt, publicKey });
    if (!ed25519Verify(publicKey, message, signature)) throw denied;
    // Single use: spent once answered correctly (a wrong answer spends nothing, so it costs the owner nothing).
    this.challenges.spend(nonce, expiresAt, now);
    if (purpose === 'sender' && this.allowSenders !== null && !this.allowSenders.some((k) => equalBytes(k, publicKey))) {
      throw new HttpError('ERR_RELAY_SENDER_NOT_ALLOWED', 'This relay only accepts envelopes from senders on its allow list; ask its operator to add your signing key');
    }
    const token = systemRandom(TOKEN_BYTES);
    const expiresAtMs = Date.now() + this.sessionTtlSeconds * 1000;
    this.pruneSessions();
    this.sessions.set(hexOf(sha256(token)), { purpose, mailbox, publicKey, expiresAtMs, seen: new Map(), sweepAt: 256 });
    // `time` lets the client correct its clock for request signatures (REQUEST_TIME_SKEW_MS).
    sendJson(res, 200, { token: hexOf(token), expiresAt: Math.floor(expiresAtMs / 1000), time: Date.now() });
  }

  /**
   * The session of a request: a known, live bearer token of the right purpose (and mailbox), and
   * a fresh, single-use signature of this request by the session's key (protocol.ts
   * `requestMessage`). Tokens are stored hashed so a memory dump does not reveal them. A refusal
   * is charged to the client address.
   */
  private authenticate(req: IncomingMessage, purpose: SessionPurpose, mailbox: string | null, address: string): Session {
    const session = this.verifiedSession(req, purpose, mailbox);
    if (session !== null) return session;
    this.chargeAddress(address);
    throw new HttpError('ERR_RELAY_AUTH_FAILED', purpose === 'owner' ? 'Only the mailbox owner may do this: open a session with a signed challenge and sign each request' : 'Open a sender session with a signed challenge and sign each request');
  }

  private verifiedSession(req: IncomingMessage, purpose: SessionPurpose, mailbox: string | null): Session | null {
    const m = /^Bearer ([0-9a-f]{64})$/.exec(req.headers.authorization ?? '');
    const token = m ? parseHex(m[1], TOKEN_BYTES) : null;
    const session = token ? this.sessions.get(hexOf(sha256(token))) : undefined;
    const now = Date.now();
    if (!token || !session || session.expiresAtMs < now || session.purpose !== purpose || (purpose === 'owner' && session.mailbox !== mailbox)) return null;
    const time = Number(req.headers[REQUEST_TIME_HEADER]);
    const signatureHex = req.headers[REQUEST_SIGNATURE_HEADER];
    const signature = parseHex(signatureHex, ED25519_SIGNATURE_BYTES);
    const nonce = parseHex(req.headers[REQUEST_NONCE_HEADER], REQUEST_NONCE_BYTES);
    if (!signature || !nonce || !Number.isSafeInteger(time) || Math.abs(time - now) > REQUEST_TIME_SKEW_MS) return null;
    if (session.seen.has(signatureHex as string)) return null; // a replayed request
    const message = requestMessage({ method: req.method ?? 'GET', path: req.url ?? '/', origin: this.origin, token, time, nonce });
    if (!ed25519Verify(session.publicKey, message, signature)) return null;
    if (session.seen.size >= session.sweepAt) {
      // Older than the skew window: such a time is refused anyway, so the signature need not be kept.
      for (const [k, t] of session.seen) if (t < now - REQUEST_TIME_SKEW_MS) session.seen.delete(k);
      session.sweepAt = Math.max(256, 2 * session.seen.size);
    }
    session.seen.set(signatureHex as string, time);
    return session;
  }

  private pruneSessions(): void {
    if (this.sessions.size < this.sessionSweepAt) return;
    const now = Date.now();
    for (const [k, s] of this.sessions) if (s.expiresAtMs < now) this.sessions.delete(k);
    this.sessionSweepAt = Math.max(1024, 2 * this.sessions.size);
  }

  // --- Sending --------------------------------------------------------------------------------

  private async acceptEnvelope(req: IncomingMessage, res: ServerResponse, mailbox: string, address: string): Promise<void> {
    // Who is sending: the key of a sender session if one is presented (required with an allow
    // list), else the address. Limits and quotas are charged to it, never to the mailbox, so one
    // sender's refused or abusive uploads do not spend anyone else's allowance.
    let sender: string;
    if (req.headers.authorization !== undefined) {
      const session = this.verifiedSession(req, 'sender', null);
      if (session === null) {
        this.chargeAddress(address);
        throw new HttpError(this.allowSenders !== null ? 'ERR_RELAY_SENDER_NOT_ALLOWED' : 'ERR_RELAY_AUTH_FAILED', 'The sender session is unknown, expired or the request signature is wrong: open a sender session with a signed challenge');
      }
      sender = `key:${hexOf(session.publicKey)}`;
      this.charge(this.keyBuckets, sender);
    } else {
      this.chargeAddress(address);
      if (this.allowSenders !== null) {
        throw new HttpError('ERR_RELAY_SENDER_NOT_ALLOWED', 'This relay only accepts envelopes from allow-listed senders: open a sender session with a signed challenge');
      }
      sender = `addr:${address}`;
    }
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > this.limits.maxEnvelopeBytes) throw new LintasError('ERR_TRANSPORT_ENVELOPE_TOO_LARGE', 'declared length above limit');
    const index = this.mailbox(mailbox);
    if (index.count >= this.limits.maxEnvelopesPerMailbox) {
      throw new HttpError('ERR_RELAY_MAILBOX_FULL', 'The mailbox is full; its owner must fetch and acknowledge envelopes first');
    }
    const full = (which: 'storage' | 'sender'): HttpError =>
      new HttpError(
        'ERR_RELAY_STORAGE_FULL',
        which === 'storage' ? 'The relay\'s storage is full; try again once recipients have collected their mail' : 'You have as much stored on this relay as one sender may; wait until your recipients collect it',
      );
    if (Number.isSafeInteger(declared)) {
      const refused = this.quota.charge(sender, declared);
      if (refused !== null) throw full(refused);
      this.quota.release(sender, declared); // charged for real as the bytes arrive
    }
    const pair = `${sender}>${mailbox}`;
    this.charge(this.sendBuckets, pair);
    const meter = { bytes: 0 };
    const id = index.names.next();
    let size: number;
    try {
      // destroyOnReturn false: on a size violation the request stays open, so the 413 can be read.
      const body = req.iterator({ destroyOnReturn: false }) as AsyncIterable<Uint8Array>;
      size = await this.store.put(mailbox, id, charged(limitEnvelope(body, this.limits.maxEnvelopeBytes), this.quota, sender, meter, full));
    } catch (e) {
      // Refused or cut off: nothing stored, so nothing is charged (the send token is given back too).
      this.quota.release(sender, meter.bytes);
      this.sendBuckets.refund(pair);
      throw e;
    }
    // Looked up again: the mailbox may have been emptied, and its index dropped, during the upload.
    this.mailbox(mailbox).add({ id, size, sender, storedAtMs: Number(id.slice(0, 15)) });
    // Answered only now: the envelope and its directory entry are on disk. The id stays with the
    // owner: a sender learns nothing about the mailbox from the answer.
    sendJson(res, 201, {});
    for (const wake of [...(this.waiters.get(mailbox) ?? [])]) wake();
  }

  // --- Owner operations -----------------------------------------------------------------------

  private async listEnvelopes(res: ServerResponse, mailbox: string): Promise<void> {
    sendJson(res, 200, { envelopes: this.mailboxes.get(mailbox)?.list(Date.now()) ?? [] });
  }

  private async grantLeases(req: IncomingMessage, res: ServerResponse, mailbox: string, address: string, key: string): Promise<void> {
    const body = await readJson(req);
    const max = body.max ?? 10;
    const waitMs = body.waitMs ?? 0;
    const inlineMaxBytes = body.inlineMaxBytes ?? 0;
    if (!Number.isInteger(max) || (max as number) < 1 || (max as number) > MAX_LEASES_PER_REQUEST) throw new HttpError('ERR_RELAY_BAD_REQUEST', `max must be 1..${MAX_LEASES_PER_REQUEST}`);
    if (!Number.isInteger(waitMs) || (waitMs as number) < 0) throw new HttpError('ERR_RELAY_BAD_REQUEST', 'waitMs must be a non-negative integer');
    if (!Number.isInteger(inlineMaxBytes) || (inlineMaxBytes as number) < 0) throw new HttpError('ERR_RELAY_BAD_REQUEST', 'inlineMaxBytes must be a non-negative integer');
    const answer = async (granted: GrantedLease[]): Promise<void> =>
      sendJson(res, 200, { leases: await this.withInlineBodies(mailbox, key, granted, Math.min(inlineMaxBytes as number, INLINE_ENVELOPE_BYTES)), leaseMs: this.leaseMs });
    const deadline = Date.now() + Math.min(waitMs as number, this.limits.maxLongPollMs);
    let granted = this.lease(mailbox, max as number);
    if (granted.length > 0 || Date.now() >= deadline) return answer(granted);
    // A waiting poll costs nothing until something happens, but each holds a connection: capped
    // per mailbox key and per address (429 beyond).
    const release = this.holdPoll([`key:${mailbox}`, this.limits.maxWaitingPollsPerKey], [`addr:${address}`, this.limits.maxWaitingPollsPerAddress]);
    try {
      const gone = new AbortController();
      res.on('close', () => gone.abort());
      while (granted.length === 0 && Date.now() < deadline && !gone.signal.aborted && !this.closing.signal.aborted) {
        // Woken by a new envelope, or when the next lease lapses: no periodic re-reading.
        const next = this.mailboxes.get(mailbox)?.nextLeaseExpiryMs ?? Infinity;
        await this.waitForMail(mailbox, Math.min(deadline, next) - Date.now(), gone.signal);
        granted = this.lease(mailbox, max as number);
      }
    } finally {
      release();
    }
    await answer(granted);
  }

  /**
   * The leases of one answer, each with its envelope's bytes (`body`, base64) if the client asked
   * for inline envelopes (`inlineMaxBytes`, capped at {@link INLINE_ENVELOPE_BYTES}) and it fits:
   * at most `perEnvelope` bytes, and at most {@link INLINE_ANSWER_BYTES} for all bodies of the
   * answer together; the others are fetched as before. This is the fetch without its request
   * (docs/TRANSPORTS.md 3.3, "Inline envelopes"), so it is held to the same checks: the caller
   * authenticated the mailbox owner, only envelopes this answer just leased to them are included,
   * and each body costs the owner's key one request of its rate, like the fetch it saves (a body
   * the rate does not cover is left out, and its fetch gets the 429).
   */
  private async withInlineBodies(mailbox: string, key: string, granted: GrantedLease[], perEnvelope: number): Promise<(GrantedLease & { body?: string })[]> {
    if (perEnvelope === 0) return granted; // not asked for (clients before the flag): not even empty envelopes
    let budget = INLINE_ANSWER_BYTES;
    const bodies = granted.map(async (g): Promise<GrantedLease & { body?: string }> => {
      if (g.size > perEnvelope || g.size > budget || this.keyBuckets.take(key) > 0) return g;
      budget -= g.size;
      const bytes = await this.store.read(mailbox, g.id).catch(() => null);
      // Gone (acknowledged meanwhile, expired) or unreadable: left to the fetch, which reports it.
      if (bytes === null || bytes.length !== g.size) return g;
      return { ...g, body: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') };
    });
    return Promise.all(bodies);
  }

  private holdPoll(...caps: [string, number][]): () => void {
    for (const [key, cap] of caps) {
      if ((this.waitingPolls.get(key) ?? 0) >= cap) throw rateLimited(1000);
    }
    for (const [key] of caps) this.waitingPolls.set(key, (this.waitingPolls.get(key) ?? 0) + 1);
    return () => {
      for (const [key] of caps) {
        const left = (this.waitingPolls.get(key) ?? 1) - 1;
        if (left > 0) this.waitingPolls.set(key, left);
        else this.waitingPolls.delete(key);
      }
    };
  }

  /** Lease up to `max` available envelopes from the index (synchronous, so atomic). */
  private lease(mailbox: string, max: number): GrantedLease[] {
    const index = this.mailboxes.get(mailbox);
    if (index === undefined) return [];
    return index.lease(max, this.leaseMs, Date.now()).map((g) => ({ id: g.entry.id, size: g.entry.size, lease: g.lease.token, expiresAt: g.lease.expiresAtMs }));
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
    const entry = this.mailboxes.get(mailbox)?.get(id);
    const gone = (): HttpError => new HttpError('ERR_RELAY_NOT_FOUND', 'No such envelope (already acknowledged?)');
    if (entry === undefined) throw gone();
    if (entry.size <= SMALL_ENVELOPE_BYTES) {
      // One read and one write: a file stream's machinery cost more than the bytes of a small
      // envelope, and buffers as much (64 KiB) anyway.
      const bytes = await this.store.read(mailbox, id);
      if (bytes === null) throw gone();
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length), 'cache-control': 'no-store' });
      res.end(bytes);
      return;
    }
    const file = await this.store.open(mailbox, id);
    if (!file) throw gone();
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
    const now = Date.now();
    const lease = this.mailboxes.get(mailbox)?.heldLease(id, body.lease, now);
    if (!lease) return sendJson(res, 409, { error: 'ERR_RELAY_NOT_FOUND', message: 'The lease expired or belongs to another receiver' });
    lease.expiresAtMs = now + this.leaseMs;
    sendJson(res, 200, { expiresAt: lease.expiresAtMs });
  }

  private async deleteEnvelope(res: ServerResponse, mailbox: string, id: string): Promise<void> {
    if (!(await this.removeStored(mailbox, id))) throw new HttpError('ERR_RELAY_NOT_FOUND', 'No such envelope (already acknowledged?)');
    res.writeHead(204).end();
  }

  /** Remove a stored envelope from the index, the quota and the disk; false if it was not there. */
  private async removeStored(mailbox: string, id: string): Promise<boolean> {
    const index = this.mailboxes.get(mailbox);
    const entry = index?.remove(id);
    if (!index || !entry) return false;
    this.quota.release(entry.sender, entry.size);
    if (index.empty && !this.waiters.has(mailbox)) this.mailboxes.delete(mailbox);
    await this.store.remove(mailbox, id);
    return true;
  }

  /** Delete envelopes older than `envelopeTtlSeconds` (docs/TRANSPORTS.md 3.3, "Limits"). */
  private async expireEnvelopes(): Promise<void> {
    const cutoff = Date.now() - this.limits.envelopeTtlSeconds * 1000;
    for (const [mailbox, index] of [...this.mailboxes]) {
      for (const e of [...index.olderThan(cutoff)]) await this.removeStored(mailbox, e.id);
    }
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\./.test(host) || /^::ffff:127\./.test(host);
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
