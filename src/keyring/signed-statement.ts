/**
 * The shared shape of the signed statements about key cards (revocations, introductions):
 *
 *     statement = { "v": 1, "body": bstr, "sig": bstr(64) }
 *
 * where `sig` is Ed25519 over context || 0x00 || body, and the body names the signing key, so a
 * statement can be checked on its own before the key ring decides whether that key counts.
 */
import { LintasError, type LintasErrorCode } from '../errors/index.js';
import { encodeCanonical, type CborMap } from '../cbor/index.js';
import { concatBytes, utf8 } from '../crypto/bytes.js';
import { ed25519Sign, ed25519Verify, ED25519_SIGNATURE_BYTES } from '../crypto/ed25519.js';
import { armorBlock, dearmorBlock } from '../armor/ascii-armor.js';
import { bytesField, decodeStrict, exactMap, type Fail } from './cbor-fields.js';

/** How one kind of statement is framed. */
export interface StatementKind {
  /** Context string of the signature, e.g. "lintas/v1 key card revocation". */
  context: string;
  /** Armor label, e.g. "REVOCATION". */
  armorLabel: string;
  /** What people call it, for messages. */
  noun: string;
  malformedCode: LintasErrorCode;
  signatureCode: LintasErrorCode;
  maxBytes: number;
}

const STATEMENT_VERSION = 1;

/** Encode and sign a statement body with `secretKey`. */
export function signStatement(kind: StatementKind, body: CborMap, secretKey: Uint8Array): Uint8Array {
  const bodyBytes = encodeCanonical(body);
  const sig = ed25519Sign(secretKey, concatBytes(utf8(kind.context), new Uint8Array([0]), bodyBytes));
  return encodeCanonical({ v: STATEMENT_VERSION, body: bodyBytes, sig });
}

/** The malformed-statement error of `kind`. */
export function statementFail(kind: StatementKind): Fail {
  return (message) => new LintasError(kind.malformedCode, `${kind.noun} is malformed: ${message}`);
}

/** A statement whose framing decoded; its signature is not checked yet. */
export interface ParsedStatement {
  body: CborMap;
  bodyBytes: Uint8Array;
  sig: Uint8Array;
  /** The whole statement (a copy). */
  bytes: Uint8Array;
}

/** Decode a statement's framing (bytes or armor). Callers validate the body, then {@link verifyStatement}. */
export function parseStatement(kind: StatementKind, input: Uint8Array | string): ParsedStatement {
  const fail = statementFail(kind);
  let bytes: Uint8Array;
  if (typeof input === 'string') bytes = dearmorBlock(kind.armorLabel, input);
  else if (input instanceof Uint8Array) bytes = input;
  else throw new TypeError(`${kind.noun.toLowerCase()} must be a Uint8Array or an armored string`);
  if (bytes.length > kind.maxBytes) throw fail(`it is larger than ${kind.maxBytes} bytes`);
  const outer = decodeStrict(bytes, fail, 2);
  const version = outer !== null && typeof outer === 'object' && !Array.isArray(outer) && !(outer instanceof Uint8Array) ? (outer as CborMap).v : undefined;
  if (version !== STATEMENT_VERSION) throw fail(typeof version === 'number' ? `version ${version} is not supported` : 'it has no version');
  const map = exactMap(outer, 'statement', ['v', 'body', 'sig'], [], fail);
  const bodyBytes = bytesField(map, 'body', 'statement', fail);
  const sig = bytesField(map, 'sig', 'statement', fail, ED25519_SIGNATURE_BYTES);
  const body = decodeStrict(bodyBytes, fail, 2);
  if (body === null || typeof body !== 'object' || Array.isArray(body) || body instanceof Uint8Array) throw fail('body is not a map');
  return { body: body as CborMap, bodyBytes, sig, bytes: bytes.slice() };
}

/** Check a parsed statement's signature against `publicKey`. */
export function verifyStatement(kind: StatementKind, parsed: ParsedStatement, publicKey: Uint8Array): void {
  if (!ed25519Verify(publicKey, concatBytes(utf8(kind.context), new Uint8Array([0]), parsed.bodyBytes), parsed.sig)) {
    throw new LintasError(kind.signatureCode, `${kind.noun} signature does not verify: it was altered or forged; ignore it`);
  }
}

/** Armor statement bytes. */
export function armorStatement(kind: StatementKind, bytes: Uint8Array): string {
  return armorBlock(kind.armorLabel, bytes);
}
