/**
 * Where a CLI server listens (`relay start`, `taxii serve`): `--port`, `--host` and HTTPS with
 * `--tls-key` and `--tls-cert`. One definition, so both servers take the same options, checked
 * the same way.
 */
import { readFile } from 'node:fs/promises';
import type { OptionSpec } from './command.js';
import { integerOption, stringOption, usageError, type CommandInput } from './options.js';

/** The option specs, for a command's `options`. */
export const LISTEN_OPTIONS: Record<string, OptionSpec> = {
  port: { type: 'string', value: 'N', description: 'TCP port (default: any free port, printed)' },
  host: { type: 'string', value: 'ADDR', description: 'address to listen on (default 127.0.0.1)' },
  'tls-key': { type: 'string', value: 'PEM', readsFile: true, description: 'serve HTTPS with this private key file' },
  'tls-cert': { type: 'string', value: 'PEM', readsFile: true, description: 'and this certificate (chain) file' },
};

/** The listening options given, ready for `startRelay` / `startTaxiiServer` (absent ones left out). */
export interface ListenOptions {
  port?: number;
  host?: string;
  tls?: { key: Uint8Array; cert: Uint8Array };
}

/**
 * Reads {@link LISTEN_OPTIONS}, and the TLS key and certificate files.
 * @throws {LintasError} `ERR_USAGE` for a port above 65535, or only one of the TLS files.
 */
export async function listenOptions(input: CommandInput): Promise<ListenOptions> {
  const port = integerOption(input, 'port');
  if (port !== undefined && port > 65535) throw usageError('--port must be at most 65535');
  const tlsKey = stringOption(input, 'tls-key');
  const tlsCert = stringOption(input, 'tls-cert');
  if ((tlsKey === undefined) !== (tlsCert === undefined)) throw usageError('--tls-key and --tls-cert go together');
  const host = stringOption(input, 'host');
  return {
    ...(port !== undefined ? { port } : {}),
    ...(host !== undefined ? { host } : {}),
    ...(tlsKey !== undefined ? { tls: { key: new Uint8Array(await readFile(tlsKey)), cert: new Uint8Array(await readFile(tlsCert!)) } } : {}),
  };
}
