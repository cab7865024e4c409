/**
 * Shared pieces of the relay attack tests: a relay in a temporary folder, raw HTTP requests from
 * a chosen loopback address (127.0.0.2, ... are all this machine on Linux), owner sessions opened
 * by hand and requests signed by hand (docs/TRANSPORTS.md 3.3).
 */
import { afterEach } from 'vitest';
import { request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cryptoReady, mailboxId, RelayTransport, type SigningKeyPair } from '../../src/index.js';
import { startRelay, type RelayOptions, type RelayServer } from '../../src/node.js';
import { ed25519Sign } from '../../src/crypto/ed25519.js';
import { challengeMessage, requestMessage } from '../../src/transports/relay/protocol.js';

export const generous = { perSecond: 10_000, burst: 10_000 };
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A temporary folder removed after the test. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lintas-relay-attack-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A relay with generous rates unless the test sets them. */
export async function relay(options: Partial<RelayOptions> = {}): Promise<RelayServer> {
  const r = await startRelay({
    dir: options.dir ?? (await tempDir()),
    leaseMs: 1000,
    onWarning: () => {},
    ...options,
    limits: { clientRate: generous, keyRate: generous, mailboxSendRate: generous, ...options.limits },
  });
  cleanups.push(() => r.close());
  return r;
}

/** A client closed after the test. */
export function client(r: RelayServer, options: Partial<ConstructorParameters<typeof RelayTransport>[0]> = {}): RelayTransport {
  const t = new RelayTransport({ url: r.url, longPollMs: 1000, ...options });
  cleanups.push(() => t.close());
  return t;
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** A raw HTTP answer. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One HTTP request from `from` (a loopback address), without any client logic. */
export function raw(
  r: RelayServer,
  method: string,
  path: string,
  options: { from?: string; headers?: Record<string, string>; body?: Uint8Array | string; signal?: AbortSignal } = {},
): Promise<RawAnswer> {
  const url = new URL(r.url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        localAddress: options.from ?? '127.0.0.1',
        headers: { connection: 'close', ...options.headers },
        agent: false,
        ...(options.signal ? { signal: options.signal } : {}),
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The error code of a JSON error answer. */
export function errorCode(a: RawAnswer): string {
  return (JSON.parse(a.body.toString('utf8')) as { error: string }).error;
}

/** Open an owner session by hand; returns the token. */
export async function ownerSession(r: RelayServer, owner: SigningKeyPair, from?: string): Promise<string> {
  await cryptoReady();
  const mailbox = mailboxId(owner.publicKey);
  const json = { 'content-type': 'application/json' };
  const c = JSON.parse((await raw(r, 'POST', '/v1/challenge', { from, headers: json, body: JSON.stringify({ purpose: 'owner', mailbox }) })).body.toString()) as { nonce: string; expiresAt: number };
  const message = challengeMessage({ purpose: 'owner', mailbox, nonce: Buffer.from(c.nonce, 'hex'), origin: r.origin, expiresAt: c.expiresAt, publicKey: owner.publicKey });
  const body = JSON.stringify({ nonce: c.nonce, publicKey: hex(owner.publicKey), signature: hex(ed25519Sign(owner.secretKey, message)) });
  const s = await raw(r, 'POST', '/v1/session', { from, headers: json, body });
  if (s.status !== 200) throw new Error(`session refused: ${s.status} ${s.body.toString()}`);
  return (JSON.parse(s.body.toString()) as { token: string }).token;
}

/** The headers of one request under a session: the token and this request's signature. */
export function signed(r: RelayServer, token: string, key: SigningKeyPair, method: string, path: string, time = Date.now()): Record<string, string> {
  const nonce = randomBytes(16);
  const signature = ed25519Sign(key.secretKey, requestMessage({ method, path, origin: r.origin, token: Buffer.from(token, 'hex'), time, nonce }));
  return { authorization: `Bearer ${token}`, 'x-lintas-time': String(time), 'x-lintas-nonce': hex(nonce), 'x-lintas-signature': hex(signature) };
}
