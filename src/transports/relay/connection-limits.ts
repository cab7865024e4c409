/**
 * Who a relay request comes from, and how many connections each source may hold
 * (docs/TRANSPORTS.md 3.3, "Limits"). Behind a reverse proxy every request arrives from the
 * proxy's address; only proxies named in `trustedProxies` may say, in `X-Forwarded-For`, which
 * client they forward for. Anyone else's `X-Forwarded-For` is ignored, so a client cannot pick
 * the address it is limited as.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import { isIP } from 'node:net';

/** Strip the IPv4-mapped IPv6 prefix, so 10.0.0.1 and ::ffff:10.0.0.1 are one address. */
function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/** Validates the trusted proxy list: IP addresses, no names (a name could change its address). */
export function checkTrustedProxies(value: unknown): Set<string> {
  if (value === undefined) return new Set();
  if (!Array.isArray(value) || value.some((a) => typeof a !== 'string')) throw new TypeError('options.trustedProxies must be an array of IP addresses');
  for (const a of value as string[]) if (isIP(a) === 0) throw new RangeError(`options.trustedProxies: "${a}" is not an IP address`);
  return new Set((value as string[]).map(normalizeAddress));
}

/**
 * The client address of a request: the socket's peer, or, when the peer is a trusted proxy, the
 * right-most `X-Forwarded-For` entry that is not itself a trusted proxy.
 */
export function clientAddress(req: IncomingMessage, trusted: ReadonlySet<string>): string {
  const peer = normalizeAddress(req.socket.remoteAddress ?? 'unknown');
  if (!trusted.has(peer)) return peer;
  const forwarded = req.headers['x-forwarded-for'];
  const hops = (Array.isArray(forwarded) ? forwarded.join(',') : (forwarded ?? '')).split(',').map((h) => normalizeAddress(h.trim()));
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    if (isIP(hop) === 0) return peer; // a malformed hop: limit the proxy itself rather than guess
    if (!trusted.has(hop)) return hop;
  }
  return peer;
}

/** Connection caps applied to a server: in total, and per peer address (trusted proxies exempt). */
export interface ConnectionCaps {
  /** Most open connections in total. */
  maxConnections: number;
  /** Most open connections from one address. */
  maxConnectionsPerAddress: number;
  /** Ms a client may take to send the request headers. */
  headersTimeoutMs: number;
  /** Ms a connection may stay silent (no bytes either way) before it is closed. */
  idleTimeoutMs: number;
}

/**
 * Apply `caps` to `server`: connections beyond a cap are closed at once, before any byte is
 * read, so 21 000 slow connections from one place cannot use up the relay's file descriptors.
 */
export function limitConnections(server: Server, caps: ConnectionCaps, trusted: ReadonlySet<string>): void {
  server.maxConnections = caps.maxConnections;
  server.headersTimeout = caps.headersTimeoutMs;
  // requestTimeout must not be below headersTimeout (Node refuses to start otherwise).
  if (server.requestTimeout !== 0 && server.requestTimeout < caps.headersTimeoutMs) server.requestTimeout = caps.headersTimeoutMs;
  server.keepAliveTimeout = Math.min(5_000, caps.idleTimeoutMs);
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    socket.setTimeout(caps.idleTimeoutMs, () => socket.destroy());
    const address = normalizeAddress(socket.remoteAddress ?? 'unknown');
    if (trusted.has(address)) return;
    const n = (open.get(address) ?? 0) + 1;
    if (n > caps.maxConnectionsPerAddress) {
      socket.destroy();
      return;
    }
    open.set(address, n);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
  });
}
