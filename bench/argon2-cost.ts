/**
 * What opening a key ring costs at the Argon2id floor, default and ceiling (docs/KEYRING.md,
 * "Passphrase cost"; docs/SECURITY-TESTING.md): one Argon2id run each, wall time and process RSS
 * after it. `--old-ceiling` adds the former ceiling (64 passes over 1 GiB, about two minutes).
 *
 *   npx tsx bench/argon2-cost.ts [--old-ceiling]
 */
import { argon2id } from '../src/crypto/argon2.js';
import { cryptoReady } from '../src/crypto/sodium.js';
import { KEYRING_KDF_DEFAULTS, KEYRING_KDF_MAXIMUM, KEYRING_KDF_MINIMUM } from '../src/keyring/encrypted-file.js';

const MiB = 1024 * 1024;
await cryptoReady();
const costs: [string, { opslimit: number; memlimit: number }][] = [
  ['floor', KEYRING_KDF_MINIMUM],
  ['default', KEYRING_KDF_DEFAULTS],
  ['ceiling', KEYRING_KDF_MAXIMUM],
];
if (process.argv.includes('--old-ceiling')) costs.push(['old ceiling', { opslimit: 64, memlimit: 1024 * MiB }]);
for (const [name, params] of costs) {
  const start = performance.now();
  await argon2id(new Uint8Array(16), new Uint8Array(16), params, 32);
  const seconds = (performance.now() - start) / 1000;
  console.log(`${name.padEnd(12)} ${String(params.opslimit).padStart(2)} passes x ${String(params.memlimit / MiB).padStart(4)} MiB: ${seconds.toFixed(2)} s, RSS ${(process.memoryUsage().rss / MiB).toFixed(0)} MiB`);
}
