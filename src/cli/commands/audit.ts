/**
 * `lintas audit show` and `lintas audit verify` (docs/CLI.md, SPEC 12.8): the signed,
 * hash-chained record of what each of your identities sealed, opened and forwarded.
 */
import { readFile, stat } from 'node:fs/promises';
import { verifyAuditLog, type AuditEntry, type AuditVerification } from '../../audit/index.js';
import { toHex } from '../../envelope/hex.js';
import { formatFingerprint, type KeyRing } from '../../keyring/index.js';
import { stringOption, usageError, type Command } from '../command.js';
import { anchorPathOf, type CommandContext } from '../context.js';
import { EXIT } from '../exit-codes.js';

/** How a party (a key card fingerprint) is shown: by name where the key ring knows it. */
type PartyName = (fingerprint: Uint8Array) => string;

/** Without a key ring (`audit verify`): the fingerprint alone. */
const byFingerprint: PartyName = (fp) => `[${formatFingerprint(fp)}]`;

/** With the key ring (`audit show`): contact or identity name, and the fingerprint. */
function partyNamesFrom(ring: KeyRing): PartyName {
  return (fp) => {
    const known = ring.findByFingerprint(fp);
    const name = known?.contact?.name ?? (known?.identity ? `${known.identity.name} (you)` : 'unknown card');
    return `${name} ${byFingerprint(fp)}`;
  };
}

function entryLine(e: AuditEntry, party: PartyName): string {
  const parts = [`#${e.seq}`, e.at.toISOString(), e.event.padEnd(9)];
  if (e.bundleId) parts.push(`bundle ${toHex(e.bundleId)}`);
  if (e.markings) parts.push(`TLP:${e.markings.tlp}`);
  if (e.reason) parts.push(`reason ${e.reason}`);
  if (e.originator && (!e.from || toHex(e.originator) !== toHex(e.from))) parts.push(`originator ${party(e.originator)}`);
  if (e.from) parts.push(`from ${party(e.from)}`);
  if (e.to) parts.push(`to ${e.to.map(party).join(', ')}`);
  if (e.transport) parts.push(`via ${e.transport}`);
  if (e.mailbox) parts.push(`mailbox ${e.mailbox}`);
  if (e.envelopeDigest) parts.push(`envelope sha256 ${toHex(e.envelopeDigest).slice(0, 16)}…`);
  if (e.override) parts.push(`OVERRIDE by ${e.override.authorisedBy}: ${e.override.reason}`);
  return parts.join('  ');
}

/** An entry for --json, with the names of its parties beside their fingerprints. */
function entryJson(e: AuditEntry, ring: KeyRing): Record<string, unknown> {
  const name = (fp: Uint8Array): string | null => {
    const known = ring.findByFingerprint(fp);
    return known?.contact?.name ?? known?.identity?.name ?? null;
  };
  return {
    ...e,
    ...(e.originator ? { originatorName: name(e.originator) } : {}),
    ...(e.from ? { fromName: name(e.from) } : {}),
    ...(e.to ? { toNames: e.to.map(name) } : {}),
  };
}

function verdict(r: AuditVerification): string {
  if (r.ok) return `OK: ${r.entries.length} entr${r.entries.length === 1 ? 'y' : 'ies'} verified${r.signer ? `, signed by ${toHex(r.signer)}` : ''}${r.head ? `, head ${r.head.seq}:${toHex(r.head.hash)}` : ''}`;
  return `BROKEN after ${r.entries.length} good entr${r.entries.length === 1 ? 'y' : 'ies'}: ${r.firstBroken!.message} [${r.firstBroken!.reason}]`;
}

function report(ctx: CommandContext, file: string, r: AuditVerification, anchor: string | null): Record<string, unknown> {
  if (!r.ok) ctx.exitCode = EXIT.tampered;
  return { file, ok: r.ok, entries: r.entries, signer: r.signer, head: r.head, anchor, firstBroken: r.firstBroken };
}

/** The signed anchor kept beside a log (SPEC 12.8), or null. */
async function anchorBeside(file: string): Promise<Uint8Array | null> {
  return readFile(anchorPathOf(file)).then(
    (b) => new Uint8Array(b),
    (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return null;
      throw e;
    },
  );
}

function anchorNote(anchor: string | null): string {
  return anchor === null ? 'no signed anchor: entries cut off the end would not show' : `checked against the signed anchor ${anchor}`;
}

const show: Command = {
  words: ['audit', 'show'],
  summary: 'Show and verify the audit trail of one of your identities',
  args: '',
  positionals: [0, 0],
  details:
    'Parties are named by contact (or identity) name and key card fingerprint.\n' +
    'Every seal, send, receive, open, forward and refusal is recorded in a log signed by the identity and chained by hashes,\n' +
    'so an edited, reordered or deleted entry shows. Each signing key has its own log; after a\n' +
    'rotation the earlier logs are shown too. Exits 4 if a log does not verify.',
  options: {
    as: { type: 'string', value: 'IDENTITY', description: 'whose audit trail (default: your only identity)' },
  },
  async run(ctx, input) {
    const ring = await ctx.keyRing();
    const name = ctx.chooseIdentity(ring, stringOption(input, 'as'));
    const identity = ring.identity(name);
    const logs: Record<string, unknown>[] = [];
    const lines: string[] = [];
    for (const card of [...identity.history, identity.card]) {
      const file = ctx.auditLogPath(name, card.signingPublicKey);
      if (!(await stat(file).then(() => true, () => false))) continue;
      // The log must be signed by this card's key, whoever signed its first entry, and hold every
      // entry its signed anchor vouches for.
      const anchor = await anchorBeside(file);
      const r = await verifyAuditLog(new Uint8Array(await readFile(file)), { signer: card.signingPublicKey, ...(anchor ? { anchor } : {}) });
      const anchorFile = anchor ? anchorPathOf(file) : null;
      logs.push({ ...report(ctx, file, r, anchorFile), entries: r.entries.map((e) => entryJson(e, ring)) });
      lines.push(`${file}:`, ...r.entries.map((e) => entryLine(e, partyNamesFrom(ring))), verdict(r), anchorNote(anchorFile), '');
    }
    ctx.result({ identity: name, logs }, logs.length === 0 ? `${name} has no audit entries yet` : lines.join('\n').trimEnd());
  },
};

function hexKey(value: string, what: string): Uint8Array {
  if (!/^([0-9a-fA-F]{2}){32}$/.test(value)) throw usageError(`${what} must be 64 hex digits`);
  return Uint8Array.from(value.match(/../g)!, (h) => parseInt(h, 16));
}

const verify: Command = {
  words: ['audit', 'verify'],
  summary: 'Verify an audit log file, without a key ring (for reviewers)',
  args: 'FILE',
  positionals: [1, 1],
  positionalFiles: true,
  details:
    'Checks every signature and hash link and reports the first broken entry (exit 4).\n' +
    'With --signer the log must be signed by that Ed25519 key. Entries cut off the end are found\n' +
    'against a signed anchor (SPEC 12.8): FILE.anchor, which lintas keeps beside each log, is used\n' +
    'when present, or --anchor-file; or against a head noted earlier (--anchor SEQ:HASH).',
  options: {
    signer: { type: 'string', value: 'HEX', description: 'the Ed25519 public key the log must be signed with' },
    anchor: { type: 'string', value: 'SEQ:HASH', description: 'a head noted earlier, from a previous verification' },
    'anchor-file': { type: 'string', value: 'PATH', description: 'a signed anchor kept elsewhere (default: FILE.anchor if it exists)' },
  },
  async run(ctx, input) {
    const file = input.positionals[0]!;
    const signer = stringOption(input, 'signer');
    const anchor = stringOption(input, 'anchor');
    const anchorFile = stringOption(input, 'anchor-file');
    if (anchor !== undefined && anchorFile !== undefined) throw usageError('give either --anchor or --anchor-file, not both');
    let anchorValue: { seq: number; hash: Uint8Array } | Uint8Array | undefined;
    let anchorSource: string | null = null;
    if (anchor !== undefined) {
      const m = /^(\d+):(.*)$/.exec(anchor);
      if (!m) throw usageError('--anchor must be SEQ:HASH, as printed by a previous verification');
      anchorValue = { seq: Number(m[1]), hash: hexKey(m[2]!, '--anchor HASH') };
      anchorSource = anchor;
    } else if (anchorFile !== undefined) {
      anchorValue = new Uint8Array(await readFile(anchorFile));
      anchorSource = anchorFile;
    } else {
      const beside = await anchorBeside(file);
      if (beside !== null) {
        anchorValue = beside;
        anchorSource = anchorPathOf(file);
      }
    }
    const bytes = new Uint8Array(await readFile(file));
    const r = await verifyAuditLog(bytes, { ...(signer !== undefined ? { signer: hexKey(signer, '--signer') } : {}), ...(anchorValue ? { anchor: anchorValue } : {}) });
    ctx.result(report(ctx, file, r, anchorSource), [...r.entries.map((e) => entryLine(e, byFingerprint)), verdict(r), anchorNote(anchorSource)].join('\n'));
  },
};

/** The audit commands. */
export const auditCommands: Command[] = [show, verify];
