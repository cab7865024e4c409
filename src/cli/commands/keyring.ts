/**
 * `lintas keyring ...`: the key ring file itself (docs/CLI.md, docs/KEYRING.md "Storage"):
 * `passphrase` re-keys it under a new passphrase, `rekey` re-encrypts it at today's recommended
 * Argon2id cost (the command the warning about a cheap key ring names), optionally under a new
 * passphrase read from a file, and `recover` accepts on purpose an older copy that the rollback
 * check refuses.
 */
import { readFile } from 'node:fs/promises';
import { KEYRING_KDF_DEFAULTS } from '../../keyring/index.js';
import { integerOption, stringOption, usageError, type Command } from '../command.js';

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

function firstLine(text: string): string {
  return text.split(/\r?\n/, 1)[0]!;
}

const rekey: Command = {
  words: ['keyring', 'rekey'],
  summary: "Re-encrypt the key ring at today's recommended passphrase cost, optionally under a new passphrase",
  args: '',
  positionals: [0, 0],
  details:
    `Derives a new key with Argon2id at ${KEYRING_KDF_DEFAULTS.opslimit} passes over ${KEYRING_KDF_DEFAULTS.memlimit / 1024 / 1024} MiB (a fresh salt) and saves the\n` +
    'key ring under it. Without --new-passphrase-file the passphrase stays the same. The previous\n' +
    'generation (the .bak file) is replaced too, so no copy stays readable with the old cost or\n' +
    'passphrase through lintas (docs/KEYRING.md: old disk blocks are not erased).',
  options: {
    'new-passphrase-file': { type: 'string', value: 'PATH', description: 'change the passphrase to the first line of this file (at least 8 characters)' },
  },
  examples: ['lintas keyring rekey', 'lintas keyring rekey --new-passphrase-file new-pass.txt'],
  async run(ctx, input) {
    const file = stringOption(input, 'new-passphrase-file');
    const ring = await ctx.keyRing();
    let passphrase: string | undefined;
    if (file !== undefined) {
      passphrase = firstLine(await readFile(file, 'utf8'));
      if (passphrase.length < 8) throw usageError('The new key ring passphrase must be at least 8 characters');
    }
    await ring.rekey({ passphrase: passphrase ?? ctx.currentPassphrase(), kdf: KEYRING_KDF_DEFAULTS });
    const p = ring.storageProtection;
    const cost = p.kind === 'passphrase' ? { opslimit: p.opslimit, memlimit: p.memlimit } : null;
    ctx.result(
      { rekeyed: true, passphraseChanged: passphrase !== undefined, kdf: cost },
      `Key ring re-encrypted${passphrase !== undefined ? ' under the new passphrase' : ''} at ${KEYRING_KDF_DEFAULTS.opslimit} passes over ${KEYRING_KDF_DEFAULTS.memlimit / 1024 / 1024} MiB`,
    );
  },
};

const recover: Command = {
  words: ['keyring', 'recover'],
  summary: 'Accept an older copy of the key ring that was put in place on purpose (after ERR_KEYRING_ROLLBACK)',
  args: '',
  positionals: [0, 0],
  details:
    'Every save of the key ring counts up its generation, and this machine remembers the newest one\n' +
    'it saw (keyring.lintas.seen, and the audit anchors). An older copy in place of the key ring, such\n' +
    'as the .bak file copied over it, is refused (exit 6, ERR_KEYRING_ROLLBACK): it can bring back a\n' +
    'revoked key or a withdrawn verification. If you restored that copy yourself, this command\n' +
    'accepts it: it is saved again as a generation newer than any seen, and every later command\n' +
    'uses it. Changes made after that copy was taken (imported revocations, verifications) are\n' +
    'lost: import them again.',
  options: {},
  examples: ['cp backup/keyring.lintas ~/.lintas/keyring.lintas && lintas keyring recover'],
  async run(ctx) {
    const ring = await ctx.keyRing({ acceptOlderGeneration: true });
    ctx.result({ recovered: true, generation: ring.generation }, `Key ring accepted as generation ${ring.generation}; changes made after this copy was taken are not in it`);
  },
};

/** The key ring commands. */
export const keyRingCommands: Command[] = [passphrase, rekey, recover];
