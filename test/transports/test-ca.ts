/**
 * Certificate authorities and certificates for TLS tests, made at test time with `openssl`
 * (installed by .ci/run): an agency's private CA and the certificates it signs for its servers
 * and leaf-node links. EC P-256, valid one day, never reused between runs.
 */
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A CA: its certificate (to trust) and key (to sign with). */
export interface TestCa {
  name: string;
  /** PEM file of the CA certificate. */
  cert: string;
  key: string;
  dir: string;
}

/** A certificate signed by a {@link TestCa}, and its key. */
export interface TestCert {
  /** PEM file of the certificate. */
  cert: string;
  key: string;
}

/** True where `openssl` can be run. */
export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A new self-signed CA named `name`, its files in `dir`. */
export function makeCa(dir: string, name: string): TestCa {
  const ca = { name, dir, cert: join(dir, `${name}-ca.pem`), key: join(dir, `${name}-ca-key.pem`) };
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', `/CN=${name} test CA`, '-keyout', ca.key, '-out', ca.cert]);
  return ca;
}

/**
 * A certificate for `name` signed by `ca`, for the host names and addresses in `hosts`
 * (default localhost and 127.0.0.1), usable by a server and as a client certificate.
 */
export async function issueCert(ca: TestCa, name: string, hosts: string[] = ['localhost', '127.0.0.1']): Promise<TestCert> {
  const base = join(ca.dir, `${ca.name}-${name}`);
  const out = { cert: `${base}.pem`, key: `${base}-key.pem` };
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${name}`, '-keyout', out.key, '-out', `${base}.csr`]);
  const san = hosts.map((h) => (/^[\d.]+$/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
  await writeFile(`${base}.ext`, `subjectAltName=${san}\nextendedKeyUsage=serverAuth,clientAuth\n`);
  openssl(['x509', '-req', '-in', `${base}.csr`, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-days', '1', '-extfile', `${base}.ext`, '-out', out.cert]);
  return out;
}
