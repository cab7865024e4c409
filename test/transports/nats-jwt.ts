/**
 * NATS decentralised authentication (operator, account and user JWTs, credentials files) made
 * at test time with the NKeys that `@nats-io/transport-node` exports, for servers that only
 * accept `.creds` files; `nsc` is not needed. The JWTs are those `nsc` writes (NATS ADR-39
 * claims, version 2, header `{"typ":"JWT","alg":"ed25519-nkey"}`), with unlimited account limits
 * and JetStream enabled.
 */
import { createHash } from 'node:crypto';
import { nkeys } from '@nats-io/transport-node';

type KeyPair = ReturnType<typeof nkeys.createOperator>;

const b64url = (b: Uint8Array | string): string => Buffer.from(b).toString('base64url');

/** A JWT about `subject` with the NATS claims `nats`, signed by `issuer`. */
function jwt(issuer: KeyPair, subject: string, name: string, nats: Record<string, unknown>): string {
  const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'ed25519-nkey' }));
  const claims: Record<string, unknown> = { iat: Math.floor(Date.now() / 1000), iss: issuer.getPublicKey(), name, sub: subject, nats: { ...nats, version: 2 } };
  // A unique JWT id from the claims (nsc writes base32 of their SHA-256; nats-server does not check it).
  claims.jti = createHash('sha256').update(JSON.stringify(claims)).digest('hex').slice(0, 52).toUpperCase();
  const payload = b64url(JSON.stringify(claims));
  return `${header}.${payload}.${b64url(issuer.sign(new TextEncoder().encode(`${header}.${payload}`)))}`;
}

const UNLIMITED = { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1, mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 };

/** An operator and one account it signed; users of that account get credentials files. */
export interface TestNatsOperator {
  /** nats-server configuration: trust the operator, know the account (memory resolver). */
  config: string;
  /** The text of a `.creds` file for a new user of the account. */
  userCreds(name: string): string;
  /** The text of a `.creds` file for a user of an account the server does not know: it is refused. */
  strangerCreds(name: string): string;
}

function creds(userJwt: string, user: KeyPair): string {
  return `-----BEGIN NATS USER JWT-----\n${userJwt}\n------END NATS USER JWT------\n\n************************* IMPORTANT *************************\nNKEY Seed printed below can be used to sign and prove identity.\nNKEYs are sensitive and should be treated as secrets.\n\n-----BEGIN USER NKEY SEED-----\n${new TextDecoder().decode(user.getSeed())}\n------END USER NKEY SEED------\n\n*************************************************************\n`;
}

function userOf(account: KeyPair, name: string): string {
  const user = nkeys.createUser();
  return creds(jwt(account, user.getPublicKey(), name, { type: 'user', pub: {}, sub: {}, subs: -1, data: -1, payload: -1 }), user);
}

/** A new operator with one JetStream-enabled account. */
export function makeNatsOperator(): TestNatsOperator {
  const operator = nkeys.createOperator();
  // JetStream needs a system account in operator mode.
  const system = nkeys.createAccount();
  const account = nkeys.createAccount();
  const operatorJwt = jwt(operator, operator.getPublicKey(), 'lintas-test', { type: 'operator', system_account: system.getPublicKey() });
  const systemJwt = jwt(operator, system.getPublicKey(), 'SYS', { type: 'account', limits: { ...UNLIMITED, mem_storage: 0, disk_storage: 0, streams: 0, consumer: 0 } });
  const accountJwt = jwt(operator, account.getPublicKey(), 'LINTAS', { type: 'account', limits: UNLIMITED, default_permissions: { pub: {}, sub: {} } });
  // A user of an account this server does not know (as if signed by another operator).
  const stranger = nkeys.createAccount();
  return {
    config:
      `operator: "${operatorJwt}"\nsystem_account: ${system.getPublicKey()}\nresolver: MEMORY\n` +
      `resolver_preload: { ${system.getPublicKey()}: "${systemJwt}", ${account.getPublicKey()}: "${accountJwt}" }\n`,
    userCreds: (name) => userOf(account, name),
    strangerCreds: (name) => userOf(stranger, name),
  };
}
