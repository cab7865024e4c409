/**
 * A fingerprint typed on the command line (`contact import --fingerprint`, `contact verify`).
 * It is what a partner read out over the phone, so a short one is usually a transcription that
 * stopped early: that is reported as incomplete, and how much is missing, rather than passed to
 * the key ring, where it would not match and be reported as a possible impersonation (exit 4).
 */
import { parseFingerprint } from '../keyring/index.js';
import { usageError } from './options.js';

const GROUPS = 8;
const GROUP_DIGITS = 5;

/**
 * Check the form of a fingerprint argument (the key ring then compares it with the card).
 * @param label - How the argument is named in messages, e.g. "--fingerprint".
 * @throws {LintasError} `ERR_USAGE` for an incomplete or unreadable fingerprint.
 */
export function checkFingerprintArgument(text: string, label: string): string {
  if (parseFingerprint(text) !== null) return text;
  const digits = text.replace(/[\s-]/g, '');
  if (/^[0-9]+$/.test(digits) && digits.length < GROUPS * GROUP_DIGITS) {
    const groups = text.trim().split(/[\s-]+/).length;
    throw usageError(
      `${label} is incomplete: ${digits.length} of ${GROUPS * GROUP_DIGITS} digits (${groups} of ${GROUPS} groups); ask your partner to read out all ${GROUPS} groups ("lintas card show" or "lintas identity list" shows them)`,
    );
  }
  throw usageError(`${label} is not a fingerprint: expected ${GROUPS} groups of ${GROUP_DIGITS} digits, as "lintas card show" prints them, or 64 hex digits`);
}
