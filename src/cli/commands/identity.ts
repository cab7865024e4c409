/**
 * `lintas identity ...`: your own identities (docs/CLI.md): create, list, export the key card,
 * rotate to new keys, revoke.
 */
import { armorKeyCard, armorRevocation, formatFingerprint, REVOCATION_REASONS, type Identity, type KeyCard, type RevocationReason } from '../../keyring/index.js';
import { flag, integerOption, requiredString, stringOption, usageError, type Command } from '../command.js';
import { writeOutput } from '../files.js';
import type { CommandContext } from '../context.js';

const DAY_MS = 86_400_000;

function validUntil(days: number | undefined): Date | undefined {
  if (days === undefined) return undefined;
  if (days < 1 || days > 3650) throw usageError('--valid-days must be between 1 and 3650');
  return new Date(Date.now() + days * DAY_MS);
}

/** A card as scripts see it. */
export function cardJson(card: KeyCard): Record<string, unknown> {
  return {
    fingerprint: formatFingerprint(card),
    name: card.name,
    organization: card.organization,
    country: card.country,
    validFrom: card.validFrom.toISOString(),
    validUntil: card.validUntil.toISOString(),
    encryptionKeys: card.encryptionKeys.map((k) => k.type),
  };
}

function identityJson(identity: Identity): Record<string, unknown> {
  return {
    name: identity.name,
    card: cardJson(identity.card),
    previousCards: identity.history.length,
    revoked: identity.revocation ? identity.revocation.reason : null,
  };
}

/** The armor of every card of an identity, oldest first: partners import the whole chain. */
function chainArmor(cards: readonly KeyCard[]): string {
  return cards.map((c) => armorKeyCard(c)).join('');
}

async function exportChain(ctx: CommandContext, cards: readonly KeyCard[], out: string | undefined): Promise<void> {
  await writeOutput(ctx.io, out, chainArmor(cards));
  if (out !== undefined && out !== '-') ctx.note(`Key card written to ${out}`);
}

const create: Command = {
  words: ['identity', 'create'],
  summary: 'Create one of your identities (and the key ring, if there is none yet)',
  args: 'NAME',
  positionals: [1, 1],
  details:
    'Generates an Ed25519 signing key, an X25519 key and a post-quantum X-Wing key, and a key card\n' +
    'signed by them. Give the card to your partners with "lintas identity export".',
  options: {
    org: { type: 'string', value: 'ORG', description: 'organization on the key card (required)' },
    country: { type: 'string', value: 'CC', description: 'ISO 3166-1 alpha-2 country code (required)' },
    'card-name': { type: 'string', value: 'TEXT', description: 'name on the card, if not NAME' },
    'valid-days': { type: 'string', value: 'N', description: 'card validity in days (default 730)' },
    'no-xwing': { type: 'boolean', description: 'do not publish a post-quantum X-Wing key' },
  },
  examples: ['LINTAS_PASSPHRASE=... lintas identity create bin-ops --org "Badan Intelijen Negara" --country ID'],
  async run(ctx, input) {
    const org = requiredString(input, 'org');
    const country = requiredString(input, 'country');
    const until = validUntil(integerOption(input, 'valid-days'));
    const { ring, created } = await ctx.keyRingOrNew();
    const cardName = stringOption(input, 'card-name');
    const identity = await ring.createIdentity({
      name: input.positionals[0]!,
      organization: org,
      country,
      ...(cardName !== undefined ? { cardName } : {}),
      ...(until ? { validUntil: until } : {}),
      includeXWing: !flag(input, 'no-xwing'),
    });
    if (created) ctx.note(`Created a key ring in ${ctx.home}`);
    ctx.result(
      identityJson(identity),
      `Created identity "${identity.name}" (${identity.card.organization}, ${identity.card.country})\nFingerprint: ${formatFingerprint(identity.card)}\nShare your card: lintas identity export ${identity.name} -o ${identity.name}.card`,
    );
  },
};

const list: Command = {
  words: ['identity', 'list'],
  summary: 'List your identities with their fingerprints',
  args: '',
  positionals: [0, 0],
  options: {},
  async run(ctx) {
    const ring = await ctx.keyRing();
    const ids = ring.identities();
    const text = ids.length === 0
      ? 'No identities yet: lintas identity create NAME --org ORG --country CC'
      : ids
          .map((i) => `${i.name}  ${i.card.organization} (${i.card.country})  valid until ${i.card.validUntil.toISOString().slice(0, 10)}${i.revocation ? `  REVOKED (${i.revocation.reason})` : ''}\n  ${formatFingerprint(i.card)}`)
          .join('\n');
    ctx.result(ids.map(identityJson), text);
  },
};

const exportCard: Command = {
  words: ['identity', 'export'],
  summary: 'Print the key card of an identity (armored), to give to partners',
  args: 'NAME',
  positionals: [1, 1],
  details: 'The output holds every card of the identity, oldest first, so partners who know an older card can follow the rotation.',
  options: { out: { type: 'string', short: 'o', value: 'FILE', description: 'write to FILE instead of stdout' } },
  async run(ctx, input) {
    const ring = await ctx.keyRing();
    await exportChain(ctx, ring.keyCardChain(input.positionals[0]!), stringOption(input, 'out'));
  },
};

const rotate: Command = {
  words: ['identity', 'rotate'],
  summary: 'Replace an identity\'s keys with new ones, signed over by the old key',
  args: 'NAME',
  positionals: [1, 1],
  details:
    'The new card names the old one and carries the old key\'s signature, so partners who import it\n' +
    'follow the change without verifying again. Old keys stay in the key ring to open old envelopes.\n' +
    'Prints the card chain for your partners.',
  options: {
    out: { type: 'string', short: 'o', value: 'FILE', description: 'write the card chain to FILE instead of stdout' },
    'valid-days': { type: 'string', value: 'N', description: 'validity of the new card in days (default 730)' },
  },
  async run(ctx, input) {
    const until = validUntil(integerOption(input, 'valid-days'));
    const ring = await ctx.keyRing();
    const identity = await ring.rotateIdentity(input.positionals[0]!, until ? { validUntil: until } : {});
    ctx.note(`Rotated "${identity.name}": new fingerprint ${formatFingerprint(identity.card)}`);
    const chain = ring.keyCardChain(identity.name);
    const out = stringOption(input, 'out');
    if (!ctx.json || out !== undefined) await exportChain(ctx, chain, out);
    if (ctx.json) ctx.result({ ...identityJson(identity), ...(out === undefined ? { armor: chainArmor(chain) } : {}) }, '');
  },
};

const revoke: Command = {
  words: ['identity', 'revoke'],
  summary: 'Revoke the current key card of an identity and print the revocation for partners',
  args: 'NAME',
  positionals: [1, 1],
  details:
    'Sealing from a revoked card is refused from then on. With --prepare the revocation is only\n' +
    'signed and printed, not applied: keep it offline to revoke the card even after losing its keys.',
  options: {
    reason: { type: 'string', value: 'REASON', description: `why: ${REVOCATION_REASONS.join(', ')} (required)` },
    comment: { type: 'string', value: 'TEXT', description: 'short public explanation for partners' },
    prepare: { type: 'boolean', description: 'sign the revocation without applying it' },
    out: { type: 'string', short: 'o', value: 'FILE', description: 'write the revocation to FILE instead of stdout' },
  },
  async run(ctx, input) {
    const reason = requiredString(input, 'reason');
    if (!(REVOCATION_REASONS as readonly string[]).includes(reason)) throw usageError(`--reason must be one of ${REVOCATION_REASONS.join(', ')}`);
    const comment = stringOption(input, 'comment');
    const options = { reason: reason as RevocationReason, ...(comment !== undefined ? { comment } : {}) };
    const ring = await ctx.keyRing();
    const name = input.positionals[0]!;
    const revocation = flag(input, 'prepare') ? await ring.createRevocation(name, options) : await ring.revokeIdentity(name, options);
    ctx.note(flag(input, 'prepare') ? `Prepared (not applied) a revocation of "${name}"` : `Revoked the current card of "${name}"; send the revocation to your partners`);
    const out = stringOption(input, 'out');
    if (!ctx.json || out !== undefined) await writeOutput(ctx.io, out, armorRevocation(revocation));
    if (ctx.json) {
      ctx.result(
        {
          identity: name,
          applied: !flag(input, 'prepare'),
          reason: revocation.reason,
          fingerprint: formatFingerprint(revocation.fingerprint),
          ...(out === undefined ? { armor: armorRevocation(revocation) } : {}),
        },
        '',
      );
    }
  },
};

/** The identity commands. */
export const identityCommands: Command[] = [create, list, exportCard, rotate, revoke];
