/**
 * `lintas contact ...` and `lintas card show`: your partners' key cards (docs/CLI.md): look at a
 * card before importing it, import cards and revocations, compare fingerprints and safety
 * numbers out of band, mark a contact verified, list, update and remove contacts.
 */
import { armorBeginLine } from '../../armor/ascii-armor.js';
import {
  decodeKeyCard,
  decodeRevocation,
  fingerprintHex,
  formatFingerprint,
  safetyNumber,
  type Contact,
  type ImportKeyCardResult,
  type KeyCard,
  type KeyRing,
} from '../../keyring/index.js';
import { LintasError } from '../../errors/index.js';
import { flag, stringList, stringOption, usageError, type Command, type CommandInput } from '../command.js';
import { readInput } from '../files.js';
import type { CommandContext } from '../context.js';
import { cardJson } from './identity.js';
import { checkFingerprintArgument } from '../fingerprint-argument.js';

const CARD_BEGIN = armorBeginLine('KEY CARD');
const REVOCATION_BEGIN = armorBeginLine('REVOCATION');
const INTRODUCTION_BEGIN = armorBeginLine('INTRODUCTION');

/** Split armored text into its blocks, each with its BEGIN line. */
function armorBlocks(text: string): { begin: string; text: string }[] {
  const blocks: { begin: string; text: string }[] = [];
  const re = /-----BEGIN LINTAS ([A-Z ]+)-----[\s\S]*?-----END LINTAS \1-----\r?\n?/g;
  for (const m of text.matchAll(re)) blocks.push({ begin: armorBeginLine(m[1]!), text: m[0] });
  return blocks;
}

async function readBlocks(ctx: CommandContext, path: string | undefined): Promise<{ begin: string; text: string }[]> {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(await readInput(ctx.io, path, 1 << 20));
  const blocks = armorBlocks(text);
  if (blocks.length === 0) {
    throw new LintasError('ERR_ARMOR_MALFORMED', `${path ?? 'stdin'} holds no lintas key card, revocation or introduction (expected "${CARD_BEGIN}")`);
  }
  return blocks;
}

/** Every key card in an armored file (a chain of cards is several blocks), decoded and checked. */
export async function readKeyCards(ctx: CommandContext, path: string | undefined): Promise<KeyCard[]> {
  const blocks = (await readBlocks(ctx, path)).filter((b) => b.begin === CARD_BEGIN);
  if (blocks.length === 0) throw new LintasError('ERR_KEYCARD_MALFORMED', `${path ?? 'stdin'} holds no key card`);
  const cards: KeyCard[] = [];
  for (const b of blocks) cards.push(await decodeKeyCard(b.text));
  return cards;
}

/** Expired now: sealing to it is refused, and what it signs is reported as senderExpired. */
function expired(c: Contact): boolean {
  return Date.now() >= c.card.validUntil.getTime();
}

function contactJson(c: Contact): Record<string, unknown> {
  return {
    name: c.name,
    verification: c.verification,
    validUntil: c.card.validUntil.toISOString(),
    expired: expired(c),
    card: cardJson(c.card),
    previousCards: c.history.length,
    groups: c.groups,
    suspendedGroups: c.suspendedGroups,
    labels: c.labels,
    revoked: c.revocation ? c.revocation.reason : null,
  };
}

function contactLine(c: Contact): string {
  const state = c.revocation ? `REVOKED (${c.revocation.reason}, ${c.revocation.effectiveAt.toISOString().slice(0, 10)})` : c.verification;
  const until = c.card.validUntil.toISOString().slice(0, 10);
  const validity = expired(c) ? `EXPIRED ${until}` : `valid until ${until}`;
  const held = c.suspendedGroups.length ? `  groups held until verified: ${c.suspendedGroups.join(', ')}` : '';
  return `${c.name}  ${c.organization} (${c.country})  ${state}  ${validity}${c.groups.length ? `  groups: ${c.groups.join(', ')}` : ''}${held}
  ${formatFingerprint(c.card)}`;
}

const showCard: Command = {
  words: ['card', 'show'],
  summary: 'Show the cards in a key card file and their fingerprints, without a key ring',
  args: '[FILE]',
  positionals: [0, 1],
  positionalFiles: true,
  details: 'Read the fingerprint to your partner over a trusted channel (phone, in person) before you import it with --fingerprint.',
  options: {},
  async run(ctx, input) {
    const cards = await readKeyCards(ctx, input.positionals[0]);
    ctx.result(
      cards.map(cardJson),
      cards.map((c) => `${c.name}  ${c.organization} (${c.country})  valid ${c.validFrom.toISOString().slice(0, 10)} to ${c.validUntil.toISOString().slice(0, 10)}${c.previous ? '  (succeeds an earlier card)' : ''}\n  ${formatFingerprint(c)}`).join('\n'),
    );
  },
};

const importCommand: Command = {
  words: ['contact', 'import'],
  summary: 'Import a partner\'s key card (or rotated card chain, revocation) into your key ring',
  args: '[FILE]',
  positionals: [0, 1],
  positionalFiles: true,
  details:
    'A new contact needs --name. Pass --fingerprint with the fingerprint your partner read to you\n' +
    'out of band to mark it verified at once (the import fails if it does not match). A card that\n' +
    'succeeds a card you know (a rotation) is followed automatically, but a rotation that changes\n' +
    'the name, organization or country leaves the contact unverified until you compare its\n' +
    'fingerprint. Revocations in the file are applied first, wherever they are in it, to every card\n' +
    'of the key that signed them; a key compromise drops a contact back to its last card the\n' +
    'thief cannot have signed, and holds it out of its groups until you verify its new card.',
  options: {
    name: { type: 'string', value: 'NAME', description: 'your local name for a new contact' },
    fingerprint: { type: 'string', value: 'FP', description: 'the fingerprint you compared out of band' },
    introduction: { type: 'string', value: 'FILE', readsFile: true, description: 'an introduction by a contact you verified' },
    group: { type: 'string', multiple: true, value: 'GROUP', description: 'add to a group (seal to all with --to group:GROUP)' },
    label: { type: 'string', multiple: true, value: 'LABEL', description: 'a free-form tag' },
  },
  examples: ['lintas contact import polri.card --name polri --fingerprint "4F2A 9C1B ..." --group partners'],
  async run(ctx, input) {
    const blocks = await readBlocks(ctx, input.positionals[0]);
    const cards = blocks.filter((b) => b.begin === CARD_BEGIN).map((b) => b.text);
    const revocations = blocks.filter((b) => b.begin === REVOCATION_BEGIN).map((b) => b.text);
    const introductionFile = stringOption(input, 'introduction');
    const given = stringOption(input, 'fingerprint');
    if (given !== undefined) checkFingerprintArgument(given, '--fingerprint');
    if (blocks.some((b) => b.begin === INTRODUCTION_BEGIN)) throw usageError('Pass an introduction with --introduction FILE, next to the card it introduces');
    const ring = await ctx.keyRing();
    const results: Record<string, unknown>[] = [];
    const lines: string[] = [];
    // Revocations first, whatever their place in the file: they only withdraw trust, so they
    // always apply, and a new card that rests on a revoked key must meet the revocation
    // (docs/KEYRING.md, "Revocation"). The key ring gives the same result in any order; this
    // order also keeps a revocation from being lost when the card next to it is refused.
    for (const text of revocations) {
      const rev = await decodeRevocation(text);
      const before = new Map(ring.contacts().map((c) => [c.name, c]));
      await ring.importRevocation(rev);
      const who = ring.lookupSigningKey(rev.signingPublicKey) ?? ring.findByFingerprint(rev.fingerprint);
      const label = who?.contact?.name ?? who?.identity?.name ?? formatFingerprint(rev.fingerprint);
      const affected = ring.contacts().filter((c) => {
        const b = before.get(c.name);
        return b !== undefined && (b.verification !== c.verification || !sameCard(b.card, c.card) || b.suspendedGroups.length !== c.suspendedGroups.length);
      });
      results.push({
        action: 'revoked',
        fingerprint: formatFingerprint(rev.fingerprint),
        reason: rev.reason,
        effectiveAt: rev.effectiveAt.toISOString(),
        affected: affected.map(contactJson),
      });
      lines.push(`Applied a revocation (${rev.reason}) of ${label}, effective ${rev.effectiveAt.toISOString()}`);
      for (const c of affected) lines.push(...revocationEffect(before.get(c.name)!, c));
    }
    if (cards.length > 0) {
      const name = stringOption(input, 'name');
      const fingerprint = given === undefined ? undefined : checkFingerprintArgument(given, '--fingerprint');
      const introduction = introductionFile === undefined ? undefined : new TextDecoder().decode(await readInput(ctx.io, introductionFile, 1 << 20));
      let r: ImportKeyCardResult;
      try {
        r = await ring.importKeyCard(cards, {
          ...(name !== undefined ? { name } : {}),
          ...(fingerprint !== undefined ? { fingerprint } : {}),
          ...(introduction !== undefined ? { introduction } : {}),
          groups: stringList(input, 'group'),
          labels: stringList(input, 'label'),
        });
      } catch (e) {
        // The revocations stay applied; say so before the card's error is reported.
        if (lines.length > 0) ctx.note(lines.join('\n'));
        throw e;
      }
      results.push({
        action: r.action,
        contact: contactJson(r.contact),
        changedAttributes: r.changedAttributes,
        dropped: r.dropped.map((c) => formatFingerprint(c)),
      });
      lines.push(`${{ added: 'Added', rotated: 'Followed the rotation of', verified: 'Verified', unchanged: 'Already had' }[r.action]} contact "${r.contact.name}" (${r.contact.verification})`, `  ${formatFingerprint(r.contact.card)}`);
      for (const d of r.dropped) lines.push(`  Dropped a card that also claimed to succeed their old card (its key signed twice: not theirs): ${formatFingerprint(d)}`);
      for (const c of r.changedAttributes) lines.push(`  The new card changes the ${c.attribute} from "${c.from}" to "${c.to}"`);
      if (r.contact.verification === 'unverified') {
        const why = r.changedAttributes.length > 0 ? 'The old key vouches for the new keys, not for a new identity: c' : 'C';
        lines.push(`  ${why}ompare this fingerprint with ${r.contact.name} out of band, then: lintas contact verify ${r.contact.name} "FINGERPRINT"`);
      }
      if (r.contact.suspendedGroups.length > 0) lines.push(`  Held out of its groups (${r.contact.suspendedGroups.join(', ')}) until verified`);
    }
    ctx.result(results.length === 1 ? results[0] : results, lines.join('\n'));
  },
};

function sameCard(a: KeyCard, b: KeyCard): boolean {
  return fingerprintHex(a) === fingerprintHex(b);
}

/** What a revocation did to one contact, for the person at the terminal. */
function revocationEffect(before: Contact, after: Contact): string[] {
  const out: string[] = [];
  if (!sameCard(before.card, after.card)) {
    out.push(`  "${after.name}" dropped back to its card ${formatFingerprint(after.card)}: the later card rested on the compromised key`);
  }
  if (before.verification !== after.verification) out.push(`  "${after.name}" is now ${after.verification}`);
  if (after.suspendedGroups.length > 0) out.push(`  "${after.name}" is held out of its groups (${after.suspendedGroups.join(', ')}) until you verify its new card out of band`);
  return out;
}

function contactsIn(ring: KeyRing, input: CommandInput): Contact[] {
  const group = stringOption(input, 'group');
  return group === undefined ? ring.contacts() : ring.groupMembers(group);
}

const listCommand: Command = {
  words: ['contact', 'list'],
  summary: 'List your contacts with their fingerprints and verification state',
  args: '',
  positionals: [0, 0],
  options: { group: { type: 'string', value: 'GROUP', description: 'only the members of GROUP' } },
  async run(ctx, input) {
    const ring = await ctx.keyRing();
    const contacts = contactsIn(ring, input);
    ctx.result(contacts.map(contactJson), contacts.length === 0 ? 'No contacts yet: lintas contact import FILE --name NAME' : contacts.map(contactLine).join('\n'));
  },
};

const showCommand: Command = {
  words: ['contact', 'show'],
  summary: 'Show a contact: fingerprint, safety number with your identity, verification, history',
  args: 'NAME',
  positionals: [1, 1],
  details:
    'The safety number is the same on both sides: compare it with your partner (each runs\n' +
    '"lintas contact show") over a trusted channel, then mark the contact verified.',
  options: { as: { type: 'string', value: 'IDENTITY', description: 'your identity for the safety number (default: your only one)' } },
  async run(ctx, input) {
    const ring = await ctx.keyRing();
    const contact = ring.contact(input.positionals[0]!);
    const me = ring.identity(ctx.chooseIdentity(ring, stringOption(input, 'as')));
    const number = safetyNumber(me.card, contact.card);
    ctx.result(
      { ...contactJson(contact), safetyNumber: number, with: me.name, history: contact.history.map((c) => formatFingerprint(c)) },
      [
        contactLine(contact),
        `Safety number with ${me.name}: ${number}`,
        ...(contact.history.length ? [`Earlier cards: ${contact.history.map((c) => formatFingerprint(c)).join('; ')}`] : []),
      ].join('\n'),
    );
  },
};

const verifyCommand: Command = {
  words: ['contact', 'verify'],
  summary: 'Mark a contact verified after comparing its fingerprint out of band',
  args: 'NAME FINGERPRINT',
  positionals: [2, 2],
  details: 'FINGERPRINT is what your partner read to you; it must match the contact\'s card exactly.',
  options: {},
  async run(ctx, input) {
    const fingerprint = checkFingerprintArgument(input.positionals[1]!, 'FINGERPRINT');
    const ring = await ctx.keyRing();
    const c = await ring.verifyContact(input.positionals[0]!, fingerprint);
    ctx.result(contactJson(c), `Contact "${c.name}" is now verified`);
  },
};

const updateCommand: Command = {
  words: ['contact', 'update'],
  summary: 'Rename a contact, set its groups or labels, or withdraw its verification',
  args: 'NAME',
  positionals: [1, 1],
  options: {
    rename: { type: 'string', value: 'NEW', description: 'new local name' },
    group: { type: 'string', multiple: true, value: 'GROUP', description: 'the groups (replaces the current list)' },
    'no-groups': { type: 'boolean', description: 'remove from every group' },
    label: { type: 'string', multiple: true, value: 'LABEL', description: 'the labels (replaces the current list)' },
    unverify: { type: 'boolean', description: 'withdraw trust: mark the contact unverified' },
  },
  async run(ctx, input) {
    const ring = await ctx.keyRing();
    const rename = stringOption(input, 'rename');
    const groups = flag(input, 'no-groups') ? [] : input.values.group !== undefined ? stringList(input, 'group') : undefined;
    const labels = input.values.label !== undefined ? stringList(input, 'label') : undefined;
    const c = await ring.updateContact(input.positionals[0]!, {
      ...(rename !== undefined ? { name: rename } : {}),
      ...(groups !== undefined ? { groups } : {}),
      ...(labels !== undefined ? { labels } : {}),
      ...(flag(input, 'unverify') ? { verification: 'unverified' as const } : {}),
    });
    ctx.result(contactJson(c), contactLine(c));
  },
};

const removeCommand: Command = {
  words: ['contact', 'remove'],
  summary: 'Remove a contact from your key ring',
  args: 'NAME',
  positionals: [1, 1],
  options: {},
  async run(ctx, input) {
    const ring = await ctx.keyRing();
    await ring.removeContact(input.positionals[0]!);
    ctx.result({ removed: input.positionals[0] }, `Removed contact "${input.positionals[0]}"`);
  },
};

/** The contact and card commands. */
export const contactCommands: Command[] = [showCard, importCommand, listCommand, showCommand, verifyCommand, updateCommand, removeCommand];
