/**
 * The weakest-stanza rule of SPEC 10.9: the file key is the same in every stanza, so an X25519
 * stanza beside X-Wing ones lets whoever breaks X25519 (a future quantum computer) read the
 * envelope for its X-Wing recipients too. Sealing such a mix needs the caller's explicit
 * `allowClassicalRecipients`; every layer that seals (envelope, key ring, bundles) asks here.
 */
import { LintasError } from '../errors/index.js';
import type { RecipientPublicKey } from '../keys/recipient.js';

/**
 * Refuse X25519 recipients next to X-Wing ones unless `allow` is true.
 * @param nameOf - How the error names recipient `i` to a person (a contact name, a card name).
 * @throws {TypeError} if `allow` is not a boolean or undefined.
 * @throws {@link LintasError} `ERR_SEAL_CLASSICAL_RECIPIENT` naming the first X25519 recipient.
 */
export function checkClassicalMix(recipients: readonly Pick<RecipientPublicKey, 'type'>[], allow: boolean | undefined, nameOf: (i: number) => string): void {
  if (allow !== undefined && typeof allow !== 'boolean') throw new TypeError('options.allowClassicalRecipients must be a boolean');
  if (allow === true) return;
  const classical = recipients.findIndex((k) => k.type === 'X25519');
  if (classical >= 0 && recipients.some((k) => k.type === 'X-Wing')) {
    throw new LintasError(
      'ERR_SEAL_CLASSICAL_RECIPIENT',
      `Recipient "${nameOf(classical)}" has only an X25519 key while other recipients have X-Wing keys: its stanza would remove post-quantum protection for everyone. ` +
        'Seal a separate envelope for the classical recipients, or pass allowClassicalRecipients: true to accept that',
    );
  }
}
