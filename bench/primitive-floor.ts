/**
 * The reference lines of the small-message and many-recipient sections (issue 17): the
 * elliptic-curve work of a lintas seal+open pair, or of a seal to n X25519 recipients, done with
 * node:crypto alone and nothing else. It is a floor: no symmetric crypto, no encoding, no checks,
 * no copies. It runs in the same interleaved rounds as lintas, so a target can be read against
 * what this machine's curve arithmetic allows in that run, not only against a fixed rate taken on
 * a day the machine may have been faster or slower.
 *
 * The operations are lintas's on Node (src/crypto/node-x25519.ts, node-ed25519.ts), with kept
 * keys:
 * - seal, per recipient: a fresh X25519 key pair from OpenSSL, its public key as an agreement
 *   with the base point (u = 9; lintas does not export a generated key, which can deadlock on
 *   Node 20), its agreement with the recipient's public key; then one Ed25519 signature;
 * - open: the ephemeral public key imported, its agreement with the recipient's secret key, one
 *   Ed25519 verification.
 */
import { createPublicKey, diffieHellman, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';

const BASE_POINT = Buffer.alloc(32);
BASE_POINT[0] = 9;

/** What is signed: a digest's worth of bytes (lintas signs a hash of its header and payload). */
const DIGEST = new Uint8Array(32).fill(7);

function x25519Public(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });
}

/** A recipient: its kept public key for sealing, its kept secret key for opening. */
interface FloorRecipient {
  publicKey: KeyObject;
  secretKey: KeyObject;
}

/** What opening needs of a sealed message: the last recipient's ephemeral key and the signature. */
interface FloorMessage {
  ephemeral: Uint8Array;
  shared: Uint8Array;
  signature: Uint8Array;
}

function floorSeal(recipients: FloorRecipient[], signer: KeyObject, basePoint: KeyObject): FloorMessage {
  let ephemeral = new Uint8Array(0);
  let shared = new Uint8Array(0);
  for (const r of recipients) {
    const { privateKey } = generateKeyPairSync('x25519');
    ephemeral = diffieHellman({ privateKey, publicKey: basePoint });
    shared = diffieHellman({ privateKey, publicKey: r.publicKey });
  }
  return { ephemeral, shared, signature: sign(null, DIGEST, signer) };
}

function floorOpen(m: FloorMessage, recipient: FloorRecipient, verifier: KeyObject): void {
  const shared = diffieHellman({ privateKey: recipient.secretKey, publicKey: x25519Public(m.ephemeral) });
  // Checked so that the floor does the work it claims (and a broken floor cannot look fast).
  if (!shared.equals(m.shared)) throw new Error('the floor agreements differ');
  if (!verify(null, DIGEST, verifier, m.signature)) throw new Error('the floor signature did not verify');
}

/** The floor of one seal+open pair to one recipient (`pair`), and of a seal to `n` recipients (`sealToMany`). */
export function primitiveFloor(n: number): { pair: () => void; sealToMany: () => void } {
  const signer = generateKeyPairSync('ed25519');
  const basePoint = x25519Public(BASE_POINT);
  const recipient = (): FloorRecipient => {
    const { publicKey, privateKey } = generateKeyPairSync('x25519');
    return { publicKey, secretKey: privateKey };
  };
  const one = [recipient()];
  const many = Array.from({ length: n }, recipient);
  return {
    pair: () => floorOpen(floorSeal(one, signer.privateKey, basePoint), one[0]!, signer.publicKey),
    sealToMany: () => void floorSeal(many, signer.privateKey, basePoint),
  };
}
