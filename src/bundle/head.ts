/**
 * The bundle payload (SPEC 12.2): what goes into the envelope, and the verification of its
 * head: the originator-signed manifest and the chain of forward records.
 *
 *   payload = u32be(len(head)) || head || item bytes, in manifest order, nothing after
 *   head    = { "v": 1, "manifest": bstr, "sig": bstr(64), "fwd": [* { "record": bstr, "sig": bstr(64) }] }
 *   record  = { "v": 1, "manifest": bstr(32), "prev": bstr(32), "from": bstr(16), "by": party,
 *               "at": uint, "to": [+ bstr(32)], ? "override": override }
 *   record signature = Ed25519(forwarder, "lintas/v1 bundle forward" || 0x00 || record)
 *
 * `manifest` in a record is SHA-256 of the manifest bytes, `prev` SHA-256 of the previous
 * record's bytes (32 zero bytes for the first forward), `from` the id of the envelope the
 * forwarder received the bundle in, `to` the fingerprints of the new recipients.
 */
import { LintasError } from '../errors/index.js';
import { concatBytes, constantTimeEqual, utf8 } from '../crypto/bytes.js';
import { sha256 } from '../crypto/hash.js';
import { ed25519Sign, ed25519Verify } from '../crypto/ed25519.js';
import { CborDecodeError, decodeCanonical, encodeCanonical, type CborMap, type CborValue } from '../cbor/index.js';
import type { AppliedOverride } from '../policy/override.js';
import { BUNDLE_FORMAT_VERSION, BUNDLE_LIMITS, FORWARD_SIGNATURE_CONTEXT } from './constants.js';
import { decodeManifest, decodeOverride, decodeParty, encodeOverride, encodeParty, verifyManifest, type BundleManifest, type BundleParty } from './manifest.js';

/** The head as carried: manifest bytes, the originator's signature, signed forward records. */
export interface BundleHead {
  manifest: Uint8Array;
  signature: Uint8Array;
  forwards: { record: Uint8Array; signature: Uint8Array }[];
}

/** A decoded, verified forward record: one hop after the originator. */
export interface ForwardRecord {
  /** SHA-256 of the manifest it forwards. */
  manifestDigest: Uint8Array;
  /** SHA-256 of the previous record, zeros for the first. */
  prev: Uint8Array;
  /** Id of the envelope the forwarder received the bundle in. */
  receivedIn: Uint8Array;
  /** Who forwarded (and sealed the next envelope). */
  forwarder: BundleParty;
  /** When. */
  at: Date;
  /** Key card fingerprints of the recipients of this hop. */
  to: Uint8Array[];
  /** The visible override note, if the forwarder overrode a handling rule. */
  override: AppliedOverride | null;
}

/** A head after {@link verifyHead}. */
export interface VerifiedHead {
  manifest: BundleManifest;
  manifestDigest: Uint8Array;
  forwards: ForwardRecord[];
  /** Who must have sealed the envelope: the last forwarder, or the originator. */
  expectedSender: BundleParty;
}

function malformed(message: string): LintasError {
  return new LintasError('ERR_BUNDLE_MALFORMED', `Bundle is malformed: ${message}`);
}

function isMap(v: CborValue | undefined): v is CborMap {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function decodeStrict(bytes: Uint8Array, what: string): CborValue {
  try {
    return decodeCanonical(bytes);
  } catch (e) {
    if (e instanceof CborDecodeError) throw malformed(`${what} is not canonical CBOR (${e.message})`);
    throw e;
  }
}

/** Encode the head. */
export function encodeHead(head: BundleHead): Uint8Array {
  return encodeCanonical({
    v: BUNDLE_FORMAT_VERSION,
    manifest: head.manifest,
    sig: head.signature,
    fwd: head.forwards.map((f) => ({ record: f.record, sig: f.signature })),
  });
}

/** The 4-byte big-endian length prefix of the head. */
export function headPrefix(headLength: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, headLength, false);
  return out;
}

/**
 * Decode the head's structure (no signatures yet).
 * @throws {@link LintasError} `ERR_BUNDLE_MALFORMED`, `ERR_BUNDLE_UNSUPPORTED_VERSION`, `ERR_BUNDLE_LIMIT_EXCEEDED`.
 */
export function decodeHead(bytes: Uint8Array): BundleHead {
  const v = decodeStrict(bytes, 'the head');
  if (!isMap(v)) throw malformed('the head is not a map');
  // A version of the wrong type is damage, not a newer format (and may not print: a CBOR map has no prototype).
  if (typeof v.v !== 'number') throw malformed('the head has no version number');
  if (v.v !== BUNDLE_FORMAT_VERSION) {
    throw new LintasError('ERR_BUNDLE_UNSUPPORTED_VERSION', `Bundle format version ${v.v} is not supported by this version of lintas; update it`);
  }
  for (const k of Object.keys(v)) if (!['v', 'manifest', 'sig', 'fwd'].includes(k)) throw malformed(`the head has unknown field "${k}"`);
  if (!(v.manifest instanceof Uint8Array)) throw malformed('the head has no manifest');
  if (!(v.sig instanceof Uint8Array) || v.sig.length !== 64) throw malformed('the head has no 64-byte manifest signature');
  if (!Array.isArray(v.fwd)) throw malformed('the head has no forward list');
  if (v.fwd.length > BUNDLE_LIMITS.maxForwards) {
    throw new LintasError('ERR_BUNDLE_LIMIT_EXCEEDED', `Bundle was forwarded ${v.fwd.length} times, more than ${BUNDLE_LIMITS.maxForwards}`);
  }
  const forwards = v.fwd.map((f, i) => {
    if (!isMap(f) || Object.keys(f).length !== 2 || !(f.record instanceof Uint8Array) || !(f.sig instanceof Uint8Array) || f.sig.length !== 64) {
      throw malformed(`forward ${i} is not { record, sig }`);
    }
    return { record: f.record, signature: f.sig };
  });
  return { manifest: v.manifest, signature: v.sig, forwards };
}

/** Encode a forward record. */
export function encodeForwardRecord(r: ForwardRecord): Uint8Array {
  const map: CborMap = {
    v: BUNDLE_FORMAT_VERSION,
    manifest: r.manifestDigest,
    prev: r.prev,
    from: r.receivedIn,
    by: encodeParty(r.forwarder),
    at: Math.floor(r.at.getTime() / 1000),
    to: r.to,
  };
  if (r.override !== null) map.override = encodeOverride(r.override);
  return encodeCanonical(map);
}

function bytesOf(v: CborValue | undefined, len: number, what: string): Uint8Array {
  if (!(v instanceof Uint8Array) || v.length !== len) throw malformed(`${what} is not ${len} bytes`);
  return v;
}

/** Decode a forward record. @throws {@link LintasError} `ERR_BUNDLE_MALFORMED`. */
export function decodeForwardRecord(bytes: Uint8Array, what: string): ForwardRecord {
  const v = decodeStrict(bytes, what);
  if (!isMap(v)) throw malformed(`${what} is not a map`);
  if (v.v !== BUNDLE_FORMAT_VERSION) throw malformed(typeof v.v === 'number' ? `${what} has version ${v.v}` : `${what} has no version number`);
  for (const k of Object.keys(v)) if (!['v', 'manifest', 'prev', 'from', 'by', 'at', 'to', 'override'].includes(k)) throw malformed(`${what} has unknown field "${k}"`);
  if (typeof v.at !== 'number') throw malformed(`${what}.at is not an unsigned integer`);
  if (!Array.isArray(v.to) || v.to.length === 0 || v.to.length > BUNDLE_LIMITS.maxForwardRecipients) throw malformed(`${what}.to is not a list of 1 to ${BUNDLE_LIMITS.maxForwardRecipients} fingerprints`);
  return {
    manifestDigest: bytesOf(v.manifest, 32, `${what}.manifest`),
    prev: bytesOf(v.prev, 32, `${what}.prev`),
    receivedIn: bytesOf(v.from, 16, `${what}.from`),
    forwarder: decodeParty(v.by, `${what}.by`),
    at: new Date(v.at * 1000),
    to: v.to.map((t, i) => bytesOf(t, 32, `${what}.to[${i}]`)),
    override: v.override === undefined ? null : decodeOverride(v.override, `${what}.override`),
  };
}

function forwardMessage(record: Uint8Array): Uint8Array {
  return concatBytes(utf8(FORWARD_SIGNATURE_CONTEXT), new Uint8Array([0]), record);
}

/** The forwarder's signature over encoded record bytes. */
export function signForwardRecord(record: Uint8Array, forwarderSecretKey: Uint8Array): Uint8Array {
  return ed25519Sign(forwarderSecretKey, forwardMessage(record));
}

/**
 * Verify a head against the key that signed the envelope it came in (SPEC 12.6): the
 * originator's signature over the manifest, every forward record's signature and its links to
 * the manifest and to the record before, and that the envelope was sealed by the last forwarder
 * (or, if there is none, by the originator), so a forwarded bundle cannot pass as newly
 * originated and a bundle cannot be re-sealed by someone else without a forward record.
 * @throws {@link LintasError} `ERR_BUNDLE_MALFORMED`, `ERR_BUNDLE_UNSUPPORTED_VERSION`,
 *   `ERR_BUNDLE_SIGNATURE_INVALID`, `ERR_BUNDLE_FORWARD_INVALID`, `ERR_BUNDLE_ORIGINATOR_MISMATCH`.
 */
export function verifyHead(head: BundleHead, envelopeSender: Uint8Array): VerifiedHead {
  const manifest = decodeManifest(head.manifest);
  if (!verifyManifest(head.manifest, head.signature, manifest.originator.signingKey)) {
    throw new LintasError('ERR_BUNDLE_SIGNATURE_INVALID', "The bundle manifest's originator signature does not verify: do not trust its content or origin");
  }
  const manifestDigest = sha256(head.manifest);
  let prev: Uint8Array = new Uint8Array(32);
  const forwards: ForwardRecord[] = [];
  head.forwards.forEach((f, i) => {
    const record = decodeForwardRecord(f.record, `forward record ${i}`);
    if (!ed25519Verify(record.forwarder.signingKey, forwardMessage(f.record), f.signature)) {
      throw new LintasError('ERR_BUNDLE_SIGNATURE_INVALID', `The signature of forward record ${i} (by ${record.forwarder.name}) does not verify`);
    }
    if (!constantTimeEqual(record.manifestDigest, manifestDigest)) {
      throw new LintasError('ERR_BUNDLE_FORWARD_INVALID', `Forward record ${i} was made for a different manifest: records were moved between bundles`);
    }
    if (!constantTimeEqual(record.prev, prev)) {
      throw new LintasError('ERR_BUNDLE_FORWARD_INVALID', `Forward record ${i} does not follow the record before it: the forward chain was cut, reordered or spliced`);
    }
    prev = sha256(f.record);
    forwards.push(record);
  });
  const expectedSender = forwards.length > 0 ? forwards[forwards.length - 1]!.forwarder : manifest.originator;
  if (!constantTimeEqual(expectedSender.signingKey, envelopeSender)) {
    throw new LintasError(
      'ERR_BUNDLE_ORIGINATOR_MISMATCH',
      forwards.length > 0
        ? 'The envelope was not sealed by the last forwarder named in the bundle: someone re-sealed it without recording a forward'
        : 'The envelope was not sealed by the bundle originator and carries no forward record: it is passed off as newly originated',
    );
  }
  return { manifest, manifestDigest, forwards, expectedSender };
}
