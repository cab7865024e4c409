/**
 * The `--via` form that reaches NATS JetStream (docs/CLI.md, "Transports"):
 *
 *   nats://[USER:PASS@]HOST:PORT[,HOST:PORT...]   one server, or several of one cluster
 *
 * optionally followed by `?stream=NAME&prefix=P&replicas=N&accept-risk=RISK,RISK&creds=FILE&inbox-prefix=P&api-prefix=P&tls=1&ca=FILE&cert=FILE&key=FILE`:
 * the transport's `stream`, `subjectPrefix`, `replicas`, `acceptRisks` and `apiPrefix` (docs/TRANSPORTS.md
 * 3.6), a NATS credentials file (JWT + NKey seed, instead of USER:PASS), the inbox prefix the
 * permission layout grants this user, TLS to the servers, the CA (PEM) that must have signed
 * their certificates (agencies run private CAs, which the system's trust store does not hold),
 * and a client certificate and key for servers that ask for one (`verify: true`).
 *
 * A password is percent-encoded where it has `?`; any other character (`/`, `@`, `:`, `#`) is
 * taken as it is, up to the last `@` before the query, so {@link redactNatsVia} hides exactly
 * what is parsed as the password.
 */
import { usageError } from './command.js';

/** A parsed NATS `--via`. */
export interface NatsVia {
  /** `host:port` of each server named. */
  servers: string[];
  tls: boolean;
  user?: string;
  pass?: string;
  creds?: string;
  /** A PEM file of the CA certificates the servers' certificates must chain to (implies TLS). */
  ca?: string;
  /** PEM files of a client certificate and its key, for servers with `verify: true` (implies TLS). */
  cert?: string;
  key?: string;
  inboxPrefix?: string;
  apiPrefix?: string;
  stream?: string;
  subjectPrefix?: string;
  replicas?: number;
  acceptRisks?: string[];
}

const SCHEME = /^nats:\/\//i;
const OPTIONS = ['stream', 'prefix', 'replicas', 'accept-risk', 'creds', 'inbox-prefix', 'api-prefix', 'tls', 'ca', 'cert', 'key'];

/** The parts of a NATS `--via`: the credentials (before the last `@`, if any), the servers and the query. */
function split(via: string): { auth: string | null; hosts: string; query: string } {
  const rest = via.replace(SCHEME, '');
  const q = rest.indexOf('?');
  const main = q < 0 ? rest : rest.slice(0, q);
  const at = main.lastIndexOf('@');
  return { auth: at < 0 ? null : main.slice(0, at), hosts: at < 0 ? main : main.slice(at + 1), query: q < 0 ? '' : rest.slice(q + 1) };
}

/**
 * A NATS `--via` as the output, the errors and the audit log show it: the password replaced by
 * `***`, split exactly as {@link parseNatsVia} splits it (a password holding `/` or `@` is hidden
 * whole). A user name alone is shown.
 */
export function redactNatsVia(via: string): string {
  const { auth, hosts, query } = split(via);
  if (auth === null) return via;
  const colon = auth.indexOf(':');
  const scheme = SCHEME.exec(via)?.[0] ?? 'nats://';
  return `${scheme}${colon < 0 ? auth : `${auth.slice(0, colon)}:***`}@${hosts}${query === '' ? '' : `?${query}`}`;
}

/** True if `via` names a NATS transport. */
export function isNatsVia(via: string): boolean {
  return SCHEME.test(via) && via.replace(SCHEME, '').length > 0;
}

/**
 * Parse a NATS `--via`; the option values are checked by the transport itself.
 * @throws a usage error (exit code 2) for a malformed URL.
 */
export function parseNatsVia(via: string): NatsVia {
  if (!SCHEME.test(via)) throw usageError(`--via "${via}" is not a NATS URL`);
  const parts = split(via);
  const query = new URLSearchParams(parts.query);
  const auth = parts.auth ?? '';
  const hostList = parts.hosts.replace(/\/$/, '');
  const servers = hostList.split(',').map((h) => {
    const hm = /^(\[[0-9a-f:.]+\]|[^:[\]/]+):(\d{1,5})$/i.exec(h);
    const port = hm ? Number(hm[2]) : NaN;
    if (!hm || port < 1 || port > 65535) {
      // An unencoded "?" in a password puts the rest of it in the query: echo nothing of it.
      if (parts.auth === null && parts.query.includes('@')) throw usageError('--via: not nats://[USER:PASS@]HOST:PORT; percent-encode a "?" in a password as %3F');
      throw usageError(`--via: "${h}" is not HOST:PORT (in ${redactNatsVia(via)})`);
    }
    return `${hm[1]}:${port}`;
  });
  for (const name of query.keys()) {
    if (!OPTIONS.includes(name)) {
      if (name.includes('@')) throw usageError('--via: not nats://[USER:PASS@]HOST:PORT; percent-encode a "?" in a password as %3F');
      throw usageError(`--via: unknown NATS option "${name}"; known: ${OPTIONS.join(', ')}`);
    }
  }
  const text = (name: string): string | undefined => query.get(name) ?? undefined;
  const ca = text('ca');
  const cert = text('cert');
  const key = text('key');
  if ((cert === undefined) !== (key === undefined)) throw usageError('--via: ?cert=FILE and ?key=FILE go together (a client certificate and its key)');
  const out: NatsVia = { servers, tls: query.get('tls') === '1' || query.get('tls') === 'true' || ca !== undefined || cert !== undefined };
  if (ca !== undefined) out.ca = ca;
  if (cert !== undefined && key !== undefined) [out.cert, out.key] = [cert, key];
  if (auth !== '') {
    const colon = auth.indexOf(':');
    const decode = (v: string, what: string): string => {
      try {
        return decodeURIComponent(v);
      } catch {
        // The value itself is not repeated: it may be the password.
        throw usageError(`--via: the ${what} is not percent-encoded correctly (a "%" must start %XX; write % as %25)`);
      }
    };
    const user = decode(colon < 0 ? auth : auth.slice(0, colon), 'user name');
    if (user !== '') out.user = user;
    if (colon >= 0) out.pass = decode(auth.slice(colon + 1), 'password');
  }
  const stream = text('stream');
  if (stream !== undefined) out.stream = stream;
  const prefix = text('prefix');
  if (prefix !== undefined) out.subjectPrefix = prefix;
  const creds = text('creds');
  if (creds !== undefined) out.creds = creds;
  const inbox = text('inbox-prefix');
  if (inbox !== undefined) out.inboxPrefix = inbox;
  const api = text('api-prefix');
  if (api !== undefined) out.apiPrefix = api;
  const replicas = text('replicas');
  if (replicas !== undefined) {
    if (!/^[1-5]$/.test(replicas)) throw usageError('--via: replicas must be 1 to 5');
    out.replicas = Number(replicas);
  }
  if (query.has('accept-risk')) out.acceptRisks = query.getAll('accept-risk').flatMap((v) => v.split(',')).filter((v) => v !== '');
  return out;
}
