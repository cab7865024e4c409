/**
 * The bundle manifest (SPEC 12.3; roles and signatures 12.1): what the originator signs. It names the bundle, its
 * originator, handling markings and expiry, and commits to every item by size and SHA-256, so
 * the one signature covers the items too and survives forwarding (the envelope signature does
 * not: it is made by whoever seals the envelope).
 *
 *   manifest = {
 *     "v": 1, "id": bstr(16), "created": uint, ? "expires": uint,
 *     "originator": party, "title": tstr, "summary": tstr, "markings": markings,
 *     "items": [* { "name": tstr, "type": tstr, "size": uint, "sha256": bstr(32), ? "rel": rel }],
 *     ? "override": { "reason": tstr, "by": tstr, "lifted": [+ { "rule": tstr, ? "fp": bstr(32), ? "item": tstr }] }
 *   }
 *   party = { "key": bstr(32), "fp": bstr(32), "name": tstr, "org": tstr, "country": tstr }
 *   signature = Ed25519(originator, "lintas/v1 bundle manifest" || 0x00 || manifest)
 */
import { hasEdgeSpace, hasHiddenCharacter, hasHiddenCharacterExceptLines } from '../text/display-text.js';
import { LintasError } from '../errors/index.js';
import { concatBytes, utf8 } from '../crypto/bytes.js';
import { ed25519Sign, ed25519Verify } from '../crypto/ed25519.js';
import { CborDecodeError, decodeCanonical, encodeCanonical, type CborMap, type CborValue } from '../cbor/index.js';
import type { NormalizedMarkings, Releasability } from '../policy/markings.js';
import { markingsFromCbor, markingsToCbor, releasabilityFromCbor, releasabilityToCbor } from '../policy/markings-cbor.js';
import { checkReleasability } from '../policy/markings.js';
import type { AppliedOverride } from '../policy/override.js';
import type { PolicyRule } from '../policy/rules.js';
import { BUNDLE_FORMAT_VERSION, BUNDLE_ID_BYTES, BUNDLE_LIMITS, MANIFEST_SIGNATURE_CONTEXT } from './constants.js';

/** An identity as a manifest or forward record names it: signing key plus key card attributes. */
export interface BundleParty {
  /** Ed25519 public key that signs for this party. */
  signingKey: Uint8Array;
  /** Key card fingerprint. */
  fingerprint: Uint8Array;
  /** Name on the key card. */
  name: string;
  /** Organization on the key card. */
  organization: string;
  /** ISO 3166-1 alpha-2 country on the key card. */
  country: string;
}

/** One item as the manifest describes it. */
export interface ManifestItem {
  /** Item name (unique in the bundle, safe as a file name). */
  name: string;
  /** Media type of the item. */
  mediaType: string;
  /** Exact size in bytes. */
  size: number;
  /** SHA-256 of the item bytes; readers check it. */
  sha256: Uint8Array;
  /** The item's own "REL TO" (selective release), or null. */
  releasableTo: Releasability | null;
}

/** A decoded, originator-signed manifest. */
export interface BundleManifest {
  /** Random 16-byte bundle id, the same in every delivery and forward. */
  id: Uint8Array;
  /** When the originator sealed it. */
  created: Date;
  /** When the bundle expires (reported as `expired`, no longer forwarded), or null. */
  expires: Date | null;
  /** Who originated and signed the manifest. */
  originator: BundleParty;
  /** Short title. */
  title: string;
  /** Free-text summary (may be empty). */
  summary: string;
  /** Handling markings in their normal form (SPEC 12.4). */
  markings: NormalizedMarkings;
  /** The items in this envelope, in payload order. */
  items: ManifestItem[];
  /** The visible override note, if the originator overrode a handling rule. */
  override: AppliedOverride | null;
}

function malformed(message: string): LintasError {
  return new LintasError('ERR_BUNDLE_MALFORMED', `Bundle is malformed: ${message}`);
}

// SPEC 12.3 media-type ABNF: RFC 6838 restricted names, parameters without white space, values
// a restricted name or a quoted string of printable ASCII. No CR, LF or space can pass, so an
// item type is safe in an HTTP header or a file dialog.
const NAME = "[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}";
const QUOTED = '"[\\x20\\x21\\x23-\\x5b\\x5d-\\x7e]*"';
const MEDIA_TYPE = new RegExp(`^${NAME}/${NAME}(;${NAME}=(${NAME}|${QUOTED}))*$`);

function byteLength(s: string): number {
  return utf8(s).length;
}

// Characters Windows does not allow in a file name (besides controls): a drive or stream
// separator (":"), wildcards and redirections. "/" and "\\" are path separators everywhere.
const NOT_IN_FILE_NAMES = /[/\\<>:"|?*]/;
// DOS device names, reserved in every folder with any extension ("NUL.txt", "com1.tar.gz"),
// including the superscript-digit ports Windows also maps to devices.
const DEVICE_NAMES = /^(CON|PRN|AUX|NUL|COM[0-9\u00b9\u00b2\u00b3]|LPT[0-9\u00b9\u00b2\u00b3]|CONIN\$|CONOUT\$)$/i;

/**
 * Why `name` is not acceptable as an item name, or null (SPEC 12.3). Apps save items under
 * their names, so a name must be one plain file name on every platform: nothing that acts as a
 * path, drive or stream on POSIX or Windows ("a/b", "a\\b", "D:x.exe", "a.pdf:x", "."), no DOS
 * device ("CON", "NUL.txt", "COM1"), no trailing dot or space (Windows drops them, so two names
 * would mean one file), and nothing that hides in a file dialog.
 */
export function itemNameProblem(name: string): string | null {
  if (name.length === 0) return 'is empty';
  if (byteLength(name) > BUNDLE_LIMITS.maxItemNameBytes) return `is longer than ${BUNDLE_LIMITS.maxItemNameBytes} UTF-8 bytes`;
  if (name !== name.normalize('NFC')) return 'is not in Unicode NFC';
  if (hasEdgeSpace(name)) return 'has leading or trailing whitespace';
  if (hasHiddenCharacter(name)) return 'contains control, invisible or text-direction characters';
  if (NOT_IN_FILE_NAMES.test(name)) return 'contains a path separator or one of < > : " | ? *, which are not allowed in file names on every platform';
  if (name.endsWith('.')) return 'ends with a dot, which Windows drops';
  if (DEVICE_NAMES.test(name.split('.')[0]!.trimEnd())) return 'is a reserved device name on Windows (CON, PRN, AUX, NUL, COM0-9, LPT0-9)';
  return null;
}

/** Why `type` is not an acceptable media type, or null. */
export function mediaTypeProblem(type: string): string | null {
  if (byteLength(type) > BUNDLE_LIMITS.maxMediaTypeBytes) return `is longer than ${BUNDLE_LIMITS.maxMediaTypeBytes} bytes`;
  return MEDIA_TYPE.test(type) ? null : 'is not a media type (type/subtype with optional ;name=value parameters)';
}

/** Why `title` is not acceptable, or null. */
export function titleProblem(title: string): string | null {
  if (title.length === 0) return 'is empty';
  if (byteLength(title) > BUNDLE_LIMITS.maxTitleBytes) return `is longer than ${BUNDLE_LIMITS.maxTitleBytes} UTF-8 bytes`;
  if (title !== title.normalize('NFC')) return 'is not in Unicode NFC';
  if (hasHiddenCharacter(title)) return 'contains control, invisible or text-direction characters';
  return null;
}

/** Why `summary` is not acceptable, or null (line breaks and tabs are allowed). */
export function summaryProblem(summary: string): string | null {
  if (byteLength(summary) > BUNDLE_LIMITS.maxSummaryBytes) return `is longer than ${BUNDLE_LIMITS.maxSummaryBytes} UTF-8 bytes`;
  if (summary !== summary.normalize('NFC')) return 'is not in Unicode NFC';
  if (hasHiddenCharacterExceptLines(summary)) return 'contains control, invisible or text-direction characters';
  return null;
}

/** Encode a party map (manifest originator, forward record forwarder). */
export function encodeParty(p: BundleParty): CborMap {
  return { key: p.signingKey, fp: p.fingerprint, name: p.name, org: p.organization, country: p.country };
}

function isMap(v: CborValue | undefined): v is CborMap {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function onlyKeys(m: CborMap, allowed: string[], what: string): void {
  for (const k of Object.keys(m)) if (!allowed.includes(k)) throw malformed(`${what} has unknown field "${k}"`);
}

function bytesOf(v: CborValue | undefined, len: number, what: string): Uint8Array {
  if (!(v instanceof Uint8Array) || v.length !== len) throw malformed(`${what} is not ${len} bytes`);
  return v;
}

function textOf(v: CborValue | undefined, what: string, problem: ((s: string) => string | null) | null): string {
  if (typeof v !== 'string') throw malformed(`${what} is not text`);
  const p = problem?.(v);
  if (p) throw malformed(`${what} ${p}`);
  return v;
}

function uintOf(v: CborValue | undefined, what: string): number {
  if (typeof v !== 'number') throw malformed(`${what} is not an unsigned integer`);
  return v;
}

const PARTY_TEXT = (s: string): string | null => (s.length === 0 || hasEdgeSpace(s) || hasHiddenCharacter(s) || byteLength(s) > 256 ? 'is not acceptable party text' : null);

/** Decode a party map. @throws {@link LintasError} `ERR_BUNDLE_MALFORMED`. */
export function decodeParty(v: CborValue | undefined, what: string): BundleParty {
  if (!isMap(v)) throw malformed(`${what} is not a map`);
  onlyKeys(v, ['key', 'fp', 'name', 'org', 'country'], what);
  const country = textOf(v.country, `${what}.country`, null);
  if (!/^[A-Z]{2}$/.test(country)) throw malformed(`${what}.country is not an ISO 3166-1 alpha-2 code`);
  return {
    signingKey: bytesOf(v.key, 32, `${what}.key`),
    fingerprint: bytesOf(v.fp, 32, `${what}.fp`),
    name: textOf(v.name, `${what}.name`, PARTY_TEXT),
    organization: textOf(v.org, `${what}.org`, PARTY_TEXT),
    country,
  };
}

/** Encode an override note (manifest or forward record). */
export function encodeOverride(o: AppliedOverride): CborMap {
  return {
    reason: o.reason,
    by: o.authorisedBy,
    lifted: o.lifted.map((l) => {
      const m: CborMap = { rule: l.rule };
      if (l.recipient !== null) m.fp = l.recipient;
      if (l.item !== null) m.item = l.item;
      return m;
    }),
  };
}

/** Decode an override note. @throws {@link LintasError} `ERR_BUNDLE_MALFORMED`. */
export function decodeOverride(v: CborValue | undefined, what: string): AppliedOverride {
  if (!isMap(v)) throw malformed(`${what} is not a map`);
  onlyKeys(v, ['reason', 'by', 'lifted'], what);
  if (!Array.isArray(v.lifted) || v.lifted.length === 0) throw malformed(`${what}.lifted is not a non-empty list`);
  return {
    reason: textOf(v.reason, `${what}.reason`, (s) => (s.length === 0 ? 'is empty' : null)),
    authorisedBy: textOf(v.by, `${what}.by`, PARTY_TEXT),
    lifted: v.lifted.map((l, i) => {
      if (!isMap(l)) throw malformed(`${what}.lifted[${i}] is not a map`);
      onlyKeys(l, ['rule', 'fp', 'item'], `${what}.lifted[${i}]`);
      return {
        rule: textOf(l.rule, `${what}.lifted[${i}].rule`, null) as PolicyRule,
        recipient: l.fp === undefined ? null : bytesOf(l.fp, 32, `${what}.lifted[${i}].fp`),
        item: l.item === undefined ? null : textOf(l.item, `${what}.lifted[${i}].item`, itemNameProblem),
      };
    }),
  };
}

/** Encode a manifest canonically (the bytes the originator signs). */
export function encodeManifest(m: BundleManifest): Uint8Array {
  const map: CborMap = {
    v: BUNDLE_FORMAT_VERSION,
    id: m.id,
    created: Math.floor(m.created.getTime() / 1000),
    originator: encodeParty(m.originator),
    title: m.title,
    summary: m.summary,
    markings: markingsToCbor(m.markings),
    items: m.items.map((it) => {
      const item: CborMap = { name: it.name, type: it.mediaType, size: it.size, sha256: it.sha256 };
      if (it.releasableTo !== null) item.rel = releasabilityToCbor(it.releasableTo);
      return item;
    }),
  };
  if (m.expires !== null) map.expires = Math.floor(m.expires.getTime() / 1000);
  if (m.override !== null) map.override = encodeOverride(m.override);
  return encodeCanonical(map);
}

/**
 * Decode and check a manifest (its signature is checked separately, by {@link verifyManifest}).
 * @throws {@link LintasError} `ERR_BUNDLE_MALFORMED`, `ERR_BUNDLE_UNSUPPORTED_VERSION` or
 *   `ERR_BUNDLE_LIMIT_EXCEEDED`.
 */
export function decodeManifest(bytes: Uint8Array): BundleManifest {
  let v: CborValue;
  try {
    v = decodeCanonical(bytes);
  } catch (e) {
    if (e instanceof CborDecodeError) throw malformed(`the manifest is not canonical CBOR (${e.message})`);
    throw e;
  }
  if (!isMap(v)) throw malformed('the manifest is not a map');
  if (v.v !== BUNDLE_FORMAT_VERSION) {
    throw typeof v.v === 'number'
      ? new LintasError('ERR_BUNDLE_UNSUPPORTED_VERSION', `Bundle manifest version ${v.v} is not supported by this version of lintas; update it`)
      : malformed('the manifest has no version number');
  }
  onlyKeys(v, ['v', 'id', 'created', 'expires', 'originator', 'title', 'summary', 'markings', 'items', 'override'], 'the manifest');
  const created = uintOf(v.created, 'created');
  const expires = v.expires === undefined ? null : uintOf(v.expires, 'expires');
  if (expires !== null && expires <= created) throw malformed('expires is not after created');
  let markings: NormalizedMarkings;
  try {
    markings = markingsFromCbor(v.markings, 'markings');
  } catch (e) {
    throw malformed((e as Error).message);
  }
  if (!Array.isArray(v.items)) throw malformed('items is not a list');
  if (v.items.length > BUNDLE_LIMITS.maxItems) {
    throw new LintasError('ERR_BUNDLE_LIMIT_EXCEEDED', `Bundle has ${v.items.length} items, more than ${BUNDLE_LIMITS.maxItems}`);
  }
  const names = new Set<string>();
  let total = 0;
  const items = v.items.map((raw, i): ManifestItem => {
    const what = `items[${i}]`;
    if (!isMap(raw)) throw malformed(`${what} is not a map`);
    onlyKeys(raw, ['name', 'type', 'size', 'sha256', 'rel'], what);
    const name = textOf(raw.name, `${what}.name`, itemNameProblem);
    if (names.has(name)) throw malformed(`${what}.name repeats "${name}"`);
    names.add(name);
    const size = uintOf(raw.size, `${what}.size`);
    total += size;
    if (!Number.isSafeInteger(total)) throw malformed('the items add up to more than 2^53 - 1 bytes');
    let releasableTo: Releasability | null = null;
    if (raw.rel !== undefined) {
      try {
        const rel = releasabilityFromCbor(raw.rel, `${what}.rel`);
        releasableTo = checkReleasability(rel, `${what}.rel`);
        if (encodeCanonical(releasabilityToCbor(releasableTo)).join() !== encodeCanonical(raw.rel).join()) throw new Error(`${what}.rel is not in normal form`);
      } catch (e) {
        throw malformed((e as Error).message);
      }
    }
    return { name, mediaType: textOf(raw.type, `${what}.type`, mediaTypeProblem), size, sha256: bytesOf(raw.sha256, 32, `${what}.sha256`), releasableTo };
  });
  return {
    id: bytesOf(v.id, BUNDLE_ID_BYTES, 'id'),
    created: new Date(created * 1000),
    expires: expires === null ? null : new Date(expires * 1000),
    originator: decodeParty(v.originator, 'originator'),
    title: textOf(v.title, 'title', titleProblem),
    summary: textOf(v.summary, 'summary', summaryProblem),
    markings,
    items,
    override: v.override === undefined ? null : decodeOverride(v.override, 'override'),
  };
}

function manifestMessage(manifest: Uint8Array): Uint8Array {
  return concatBytes(utf8(MANIFEST_SIGNATURE_CONTEXT), new Uint8Array([0]), manifest);
}

/** The originator's signature over encoded manifest bytes. */
export function signManifest(manifest: Uint8Array, originatorSecretKey: Uint8Array): Uint8Array {
  return ed25519Sign(originatorSecretKey, manifestMessage(manifest));
}

/** True if `signature` is the originator's signature over `manifest`. */
export function verifyManifest(manifest: Uint8Array, signature: Uint8Array, originatorKey: Uint8Array): boolean {
  return ed25519Verify(originatorKey, manifestMessage(manifest), signature);
}
