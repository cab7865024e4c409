/**
 * Shared cast and tools for the bundle, policy and audit tests: agencies of three countries
 * with deterministic keys, the STIX fixtures, and helpers to build payloads the way a malicious
 * sender (who holds a real signing key) could.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { identityKeysFromSeed, type IdentityKeys } from '../../src/keys/index.js';
import { sha256 } from '../../src/crypto/hash.js';
import { LintasError, type LintasErrorCode } from '../../src/errors/index.js';
import type { BundleIdentity, BundleRecipient } from '../../src/bundle/identity.js';
import type { PolicyRecipient } from '../../src/policy/party.js';

export const STIX_DIR = fileURLToPath(new URL('../fixtures/stix/', import.meta.url));

/** A STIX fixture as text. */
export function stixFixture(name: 'poisonivy' | 'apt1' | 'using-granular-markings' | 'using-marking-definitions'): string {
  return readFileSync(join(STIX_DIR, `${name}.json`), 'utf8');
}

/** One person at an agency, with keys and the key card attributes the policy sees. */
export interface Agent {
  keys: IdentityKeys;
  identity: BundleIdentity;
  /** This agent as a recipient named individually. */
  named: BundleRecipient;
  /** This agent as a recipient reached through a group. */
  viaGroup: BundleRecipient;
  attributes: PolicyRecipient;
  openKeys: IdentityKeys['x25519'][];
}

/** Deterministic agent: keys from a seed derived from `name`. */
export async function agent(name: string, organization: string, country: string): Promise<Agent> {
  const keys = await identityKeysFromSeed(sha256(new TextEncoder().encode(`lintas test agent ${name}`)));
  // Tests do not need real key cards: a fingerprint derived from the signing key is enough.
  const fingerprint = sha256(keys.signing.publicKey);
  const card = { fingerprint, name, organization, country };
  const attributes: PolicyRecipient = { ...card, explicit: true, verification: 'verified' };
  return {
    keys,
    identity: { signing: keys.signing, card },
    named: { encryptionKey: { type: 'X-Wing', publicKey: keys.xwing.publicKey }, attributes },
    viaGroup: { encryptionKey: { type: 'X-Wing', publicKey: keys.xwing.publicKey }, attributes: { ...attributes, explicit: false } },
    attributes,
    openKeys: [keys.x25519, keys.xwing],
  };
}

/** The cast: two Indonesian agencies, one Malaysian, one Singaporean. */
export async function cast() {
  return {
    ayu: await agent('Ayu', 'BIN', 'ID'), // originator
    budi: await agent('Budi', 'BIN', 'ID'), // same organization
    citra: await agent('Citra', 'POLRI', 'ID'), // same country, other organization
    mei: await agent('Mei Ling', 'PDRM', 'MY'),
    tan: await agent('Tan', 'ISD', 'SG'),
  };
}

/** Await a promise and return the LintasError it rejects with. */
export async function rejection(p: Promise<unknown> | (() => Promise<unknown>)): Promise<LintasError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    if (e instanceof LintasError) return e;
    throw e;
  }
  throw new Error('expected a LintasError, but it succeeded');
}

/** Assert a rejection with `code`. */
export async function expectCode(p: Promise<unknown> | (() => Promise<unknown>), code: LintasErrorCode): Promise<LintasError> {
  const e = await rejection(p);
  expect(e.code).toBe(code);
  return e;
}

/** Collect an async iterable of bytes. */
export async function collect(source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const p of source) {
    parts.push(p);
    n += p.length;
  }
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** True if `needle` occurs in `hay`. */
export function contains(hay: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
