/**
 * Shared helpers for the key ring tests: fast (floor) Argon2id parameters, passed explicitly as
 * any app could, and a partner agency with its own key ring.
 */
import { expect } from 'vitest';
import { KeyRing, MemoryKeyRingStorage, KEYRING_KDF_MINIMUM, type KeyRingSecret, type KeyRingStorage } from '../../src/index.js';

export const PASS: KeyRingSecret = { passphrase: 'correct horse battery staple', kdf: KEYRING_KDF_MINIMUM };

/** A fresh key ring in memory with one identity. */
export async function agency(name: string, organization: string, country: string, storage: KeyRingStorage = new MemoryKeyRingStorage()) {
  const ring = await KeyRing.create(storage, PASS);
  const identity = await ring.createIdentity({ name, organization, country });
  return { ring, identity, storage };
}

/** Assert a promise rejects (or a function throws) with a LintasError of `code`. */
export async function expectCode(p: Promise<unknown> | (() => unknown), code: string): Promise<void> {
  let caught: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected ${code}`).toBeDefined();
  expect((caught as { code?: string }).code).toBe(code);
}

export const text = (s: string) => new TextEncoder().encode(s);
export const untext = (b: Uint8Array) => new TextDecoder().decode(b);
