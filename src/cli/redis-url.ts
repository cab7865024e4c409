/**
 * The `--via` forms that reach Redis (docs/CLI.md, "Transports"):
 *
 *   redis[s]://[USER:PASS@]HOST:PORT[/DB]                 one server
 *   redis[s]+cluster://[USER:PASS@]HOST:PORT,HOST:PORT     a Redis Cluster (any reachable nodes)
 *   redis[s]+sentinel://[USER:PASS@]HOST:PORT,HOST:PORT/MASTER   the master Sentinel names MASTER
 *
 * each optionally followed by `?sender=NAME&senders=A,B&accept-risk=RISK,RISK`, the transport's
 * `sender`, `senders` and `acceptRisks` (docs/TRANSPORTS.md 3.4). USER and PASS are for the
 * Redis servers; Sentinel itself is asked without them.
 */
import { usageError } from './command.js';

/** A parsed Redis `--via`. */
export interface RedisVia {
  topology: 'server' | 'cluster' | 'sentinel';
  tls: boolean;
  /**
   * For `server`: the URL for node-redis `createClient`, without the lintas query, its user and
   * password percent-encoded again from the values parsed here (node-redis splits a URL by the
   * WHATWG rules, which a raw password holding `/`, `@` or `?` would cut elsewhere).
   */
  url: string;
  /** For `cluster` and `sentinel`: the nodes named. */
  nodes: { host: string; port: number }[];
  /** For `sentinel`: the master's name. */
  masterName: string;
  username?: string;
  password?: string;
  sender?: string;
  senders?: string[];
  acceptRisks?: string[];
}

const SCHEME = /^(rediss?)(\+cluster|\+sentinel)?:\/\//i;

/** True if `via` names a Redis transport. */
export function isRedisVia(via: string): boolean {
  return SCHEME.test(via) && via.replace(SCHEME, '').length > 0;
}

/**
 * Parse a Redis `--via`; the option values are checked by the transport itself.
 * @throws a usage error (exit code 2) for a malformed URL.
 */
export function parseRedisVia(via: string): RedisVia {
  const parts = split(via);
  if (!parts) throw usageError(`--via "${via}" is not a Redis URL`);
  const { m, afterAuth } = parts;
  const auth = parts.auth ?? '';
  const tls = m[1]!.toLowerCase() === 'rediss';
  const topology = m[2] === undefined ? 'server' : (m[2].slice(1).toLowerCase() as 'cluster' | 'sentinel');
  const query = new URLSearchParams(parts.query ?? '');
  const slash = afterAuth.indexOf('/');
  const hostList = slash < 0 ? afterAuth : afterAuth.slice(0, slash);
  const path = slash < 0 ? '' : afterAuth.slice(slash + 1);
  const nodes = hostList.split(',').map((h) => {
    const hm = /^(\[[0-9a-f:.]+\]|[^:[\]]+):(\d{1,5})$/i.exec(h);
    const port = hm ? Number(hm[2]) : NaN;
    if (!hm || port < 1 || port > 65535) throw usageError(`--via: "${h}" is not HOST:PORT (in ${redact(via)})`);
    return { host: hm[1]!.replace(/^\[|\]$/g, ''), port };
  });
  if (topology === 'server' && nodes.length !== 1) throw usageError('--via redis:// names one server; use redis+cluster:// or redis+sentinel:// for several');
  if (topology === 'sentinel' && !/^[^/]+$/.test(path)) throw usageError('--via redis+sentinel:// needs the master name as its path, e.g. redis+sentinel://s1:26379,s2:26379/mymaster');
  const colon = auth.indexOf(':');
  const out: RedisVia = {
    topology,
    tls,
    url: `${m[1]}://${afterAuth}`,
    nodes,
    masterName: topology === 'sentinel' ? decodeURIComponent(path) : '',
  };
  if (auth !== '') {
    const user = decodeURIComponent(colon < 0 ? auth : auth.slice(0, colon));
    if (user !== '') out.username = user;
    if (colon >= 0) out.password = decodeURIComponent(auth.slice(colon + 1));
    const encoded = `${encodeURIComponent(user)}${out.password === undefined ? '' : `:${encodeURIComponent(out.password)}`}`;
    out.url = `${m[1]}://${encoded}@${afterAuth}`;
  }
  for (const name of query.keys()) {
    if (!['sender', 'senders', 'accept-risk'].includes(name)) throw usageError(`--via: unknown Redis option "${name}"; known: sender, senders, accept-risk`);
  }
  const list = (name: string): string[] | undefined => (query.has(name) ? query.getAll(name).flatMap((v) => v.split(',')).filter((v) => v !== '') : undefined);
  const sender = query.get('sender');
  if (sender !== null) out.sender = sender;
  const senders = list('senders');
  if (senders) out.senders = senders;
  const risks = list('accept-risk');
  if (risks) out.acceptRisks = risks;
  return out;
}

/**
 * The URL without its password, for messages: split as {@link parseRedisVia} splits it (up to
 * the last `@` before the query), so a password holding `/` or `@` is hidden whole.
 */
export function redact(via: string): string {
  const parts = split(via);
  if (!parts || parts.auth === null) return via;
  const colon = parts.auth.indexOf(':');
  const shown = colon < 0 ? parts.auth : `${parts.auth.slice(0, colon)}:***`;
  return `${parts.m[0]}${shown}@${parts.afterAuth}${parts.query === null ? '' : `?${parts.query}`}`;
}

/** A Redis URL cut into its scheme match, credentials (null if none), hosts and path, and query (null if none). */
function split(via: string): { m: RegExpExecArray; auth: string | null; afterAuth: string; query: string | null } | null {
  const m = SCHEME.exec(via);
  if (!m) return null;
  const rest = via.slice(m[0].length);
  const q = rest.indexOf('?');
  const main = q < 0 ? rest : rest.slice(0, q);
  const at = main.lastIndexOf('@');
  return { m, auth: at < 0 ? null : main.slice(0, at), afterAuth: at < 0 ? main : main.slice(at + 1), query: q < 0 ? null : rest.slice(q + 1) };
}
