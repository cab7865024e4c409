/**
 * `x25519WithEphemeralKey()` (SPEC 4.1, the sender's side of an X25519 stanza): on Node with the
 * system's randomness, OpenSSL generates the ephemeral key (`node-x25519.ts`); with any other
 * random source, and when the portable backend is forced, libsodium computes it from the drawn
 * bytes. Both must agree with the recipient's side, refuse the same low-order keys with the same
 * error, and the OpenSSL path must not hang under garbage collection.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fastEphemeralX25519, forceBulkBackendForTests } from '../../src/crypto/bulk-backend.js';
import { systemRandom } from '../../src/crypto/random.js';
import { cryptoReady } from '../../src/crypto/sodium.js';
import { x25519, x25519KeyPairFromSecret, x25519PublicKey, x25519WithEphemeralKey } from '../../src/crypto/x25519.js';
import { isLintasError } from '../../src/errors/index.js';
import { toHex } from './wycheproof.js';
import { LOW_ORDER_X25519 } from './x25519-points.js';

let recipient: { publicKey: Uint8Array; secretKey: Uint8Array };
beforeAll(async () => {
  await cryptoReady();
  recipient = x25519KeyPairFromSecret(new Uint8Array(32).fill(0x42));
});
afterEach(() => forceBulkBackendForTests(null));

/** The shared secret as the recipient computes it from the ephemeral public key. */
const recipientSide = (ephemeral: Uint8Array): string => toHex(x25519(recipient.secretKey, ephemeral));

const lowOrderOutcome = (publicKey: Uint8Array): string => {
  try {
    x25519WithEphemeralKey(publicKey, systemRandom);
    return 'accepted';
  } catch (e) {
    return isLintasError(e, 'ERR_CRYPTO_LOW_ORDER_POINT') ? 'low order' : `other error: ${String(e)}`;
  }
};

describe('x25519WithEphemeralKey()', () => {
  it('on Node, has the node:crypto path (which the cases below must reach)', () => {
    expect(fastEphemeralX25519()).not.toBeNull();
  });

  it('with the system randomness: a fresh key each time, whose agreement the recipient reproduces', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const { publicKey, shared } = x25519WithEphemeralKey(recipient.publicKey, systemRandom);
      expect(toHex(shared)).toBe(recipientSide(publicKey));
      seen.add(toHex(publicKey));
    }
    expect(seen.size).toBe(50);
  });

  it('masks bit 255 of the recipient key as RFC 7748 and libsodium do', () => {
    const flagged = recipient.publicKey.slice();
    flagged[31]! |= 0x80;
    const { publicKey, shared } = x25519WithEphemeralKey(flagged, systemRandom);
    expect(toHex(shared)).toBe(recipientSide(publicKey));
  });

  it('refuses every low-order recipient key with ERR_CRYPTO_LOW_ORDER_POINT, on both backends', () => {
    for (const [name, key] of Object.entries(LOW_ORDER_X25519)) {
      expect(lowOrderOutcome(key), name).toBe('low order');
      forceBulkBackendForTests('portable');
      expect(lowOrderOutcome(key), `${name}, portable`).toBe('low order');
      forceBulkBackendForTests(null);
    }
  });

  it('with any other random source, computes the key from the drawn bytes on libsodium (reproducible vectors)', () => {
    const secret = new Uint8Array(32).fill(0x17);
    let draws = 0;
    const seeded = (n: number): Uint8Array => {
      draws++;
      return secret.slice(0, n);
    };
    const { publicKey, shared } = x25519WithEphemeralKey(recipient.publicKey, seeded);
    expect(draws).toBe(1);
    expect(toHex(publicKey)).toBe(toHex(x25519PublicKey(secret)));
    expect(toHex(shared)).toBe(toHex(x25519(secret, recipient.publicKey)));
  });

  it('uses libsodium with the system randomness when the portable backend is forced', () => {
    forceBulkBackendForTests('portable');
    expect(fastEphemeralX25519()).toBeNull();
    const { publicKey, shared } = x25519WithEphemeralKey(recipient.publicKey, systemRandom);
    expect(toHex(shared)).toBe(recipientSide(publicKey));
  });

  it.each([0, 31, 33])('throws RangeError for a %i-byte recipient key', (n) => {
    expect(() => x25519WithEphemeralKey(new Uint8Array(n).fill(9), systemRandom)).toThrow(RangeError);
  });

  it('does not hang: 12,000 ephemeral keys on node:crypto with forced garbage collections, in a child process', () => {
    // Exporting such keys' public keys as JWK hung this pattern on Node 20.20.2 between 8,000
    // and 12,000 keys (docs/PERFORMANCE.md); the base-point agreement must get through.
    const child = spawnSync(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', fileURLToPath(new URL('./fixtures/ephemeral-keys-under-gc.ts', import.meta.url)), '12000'],
      { encoding: 'utf8', timeout: 240_000 },
    );
    expect(child.error, 'the child timed out or failed to start').toBeUndefined();
    expect(child.stderr).toBe('');
    expect(child.stdout.trim()).toBe('12000');
  }, 300_000);
});
