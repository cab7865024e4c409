/**
 * The HTTP relay protocol, shared by the server (lintas/node) and the browser-safe client:
 * the signed challenge, the JSON shapes and how HTTP statuses map to error codes.
 * docs/TRANSPORTS.md describes the endpoints.
 */
import { encodeCanonical } from '../../cbor/index.js';
import { concatBytes, utf8 } from '../../crypto/bytes.js';
import { LintasError, type LintasErrorCode } from '../../errors/index.js';

/** Context string of the signed relay challenge; nothing else is signed under it. */
export const RELAY_AUTH_CONTEXT = 'lintas/v1 relay auth';
/** Bytes of a relay-issued challenge nonce. */
export const NONCE_BYTES = 32;
/** Bytes of a session token. */
export const TOKEN_BYTES = 32;
/** Context string of the per-request signature (docs/TRANSPORTS.md 3.3); nothing else is signed under it. */
export const RELAY_REQUEST_CONTEXT = 'lintas/v1 relay request';
/** Header carrying the request time (unix ms) covered by the request signature. */
export const REQUEST_TIME_HEADER = 'x-lintas-time';
/** Header carrying the request's random nonce (16 bytes, hex), so two requests alike in every other way differ. */
export const REQUEST_NONCE_HEADER = 'x-lintas-nonce';
/** Bytes of a request nonce. */
export const REQUEST_NONCE_BYTES = 16;
/** Header carrying the Ed25519 request signature, hex. */
export const REQUEST_SIGNATURE_HEADER = 'x-lintas-signature';
/** How far a signed request time may be from the relay's clock, in ms. */
export const REQUEST_TIME_SKEW_MS = 30_000;

/**
 * Largest envelope a relay puts inline in a lease answer (docs/TRANSPORTS.md 3.3, "Inline
 * envelopes"), whatever `inlineMaxBytes` the client asks for: the size up to which the relay
 * reads an envelope whole for a fetch anyway. Larger ones are fetched (streamed).
 */
export const INLINE_ENVELOPE_BYTES = 64 * 1024;
/**
 * Most envelope bytes (before base64) inline in one lease answer, so the answer stays bounded
 * (about 1.4 MiB of JSON at most) however many leases it grants; leases past it are fetched.
 */
export const INLINE_ANSWER_BYTES = 1024 * 1024;

/** What a session is for: reading one mailbox ('owner') or sending through an allow-listing relay ('sender'). */
export type SessionPurpose = 'owner' | 'sender';

/** The fields of a challenge that the client signs and the relay checks. */
export interface ChallengeFields {
  purpose: SessionPurpose;
  /** The mailbox for 'owner', null for 'sender'. */
  mailbox: string | null;
  nonce: Uint8Array;
  /** The relay's origin as the client addressed it, e.g. "https://relay.example:8443". */
  origin: string;
  /** Unix seconds after which the relay refuses the signature. */
  expiresAt: number;
  /** The signer's Ed25519 public key. */
  publicKey: Uint8Array;
}

/**
 * The exact bytes signed to open a relay session:
 * utf8("lintas/v1 relay auth") || 0x00 || canonical CBOR {exp, key, mailbox, nonce, origin, purpose}.
 * Binding the origin stops a malicious relay from forwarding another relay's challenge to a
 * client and replaying the signature there; the single-use nonce and expiry stop replays.
 */
export function challengeMessage(c: ChallengeFields): Uint8Array {
  return concatBytes(
    utf8(RELAY_AUTH_CONTEXT),
    new Uint8Array([0]),
    encodeCanonical({ exp: c.expiresAt, key: c.publicKey, mailbox: c.mailbox, nonce: c.nonce, origin: c.origin, purpose: c.purpose }),
  );
}

/** What a session request signs besides its body-free identity (docs/TRANSPORTS.md 3.3). */
export interface RequestFields {
  /** HTTP method, upper case. */
  method: string;
  /** The request path with its query, as sent ("/v1/mailboxes/<id>/envelopes"). */
  path: string;
  /** The relay's origin as the client addressed it. */
  origin: string;
  /** The session token the request is made under. */
  token: Uint8Array;
  /** Unix ms when the client signed it (corrected by the offset the relay reported). */
  time: number;
  /** {@link REQUEST_NONCE_BYTES} random bytes: Ed25519 is deterministic, and two identical requests in one ms must not share a signature (the relay accepts each once). */
  nonce: Uint8Array;
}

/**
 * The exact bytes signed for each request made under a session:
 * utf8("lintas/v1 relay request") || 0x00 || canonical CBOR {method, nonce, origin, path, time, token}.
 * The session token alone is then worthless to someone who captured it (a log, a proxy, plain
 * HTTP): every request also needs the session key's signature, which is single use and valid for
 * {@link REQUEST_TIME_SKEW_MS} only.
 */
export function requestMessage(r: RequestFields): Uint8Array {
  return concatBytes(
    utf8(RELAY_REQUEST_CONTEXT),
    new Uint8Array([0]),
    encodeCanonical({ method: r.method, nonce: r.nonce, origin: r.origin, path: r.path, time: r.time, token: r.token }),
  );
}

/** Normalise a URL to its origin the same way on both sides ("https://host[:port]"). */
export function originOf(url: string): string {
  return new URL(url).origin;
}

/** Lower-case hex, as used in the JSON bodies. */
export function hexOf(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** Parse lower-case hex of exactly `length` bytes; null if malformed. */
export function parseHex(value: unknown, length: number): Uint8Array | null {
  if (typeof value !== 'string' || value.length !== length * 2 || !/^[0-9a-f]*$/.test(value)) return null;
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = parseInt(value.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** The error codes a relay may put in its JSON error body, with the HTTP status of each. */
export const RELAY_ERROR_STATUS = {
  ERR_RELAY_BAD_REQUEST: 400,
  ERR_RELAY_AUTH_FAILED: 401,
  ERR_RELAY_SENDER_NOT_ALLOWED: 403,
  ERR_RELAY_NOT_FOUND: 404,
  ERR_TRANSPORT_ENVELOPE_TOO_LARGE: 413,
  ERR_RELAY_RATE_LIMITED: 429,
  ERR_RELAY_SERVER_ERROR: 500,
  ERR_RELAY_MAILBOX_FULL: 507,
  ERR_RELAY_STORAGE_FULL: 507,
} as const satisfies Partial<Record<LintasErrorCode, number>>;

/** A code from {@link RELAY_ERROR_STATUS}. */
export type RelayErrorCode = keyof typeof RELAY_ERROR_STATUS;

/** A failed relay request, with the HTTP status and, for 429, when to try again. */
export class RelayRequestError extends LintasError {
  /** The HTTP status the relay answered with. */
  readonly status: number;
  /** Seconds the relay asked the client to wait (429), else null. */
  readonly retryAfterSeconds: number | null;

  constructor(code: LintasErrorCode, message: string, status: number, retryAfterSeconds: number | null = null) {
    super(code, message);
    this.name = 'RelayRequestError';
    this.status = status;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The code a client reports for an HTTP error status (the server's own code if it is a known one). */
export function codeForStatus(status: number, serverCode: unknown): LintasErrorCode {
  if (typeof serverCode === 'string' && serverCode in RELAY_ERROR_STATUS && RELAY_ERROR_STATUS[serverCode as RelayErrorCode] === status) {
    return serverCode as RelayErrorCode;
  }
  if (status === 401 || status === 403) return 'ERR_RELAY_AUTH_FAILED';
  if (status === 404) return 'ERR_RELAY_NOT_FOUND';
  if (status === 413) return 'ERR_TRANSPORT_ENVELOPE_TOO_LARGE';
  if (status === 429) return 'ERR_RELAY_RATE_LIMITED';
  if (status === 507) return 'ERR_RELAY_MAILBOX_FULL';
  if (status >= 400 && status < 500) return 'ERR_RELAY_BAD_REQUEST';
  return 'ERR_RELAY_SERVER_ERROR';
}
