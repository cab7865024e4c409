/**
 * The single place lintas loads libsodium. Every other file reaches libsodium only through the
 * typed functions of `src/crypto/`, so an auditor has one folder to read for primitive use.
 *
 * libsodium's WebAssembly build must be initialised asynchronously once; the public API awaits
 * {@link cryptoReady} at its entry points and the crypto functions below are then synchronous.
 */
import sodiumModule from 'libsodium-wrappers-sumo';
import { installFastBackend } from './bulk-backend.js';
import { loadNodeBulkBackend } from './node-bulk.js';

/** The libsodium functions lintas uses that its community typings (0.7.x) do not declare yet. */
interface SodiumKem {
  crypto_kem_xwing_seed_keypair(seed: Uint8Array): { publicKey: Uint8Array; privateKey: Uint8Array };
  crypto_kem_xwing_enc(publicKey: Uint8Array): { ciphertext: Uint8Array; sharedSecret: Uint8Array };
  crypto_kem_xwing_enc_deterministic(
    publicKey: Uint8Array,
    seed: Uint8Array,
  ): { ciphertext: Uint8Array; sharedSecret: Uint8Array };
  crypto_kem_xwing_dec(ciphertext: Uint8Array, privateKey: Uint8Array): Uint8Array;
  crypto_kem_xwing_PUBLICKEYBYTES: number;
  crypto_kem_xwing_SECRETKEYBYTES: number;
  crypto_kem_xwing_CIPHERTEXTBYTES: number;
  crypto_kem_xwing_SEEDBYTES: number;
}

/** libsodium as lintas sees it: the community typings plus the KEM functions of 1.0.22. */
export type Sodium = typeof sodiumModule & SodiumKem;

let loaded: Sodium | undefined;
let loading: Promise<Sodium> | undefined;

/**
 * Initialise libsodium, and pick the runtime's fast bulk backend (node:crypto on Node), once.
 * Safe to call any number of times, concurrently.
 */
export function cryptoReady(): Promise<void> {
  if (loaded) return Promise.resolve();
  loading ??= Promise.all([sodiumModule.ready, loadNodeBulkBackend()]).then(([, fastBackend]) => {
    const s = sodiumModule as Sodium;
    // X-Wing arrived in libsodium 1.0.22 (libsodium-wrappers 0.8.x); fail clearly on an older copy.
    if (typeof s.crypto_kem_xwing_seed_keypair !== 'function') {
      throw new Error('lintas needs libsodium 1.0.22 or newer (libsodium-wrappers-sumo >= 0.8.4) for X-Wing');
    }
    installFastBackend(fastBackend);
    loaded = s;
    return s;
  });
  return loading.then(() => undefined);
}

/** libsodium after {@link cryptoReady} resolved. Throws a programming error before that. */
export function sodium(): Sodium {
  if (!loaded) throw new Error('lintas: await cryptoReady() before using the crypto layer');
  return loaded;
}
