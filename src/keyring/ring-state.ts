/**
 * The contents of a key ring and their plaintext encoding (canonical CBOR, inside the encrypted
 * file of encrypted-file.ts):
 *
 *     ring     = { "v": 1, "ids": [identity], "contacts": [contact], "revs": [bstr] }
 *     identity = { "name": tstr, "cards": [bstr], "keys": [{ "sign": bstr(64), "x": bstr(32), "xw": bstr(32) }],
 *                  "created": uint }
 *     contact  = { "name": tstr, "cards": [bstr], "ver": tstr, ? "intro": bstr, ? "conf": bstr(32),
 *                  "labels": [tstr], "groups": [tstr], "attrs": { tstr => tstr }, "added": uint }
 *
 * `cards` is a succession chain, oldest first; an identity keeps the secret keys of every card
 * (`keys[i]` belongs to `cards[i]`) so envelopes sealed to rotated-out keys still open. `conf` is
 * the fingerprint of the contact's card you last compared out of band (absent in files written
 * before it existed: nothing confirmed). Cards and
 * statements are stored in their signed encoding and verified again on load.
 */
import { LintasError } from '../errors/index.js';
import { encodeCanonical, type CborMap, type CborValue } from '../cbor/index.js';
import { ed25519KeyPairFromSeed } from '../crypto/ed25519.js';
import { x25519PublicKey } from '../crypto/x25519.js';
import { xwingKeyPairFromSeed } from '../crypto/xwing.js';
import type { IdentityKeys } from '../keys/identity-keys.js';
import { arrayField, bytesField, decodeStrict, exactMap, textField, uintField, type Fail } from './cbor-fields.js';
import { bytesEqual, decodeKeyCardSync, type KeyCard } from './key-card.js';
import { decodeIntroductionSync, type Introduction } from './introduction.js';
import { decodeRevocationSync, type Revocation } from './revocation.js';
import { FINGERPRINT_BYTES } from './fingerprint.js';

/** How a contact's card was checked: by you (fingerprint), through a verified contact, or not at all. */
export type Verification = 'unverified' | 'verified' | 'introduced';
export const VERIFICATIONS: readonly Verification[] = ['unverified', 'verified', 'introduced'];

export interface IdentityRecord {
  name: string;
  /** Succession chain, oldest first; the last card is current. */
  cards: KeyCard[];
  /** Secret keys, `keys[i]` for `cards[i]`. */
  keys: IdentityKeys[];
  createdAt: number;
}

export interface ContactRecord {
  name: string;
  cards: KeyCard[];
  verification: Verification;
  introduction: Introduction | null;
  /**
   * Fingerprint of the card of this contact whose fingerprint you last compared out of band, or
   * null. A card confirmed this way does not rest on its predecessor's signature, so a key
   * compromise of the predecessor does not void it (docs/KEYRING.md, "Revocation").
   */
  confirmed: Uint8Array | null;
  labels: string[];
  groups: string[];
  attributes: Record<string, string>;
  addedAt: number;
}

export interface RingState {
  identities: IdentityRecord[];
  contacts: ContactRecord[];
  revocations: Revocation[];
}

const STATE_VERSION = 1;
const MAX_ITEMS = 1_000_000;

export function emptyState(): RingState {
  return { identities: [], contacts: [], revocations: [] };
}

/** A copy a mutation can change freely; cards, statements and keys are immutable and shared. */
export function cloneState(s: RingState): RingState {
  return {
    identities: s.identities.map((i) => ({ ...i, cards: [...i.cards], keys: [...i.keys] })),
    contacts: s.contacts.map((c) => ({ ...c, cards: [...c.cards], labels: [...c.labels], groups: [...c.groups], attributes: { ...c.attributes } })),
    revocations: [...s.revocations],
  };
}

export function encodeState(s: RingState): Uint8Array {
  return encodeCanonical({
    v: STATE_VERSION,
    ids: s.identities.map((i) => ({
      name: i.name,
      cards: i.cards.map((c) => c.bytes),
      keys: i.keys.map((k) => ({ sign: k.signing.secretKey, x: k.x25519.secretKey, xw: k.xwing.secretKey })),
      created: i.createdAt,
    })),
    contacts: s.contacts.map((c) => {
      const m: CborMap = {
        name: c.name,
        cards: c.cards.map((k) => k.bytes),
        ver: c.verification,
        labels: c.labels,
        groups: c.groups,
        attrs: c.attributes,
        added: c.addedAt,
      };
      if (c.introduction) m.intro = c.introduction.bytes;
      if (c.confirmed) m.conf = c.confirmed;
      return m;
    }),
    revs: s.revocations.map((r) => r.bytes),
  });
}

function tampered(message: string): LintasError {
  return new LintasError('ERR_KEYRING_TAMPERED', `Key ring contents are invalid although they decrypted (${message}): do not trust this file; restore the backup`);
}
const fail: Fail = tampered;

/** Decode and re-verify decrypted key ring contents (needs `cryptoReady()`). */
export function decodeState(bytes: Uint8Array): RingState {
  const root = exactMap(decodeStrict(bytes, fail, 6), 'ring', ['v', 'ids', 'contacts', 'revs'], [], fail);
  if (root.v !== STATE_VERSION) throw tampered('unknown contents version');
  const wrap = <T>(f: () => T): T => {
    try {
      return f();
    } catch (e) {
      if (e instanceof LintasError && e.code !== 'ERR_KEYRING_TAMPERED') throw tampered(e.message);
      throw e;
    }
  };
  const identities = arrayField(root, 'ids', 'ring', fail, MAX_ITEMS).map((v) =>
    wrap(() => {
      const m = exactMap(v, 'identity', ['name', 'cards', 'keys', 'created'], [], fail);
      const cards = decodeChain(arrayField(m, 'cards', 'identity', fail, MAX_ITEMS));
      const keys = arrayField(m, 'keys', 'identity', fail, MAX_ITEMS).map((k) => decodeSecretKeys(k));
      if (keys.length !== cards.length) throw tampered('an identity has a different number of keys and cards');
      cards.forEach((card, i) => {
        const k = keys[i]!;
        const xwing = card.encryptionKeys[1];
        if (
          !bytesEqual(k.signing.publicKey, card.signingPublicKey) ||
          !bytesEqual(k.x25519.publicKey, card.encryptionKeys[0]!.publicKey) ||
          (xwing !== undefined && !bytesEqual(k.xwing.publicKey, xwing.publicKey))
        ) {
          throw tampered('an identity key does not match its card');
        }
      });
      return { name: textField(m, 'name', 'identity', fail), cards, keys, createdAt: uintField(m, 'created', 'identity', fail) };
    }),
  );
  const contacts = arrayField(root, 'contacts', 'ring', fail, MAX_ITEMS).map((v) =>
    wrap(() => {
      const m = exactMap(v, 'contact', ['name', 'cards', 'ver', 'labels', 'groups', 'attrs', 'added'], ['intro', 'conf'], fail);
      const verification = textField(m, 'ver', 'contact', fail);
      if (!(VERIFICATIONS as readonly string[]).includes(verification)) throw tampered('unknown verification state');
      const attrs = exactMap(m.attrs!, 'contact.attrs', [], Object.keys(m.attrs ?? {}), fail);
      const attributes: Record<string, string> = {};
      for (const [k, val] of Object.entries(attrs)) {
        if (typeof val !== 'string') throw tampered('an attribute value is not text');
        attributes[k] = val;
      }
      return {
        name: textField(m, 'name', 'contact', fail),
        cards: decodeChain(arrayField(m, 'cards', 'contact', fail, MAX_ITEMS)),
        verification: verification as Verification,
        introduction: 'intro' in m ? decodeIntroductionSync(bytesField(m, 'intro', 'contact', fail)) : null,
        confirmed: 'conf' in m ? bytesField(m, 'conf', 'contact', fail, FINGERPRINT_BYTES) : null,
        labels: textList(arrayField(m, 'labels', 'contact', fail, MAX_ITEMS)),
        groups: textList(arrayField(m, 'groups', 'contact', fail, MAX_ITEMS)),
        attributes,
        addedAt: uintField(m, 'added', 'contact', fail),
      };
    }),
  );
  const revocations = arrayField(root, 'revs', 'ring', fail, MAX_ITEMS).map((v) =>
    wrap(() => {
      if (!(v instanceof Uint8Array)) throw tampered('a revocation is not a byte string');
      return decodeRevocationSync(v);
    }),
  );
  return { identities, contacts, revocations };
}

function textList(values: CborValue[]): string[] {
  return values.map((v) => {
    if (typeof v !== 'string') throw tampered('a label or group is not text');
    return v;
  });
}

function decodeChain(values: CborValue[]): KeyCard[] {
  if (values.length === 0) throw tampered('an entry has no key card');
  const cards = values.map((v) => {
    if (!(v instanceof Uint8Array)) throw tampered('a key card is not a byte string');
    return decodeKeyCardSync(v);
  });
  for (let i = 1; i < cards.length; i++) {
    const prev = cards[i]!.previous;
    if (!prev || !bytesEqual(prev.fingerprint, cards[i - 1]!.fingerprint) || !bytesEqual(prev.signingPublicKey, cards[i - 1]!.signingPublicKey)) {
      throw tampered('a succession chain is broken');
    }
  }
  return cards;
}

function decodeSecretKeys(v: CborValue): IdentityKeys {
  const m = exactMap(v, 'keys', ['sign', 'x', 'xw'], [], fail);
  // libsodium's Ed25519 secret key is seed || public key; derive the pair again from the seed.
  const signing = ed25519KeyPairFromSeed(bytesField(m, 'sign', 'keys', fail, 64).subarray(0, 32));
  const x = bytesField(m, 'x', 'keys', fail, 32);
  const xw = xwingKeyPairFromSeed(bytesField(m, 'xw', 'keys', fail, 32));
  return {
    signing,
    x25519: { type: 'X25519', publicKey: x25519PublicKey(x), secretKey: x },
    xwing: { type: 'X-Wing', publicKey: xw.publicKey, secretKey: xw.secretKey },
  };
}
