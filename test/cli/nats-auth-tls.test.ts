/**
 * `lintas send` and `lintas receive` through NATS as processes, with the `--via nats://` options
 * that authenticate and protect the connection (docs/CLI.md, "Transports"): `?creds=FILE`
 * against a server in operator (JWT) mode, `?ca=FILE` and `?tls=1` against a server whose
 * certificate a private CA signed, a man in the middle with another CA's certificate,
 * `?cert=FILE&key=FILE` against a server that asks for client certificates, and `?api-prefix=`
 * and `?replicas=`. Wrong credentials and untrusted certificates fail with their
 * own codes, and no password or credentials file content ever reaches the output or the audit log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server, type Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Cli, buildCli, expectOk, twoAgencies, workFolder, type CliRun } from './cli-kit.js';
import { startNatsServer, type TestNatsServer } from '../transports/nats-server.js';
import { makeNatsOperator } from '../transports/nats-jwt.js';
import { hasOpenssl, issueCert, makeCa, type TestCert } from '../transports/test-ca.js';
import { hasNatsServer } from '../setup/gaps.js';

let script: string;
let work: { dir: string; remove: () => Promise<void> };
let bin: Cli;
let polri: Cli;
const w = (name: string): string => join(work.dir, name);

// A password with the characters a URL parser could cut it at: it is taken up to the last "@".
const PASSWORD = 'Tls/pw@9:x';

async function sealTo(name: string, text: string): Promise<string> {
  const file = w(`${name}.lintas`);
  await expectOk(bin.run(['seal', '--to', 'polri', '--tlp', 'GREEN', '--title', name, '-o', file], { input: text }));
  return file;
}

/** Every byte a CLI home holds (audit logs, replay logs, key ring), as latin1 text to search. */
async function homeBytes(cli: Cli): Promise<string> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.push((await readFile(p)).toString('latin1'));
    }
  };
  await walk(cli.home);
  return out.join('\n');
}

/** Fails unless none of `secrets` is in the run's output or in the homes' files. */
async function expectNoSecrets(runs: CliRun[], secrets: string[]): Promise<void> {
  const seen = runs.map((r) => r.stdout + r.stderr).join('\n') + (await homeBytes(bin)) + (await homeBytes(polri));
  for (const s of secrets) expect(seen.includes(s), `secret "${s.slice(0, 4)}..." printed or stored`).toBe(false);
}

/**
 * A NATS server impostor: it sends INFO asking for TLS, upgrades with `cert`, records every byte
 * the client sends after the handshake, and answers the client's CONNECT with an authorization
 * error so the client gives up at once.
 */
async function impostor(cert: TestCert): Promise<{ port: number; received: () => string; close: () => Promise<void> }> {
  const [key, certPem] = await Promise.all([readFile(cert.key), readFile(cert.cert)]);
  const received: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    const { port } = server.address() as { port: number };
    socket.write(`INFO {"server_id":"IMPOSTOR","server_name":"polri-1","version":"2.9.10","proto":1,"host":"127.0.0.1","port":${port},"max_payload":1048576,"auth_required":true,"tls_required":true}\r\n`);
    const secure = new TLSSocket(socket, { isServer: true, key, cert: certPem });
    secure.on('error', () => {});
    secure.on('data', (d: Buffer) => {
      received.push(d);
      if (d.toString().includes('CONNECT')) secure.end("-ERR 'Authorization Violation'\r\n");
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    received: () => Buffer.concat(received).toString(),
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

describe.skipIf(!hasNatsServer(import.meta.url))('NATS through the CLI: credentials files, TLS with a private CA, API prefix', () => {
  let jwtServer: TestNatsServer;
  let tlsServer: TestNatsServer;
  let mtlsServer: TestNatsServer;
  let deskCert: TestCert;
  let rogueClient: TestCert;
  let operator: ReturnType<typeof makeNatsOperator>;
  let polriCa: string;
  let polriServer: TestCert;
  let rogueServer: TestCert;
  beforeAll(async () => {
    // .ci/run installs openssl; without it these tests cannot make certificates.
    expect(hasOpenssl()).toBe(true);
    script = await buildCli();
    work = await workFolder('nats-auth-tls');
    ({ bin, polri } = await twoAgencies(script, work.dir));
    const polriAuthority = makeCa(work.dir, 'polri');
    polriCa = polriAuthority.cert;
    polriServer = await issueCert(polriAuthority, 'polri-1');
    deskCert = await issueCert(polriAuthority, 'desk');
    // The man in the middle: a certificate for the same names, from a CA POLRI never used.
    const rogueAuthority = makeCa(work.dir, 'rogue');
    rogueServer = await issueCert(rogueAuthority, 'polri-1');
    rogueClient = await issueCert(rogueAuthority, 'desk');
    operator = makeNatsOperator();
    const users = `authorization { users: [ { user: desk, password: "${PASSWORD}" } ] }`;
    [jwtServer, tlsServer, mtlsServer] = await Promise.all([
      startNatsServer(operator.config),
      startNatsServer(`tls { cert_file: "${polriServer.cert}", key_file: "${polriServer.key}" }\n${users}`),
      // Clients need a certificate POLRI's CA signed as well as the password.
      startNatsServer(`tls { cert_file: "${polriServer.cert}", key_file: "${polriServer.key}", ca_file: "${polriCa}", verify: true }\n${users}`),
    ]);
  });
  afterAll(async () => {
    await jwtServer?.stop();
    await tlsServer?.stop();
    await mtlsServer?.stop();
    await work?.remove();
  });

  it('?creds=FILE: send and receive as a user of an operator-mode server; the JWT and seed are never printed or stored', async () => {
    const creds = operator.userCreds('polri-desk');
    const file = w('desk.creds');
    await writeFile(file, creds, { mode: 0o600 });
    const via = `nats://127.0.0.1:${jwtServer.port}?creds=${encodeURIComponent(file)}`;
    const envelope = await sealTo('creds', 'through a creds file');
    const sent = await bin.json(['send', envelope, '--to', 'polri', '--via', via]);
    expect(sent.run.code, sent.run.stderr).toBe(0);
    const got = await polri.json(['receive', '--via', via, '-o', w('creds-inbox')]);
    expect(got.run.code, got.run.stderr).toBe(0);
    expect(got.value.processed).toBe(1);
    expect(await readFile(join(got.value.received[0].savedTo, 'message.txt'), 'utf8')).toBe('through a creds file');
    const seed = /SU[A-Z2-7]{56}/.exec(creds)![0];
    const userJwt = creds.split('\n')[1]!;
    await expectNoSecrets([sent.run, got.run], [seed, userJwt]);
  });

  it('wrong, missing or no credentials: ERR_NATS_AUTH_FAILED or ERR_USAGE_FILE (exit 1), naming what to fix and printing no secret', async () => {
    const envelope = await sealTo('creds-bad', 'x');
    const stranger = operator.strangerCreds('intruder');
    const file = w('stranger.creds');
    await writeFile(file, stranger, { mode: 0o600 });
    const refused = await bin.run(['send', envelope, '--to', 'polri', '--via', `nats://127.0.0.1:${jwtServer.port}?creds=${file}`]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('ERR_NATS_AUTH_FAILED');
    expect(refused.stderr).toContain(`refused the credentials file "${file}"`);
    const none = await bin.run(['send', envelope, '--to', 'polri', '--via', `nats://127.0.0.1:${jwtServer.port}`]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('ERR_NATS_AUTH_FAILED');
    expect(none.stderr).toContain('refused no credentials');
    const missing = await bin.run(['send', envelope, '--to', 'polri', '--via', `nats://127.0.0.1:${jwtServer.port}?creds=${w('nowhere.creds')}`]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('ERR_USAGE_FILE');
    expect(missing.stderr).toContain('?creds=');
    expect(missing.stderr).toContain('does not exist');
    const wrongPassword = await bin.run(['send', envelope, '--to', 'polri', '--via', `nats://desk:Wrong-pw-77@127.0.0.1:${tlsServer.port}?ca=${polriCa}`]);
    expect(wrongPassword.code).toBe(1);
    expect(wrongPassword.stderr).toContain('ERR_NATS_AUTH_FAILED');
    expect(wrongPassword.stderr).toContain('user "desk"');
    await expectNoSecrets([refused, none, missing, wrongPassword], [/SU[A-Z2-7]{56}/.exec(stranger)![0], stranger.split('\n')[1]!, 'Wrong-pw-77', PASSWORD]);
  });

  it('?ca=FILE: TLS to a server signed by a private CA, with a password holding "/", "@" and ":" that is shown as *** only', async () => {
    const via = `nats://desk:${PASSWORD}@127.0.0.1:${tlsServer.port}?ca=${polriCa}`;
    const envelope = await sealTo('tls', 'over TLS');
    const sent = await bin.json(['send', envelope, '--to', 'polri', '--via', via]);
    expect(sent.run.code, sent.run.stderr).toBe(0);
    expect(sent.value.via).toBe(`nats://desk:***@127.0.0.1:${tlsServer.port}?ca=${polriCa}`);
    const got = await polri.json(['receive', '--via', `${via}&tls=1`, '-o', w('tls-inbox')]);
    expect(got.run.code, got.run.stderr).toBe(0);
    expect(got.value.processed).toBe(1);
    const audit = await polri.json(['audit', 'show']);
    expect(JSON.stringify(audit.value)).toContain('nats://desk:***@127.0.0.1');
    await expectNoSecrets([sent.run, got.run, audit.run], [PASSWORD, 'Tls/pw', 'pw@9']);
  });

  it('?tls=1 without the private CA: ERR_NATS_TLS_UNTRUSTED (exit 1), pointing at ?ca=; a missing CA file is ERR_USAGE_FILE', async () => {
    const envelope = await sealTo('tls-untrusted', 'x');
    const r = await bin.run(['send', envelope, '--to', 'polri', '--via', `nats://desk:${PASSWORD}@127.0.0.1:${tlsServer.port}?tls=1`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ERR_NATS_TLS_UNTRUSTED');
    expect(r.stderr).toContain('?ca=FILE');
    // The server asks every client for TLS: without ?tls=1 the client upgrades all the same, and still checks.
    const plain = await bin.run(['send', envelope, '--to', 'polri', '--via', `nats://desk:${PASSWORD}@127.0.0.1:${tlsServer.port}`]);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain('ERR_NATS_TLS_UNTRUSTED');
    const missing = await bin.run(['send', envelope, '--to', 'polri', '--via', `nats://desk:${PASSWORD}@127.0.0.1:${tlsServer.port}?ca=${w('no-ca.pem')}`]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('ERR_USAGE_FILE');
    await expectNoSecrets([r, plain, missing], [PASSWORD]);
  });

  it('a man in the middle with a certificate from another CA gets no password: ERR_NATS_TLS_UNTRUSTED before CONNECT', async () => {
    const envelope = await sealTo('mitm', 'x');
    // Control: an impostor holding a certificate POLRI's CA signed would receive the CONNECT and its password.
    const trusted = await impostor(polriServer);
    const control = await bin.run(['send', envelope, '--to', 'polri', '--via', `nats://desk:${PASSWORD}@127.0.0.1:${trusted.port}?ca=${polriCa}`]);
    await trusted.close();
    expect(trusted.received()).toContain('CONNECT');
    expect(trusted.received()).toContain(JSON.stringify(PASSWORD));
    expect(control.stderr).toContain('ERR_NATS_AUTH_FAILED');
    // The same with the rogue CA's certificate: the handshake is refused, nothing is sent.
    const rogue = await impostor(rogueServer);
    const mitm = await bin.run(['send', envelope, '--to', 'polri', '--via', `nats://desk:${PASSWORD}@127.0.0.1:${rogue.port}?ca=${polriCa}`]);
    await rogue.close();
    expect(mitm.code).toBe(1);
    expect(mitm.stderr).toContain('ERR_NATS_TLS_UNTRUSTED');
    expect(mitm.stderr).toContain('not be the server you meant');
    expect(rogue.received()).toBe('');
    await expectNoSecrets([control, mitm], [PASSWORD]);
  });

  it('?cert=FILE&key=FILE: a client certificate for a server with verify: true; without one, or with one from another CA, the server refuses the connection', async () => {
    const base = `nats://desk:${PASSWORD}@127.0.0.1:${mtlsServer.port}?ca=${polriCa}`;
    const envelope = await sealTo('mtls', 'with a client certificate');
    const sent = await bin.json(['send', envelope, '--to', 'polri', '--via', `${base}&cert=${deskCert.cert}&key=${deskCert.key}`]);
    expect(sent.run.code, sent.run.stderr).toBe(0);
    const without = await bin.run(['send', envelope, '--to', 'polri', '--via', base]);
    expect(without.code).toBe(1);
    expect(without.stderr).toContain('ERR_TRANSPORT_UNAVAILABLE');
    expect(without.stderr).toContain('?cert=FILE&key=FILE');
    const rogueCert = await bin.run(['send', envelope, '--to', 'polri', '--via', `${base}&cert=${rogueClient.cert}&key=${rogueClient.key}`]);
    expect(rogueCert.code).toBe(1);
    const half = await bin.run(['send', envelope, '--to', 'polri', '--via', `${base}&cert=${deskCert.cert}`]);
    expect(half.code).toBe(2);
    const got = await polri.json(['receive', '--via', `${base}&cert=${deskCert.cert}&key=${deskCert.key}`, '-o', w('mtls-inbox')]);
    expect(got.run.code, got.run.stderr).toBe(0);
    expect(got.value.processed).toBe(1);
    const keyBody = (await readFile(deskCert.key, 'utf8')).split('\n')[1]!;
    await expectNoSecrets([sent.run, without, rogueCert, half, got.run], [PASSWORD, keyBody]);
  });

  it('?replicas=N refuses a stream with fewer replicas unless ?accept-risk=loss-on-node-failure', async () => {
    const via = `nats://desk:${PASSWORD}@127.0.0.1:${tlsServer.port}?ca=${polriCa}`;
    const envelope = await sealTo('replicas', 'x');
    // The R1 stream the earlier tests created.
    const refused = await bin.run(['send', envelope, '--to', 'polri', '--via', `${via}&replicas=3`]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('ERR_NATS_UNSAFE_CONFIG');
    await expectOk(bin.run(['send', envelope, '--to', 'polri', '--via', `${via}&replicas=3&accept-risk=loss-on-node-failure`]));
  });
});

describe.skipIf(!hasNatsServer(import.meta.url))('NATS through the CLI: ?api-prefix= reaches another account\'s stream through its imports', () => {
  let server: TestNatsServer;
  beforeAll(async () => {
    script = await buildCli();
    work = await workFolder('nats-api-prefix');
    ({ bin, polri } = await twoAgencies(script, work.dir));
    // The accounts of docs/TRANSPORTS.md 3.6, "Two agencies", on one server: BIN's account sees
    // POLRI's mailboxes and its stream's INFO only through the imports.
    server = await startNatsServer(
      `accounts {
        LINTAS: { jetstream: enabled, users: [ { user: polri, password: pw } ],
          exports: [ { service: "polri.mailbox.*" }, { service: "$JS.API.STREAM.INFO.LINTAS" } ] }
        FROM_BIN: { users: [ { user: bin-sender, password: pw, permissions: {
            publish: { allow: ["polri.mailbox.*", "polri.jsapi.STREAM.INFO.LINTAS"] }, subscribe: { allow: ["_INBOX_bin.>"] } } } ],
          imports: [ { service: { account: LINTAS, subject: "polri.mailbox.*" } },
                     { service: { account: LINTAS, subject: "$JS.API.STREAM.INFO.LINTAS" }, to: "polri.jsapi.STREAM.INFO.LINTAS" } ] }
      }`,
    );
  });
  afterAll(async () => {
    await server?.stop();
    await work?.remove();
  });

  it('a BIN sender stores in POLRI\'s stream with ?prefix=polri&api-prefix=polri.jsapi, and cannot without the API prefix', async () => {
    const polriVia = `nats://polri:pw@127.0.0.1:${server.port}?prefix=polri`;
    // POLRI's receive creates the stream and its consumer.
    expect((await polri.json(['receive', '--via', polriVia, '-o', w('inbox')])).value.processed).toBe(0);
    const envelope = await sealTo('api-prefix', 'across accounts');
    const binVia = `nats://bin-sender:pw@127.0.0.1:${server.port}?prefix=polri&inbox-prefix=_INBOX_bin`;
    const without = await bin.run(['send', envelope, '--to', 'polri', '--via', binVia]);
    expect(without.code).toBe(1);
    expect(without.stderr).toMatch(/ERR_NATS_PERMISSION_DENIED|ERR_TRANSPORT_UNAVAILABLE/);
    await expectOk(bin.run(['send', envelope, '--to', 'polri', '--via', `${binVia}&api-prefix=polri.jsapi`]));
    const got = await polri.json(['receive', '--via', polriVia, '-o', w('inbox')]);
    expect(got.value.processed).toBe(1);
    expect(await readFile(join(got.value.received[0].savedTo, 'message.txt'), 'utf8')).toBe('across accounts');
  });
});
