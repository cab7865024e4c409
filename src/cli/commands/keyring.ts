/**
 * `lintas keyring passphrase` (docs/CLI.md, "Passphrases"): re-key the key ring file under a new
 * passphrase (KeyRing.rekey). The key ring is re-encrypted with a fresh salt and today's
 * Argon2id cost, so this is also how a key ring created with a cheaper cost is brought up to it.
 */
import { integerOption, stringOption, type Command } from '../command.js';

const passphrase: Command = {
  words: ['keyring', 'passphrase'],
  summary: 'Change the key ring passphrase (re-encrypts the key ring at today\'s Argon2id cost)',
  args: '',
  positionals: [0, 0],
  details:
    'The current passphrase comes from the usual places (--passphrase-fd, --passphrase-file,\n' +
    '$LINTAS_PASSPHRASE, the prompt); the new one from --new-passphrase-fd N, --new-passphrase-file\n' +
    'PATH, $LINTAS_NEW_PASSPHRASE, or the prompt (asked twice, and again if too short or mistyped).\n' +
    'It needs at least 8 characters. The key ring is encrypted again with a new salt and the\n' +
    'default Argon2id cost; keys, contacts and audit logs are unchanged.',
  options: {
    'new-passphrase-fd': { type: 'string', value: 'N', description: 'read the new passphrase from file descriptor N' },
    'new-passphrase-file': { type: 'string', value: 'PATH', readsFile: true, description: 'read the new passphrase from the first line of a file' },
  },
  examples: ['lintas keyring passphrase', 'lintas keyring passphrase --passphrase-fd 3 --new-passphrase-fd 4 3<old.txt 4<new.txt'],
  async run(ctx, input) {
    const ring = await ctx.keyRing();
    const before = ring.storageProtection;
    const fd = integerOption(input, 'new-passphrase-fd');
    const file = stringOption(input, 'new-passphrase-file');
    const next = await ctx.newPassphrase({ ...(fd !== undefined ? { fd } : {}), ...(file !== undefined ? { file } : {}), env: 'LINTAS_NEW_PASSPHRASE' });
    await ring.rekey({ passphrase: next });
    const after = ring.storageProtection;
    const raised = before.kind === 'passphrase' && before.belowDefaults;
    ctx.result(
      { keyRing: ctx.keyRingPath, rekeyed: true, costRaised: raised, protection: after },
      `The key ring ${ctx.keyRingPath} is now protected by the new passphrase${raised ? ' (and the Argon2id cost was raised to the default)' : ''}`,
    );
  },
};

/** The key ring commands. */
export const keyRingCommands: Command[] = [passphrase];
