/**
 * How `--via nats://` connects (docs/CLI.md, "Transports"; docs/TRANSPORTS.md 3.6): the
 * credentials and TLS material named in the URL (src/cli/nats-url.ts) are read here, and a
 * failed connection is told apart for the person at the terminal: refused credentials
 * (`ERR_NATS_AUTH_FAILED`), a server certificate this process does not trust
 * (`ERR_NATS_TLS_UNTRUSTED`: a private CA not given, or not the server meant), or no server
 * reachable (`ERR_TRANSPORT_UNAVAILABLE`). Messages never hold the password or the contents of a
 * credentials file.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { LintasError } from '../errors/index.js';
import type { NatsConnectionLike } from '../transports/nats-jetstream.js';
import type { NatsVia } from './nats-url.js';

/** The parts of the optional `@nats-io/transport-node` package the CLI calls. */
export interface NatsModule {
  connect(options: Record<string, unknown>): Promise<NatsConnectionLike & { close(): Promise<void> }>;
  credsAuthenticator(creds: Uint8Array): unknown;
}

/** Node's codes for a certificate chain or name it could not verify (node:tls, OpenSSL X509_V_ERR_*). */
const UNTRUSTED_CERTIFICATE = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'INVALID_CA',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** A file named by a `--via` option, read whole; a missing or unreadable one is named with its option. */
async function readOptionFile(option: string, path: string): Promise<Buffer> {
  try {
    return await readFile(resolve(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'cannot be read (permission denied)' : code === 'EISDIR' ? 'is a folder' : `cannot be read (${code ?? 'error'})`;
    throw new LintasError('ERR_USAGE_FILE', `--via ?${option}= "${path}" ${why}`, { cause: e });
  }
}

/**
 * Connect to the servers of a parsed NATS `--via`; `shown` is the URL without its password.
 * @throws {@link LintasError} `ERR_NATS_AUTH_FAILED`, `ERR_NATS_TLS_UNTRUSTED`,
 *   `ERR_TRANSPORT_UNAVAILABLE`, or `ERR_USAGE_FILE` for a `?creds=`, `?ca=`, `?cert=` or `?key=` file that cannot be read.
 */
export async function connectNats(nats: NatsModule, n: NatsVia, shown: string): Promise<NatsConnectionLike & { close(): Promise<void> }> {
  const auth: Record<string, unknown> = {};
  if (n.user !== undefined) auth.user = n.user;
  if (n.pass !== undefined) auth.pass = n.pass;
  if (n.creds !== undefined) auth.authenticator = nats.credsAuthenticator(new Uint8Array(await readOptionFile('creds', n.creds)));
  // `ca` replaces the system's trust store for this connection: only the agency's CA vouches for
  // its servers, so a certificate from any public CA is refused too.
  const tls = n.tls
    ? {
        ...(n.ca !== undefined ? { ca: [await readOptionFile('ca', n.ca)] } : {}),
        ...(n.cert !== undefined && n.key !== undefined ? { cert: await readOptionFile('cert', n.cert), key: await readOptionFile('key', n.key) } : {}),
      }
    : undefined;
  try {
    // Fail at once if no server can be reached at the start; once connected, ride out restarts
    // and failovers (a `receive --follow` may run for days).
    return await nats.connect({
      servers: n.servers,
      ...auth,
      ...(tls !== undefined ? { tls } : {}),
      ...(n.inboxPrefix !== undefined ? { inboxPrefix: n.inboxPrefix } : {}),
      timeout: 10_000,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
    });
  } catch (e) {
    throw connectFailure(e, n, shown);
  }
}

/** What a failed `connect` means, in a {@link LintasError} a person can act on. */
function connectFailure(e: unknown, n: NatsVia, shown: string): LintasError {
  const name = (e as Error | null)?.name ?? '';
  const code = (e as NodeJS.ErrnoException | null)?.code ?? '';
  const message = String((e as Error | null)?.message ?? e);
  if (name === 'AuthorizationError' || /authorization violation|authentication/i.test(message)) {
    const used = n.creds !== undefined ? `the credentials file "${n.creds}"` : n.user !== undefined ? `user "${n.user}" and its password` : 'no credentials';
    return new LintasError(
      'ERR_NATS_AUTH_FAILED',
      `The NATS server at ${shown} refused ${used} (${message}): check the user and password in the URL, or ?creds=FILE, with the server's operator`,
      { cause: e },
    );
  }
  if (UNTRUSTED_CERTIFICATE.has(code)) {
    const hint =
      n.ca !== undefined
        ? `it is not signed by the CA in ?ca= "${n.ca}" for this host name, so this may not be the server you meant to reach (nothing was sent to it, not even the credentials): check the host name and the CA with the server's operator`
        : 'if the server uses a private CA, name its certificate with ?ca=FILE (PEM); otherwise this may not be the server you meant to reach (nothing was sent to it, not even the credentials)';
    return new LintasError('ERR_NATS_TLS_UNTRUSTED', `The TLS certificate of the NATS server at ${shown} is not trusted (${code}: ${message}): ${hint}`, { cause: e });
  }
  // A server with `verify: true` drops a client without a certificate it accepts after the
  // TLS 1.3 handshake, which the client sees only as a timeout.
  const hint = n.tls && name === 'TimeoutError' ? (n.cert === undefined ? '; if the server asks for client certificates, give yours with ?cert=FILE&key=FILE' : '; check that the server accepts the CA of ?cert=') : '';
  return new LintasError('ERR_TRANSPORT_UNAVAILABLE', `Cannot reach NATS at ${shown}: ${message}${hint}`, { cause: e });
}
