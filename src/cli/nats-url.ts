/**
 * The `--via` form that reaches NATS JetStream (docs/CLI.md, "Transports"):
 *
 *   nats://[USER:PASS@]HOST:PORT[,HOST:PORT...]   one server, or several of one cluster
 *
 * optionally followed by `?stream=NAME&prefix=P&replicas=N&accept-risk=RISK,RISK&creds=FILE&inbox-prefix=P&api-prefix=P&tls=1`:
 * the transport's `stream`, `subjectPrefix`, `replicas`, `acceptRisks` and `apiPrefix` (docs/TRANSPORTS.md
 * 3.6), a NATS credentials file (JWT + NKey seed, instead of USER:PASS), the inbox prefix the
 * permission layout grants this user, and TLS to the servers.
 */
import { usageError } from './command.js';
import { redact } from './redis-url.js';

/** A parsed NATS `--via`. */
export interface NatsVia {
  /** `host:port` of each server named. */
  servers: string[];
  tls: boolean;
  user?: string;
  pass?: string;
  creds?: string;
  inboxPrefix?: string;
  apiPrefix?: string;
  stream?: string;
  subjectPrefix?: string;
  replicas?: number;
  acceptRisks?: string[];
}

const SCHEME = /^nats:\/\//i;
const OPTIONS = ['stream', 'prefix', 'replicas', 'accept-risk', 'creds', 'inbox-prefix', 'api-prefix', 'tls'];

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
  const rest = via.replace(SCHEME, '');
  const q = rest.indexOf('?');
  const query = new URLSearchParams(q < 0 ? '' : rest.slice(q + 1));
  const main = q < 0 ? rest : rest.slice(0, q);
  const at = main.lastIndexOf('@');
  const auth = at < 0 ? '' : main.slice(0, at);
  const hostList = (at < 0 ? main : main.slice(at + 1)).replace(/\/$/, '');
  const servers = hostList.split(',').map((h) => {
    const hm = /^(\[[0-9a-f:.]+\]|[^:[\]/]+):(\d{1,5})$/i.exec(h);
    const port = hm ? Number(hm[2]) : NaN;
    if (!hm || port < 1 || port > 65535) throw usageError(`--via: "${h}" is not HOST:PORT (in ${redact(via)})`);
    return `${hm[1]}:${port}`;
  });
  for (const name of query.keys()) {
    if (!OPTIONS.includes(name)) throw usageError(`--via: unknown NATS option "${name}"; known: ${OPTIONS.join(', ')}`);
  }
  const out: NatsVia = { servers, tls: query.get('tls') === '1' || query.get('tls') === 'true' };
  if (auth !== '') {
    const colon = auth.indexOf(':');
    const user = decodeURIComponent(colon < 0 ? auth : auth.slice(0, colon));
    if (user !== '') out.user = user;
    if (colon >= 0) out.pass = decodeURIComponent(auth.slice(colon + 1));
  }
  const text = (name: string): string | undefined => query.get(name) ?? undefined;
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
