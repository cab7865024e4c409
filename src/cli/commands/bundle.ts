/**
 * `lintas seal`, `lintas open`, `lintas inspect` (docs/CLI.md): bundles of files, stdin and STIX
 * sealed to contacts and groups with handling markings; opened, verified and written out only
 * once everything verified; envelopes described without any key.
 */
import { stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { LintasError } from '../../errors/index.js';
import { inspectStream, armorStream } from '../../envelope/index.js';
import type { EnvelopeInfo } from '../../envelope/open.js';
import { recipientId } from '../../keys/index.js';
import { formatFingerprint, type KeyRing } from '../../keyring/index.js';
import { tlpFromName, type HandlingMarkings } from '../../policy/index.js';
import {
  BUNDLE_LIMITS,
  BundleBuilder,
  bundleIdentityFromKeyRing,
  bundleRecipientsFromKeyRing,
  openBundleWithKeyRing,
  refuseTrustWarnings,
  sealBundleStream,
  trustWarnings,
  type BundleParty,
  type KeyRingOpenedBundle,
} from '../../bundle/index.js';
import { wipe } from '../../crypto/bytes.js';
import { dateOption, flag, requiredString, stringList, stringOption, usageError, type Command } from '../command.js';
import { readInput, writeOutput } from '../files.js';
import { formatBytes } from '../terminal.js';
import { ProgressBar } from '../progress.js';
import { SealItemReader } from '../seal-items.js';
import { DigestingSource, openInput } from '../input-source.js';
import { isText, readItemsForPrinting, saveItems } from '../save-items.js';
import type { CommandContext } from '../context.js';
import { releasabilityOption } from '../releasability.js';
import { checkSealInputs } from '../seal-inputs.js';
import { envelopeOutput } from '../envelope-output.js';
import { describePadding } from '../stanza-padding.js';

const MEDIA_TYPES: Record<string, string> = {
  '.txt': 'text/plain;charset=utf-8',
  '.md': 'text/markdown;charset=utf-8',
  '.csv': 'text/csv;charset=utf-8',
  '.json': 'application/json',
  '.pdf': 'application/pdf',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.zip': 'application/zip',
};

const seal: Command = {
  words: ['seal'],
  summary: 'Seal files (or stdin) as a signed bundle for contacts and groups, with handling markings',
  args: '[FILE...]',
  positionals: [0, 1000],
  positionalFiles: true,
  details:
    'Each FILE becomes an item of the bundle; with no FILE and no --stix, stdin becomes one text item.\n' +
    'The bundle is signed by your identity (--from) and encrypted separately for every recipient.\n' +
    'Handling rules (TLP, REL TO) are checked against each recipient\'s key card before anything is\n' +
    'written; a violation is refused (exit 5) unless an override with a reason is given.\n' +
    '--to takes a contact name, group:NAME, or a fingerprint.',
  options: {
    from: { type: 'string', value: 'IDENTITY', description: 'your identity that signs (default: your only one)' },
    to: { type: 'string', multiple: true, value: 'RECIPIENT', description: 'a contact, group:NAME or fingerprint (required)' },
    tlp: { type: 'string', value: 'LEVEL', description: 'CLEAR, GREEN, AMBER, AMBER+STRICT or RED (required)' },
    title: { type: 'string', value: 'TEXT', description: 'short title shown before opening (default: the file names)' },
    summary: { type: 'string', value: 'TEXT', description: 'free-text summary' },
    classification: { type: 'string', value: 'TEXT', description: 'national classification, e.g. TERBATAS' },
    'rel-to': { type: 'string', multiple: true, value: 'LIST', description: 'REL TO: country codes (ID, MY) and organization names, comma-separated' },
    'amber-org': { type: 'string', multiple: true, value: 'ORG', description: 'TLP:AMBER: another organization the bundle may go to' },
    caveat: { type: 'string', multiple: true, value: 'TEXT', description: 'handling caveat, e.g. NOFORN' },
    stix: { type: 'string', multiple: true, value: 'FILE', readsFile: true, description: 'a STIX 2.1 bundle (JSON) to add as a checked STIX item' },
    expires: { type: 'string', value: 'DATE', description: 'when the bundle expires (ISO 8601)' },
    'hide-recipients': { type: 'boolean', description: 'do not reveal recipient key ids in the envelope header' },
    'no-padding': { type: 'boolean', description: 'do not pad the envelope size (padding hides the exact size)' },
    armor: { type: 'boolean', short: 'a', description: 'ASCII-armored output, for email and chat' },
    out: { type: 'string', short: 'o', value: 'FILE', description: 'write the envelope to FILE (default stdout)' },
    'override-reason': { type: 'string', value: 'TEXT', description: 'seal despite a handling-rule violation, for this recorded reason' },
    'authorised-by': { type: 'string', value: 'WHO', description: 'who authorised the override (required with --override-reason)' },
  },
  examples: [
    'lintas seal report.pdf --stix iocs.json --to polri --to group:asean --tlp AMBER --amber-org "Royal Malaysia Police" -o report.lintas',
    'echo "courier arrives 07:40" | lintas seal --to polri --tlp RED --armor',
  ],
  async run(ctx, input) {
    const recipients = stringList(input, 'to');
    if (recipients.length === 0) throw usageError('--to is required: a contact name, group:NAME or fingerprint');
    const tlp = tlpFromName(requiredString(input, 'tlp'));
    if (tlp === null) throw usageError('--tlp must be CLEAR, GREEN, AMBER, AMBER+STRICT or RED');
    const { out, armored, override } = envelopeOutput(ctx, input);

    const files = input.positionals;
    const stixFiles = stringList(input, 'stix');
    const relTo = releasabilityOption(stringList(input, 'rel-to'));
    const warnings = await checkSealInputs(files);
    for (const w of warnings) ctx.note(`WARNING: ${w}`);
    const markings: HandlingMarkings = {
      tlp,
      ...(stringOption(input, 'classification') !== undefined ? { classification: stringOption(input, 'classification')! } : {}),
      ...(relTo ? { releasableTo: relTo } : {}),
      ...(stringList(input, 'amber-org').length ? { amberOrganizations: stringList(input, 'amber-org') } : {}),
      ...(stringList(input, 'caveat').length ? { caveats: stringList(input, 'caveat') } : {}),
    };
    const expiresAt = dateOption(input, 'expires');
    const names = [...files, ...stixFiles].map((f) => basename(f));
    const builder = new BundleBuilder({
      title: stringOption(input, 'title') ?? (names.length ? names.join(', ').slice(0, 120) : 'Message'),
      ...(stringOption(input, 'summary') !== undefined ? { summary: stringOption(input, 'summary')! } : {}),
      markings,
      ...(expiresAt ? { expiresAt } : {}),
    });
    // The key ring is unlocked before the inputs are read: Argon2id's memory (on its worker
    // thread) comes and goes while the process is still small, instead of on top of what reading
    // a large input leaves behind (docs/PERFORMANCE.md, "The CLI on large files"); and at a prompt
    // the passphrase is asked for before the long read, not after it.
    const ring = await ctx.keyRing();
    ctx.interruption.listen(`sealing ${names.length ? names.join(', ') : 'stdin'}${out !== undefined && out !== '-' ? ` to ${out}` : ''}`);
    const bar = new ProgressBar(ctx.io, 'Sealing', null);
    ctx.onClose(() => bar.finish());
    const reader = new SealItemReader(bar, ctx.interruption);
    for (const f of files) builder.addFile(await reader.file(f, MEDIA_TYPES[extname(f).toLowerCase()] ?? 'application/octet-stream'));
    for (const f of stixFiles) builder.addStix(basename(f), await readInput(ctx.io, f, BUNDLE_LIMITS.maxStixBytes));
    if (files.length === 0 && stixFiles.length === 0) builder.addFile(await reader.stdin(ctx.io, (fn) => ctx.onClose(fn)));

    const from = ctx.chooseIdentity(ring, stringOption(input, 'from'), 'from');
    const sender = bundleIdentityFromKeyRing(ring, from);
    ctx.onClose(() => wipe(sender.signing.secretKey));
    const resolved = bundleRecipientsFromKeyRing(ring, recipients);
    const audit = await ctx.auditLog(ring, from);
    const sealed = await sealBundleStream(builder, {
      sender,
      recipients: resolved,
      audit,
      padding: !flag(input, 'no-padding'),
      hideRecipients: flag(input, 'hide-recipients'),
      ...(override !== undefined ? { override } : {}),
    });
    if (sealed.deliveries.length !== 1) {
      throw new LintasError('ERR_USAGE', `This bundle needs ${sealed.deliveries.length} envelopes (selective release); seal the items separately`);
    }
    const delivery = sealed.deliveries[0]!;
    const total = builder.items.reduce((n, i) => n + i.size, 0);
    reader.startSealing(`Sealing for ${resolved.length} recipient${resolved.length === 1 ? '' : 's'}`, total);
    await writeOutput(ctx.io, out, armored ? armorStream(delivery.envelope) : delivery.envelope, { interruption: ctx.interruption, kind: 'envelope' });
    bar.finish();
    const to = resolved.map((r) => ({ name: r.attributes.name, organization: r.attributes.organization, country: r.attributes.country, fingerprint: formatFingerprint(r.attributes.fingerprint) }));
    if (out !== undefined && out !== '-') {
      const size = (await stat(out)).size;
      ctx.result(
        { bundleId: sealed.bundleId, out, bytes: size, from, to, items: builder.items, markings, override: sealed.override !== null, warnings },
        `Sealed ${builder.items.length} item${builder.items.length === 1 ? '' : 's'} (${formatBytes(total)}) from ${from} to ${to.map((t) => t.name).join(', ')}: ${out} (${formatBytes(size)})`,
      );
    } else {
      ctx.note(`Sealed ${builder.items.length} item${builder.items.length === 1 ? '' : 's'} from ${from} to ${to.map((t) => t.name).join(', ')}`);
    }
  },
};

/** Which of your identities holds the key an envelope was opened with. */
export function identityForRecipient(ring: KeyRing, info: EnvelopeInfo): string | null {
  for (const id of ring.identities()) {
    for (const card of [...id.history, id.card]) {
      if (card.encryptionKeys.some((k) => Buffer.from(recipientId(k)).equals(info.openedWith.recipientId))) return id.name;
    }
  }
  return null;
}

/** How the key ring knows a bundle party: your contact (and how verified), yourself, or nobody. */
export function describeParty(ring: KeyRing, party: BundleParty): { label: string; verification: string } {
  const known = ring.lookupSigningKey(party.signingKey);
  if (known?.contact) {
    const state = known.contact.revocation ? `revoked: ${known.contact.revocation.reason}` : known.contact.verification;
    // The card's attributes, not the manifest's words (openBundleWithKeyRing refuses a contradiction).
    return { label: `${known.contact.name} (${known.card.organization}, ${known.card.country})`, verification: state };
  }
  if (known?.identity) return { label: `${known.identity.name} (yourself)`, verification: 'self' };
  return { label: `${party.name} (${party.organization}, ${party.country})`, verification: 'unknown' };
}

/** Summary of an opened bundle, for text and JSON output. */
export function bundleReport(ring: KeyRing, bundle: KeyRingOpenedBundle): { json: Record<string, unknown>; lines: string[] } {
  const originator = describeParty(ring, bundle.originator);
  const sender = describeParty(ring, bundle.sender);
  const m = bundle.manifest;
  const warnings = trustWarnings(bundle);
  const marks = [`TLP:${m.markings.tlp}`];
  if (m.markings.classification) marks.push(m.markings.classification);
  if (m.markings.releasableTo) marks.push(`REL TO ${[...m.markings.releasableTo.countries, ...m.markings.releasableTo.organizations].join(', ')}`);
  marks.push(...m.markings.caveats);
  const lines = [
    `From: ${originator.label} [${originator.verification}]${bundle.forwarded ? `, forwarded by ${sender.label} [${sender.verification}]` : ''}`,
    `Title: ${m.title}`,
    `Markings: ${marks.join(' / ')}`,
    ...(m.summary ? [`Summary: ${m.summary}`] : []),
    ...(m.override ? [`NOTE: sealed under a handling-rule override: ${m.override.reason} (authorised by ${m.override.authorisedBy})`] : []),
    ...(originator.verification === 'unknown' || originator.verification === 'unverified' ? [`WARNING: the originator is ${originator.verification}: compare fingerprints before trusting it`] : []),
    // Every flag the key ring raised (revoked, expired, superseded, downgraded, ...), by name.
    ...warnings.map((w) => `WARNING: ${w.message} [${w.flag}]`),
  ];
  const json = {
    bundleId: m.id,
    envelopeId: bundle.envelope.envelopeId,
    title: m.title,
    summary: m.summary,
    created: m.created.toISOString(),
    expires: m.expires?.toISOString() ?? null,
    expired: bundle.expired,
    markings: m.markings,
    originator: { ...bundle.originator, fingerprint: formatFingerprint(bundle.originator.fingerprint), verification: originator.verification },
    sender: { ...bundle.sender, fingerprint: formatFingerprint(bundle.sender.fingerprint), verification: sender.verification },
    forwarded: bundle.forwarded,
    override: m.override ? { reason: m.override.reason, authorisedBy: m.override.authorisedBy } : null,
    warnings,
  };
  return { json, lines };
}

const open: Command = {
  words: ['open'],
  summary: 'Open and verify a sealed bundle; print its text, or save its items to a folder',
  args: '[FILE]',
  positionals: [0, 1],
  positionalFiles: true,
  details:
    'Nothing is printed or written until every item and the signature verified. Without -o, text\n' +
    'items are printed and binary items listed; with -o DIR every item is saved there.\n' +
    'Every flag the key ring raises about the parties (revoked, expired or superseded card,\n' +
    'downgraded envelope, originator mismatch, ...) is printed as a WARNING and listed in --json;\n' +
    'with --strict any of them refuses the bundle (exit 5, ERR_BUNDLE_UNTRUSTED) before anything\n' +
    'is printed or saved.\n' +
    'Exit codes: 3 not for any of your keys, 4 tampered or badly signed, 5 refused (unknown sender\n' +
    'with --require-known-sender, expired with --strict-expiry, a warning with --strict), 7 not a\n' +
    'lintas envelope.',
  options: {
    out: { type: 'string', short: 'o', value: 'DIR', description: 'save the items into DIR' },
    force: { type: 'boolean', description: 'overwrite files that already exist in DIR' },
    'require-known-sender': { type: 'boolean', description: 'refuse bundles whose sender is not in your key ring' },
    'strict-expiry': { type: 'boolean', description: 'refuse an expired bundle instead of warning' },
    strict: { type: 'boolean', description: 'refuse the bundle if the key ring raises any warning about it (exit 5)' },
  },
  async run(ctx, input) {
    const dir = stringOption(input, 'out');
    const envelope = await openInput(ctx.io, input.positionals[0], ctx.interruption);
    ctx.interruption.listen(`opening ${envelope.label}${dir !== undefined ? ` into ${dir}` : ''}`);
    const digest = new DigestingSource(envelope.chunks);
    const ring = await ctx.keyRing();
    const bundle = await openBundleWithKeyRing(ring, digest.chunks, {
      requireKnownSender: flag(input, 'require-known-sender'),
      strictExpiry: flag(input, 'strict-expiry'),
    });
    ctx.onClose(() => bundle.close());
    const report = bundleReport(ring, bundle);
    // The sender flags are settled once the envelope signature verified: judge them only then (SPEC 12.2).
    const strict = flag(input, 'strict') ? () => refuseTrustWarnings(bundle) : () => {};
    let items: Record<string, unknown>[];
    let shown: string[] = [];
    if (dir !== undefined) {
      const saved = await saveItems(ctx, bundle, dir, { force: flag(input, 'force'), beforeCommit: strict });
      items = saved.map((s) => ({ ...s }));
      shown = saved.map((s) => `  saved ${s.path} (${s.mediaType}, ${formatBytes(s.size)})`);
    } else {
      const all = await readItemsForPrinting(ctx, bundle);
      strict();
      items = all.map((i) => ({ name: i.name, mediaType: i.mediaType, size: i.size, ...(i.text !== null ? { text: i.text } : {}) }));
      for (const i of all) {
        shown.push(
          i.text !== null
            ? `--- ${i.name} (${i.mediaType})\n${i.text}`
            : `--- ${i.name} (${i.mediaType}, ${formatBytes(i.size)}): ${isText(i.mediaType) ? 'too large to print' : 'binary'}, save it with -o DIR`,
        );
      }
    }
    await recordOpened(ctx, ring, bundle, digest.digest());
    ctx.result({ ...report.json, items }, [...report.lines, ...shown].join('\n'));
  },
};

/**
 * Record an `opened` entry in the receiving identity's audit log, after everything verified.
 * The originator is recorded only when the key ring confirmed the manifest's claim (SPEC 12.8).
 */
export async function recordOpened(ctx: CommandContext, ring: KeyRing, bundle: KeyRingOpenedBundle, envelopeDigest: Uint8Array): Promise<void> {
  const identity = identityForRecipient(ring, bundle.envelope);
  if (identity === null) return;
  const log = await ctx.auditLog(ring, identity);
  await log.record({
    event: 'opened',
    bundleId: bundle.manifest.id,
    manifestDigest: bundle.manifestDigest,
    envelopeId: bundle.envelope.envelopeId,
    envelopeDigest,
    ...(bundle.originatorConfirmed ? { originator: bundle.originatorCard!.fingerprint } : {}),
    from: bundle.sender.fingerprint,
    markings: {
      tlp: bundle.manifest.markings.tlp,
      ...(bundle.manifest.markings.classification ? { classification: bundle.manifest.markings.classification } : {}),
      ...(bundle.manifest.markings.releasableTo ? { releasableTo: bundle.manifest.markings.releasableTo } : {}),
      ...(bundle.manifest.markings.amberOrganizations.length ? { amberOrganizations: bundle.manifest.markings.amberOrganizations } : {}),
      ...(bundle.manifest.markings.caveats.length ? { caveats: bundle.manifest.markings.caveats } : {}),
    },
  });
}

const inspectCommand: Command = {
  words: ['inspect'],
  summary: 'Describe an envelope without any key: size, chunks, recipient stanzas',
  args: '[FILE]',
  positionals: [0, 1],
  positionalFiles: true,
  details: 'Shows what anyone handling the file can see, and checks its structure as a receiver would before decrypting.',
  options: {},
  async run(ctx, input) {
    // A file's size comes from the file system: only its header is read (SPEC 6.8).
    const envelope = await openInput(ctx.io, input.positionals[0], ctx.interruption);
    const r = await inspectStream(envelope.chunks, envelope.size !== null ? { totalBytes: envelope.size } : {});
    const padding = describePadding(r.stanzas.map((s) => s.type));
    ctx.result(
      { ...r, padding: padding.map(({ text: _text, ...p }) => p) },
      [
        `lintas envelope v${r.version}${r.armored ? ' (armored)' : ''}: ${formatBytes(r.totalBytes)}, header ${r.headerBytes} bytes`,
        `payload: ${r.chunkCount} chunk${r.chunkCount === 1 ? '' : 's'} of ${formatBytes(r.chunkSize)}, ${formatBytes(r.plaintextStreamBytes)} of plaintext stream (payload, padding and signature)`,
        `recipients: ${r.stanzas.length} stanza${r.stanzas.length === 1 ? '' : 's'}${r.hiddenRecipients ? ' (hidden: no recipient ids)' : ''}`,
        ...padding.map((p) => `  ${p.text}`),
        ...r.stanzas.map((s) => `  ${s.type.padEnd(7)} ${s.recipientId ?? '(hidden)'}`),
      ].join('\n'),
    );
  },
};

/** The seal, open and inspect commands. */
export const bundleCommands: Command[] = [seal, open, inspectCommand];
