/**
 * The one error hierarchy of lintas. Every failure the library reports on purpose is a
 * {@link LintasError} with a stable {@link LintasErrorCode}; tests and apps branch on `code`,
 * never on `message`. Messages say what a person can do about it and never contain secrets.
 *
 * Argument validation at the public edge throws plain `TypeError` (wrong type) or `RangeError`
 * (wrong length or range), as the platform does, because those are programming errors.
 */

/** Every stable error code lintas raises. SPEC.md section 9 says when each one is raised. */
export type LintasErrorCode =
  // Envelope, before any decryption (SPEC section 6.1; armor: section 8): the bytes are not a well-formed envelope.
  | 'ERR_ENVELOPE_MALFORMED'
  | 'ERR_ENVELOPE_TRUNCATED'
  | 'ERR_ENVELOPE_UNSUPPORTED_VERSION'
  | 'ERR_ENVELOPE_LIMIT_EXCEEDED'
  | 'ERR_ARMOR_MALFORMED'
  // Recipient matching and header authentication (SPEC 6.2–6.3).
  | 'ERR_ENVELOPE_NOT_FOR_ME'
  | 'ERR_ENVELOPE_HEADER_TAMPERED'
  // Everything after the header MAC (SPEC 6.4, 6.6, 6.7): one fixed code, so there is no parsing or padding oracle.
  | 'ERR_ENVELOPE_TAMPERED'
  // The sender's signature: a window's checkpoint, verified before the window is released (SPEC 6.6).
  | 'ERR_SIGNATURE_INVALID'
  // Audience, sender and freshness policy, checked after the meta block is decrypted (SPEC 6.5).
  | 'ERR_ENVELOPE_ANONYMOUS'
  | 'ERR_UNKNOWN_SENDER'
  | 'ERR_ENVELOPE_EXPIRED'
  | 'ERR_ENVELOPE_NOT_YET_VALID'
  | 'ERR_NOT_ADDRESSED_TO_ME'
  // Sealing-side misuse that is not a plain type/range error.
  | 'ERR_SEAL_INVALID_RECIPIENT'
  | 'ERR_SEAL_SIZE_MISMATCH'
  | 'ERR_SEAL_CLASSICAL_RECIPIENT'
  // Crypto layer.
  | 'ERR_CRYPTO_INVALID_KEY'
  | 'ERR_CRYPTO_DECRYPT_FAILED'
  | 'ERR_CRYPTO_LOW_ORDER_POINT'
  // Transports, replay protection and receipts (docs/TRANSPORTS.md).
  | 'ERR_TRANSPORT_CLOSED'
  | 'ERR_TRANSPORT_UNAVAILABLE'
  | 'ERR_TRANSPORT_ENVELOPE_TOO_LARGE'
  | 'ERR_REDIS_UNSAFE_CONFIG'
  | 'ERR_REDIS_NOT_REPLICATED'
  | 'ERR_NATS_UNSAFE_CONFIG'
  | 'ERR_NATS_PERMISSION_DENIED'
  | 'ERR_NATS_AUTH_FAILED'
  | 'ERR_NATS_TLS_UNTRUSTED'
  | 'ERR_RELAY_AUTH_FAILED'
  | 'ERR_RELAY_SENDER_NOT_ALLOWED'
  | 'ERR_RELAY_RATE_LIMITED'
  | 'ERR_RELAY_MAILBOX_FULL'
  | 'ERR_RELAY_STORAGE_FULL'
  | 'ERR_RELAY_NOT_FOUND'
  | 'ERR_RELAY_BAD_REQUEST'
  | 'ERR_RELAY_SERVER_ERROR'
  | 'ERR_RELAY_PROTOCOL'
  | 'ERR_RELAY_STORAGE_LOCKED'
  | 'ERR_TAXII_AUTH_FAILED'
  | 'ERR_TAXII_REFUSED'
  | 'ERR_TAXII_PROTOCOL'
  | 'ERR_TAXII_CURSOR_LOCKED'
  | 'ERR_REPLAY_DETECTED'
  | 'ERR_REPLAY_LOG_CORRUPT'
  | 'ERR_REPLAY_LOG_LOCKED'
  | 'ERR_REPLAY_LOG_WRITE_FAILED'
  | 'ERR_REPLAY_TOO_OLD'
  | 'ERR_RECEIPT_MALFORMED'
  | 'ERR_RECEIPT_SIGNATURE_INVALID'
  | 'ERR_RECEIPT_MISMATCH'
  // The worker pool of lintas/node (docs/PERFORMANCE.md, "When the worker pool pays").
  | 'ERR_POOL_CLOSED'
  | 'ERR_POOL_WORKER_FAILED'
  // Key cards and signed statements about them (docs/KEYRING.md).
  | 'ERR_KEYCARD_MALFORMED'
  | 'ERR_KEYCARD_UNSUPPORTED_VERSION'
  | 'ERR_KEYCARD_SIGNATURE_INVALID'
  | 'ERR_KEYCARD_SUCCESSION_INVALID'
  | 'ERR_KEYCARD_SUCCESSION_CONFLICT'
  | 'ERR_REVOCATION_MALFORMED'
  | 'ERR_REVOCATION_SIGNATURE_INVALID'
  | 'ERR_INTRODUCTION_MALFORMED'
  | 'ERR_INTRODUCTION_INVALID'
  // Key ring contents and recipient resolution (docs/KEYRING.md).
  | 'ERR_KEYRING_UNKNOWN_RECIPIENT'
  | 'ERR_KEYRING_RECIPIENT_REVOKED'
  | 'ERR_KEYRING_RECIPIENT_EXPIRED'
  | 'ERR_KEYRING_UNKNOWN_IDENTITY'
  | 'ERR_KEYRING_IDENTITY_REVOKED'
  | 'ERR_KEYRING_IDENTITY_EXPIRED'
  | 'ERR_KEYRING_UNKNOWN_CONTACT'
  | 'ERR_KEYRING_NAME_TAKEN'
  | 'ERR_KEYRING_DUPLICATE_CARD'
  | 'ERR_KEYRING_FINGERPRINT_MISMATCH'
  // Key ring storage (docs/KEYRING.md, "Storage").
  | 'ERR_KEYRING_NOT_FOUND'
  | 'ERR_KEYRING_EXISTS'
  | 'ERR_KEYRING_MALFORMED'
  | 'ERR_KEYRING_TAMPERED'
  | 'ERR_KEYRING_WRONG_PASSPHRASE'
  | 'ERR_KEYRING_UNSUPPORTED_VERSION'
  | 'ERR_KEYRING_KDF_LIMIT_EXCEEDED'
  | 'ERR_KEYRING_ROLLBACK'
  | 'ERR_KEYRING_LOCKED'
  | 'ERR_KEYRING_CONFLICT'
  | 'ERR_KEYRING_CLOSED'
  // Intelligence bundles inside envelopes (SPEC section 12).
  | 'ERR_BUNDLE_NOT_A_BUNDLE'
  | 'ERR_BUNDLE_MALFORMED'
  | 'ERR_BUNDLE_UNSUPPORTED_VERSION'
  | 'ERR_BUNDLE_LIMIT_EXCEEDED'
  | 'ERR_BUNDLE_SIGNATURE_INVALID'
  | 'ERR_BUNDLE_ORIGINATOR_MISMATCH'
  | 'ERR_BUNDLE_ORIGINATOR_CLAIM_MISMATCH'
  | 'ERR_BUNDLE_FORWARD_INVALID'
  | 'ERR_BUNDLE_ITEM_MISMATCH'
  | 'ERR_BUNDLE_STIX_INVALID'
  | 'ERR_BUNDLE_MARKING_CONFLICT'
  | 'ERR_BUNDLE_EXPIRED'
  | 'ERR_BUNDLE_UNTRUSTED'
  // Handling policy (SPEC section 12.5).
  | 'ERR_POLICY_VIOLATION'
  // Audit trail (SPEC section 12.8).
  | 'ERR_AUDIT_BROKEN'
  | 'ERR_AUDIT_SIGNER_MISMATCH'
  | 'ERR_AUDIT_TRUNCATED'
  | 'ERR_AUDIT_ANCHOR_INVALID'
  // Command line (docs/CLI.md): the command cannot run as given.
  | 'ERR_USAGE'
  | 'ERR_USAGE_NO_PASSPHRASE'
  | 'ERR_USAGE_FILE'
  | 'ERR_USAGE_CANCELLED';

/** Base class of every error lintas throws deliberately. */
export class LintasError extends Error {
  /** Stable, machine-readable reason. Never changes meaning between versions. */
  readonly code: LintasErrorCode;

  constructor(code: LintasErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'LintasError';
  }
}

/** True if `err` is a {@link LintasError}, optionally with the given code. */
export function isLintasError(err: unknown, code?: LintasErrorCode): err is LintasError {
  return err instanceof LintasError && (code === undefined || err.code === code);
}
