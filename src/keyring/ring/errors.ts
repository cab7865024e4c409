/**
 * The errors the key ring raises about its own contents (unknown names, lost races, fingerprints
 * that do not match), built in one place so each code always carries the same advice.
 */
import { LintasError } from '../../errors/index.js';

export function unknownIdentity(name: string): LintasError {
  return new LintasError('ERR_KEYRING_UNKNOWN_IDENTITY', `No identity named "${name}" in this key ring`);
}

export function unknownContact(name: string): LintasError {
  return new LintasError('ERR_KEYRING_UNKNOWN_CONTACT', `No contact named "${name}" in this key ring`);
}

export function unknownRecipient(message: string): LintasError {
  return new LintasError('ERR_KEYRING_UNKNOWN_RECIPIENT', `Unknown recipient: ${message}; import their key card or check the name`);
}

export function conflict(message: string): LintasError {
  return new LintasError('ERR_KEYRING_CONFLICT', `${message}; open the key ring again and repeat the change`);
}

export function fingerprintMismatch(name: string): LintasError {
  return new LintasError(
    'ERR_KEYRING_FINGERPRINT_MISMATCH',
    `The fingerprint you compared is not the fingerprint of the card of "${name}": someone may be impersonating them; do not trust this card`,
  );
}
