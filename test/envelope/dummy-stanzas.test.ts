/**
 * Padding dummies must be indistinguishable from real stanzas (SPEC 5.6). A real X25519 share
 * (the X25519 stanza's argument, and the last 32 bytes of an X-Wing ciphertext) is a canonical
 * u-coordinate of a point on Curve25519: below 2^255 - 19 and never on the twist. Random bytes
 * fail one of those tests three times in four, so these checks would count the real recipients.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { identityKeysFromSeed, seal, type IdentityKeys } from '../../src/index.js';
import { decodeHeader } from '../../src/envelope/header.js';

const P = 2n ** 255n - 19n;

function littleEndian(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

function powMod(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  b %= m;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return r;
}

/** True if `u` is the canonical encoding of a point on Curve25519 itself (not its twist). */
function isCanonicalCurvePoint(encoded: Uint8Array): boolean {
  const u = littleEndian(encoded);
  if (u >= P) return false;
  const rhs = (u * u * u + 486662n * u * u + u) % P;
  return rhs === 0n || powMod(rhs, (P - 1n) / 2n, P) === 1n;
}

function stanzasOf(env: Uint8Array) {
  const length = new DataView(env.buffer, env.byteOffset).getUint32(7, false);
  return decodeHeader(env.subarray(11, 11 + length)).stanzas;
}

let sender: IdentityKeys;
let bob: IdentityKeys;
beforeAll(async () => {
  sender = await identityKeysFromSeed(new Uint8Array(32).fill(1));
  bob = await identityKeysFromSeed(new Uint8Array(32).fill(2));
});

describe('padding dummy stanzas look like real ones', () => {
  it('every X25519 stanza argument is a canonical curve point (24 stanzas, 18 of them dummies)', async () => {
    for (let i = 0; i < 6; i++) {
      const env = await seal(new Uint8Array(1), { recipients: [bob.x25519], sender: sender.signing, padding: true, hideRecipients: i % 2 === 0 });
      const stanzas = stanzasOf(env);
      expect(stanzas).toHaveLength(4);
      for (const s of stanzas) {
        expect(s.args).toHaveLength(1);
        expect(isCanonicalCurvePoint(s.args[0]!)).toBe(true);
        expect(s.body).toHaveLength(48);
      }
    }
  });

  it('every X-Wing ciphertext ends in a canonical curve point (12 stanzas, 9 of them dummies)', async () => {
    for (let i = 0; i < 3; i++) {
      const env = await seal(new Uint8Array(1), { recipients: [bob.xwing], sender: sender.signing, padding: true });
      for (const s of stanzasOf(env)) {
        expect(s.args[0]).toHaveLength(1120);
        expect(isCanonicalCurvePoint(s.args[0]!.subarray(1088))).toBe(true);
      }
    }
  });

  it('gives dummies in visible mode distinct 32-byte recipient ids that are not the real one', async () => {
    const env = await seal(new Uint8Array(1), { recipients: [bob.x25519], sender: sender.signing, padding: true });
    const ids = stanzasOf(env).map((s) => Buffer.from(s.recipientId!).toString('hex'));
    expect(new Set(ids).size).toBe(4);
  });
});
