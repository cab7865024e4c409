/**
 * Generates the bundle and audit-log test vectors in docs/vectors/bundle/ (file format:
 * docs/vectors/bundle/README.md).
 *
 * Bundle vectors are at the payload level (SPEC 12.2): the bytes a reader finds inside an
 * envelope whose content type is application/vnd.lintas.bundle, plus the signing key that
 * sealed that envelope, because the reader checks it against the originator and the forward
 * chain. The envelope around them is covered by the envelope vectors in docs/vectors/.
 *
 * Fully deterministic: identity seeds and bundle ids come from HKDF-SHA-256 over fixed strings,
 * clocks are fixed and Ed25519 signatures are deterministic, so running it twice writes
 * identical files. Payloads that a correct sealer never produces are built here from the
 * documented pieces and signed with the real keys, so the only defect in each is the one the
 * vector is named after.
 *
 *   npm run vectors:bundle               write docs/vectors/bundle/*.json
 *   npm run vectors:bundle -- --check    exit 1 if the files on disk differ from what the code generates
 */
import { mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cryptoReady } from '../src/crypto/sodium.js';
import { concatBytes, utf8 } from '../src/crypto/bytes.js';
import { hkdfSha256, sha256 } from '../src/crypto/hash.js';
import { encodeCanonical, decodeCanonical, type CborMap } from '../src/cbor/index.js';
import { identityKeysFromSeed, type IdentityKeys } from '../src/keys/index.js';
import { LintasError } from '../src/errors/index.js';
import { toHex } from '../src/envelope/hex.js';
import type { EnvelopeInfo } from '../src/envelope/open.js';
import { BundleBuilder, bundleDraftOf, type ItemOptions } from '../src/bundle/builder.js';
import { prepareSeal } from '../src/bundle/seal.js';
import { bundleFromEnvelope } from '../src/bundle/open.js';
import { decodeForwardRecord, decodeHead, encodeForwardRecord, encodeHead, headPrefix, signForwardRecord, type BundleHead, type ForwardRecord } from '../src/bundle/head.js';
import { decodeManifest, encodeManifest, signManifest, type BundleParty } from '../src/bundle/manifest.js';
import { BUNDLE_CONTENT_TYPE, BUNDLE_LIMITS } from '../src/bundle/constants.js';
import type { HandlingMarkings } from '../src/policy/markings.js';
import type { PolicyOverride } from '../src/policy/override.js';
import { AuditLog, MemoryAuditStore } from '../src/audit/log.js';
import { verifyAuditLog } from '../src/audit/verify.js';
import type { AuditEvent } from '../src/audit/entry.js';

/** Version of the vector file format. */
export const BUNDLE_VECTOR_FORMAT = 'lintas-bundle-vector/1';
export const AUDIT_VECTOR_FORMAT = 'lintas-audit-vector/1';

export const BUNDLE_VECTOR_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'vectors', 'bundle');

type Hex = string;

/** A party as vectors list it. */
export interface VectorParty {
  seed: Hex;
  signingPublicKey: Hex;
  fingerprint: Hex;
  name: string;
  organization: string;
  country: string;
}

/** A bundle payload vector. */
export interface BundleVector {
  format: typeof BUNDLE_VECTOR_FORMAT;
  name: string;
  description: string;
  parties: Record<string, VectorParty>;
  /** What the payload is made of (for implementers building it themselves). */
  parts: {
    manifest: Hex;
    manifestSignature: Hex;
    forwards: { record: Hex; signature: Hex }[];
    head: Hex;
    items: { name: string; content: Hex }[];
  };
  /** The whole payload: u32be(len(head)) || head || items. */
  payload: Hex;
  /** How it arrives: who sealed the envelope, the payload length the envelope declares, the reader's clock. */
  envelope: { sender: string; declaredLength: number | null };
  /** The reader's clock, Unix seconds. */
  now: number;
  expect: BundleExpectation;
}

export type BundleExpectation =
  | {
      result: 'ok';
      bundleId: Hex;
      manifestDigest: Hex;
      originator: string;
      sender: string;
      forwarders: string[];
      expired: boolean;
      items: { name: string; mediaType: string; size: number; sha256: Hex }[];
    }
  | { result: 'error'; code: string; stage: 'head' | 'items' };

/** An audit-log vector. */
export interface AuditVector {
  format: typeof AUDIT_VECTOR_FORMAT;
  name: string;
  description: string;
  signer: { seed: Hex; publicKey: Hex };
  log: Hex;
  /** A signed anchor (SPEC 12.8) the verifier is given, when the vector has one. */
  anchor?: Hex;
  expect: { ok: boolean; entries: number; head: { seq: number; hash: Hex } | null; firstBroken: { index: number; reason: string } | null };
}

// ---------------------------------------------------------------------------------------------
// Determinism.

const VECTOR_IKM = utf8('lintas bundle test vectors');
/** Reader and sealer clock: 2026-01-01T00:00:00Z. */
const NOW = 1_767_225_600;

function seedOf(name: string): Uint8Array {
  return hkdfSha256(VECTOR_IKM, new Uint8Array(0), `identity ${name}`, 32);
}

function randomFor(label: string): (n: number) => Uint8Array {
  let i = 0;
  return (n) => hkdfSha256(VECTOR_IKM, utf8(String(i++)), `random ${label}`, n);
}

interface Cast {
  keys: IdentityKeys;
  party: VectorParty;
  bundleParty: BundleParty;
}

const PEOPLE: [string, string, string][] = [
  ['ayu', 'BIN', 'ID'],
  ['mei', 'PDRM', 'MY'],
  ['tan', 'ISD', 'SG'],
  ['budi', 'BIN', 'ID'],
];

async function castOf(): Promise<Record<string, Cast>> {
  const out: Record<string, Cast> = {};
  for (const [name, organization, country] of PEOPLE) {
    const seed = seedOf(name);
    const keys = await identityKeysFromSeed(seed);
    // Stands in for the key card fingerprint: the bundle format treats it as 32 opaque bytes.
    const fingerprint = sha256(concatBytes(utf8('lintas vector fingerprint '), utf8(name)));
    out[name] = {
      keys,
      party: { seed: toHex(seed), signingPublicKey: toHex(keys.signing.publicKey), fingerprint: toHex(fingerprint), name, organization, country },
      bundleParty: { signingKey: keys.signing.publicKey, fingerprint, name, organization, country },
    };
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Building payloads.

interface ItemDef {
  name: string;
  text?: string;
  stix?: string;
  options?: ItemOptions;
}

interface SealedParts {
  head: BundleHead;
  items: { name: string; content: Uint8Array }[];
}

async function sealed(cast: Record<string, Cast>, label: string, def: { title: string; summary?: string; markings: HandlingMarkings; expires?: number; items: ItemDef[]; to: string[]; override?: PolicyOverride }): Promise<SealedParts> {
  const b = new BundleBuilder({ title: def.title, markings: def.markings, ...(def.summary !== undefined ? { summary: def.summary } : {}), ...(def.expires ? { expiresAt: new Date(def.expires * 1000) } : {}) });
  for (const it of def.items) {
    if (it.stix !== undefined) b.addStix(it.name, it.stix, it.options);
    else b.addText(it.name, it.text ?? '', it.options);
  }
  const ayu = cast.ayu!;
  const recipients = def.to.map((n) => ({
    encryptionKey: { type: 'X25519' as const, publicKey: cast[n]!.keys.x25519.publicKey },
    attributes: { fingerprint: cast[n]!.bundleParty.fingerprint, name: n, organization: cast[n]!.party.organization, country: cast[n]!.party.country, explicit: true, verification: 'verified' as const },
  }));
  const p = prepareSeal(bundleDraftOf(b), { sender: { signing: ayu.keys.signing, card: { ...ayu.party, fingerprint: ayu.bundleParty.fingerprint } }, recipients, ...(def.override ? { override: def.override } : {}) }, { random: randomFor(label), now: () => NOW * 1000 });
  if (p.deliveries.length !== 1) throw new Error(`${label}: expected one delivery`);
  const d = p.deliveries[0]!;
  const items = [];
  for (const it of d.items) {
    const parts: Uint8Array[] = [];
    for await (const chunk of it.open()) parts.push(chunk);
    items.push({ name: it.name, content: concatBytes(...parts) });
  }
  return { head: decodeHead(d.headBytes.subarray(4)), items };
}

/** Add a forward hop by `by` to `to`, as forwardBundle does, with a fixed time and envelope id. */
function forwarded(cast: Record<string, Cast>, parts: SealedParts, by: string, to: string[], at: number): SealedParts {
  const last = parts.head.forwards[parts.head.forwards.length - 1];
  const record: ForwardRecord = {
    manifestDigest: sha256(parts.head.manifest),
    prev: last ? sha256(last.record) : new Uint8Array(32),
    receivedIn: hkdfSha256(VECTOR_IKM, utf8(String(at)), 'envelope id', 16),
    forwarder: cast[by]!.bundleParty,
    at: new Date(at * 1000),
    to: to.map((n) => cast[n]!.bundleParty.fingerprint),
    override: null,
  };
  const bytes = encodeForwardRecord(record);
  return { ...parts, head: { ...parts.head, forwards: [...parts.head.forwards, { record: bytes, signature: signForwardRecord(bytes, cast[by]!.keys.signing.secretKey) }] } };
}

function payloadOf(head: Uint8Array, items: Uint8Array[]): Uint8Array {
  return concatBytes(headPrefix(head.length), head, ...items);
}

/** Read a payload the way openBundle does after the envelope layer, and describe the outcome. */
export async function readPayload(payload: Uint8Array, sender: Uint8Array, declaredLength: number | null, now: number, names: Map<string, string>): Promise<BundleExpectation> {
  const info: EnvelopeInfo = {
    authenticated: true,
    sender,
    envelopeId: new Uint8Array(16),
    createdAt: new Date(now * 1000),
    expiresAt: null,
    recipients: [],
    openedWith: { type: 'X25519', recipientId: new Uint8Array(32) },
    stanzaTypes: ['X25519'],
    contentType: BUNDLE_CONTENT_TYPE,
    payloadLength: declaredLength,
  };
  const source = (async function* () {
    // Uneven pieces, so nothing depends on how the envelope layer chunks the payload.
    for (let off = 0; off < payload.length; off += 1000) yield payload.slice(off, off + 1000);
  })();
  let stage: 'head' | 'items' = 'head';
  try {
    const b = await bundleFromEnvelope({ info, payload: source }, { now: new Date(now * 1000), strictExpiry: false, audit: null, reader: null });
    stage = 'items';
    const items = [];
    for await (const item of b.items()) {
      const bytes = await item.bytes();
      items.push({ name: item.name, mediaType: item.mediaType, size: bytes.length, sha256: toHex(sha256(bytes)) });
    }
    const nameOf = (p: BundleParty) => names.get(toHex(p.signingKey)) ?? toHex(p.signingKey);
    return {
      result: 'ok',
      bundleId: toHex(b.manifest.id),
      manifestDigest: toHex(b.manifestDigest),
      originator: nameOf(b.originator),
      sender: nameOf(b.sender),
      forwarders: b.forwards.map((f) => nameOf(f.forwarder)),
      expired: b.expired,
      items,
    };
  } catch (e) {
    if (e instanceof LintasError) return { result: 'error', code: e.code, stage };
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// The vectors.

interface BundleDef {
  name: string;
  description: string;
  parts: SealedParts;
  /** Override the encoded head (for malformed-head vectors). */
  head?: Uint8Array;
  /** Override the item bytes (for item vectors). */
  items?: Uint8Array[];
  /** Bytes appended after the items. */
  trailing?: Uint8Array;
  /** The whole payload, when it is not built from the parts. */
  payload?: Uint8Array;
  sender: string;
  /** Default: the payload's real length. */
  declaredLength?: number | null;
  now?: number;
}

const GRANULAR_STIX = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'stix', 'using-granular-markings.json'), 'utf8');

async function defineBundleVectors(cast: Record<string, Cast>): Promise<BundleDef[]> {
  const minimal = await sealed(cast, 'minimal', { title: 'Courier schedule', markings: { tlp: 'GREEN' }, items: [{ name: 'note.txt', text: 'Courier arrives 07:40 at gate 3.' }], to: ['mei'] });
  const full = await sealed(cast, 'full', {
    title: 'Joker indicators',
    summary: 'Granular-marked STIX from the OASIS examples,\nwith an analyst note.',
    markings: { tlp: 'RED', classification: 'RAHASIA', releasableTo: { countries: ['MY', 'ID'], organizations: ['ISD'] }, caveats: ['ORCON', 'NO PRINT'] },
    items: [
      { name: 'using-granular-markings.json', stix: GRANULAR_STIX },
      { name: 'analyst-note.txt', text: 'Fake e-mail address seen again on 31 Dec.' },
    ],
    to: ['mei', 'tan'],
  });
  const amber = await sealed(cast, 'amber', {
    title: 'Operation KILAT',
    markings: { tlp: 'AMBER', amberOrganizations: ['PDRM'] },
    expires: NOW + 86_400,
    items: [
      { name: 'shared.txt', text: 'Shared with PDRM.' },
      { name: 'my-source.txt', text: 'Source KUCING, MY only.', options: { releasableTo: { countries: ['MY'], organizations: [] } } },
    ],
    to: ['mei'],
  });
  const overridden = await sealed(cast, 'override', {
    title: 'Liaison copy',
    markings: { tlp: 'GREEN', releasableTo: { countries: ['ID', 'MY'], organizations: [] } },
    items: [{ name: 'note.txt', text: 'For the ISD liaison officer.' }],
    to: ['tan'],
    override: { reason: 'Joint operation KILAT: ISD liaison on site', authorisedBy: 'Deputy Director Ops, order 17/2025' },
  });
  const pair = await sealed(cast, 'pair', {
    title: 'Two notes',
    markings: { tlp: 'GREEN' },
    items: [
      { name: 'a.txt', text: 'first note, 24 bytes ..' },
      { name: 'b.txt', text: 'other note, 24 bytes ..' },
    ],
    to: ['mei'],
  });
  const empty = await sealed(cast, 'empty', { title: 'Call me', summary: 'On the secure line, today.', markings: { tlp: 'CLEAR' }, items: [], to: ['tan'] });
  const once = forwarded(cast, minimal, 'mei', ['tan'], NOW + 600);
  const twice = forwarded(cast, once, 'tan', ['budi'], NOW + 1200);
  // mei passes the TLP:RED bundle on to budi: a validly signed record of a forbidden forward (12.6).
  const redForwarded = forwarded(cast, full, 'mei', ['budi'], NOW + 600);

  const m = decodeManifest(minimal.head.manifest);
  const editedTitle = encodeManifest({ ...m, title: 'Nothing to see' });
  const text = (p: SealedParts) => p.items.map((i) => i.content);
  const flipped = text(minimal).map((c) => c.map((b, i) => (i === 0 ? b ^ 1 : b)));
  const rawHead = (extra: CborMap) => encodeCanonical({ v: 1, manifest: minimal.head.manifest, sig: minimal.head.signature, fwd: [], ...extra });
  // A manifest whose map keys are not in canonical order, signed as it is.
  const manifestMap = decodeCanonical(minimal.head.manifest) as CborMap;
  const unsortedManifest = concatBytes(new Uint8Array([0xa0 + Object.keys(manifestMap).length]), ...Object.keys(manifestMap).sort().reverse().map((k) => concatBytes(encodeCanonical(k), encodeCanonical(manifestMap[k]!))));
  // Markings with REL TO countries out of order, correctly signed by the originator.
  const unsortedMarkings = encodeCanonical({ ...manifestMap, markings: { tlp: 'GREEN', rel: { countries: ['MY', 'ID'], orgs: [] } } });
  // An item name SPEC 12.3 excludes on every platform (a DOS device on Windows), correctly signed.
  const deviceItemName = encodeCanonical({ ...manifestMap, items: (manifestMap.items as CborMap[]).map((it) => ({ ...it, name: 'NUL.txt' })) });
  const signedHead = (manifest: Uint8Array) => encodeHead({ manifest, signature: signManifest(manifest, cast.ayu!.keys.signing.secretKey), forwards: [] });
  // SPEC 12.3: a signed manifest with one text rule broken (hidden character, media-type ABNF).
  const withItemType = (type: string) => signedHead(encodeCanonical({ ...manifestMap, items: (manifestMap.items as CborMap[]).map((it) => ({ ...it, type })) }));
  // SPEC 12.6: a forward record of version 2, correctly signed by its forwarder.
  const [onceRecord] = once.head.forwards;
  const v2Record = encodeCanonical({ ...(decodeCanonical(onceRecord!.record) as CborMap), v: 2 });
  const v2Head = encodeHead({ ...once.head, forwards: [{ record: v2Record, signature: signForwardRecord(v2Record, cast.mei!.keys.signing.secretKey) }] });
  const [r1, r2] = twice.head.forwards;
  const editedRecord = encodeForwardRecord({ ...decodeForwardRecord(r1!.record, 'record'), to: [cast.budi!.bundleParty.fingerprint] });

  return [
    { name: 'minimal', description: 'One text item, TLP:GREEN, sealed by the originator.', parts: minimal, sender: 'ayu' },
    { name: 'stix-and-markings', description: 'A STIX 2.1 item with granular TLP markings and a text item; TLP:RED with classification, REL TO and caveats (all lists in normal form).', parts: full, sender: 'ayu' },
    { name: 'amber-expiry-item-releasability', description: 'TLP:AMBER with a named organization, an expiry, and an item with its own REL TO.', parts: amber, sender: 'ayu' },
    { name: 'expired', description: 'The AMBER bundle read after its expiry: reported as expired, still readable.', parts: amber, sender: 'ayu', now: NOW + 86_401 },
    { name: 'override-note', description: 'A manifest carrying the override note of a lifted REL TO violation.', parts: overridden, sender: 'ayu' },
    { name: 'no-items', description: 'Title and summary only: the payload ends with the head.', parts: empty, sender: 'ayu' },
    { name: 'forwarded-once', description: 'Forwarded by mei to tan: one forward record, envelope sealed by mei.', parts: once, sender: 'mei' },
    { name: 'forwarded-twice', description: 'Forwarded again by tan to budi: two chained forward records, envelope sealed by tan.', parts: twice, sender: 'tan' },
    { name: 'undeclared-length', description: 'The envelope did not declare the payload length (a streamed seal); the reader relies on the manifest sizes.', parts: minimal, sender: 'ayu', declaredLength: null },
    { name: 'manifest-edited', description: 'The title was changed after the originator signed the manifest.', parts: { ...minimal, head: { ...minimal.head, manifest: editedTitle } }, sender: 'ayu' },
    { name: 'manifest-signed-by-other', description: 'An edited manifest re-signed by the envelope sender instead of the originator it names.', parts: minimal, head: encodeHead({ manifest: editedTitle, signature: signManifest(editedTitle, cast.mei!.keys.signing.secretKey), forwards: [] }), sender: 'mei' },
    { name: 'manifest-not-canonical', description: 'A correctly signed manifest whose map keys are not in deterministic order.', parts: minimal, head: signedHead(unsortedManifest), sender: 'ayu' },
    { name: 'markings-not-normal', description: 'A correctly signed manifest whose REL TO countries are not sorted.', parts: minimal, head: signedHead(unsortedMarkings), sender: 'ayu' },
    { name: 'item-name-windows-device', description: 'A correctly signed manifest naming its item "NUL.txt", a device on Windows, which SPEC 12.3 excludes on every platform.', parts: minimal, head: signedHead(deviceItemName), sender: 'ayu' },
    { name: 'item-flipped', description: 'One bit of the item changed; the head is genuine, so the failure is at the item.', parts: minimal, items: flipped, sender: 'ayu' },
    { name: 'items-swapped', description: 'Two items of the same size in swapped order.', parts: pair, items: [pair.items[1]!.content, pair.items[0]!.content], sender: 'ayu' },
    { name: 'item-truncated-undeclared', description: 'The item is cut short and the envelope declared no length.', parts: minimal, items: [text(minimal)[0]!.subarray(0, 10)], sender: 'ayu', declaredLength: null },
    { name: 'payload-length-mismatch', description: 'The envelope declares a payload length that the manifest does not account for.', parts: minimal, trailing: utf8('!'), sender: 'ayu' },
    { name: 'trailing-bytes-undeclared', description: 'Bytes after the last item in an envelope without a declared length.', parts: minimal, trailing: utf8('!'), sender: 'ayu', declaredLength: null },
    { name: 'sender-not-originator', description: 'A recipient re-sealed the originator payload without a forward record.', parts: minimal, sender: 'mei' },
    { name: 'forward-stripped', description: 'The forwarder removed its forward record and sealed the payload itself.', parts: { ...once, head: { ...once.head, forwards: [] } }, sender: 'mei' },
    { name: 'forward-sender-mismatch', description: 'A forwarded payload sealed by someone other than the last forwarder.', parts: once, sender: 'budi' },
    { name: 'forwards-reordered', description: 'Two forward records in swapped order.', parts: { ...twice, head: { ...twice.head, forwards: [r2!, r1!] } }, sender: 'mei' },
    { name: 'forwarded-red', description: 'The TLP:RED bundle forwarded by mei with a valid forward record: readers refuse it (12.6), no override lifts it.', parts: redForwarded, sender: 'mei' },
    { name: 'forward-record-edited', description: "A later forwarder edited an earlier forwarder's record (its recipient list).", parts: { ...twice, head: { ...twice.head, forwards: [{ record: editedRecord, signature: r1!.signature }, r2!] } }, sender: 'tan' },
    { name: 'head-unknown-field', description: 'The head has a field this version does not know.', parts: minimal, head: rawHead({ note: 'x' }), sender: 'ayu' },
    { name: 'head-unsupported-version', description: 'The head says version 2.', parts: minimal, head: rawHead({ v: 2 }), sender: 'ayu' },
    { name: 'head-unsupported-version-unknown-field', description: 'The head says version 2 and has a field this version does not know: the version is checked first (SPEC 12.2).', parts: minimal, head: rawHead({ v: 2, note: 'x' }), sender: 'ayu' },
    { name: 'payload-shorter-than-head-length', description: 'The payload is 3 bytes, shorter than the 4-byte head length (SPEC 12.2 step 2).', parts: minimal, payload: new Uint8Array([0, 0, 0]), sender: 'ayu' },
    { name: 'head-empty', description: 'The head length is 0: an empty head is not a CBOR item (SPEC 12.2 step 3).', parts: minimal, payload: concatBytes(headPrefix(0), ...text(minimal)), sender: 'ayu' },
    { name: 'manifest-title-hidden-character', description: 'A correctly signed manifest whose title holds U+200F RIGHT-TO-LEFT MARK (General_Category Cf, a hidden character, SPEC 12.3).', parts: minimal, head: signedHead(encodeCanonical({ ...manifestMap, title: 'Courier\u200f schedule' })), sender: 'ayu' },
    { name: 'manifest-item-type-space', description: 'A correctly signed manifest whose item type has a space after ";" (text/plain; charset=utf-8), outside the media-type ABNF (SPEC 12.3).', parts: minimal, head: withItemType('text/plain; charset=utf-8'), sender: 'ayu' },
    { name: 'manifest-item-type-crlf', description: 'A correctly signed manifest whose item type holds CR LF before a parameter (text/plain\\r\\n;x=y), outside the media-type ABNF (SPEC 12.3).', parts: minimal, head: withItemType('text/plain\r\n;x=y'), sender: 'ayu' },
    { name: 'forward-record-other-version', description: 'A forward record that says version 2, correctly signed by its forwarder: malformed, not an unsupported version (SPEC 12.6, 12.9).', parts: once, head: v2Head, sender: 'mei' },
    { name: 'head-length-over-limit', description: `The head length prefix exceeds ${BUNDLE_LIMITS.maxHeadBytes} bytes.`, parts: minimal, payload: concatBytes(headPrefix(BUNDLE_LIMITS.maxHeadBytes + 1), new Uint8Array(8)), sender: 'ayu' },
  ];
}

async function toBundleVector(cast: Record<string, Cast>, def: BundleDef): Promise<BundleVector> {
  const names = new Map(Object.entries(cast).map(([n, c]) => [c.party.signingPublicKey, n]));
  const head = def.head ?? encodeHead(def.parts.head);
  const items = def.items ?? def.parts.items.map((i) => i.content);
  let payload = def.payload ?? payloadOf(head, items);
  if (def.trailing) payload = concatBytes(payload, def.trailing);
  const declaredLength = def.declaredLength === undefined ? payload.length : def.declaredLength;
  const now = def.now ?? NOW + 3600;
  const sender = cast[def.sender]!;
  const used = new Set<string>(['ayu', def.sender]);
  for (const f of def.parts.head.forwards) used.add(names.get(toHex(decodeForwardRecord(f.record, 'record').forwarder.signingKey))!);
  return {
    format: BUNDLE_VECTOR_FORMAT,
    name: def.name,
    description: def.description,
    parties: Object.fromEntries(PEOPLE.filter(([n]) => used.has(n)).map(([n]) => [n, cast[n]!.party])),
    parts: {
      manifest: toHex(def.parts.head.manifest),
      manifestSignature: toHex(def.parts.head.signature),
      forwards: def.parts.head.forwards.map((f) => ({ record: toHex(f.record), signature: toHex(f.signature) })),
      head: toHex(head),
      items: def.parts.items.map((it, i) => ({ name: it.name, content: toHex(items[i] ?? new Uint8Array(0)) })),
    },
    payload: toHex(payload),
    envelope: { sender: def.sender, declaredLength },
    now,
    expect: await readPayload(payload, sender.keys.signing.publicKey, declaredLength, now, names),
  };
}

async function defineAuditVectors(cast: Record<string, Cast>): Promise<AuditVector[]> {
  const signer = cast.ayu!;
  let t = NOW * 1000;
  const store = new MemoryAuditStore();
  const log = await AuditLog.open(store, signer.keys.signing, { now: () => (t += 1500) });
  const bundleId = hkdfSha256(VECTOR_IKM, new Uint8Array(0), 'audit bundle id', 16);
  const fp = (n: string) => cast[n]!.bundleParty.fingerprint;
  const events: AuditEvent[] = [
    { event: 'sealed', bundleId, manifestDigest: sha256(utf8('manifest')), envelopeDigest: sha256(utf8('envelope')), originator: fp('ayu'), from: fp('ayu'), to: [fp('mei'), fp('tan')], markings: { tlp: 'AMBER', amberOrganizations: ['ISD', 'PDRM'] } },
    { event: 'sent', bundleId, envelopeDigest: sha256(utf8('envelope')), to: [fp('mei'), fp('tan')] },
    {
      event: 'override',
      bundleId,
      originator: fp('ayu'),
      from: fp('ayu'),
      to: [fp('budi')],
      markings: { tlp: 'GREEN', releasableTo: { countries: ['MY'], organizations: [] } },
      override: { reason: 'Seconded officer', authorisedBy: 'Director', lifted: [{ rule: 'releasability', recipient: fp('budi') }] },
    },
    { event: 'received', bundleId, envelopeDigest: sha256(utf8('reply')), from: fp('mei') },
    { event: 'opened', bundleId, manifestDigest: sha256(utf8('reply manifest')), envelopeId: new Uint8Array(16).fill(1), originator: fp('mei'), from: fp('mei'), markings: { tlp: 'CLEAR' } },
  ];
  for (const e of events) await log.record(e);
  const anchor = log.anchor(7).bytes; // key ring generation 7 when the anchor was signed
  const bytes = store.bytes();
  const records: Uint8Array[] = [];
  for (let off = 0; off < bytes.length; ) {
    const len = new DataView(bytes.buffer, bytes.byteOffset + off).getUint32(0);
    records.push(bytes.slice(off, off + 4 + len));
    off += 4 + len;
  }
  const edited = bytes.slice();
  edited[records[0]!.length + records[1]!.length - 30]! ^= 0x01;
  const swapped = [...records];
  [swapped[2], swapped[3]] = [swapped[3]!, swapped[2]!];
  // Record 1's length field raised past the end of the log: not a torn append (SPEC 12.8).
  const raised = bytes.slice();
  new DataView(raised.buffer).setUint32(records[0]!.length, bytes.length - records[0]!.length);
  const defs: [string, string, Uint8Array, Uint8Array?][] = [
    ['audit-log', 'A log of five entries of every kind; verifies.', bytes],
    ['audit-entry-edited', 'One bit of entry 1 changed.', edited],
    ['audit-entry-deleted', 'Entry 2 removed.', concatBytes(...records.filter((_, i) => i !== 2))],
    ['audit-entries-reordered', 'Entries 2 and 3 swapped.', concatBytes(...swapped)],
    ['audit-torn-tail', 'The last record cut short, as by a crash during an append.', bytes.subarray(0, bytes.length - 9)],
    ['audit-anchored', 'The log of five entries with its signed anchor (count 5, key ring generation 7); verifies.', bytes, anchor],
    ['audit-cut-below-anchor', 'The last two records removed at a record boundary: the chain alone verifies, the signed anchor does not.', concatBytes(...records.slice(0, 3)), anchor],
    ['audit-length-raised', "Record 1's length field raised so the record runs past the end of the log; its bytes frame a shorter record, so it is malformed, not a torn tail.", raised],
    ['audit-record-length-out-of-range', 'The first record length says 262,145 bytes, one more than the limit: malformed, although the log is shorter than that (SPEC 12.8).', concatBytes(new Uint8Array([0x00, 0x04, 0x00, 0x01]), bytes.subarray(4))],
    ['audit-record-length-zero', 'The second record length is 0: malformed (SPEC 12.8).', concatBytes(records[0]!, new Uint8Array(4), ...records.slice(1).map((r) => r.subarray(4)))],
  ];
  // The transport and refusal fields, in a log of their own so the five-entry log above stays as it was.
  const transportStore = new MemoryAuditStore();
  const transportLog = await AuditLog.open(transportStore, signer.keys.signing, { now: () => (t += 1500) });
  await transportLog.record({ event: 'sent', bundleId, envelopeDigest: sha256(utf8('envelope')), to: [fp('mei')], transport: 'https://relay.example.org', mailbox: 'mbx1'.padEnd(52, 'a') });
  await transportLog.record({ event: 'received', bundleId, envelopeDigest: sha256(utf8('reply')), from: fp('mei'), transport: 'drop:/mnt/exchange', mailbox: 'mbx1'.padEnd(52, 'b') });
  await transportLog.record({ event: 'refused', envelopeDigest: sha256(utf8('replayed copy')), envelopeId: new Uint8Array(16).fill(2), from: fp('mei'), reason: 'ERR_REPLAY_DETECTED' });
  defs.push(['audit-log-transport', 'Sent, received and refused entries with their transport, mailbox and reason fields; verifies.', transportStore.bytes()]);
  const out: AuditVector[] = [];
  for (const [name, description, logBytes, anchorBytes] of defs) {
    const v = await verifyAuditLog(logBytes, anchorBytes ? { anchor: anchorBytes } : {});
    out.push({
      format: AUDIT_VECTOR_FORMAT,
      name,
      description,
      signer: { seed: signer.party.seed, publicKey: signer.party.signingPublicKey },
      log: toHex(logBytes),
      ...(anchorBytes ? { anchor: toHex(anchorBytes) } : {}),
      expect: {
        ok: v.ok,
        entries: v.entries.length,
        head: v.head ? { seq: v.head.seq, hash: toHex(v.head.hash) } : null,
        firstBroken: v.firstBroken ? { index: v.firstBroken.index, reason: v.firstBroken.reason } : null,
      },
    });
  }
  return out;
}

/** Every vector file, by file name, as the text to write. */
export async function generateBundleVectors(): Promise<Map<string, string>> {
  await cryptoReady();
  const cast = await castOf();
  const files = new Map<string, string>();
  const add = (name: string, v: unknown) => {
    if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(name)) throw new Error(`bad vector name ${name}`);
    if (files.has(`${name}.json`)) throw new Error(`duplicate vector ${name}`);
    files.set(`${name}.json`, JSON.stringify(v, null, 2) + '\n');
  };
  for (const def of await defineBundleVectors(cast)) add(def.name, await toBundleVector(cast, def));
  for (const v of await defineAuditVectors(cast)) add(v.name, v);
  return files;
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const files = await generateBundleVectors();
  mkdirSync(BUNDLE_VECTOR_DIR, { recursive: true });
  const onDisk = readdirSync(BUNDLE_VECTOR_DIR).filter((f) => f.endsWith('.json'));
  const stale = onDisk.filter((f) => !files.has(f));
  const changed = [...files].filter(([f, text]) => !onDisk.includes(f) || readFileSync(join(BUNDLE_VECTOR_DIR, f), 'utf8') !== text).map(([f]) => f);
  if (check) {
    if (stale.length || changed.length) {
      console.error(`docs/vectors/bundle is out of date (changed: ${changed.join(', ') || 'none'}; stale: ${stale.join(', ') || 'none'}); run npm run vectors:bundle`);
      process.exit(1);
    }
    console.log(`${files.size} bundle vectors up to date`);
    return;
  }
  for (const f of stale) unlinkSync(join(BUNDLE_VECTOR_DIR, f));
  for (const f of changed) writeFileSync(join(BUNDLE_VECTOR_DIR, f), files.get(f)!);
  console.log(`${files.size} bundle vectors (${changed.length} written, ${stale.length} removed) in docs/vectors/bundle`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
