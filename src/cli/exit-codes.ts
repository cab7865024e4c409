/**
 * CLI exit codes (docs/CLI.md). Scripts branch on these, so they never change meaning.
 * "Tampered" and "not for me" are distinct from each other and from usage errors.
 */
import type { LintasErrorCode } from '../errors/index.js';

export const EXIT = {
  ok: 0,
  /** Anything not covered below (I/O errors, transport failures). */
  failure: 1,
  /** Bad command line: unknown verb or flag, missing argument. */
  usage: 2,
  /** The envelope is not addressed to any of our keys. */
  notForMe: 3,
  /** The envelope or its signature failed verification: do not trust it. */
  tampered: 4,
  /** A handling rule or trust rule refused the operation (policy, unknown sender, expired, revoked). */
  refused: 5,
  /** A key ring problem: it cannot be opened (wrong passphrase, locked, damaged), or a name asked for is unknown or taken. */
  keyring: 6,
  /** Malformed input: not an envelope, unsupported version, limit exceeded. */
  malformed: 7,
} as const;

const BY_CODE: Partial<Record<LintasErrorCode, number>> = {
  ERR_ENVELOPE_NOT_FOR_ME: EXIT.notForMe,
  ERR_ENVELOPE_TAMPERED: EXIT.tampered,
  ERR_ENVELOPE_HEADER_TAMPERED: EXIT.tampered,
  ERR_SIGNATURE_INVALID: EXIT.tampered,
  ERR_NOT_ADDRESSED_TO_ME: EXIT.tampered,
  ERR_ENVELOPE_MALFORMED: EXIT.malformed,
  ERR_ENVELOPE_TRUNCATED: EXIT.malformed,
  ERR_ENVELOPE_UNSUPPORTED_VERSION: EXIT.malformed,
  ERR_ENVELOPE_LIMIT_EXCEEDED: EXIT.malformed,
  ERR_ARMOR_MALFORMED: EXIT.malformed,
  ERR_ENVELOPE_ANONYMOUS: EXIT.refused,
  ERR_UNKNOWN_SENDER: EXIT.refused,
  ERR_ENVELOPE_EXPIRED: EXIT.refused,
  ERR_ENVELOPE_NOT_YET_VALID: EXIT.refused,
  ERR_BUNDLE_EXPIRED: EXIT.refused,
  // STIX content marked more restrictively than its bundle: a handling rule, not damage (SPEC 12.3).
  ERR_BUNDLE_MARKING_CONFLICT: EXIT.refused,
  // --strict: the key ring reported a revoked, expired or superseded card, a downgrade, ...
  ERR_BUNDLE_UNTRUSTED: EXIT.refused,
  // A file named on the command line is missing or a folder: an I/O failure, as it always was (exit 1).
  ERR_USAGE_FILE: EXIT.failure,
  // The card is not the one the partner read out over a trusted channel: treat it as an attack.
  ERR_KEYRING_FINGERPRINT_MISMATCH: EXIT.tampered,
  // An older key ring put in place, or a planted Argon2id cost: the key ring cannot be opened as
  // it is (docs/CLI.md, "Exit codes"; recover with "lintas keyring recover" or a trusted copy).
  ERR_KEYRING_ROLLBACK: EXIT.keyring,
  ERR_KEYRING_KDF_LIMIT_EXCEEDED: EXIT.keyring,
  // An audit log shorter than its signed anchor, or an anchor that does not verify (SPEC 12.8).
  ERR_AUDIT_TRUNCATED: EXIT.tampered,
  ERR_AUDIT_ANCHOR_INVALID: EXIT.tampered,
};

/** The exit code for a LintasError code; prefix rules cover module groups added later. */
export function exitCodeFor(code: string): number {
  const direct = BY_CODE[code as LintasErrorCode];
  if (direct !== undefined) return direct;
  if (code.startsWith('ERR_KEYRING_')) return code.includes('RECIPIENT') ? EXIT.refused : EXIT.keyring;
  if (code.startsWith('ERR_POLICY_') || code === 'ERR_REPLAY_DETECTED' || code === 'ERR_REPLAY_TOO_OLD') return EXIT.refused;
  if (code.startsWith('ERR_KEYCARD_') || code.startsWith('ERR_BUNDLE_') || code.startsWith('ERR_AUDIT_')) {
    return code.includes('SIGNATURE') || code.includes('TAMPERED') || code.includes('MISMATCH') ? EXIT.tampered : EXIT.malformed;
  }
  if (code.startsWith('ERR_USAGE')) return EXIT.usage;
  return EXIT.failure;
}
