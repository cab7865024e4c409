/**
 * Ed25519 signatures that pass the bare verification equation but break one of the strictness
 * rules of SPEC 1.3, for the envelope test vectors (issue 14 item 9). Plain BigInt arithmetic on
 * edwards25519 (RFC 8032 section 5.1), written for building and checking vectors, never for use:
 * it is slow and not constant-time, and nothing in src/ imports it.
 *
 * Each forgery is checked here against the bare cofactorless equation [S]B − [k]A = R with a
 * lenient decoder (y reduced mod p, S not range-checked), so a vector proves that a reader which
 * skips the named rule accepts it.
 */
import { sha512 } from '@noble/hashes/sha2.js';

const P = 2n ** 255n - 19n;
/** The group order ℓ. */
export const ED25519_ORDER = 2n ** 252n + 27742317777372353535851937790883648493n;

const mod = (a: bigint, m = P): bigint => ((a % m) + m) % m;
function pow(b: bigint, e: bigint): bigint {
  let r = 1n;
  for (b = mod(b); e > 0n; e >>= 1n, b = mod(b * b)) if (e & 1n) r = mod(r * b);
  return r;
}
const inv = (a: bigint): bigint => pow(a, P - 2n);
const D = mod(-121665n * inv(121666n));
const SQRT_M1 = pow(2n, (P - 1n) / 4n);

/** A point in extended coordinates (X : Y : Z : T). */
type Point = [bigint, bigint, bigint, bigint];
const IDENTITY: Point = [0n, 1n, 1n, 0n];

function add([x1, y1, z1, t1]: Point, [x2, y2, z2, t2]: Point): Point {
  const a = mod((y1 - x1) * (y2 - x2));
  const b = mod((y1 + x1) * (y2 + x2));
  const c = mod(2n * D * t1 * t2);
  const d = mod(2n * z1 * z2);
  const e = b - a;
  const f = d - c;
  const g = d + c;
  const h = b + a;
  return [mod(e * f), mod(g * h), mod(f * g), mod(e * h)];
}

function multiply(pt: Point, n: bigint): Point {
  let r = IDENTITY;
  for (let q = pt; n > 0n; n >>= 1n, q = add(q, q)) if (n & 1n) r = add(r, q);
  return r;
}

const negate = ([x, y, z, t]: Point): Point => [mod(-x), y, z, mod(-t)];

function leInt(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

function leBytes(n: bigint, length = 32): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++, n >>= 8n) out[i] = Number(n & 0xffn);
  return out;
}

/** RFC 8032 5.1.3, leniently: y is reduced mod p, as a verifier without the canonical check does. */
function decodeLenient(bytes: Uint8Array): Point {
  const n = leInt(bytes);
  const y = mod(n & ((1n << 255n) - 1n));
  const sign = n >> 255n;
  const u = mod(y * y - 1n);
  const v = mod(D * y * y + 1n);
  let x = mod(u * pow(v, 3n) * pow(u * pow(v, 7n), (P - 5n) / 8n));
  if (mod(v * x * x) !== u) x = mod(x * SQRT_M1);
  if (mod(v * x * x) !== u) throw new Error('not a point on edwards25519');
  if ((x & 1n) !== sign) x = mod(-x);
  return [x, y, 1n, mod(x * y)];
}

function encode([x, y, z]: Point): Uint8Array {
  const zi = inv(z);
  const ax = mod(x * zi);
  const ay = mod(y * zi);
  return leBytes(ay | ((ax & 1n) << 255n));
}

const BASE = decodeLenient(leBytes(mod(4n * inv(5n))));

function challenge(r: Uint8Array, a: Uint8Array, message: Uint8Array): bigint {
  const h = new Uint8Array(64 + message.length);
  h.set(r, 0);
  h.set(a, 32);
  h.set(message, 64);
  return mod(leInt(sha512(h)), ED25519_ORDER);
}

/** The bare equation [S]B − [k]A = R, with no range or point checks: what the forgeries pass. */
export function bareEquationHolds(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const r = signature.subarray(0, 32);
  const s = leInt(signature.subarray(32, 64));
  const k = challenge(r, publicKey, message);
  const lhs = add(multiply(BASE, s), negate(multiply(decodeLenient(publicKey), k)));
  return encode(lhs).every((b, i) => b === r[i]);
}

/** A nonce point R = [r]B with its scalar, from a label (deterministic, for vectors). */
function nonce(label: string, attempt: number): { r: bigint; R: Uint8Array } {
  const r = mod(leInt(sha512(new TextEncoder().encode(`lintas/v1 test vector nonce ${label} ${attempt}`))), ED25519_ORDER);
  return { r, R: encode(multiply(BASE, r)) };
}

/** The identity point, canonically encoded (y = 1): small order (order 1). */
export const IDENTITY_KEY = leBytes(1n);
/** The point (0, −1) of order 2, canonically encoded: small order. */
export const ORDER_TWO_KEY = leBytes(P - 1n);
/** The identity with y = p + 1: a non-canonical encoding that a lenient decoder reduces to y = 1. */
export const NON_CANONICAL_IDENTITY_KEY = leBytes(P + 1n);

/**
 * A signature by a small-order key `publicKey` over `message`: R = [r]B and S = r, which passes
 * the bare equation whenever [k]A is the identity (always for the identity; for the order-2
 * point when k is even, so nonces are tried until it is).
 */
export function forgeWithSmallOrderKey(publicKey: Uint8Array, message: Uint8Array, label: string): Uint8Array {
  for (let attempt = 0; attempt < 256; attempt++) {
    const { r, R } = nonce(label, attempt);
    const signature = new Uint8Array(64);
    signature.set(R, 0);
    signature.set(leBytes(r), 32);
    if (bareEquationHolds(publicKey, message, signature)) return signature;
  }
  throw new Error(`${label}: no forgery found`);
}

/** The same signature with S replaced by S + ℓ: the bare equation still holds (SPEC 1.3 rule 2). */
export function malleateS(signature: Uint8Array): Uint8Array {
  const out = signature.slice();
  out.set(leBytes(leInt(signature.subarray(32)) + ED25519_ORDER), 32);
  return out;
}

/** A key pair [a]B with its scalar, from a label (deterministic, for tests). */
function keyFromLabel(label: string): { a: bigint; A: Uint8Array } {
  const a = mod(leInt(sha512(new TextEncoder().encode(`lintas/v1 test key ${label}`))), ED25519_ORDER);
  return { a, A: encode(multiply(BASE, a)) };
}

function signature(R: Uint8Array, S: bigint): Uint8Array {
  const out = new Uint8Array(64);
  out.set(R, 0);
  out.set(leBytes(S), 32);
  return out;
}

/**
 * A signature whose R is the identity (small order, SPEC 1.3 rule 4) under a sound key [a]B:
 * S = k·a makes [S]B − [k]A the identity, so the bare equation holds.
 */
export function forgeWithIdentityR(message: Uint8Array, label: string): { publicKey: Uint8Array; signature: Uint8Array } {
  const { a, A } = keyFromLabel(label);
  const k = challenge(IDENTITY_KEY, A, message);
  return { publicKey: A, signature: signature(IDENTITY_KEY, mod(k * a, ED25519_ORDER)) };
}

/** The order-8 point with y = 2707385501144840649318225287225658788936804267575313519463743609750303402022. */
const ORDER_EIGHT = decodeLenient(leBytes(2707385501144840649318225287225658788936804267575313519463743609750303402022n));

/**
 * A mixed-order key A' = [a]B + T (T of order 8: not of small order itself, so rule 3 lets it
 * through) and a signature R = [r]B, S = r + k·a. Then [S]B − [k]A' = R − [k]T, which equals R
 * exactly when 8 divides k. Nonces are tried until 8 divides k (`holds`) or does not: both
 * libsodium and any verifier of SPEC 1.3 accept the first kind and reject the second.
 */
export function mixedOrderSignature(message: Uint8Array, label: string, holds: boolean): { publicKey: Uint8Array; signature: Uint8Array } {
  const { a } = keyFromLabel(label);
  const publicKey = encode(add(multiply(BASE, a), ORDER_EIGHT));
  for (let attempt = 0; attempt < 256; attempt++) {
    const { r, R } = nonce(`${label} mixed`, attempt);
    const k = challenge(R, publicKey, message);
    if ((k % 8n === 0n) !== holds) continue;
    return { publicKey, signature: signature(R, mod(r + k * a, ED25519_ORDER)) };
  }
  throw new Error(`${label}: no mixed-order signature found`);
}
