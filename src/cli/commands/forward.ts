/**
 * `lintas forward` (docs/CLI.md, SPEC 12.6): pass a bundle you received on to other recipients
 * without losing who wrote it. The originator's signed manifest and the items travel unchanged,
 * your signed forward record (who, when, to whom, from which envelope, any override) is
 * appended, and the forwarding rules are enforced: TLP:RED is never forwarded, AMBER+STRICT only
 * inside the originator's organization, AMBER only inside yours, REL TO for every new recipient.
 * Re-sealing the items with `lintas seal` would do none of this, which is why `seal` warns when
 * given an envelope.
 */
import { stat } from 'node:fs/promises';
import { armorStream } from '../../envelope/index.js';
import { formatFingerprint } from '../../keyring/index.js';
import { forwardBundleWithKeyRing } from '../../bundle/index.js';
import { flag, stringList, stringOption, usageError, type Command } from '../command.js';
import { writeOutput } from '../files.js';
import { openInput } from '../input-source.js';
import { envelopeOutput } from '../envelope-output.js';
import { formatBytes } from '../terminal.js';

const forward: Command = {
  words: ['forward'],
  summary: 'Forward a bundle you received to other recipients, keeping its originator (SPEC 12.6)',
  args: 'BUNDLE',
  positionals: [1, 1],
  positionalFiles: true,
  details:
    'BUNDLE is an envelope you received (binary or armored, "-" for stdin). It is opened with your\n' +
    'keys and verified as it is re-sealed; the new envelope carries the originator\'s signature and\n' +
    'your signed forward record, so every reader sees who wrote it and who passed it on. The\n' +
    'forwarding rules are checked against each new recipient\'s key card first: TLP:RED is never\n' +
    'forwarded (exit 5, no override lifts it); other violations exit 5 unless --override-reason and\n' +
    '--authorised-by are given, which are recorded in the forward record and your audit log.',
  options: {
    to: { type: 'string', multiple: true, value: 'RECIPIENT', description: 'a contact, group:NAME or fingerprint (required)' },
    from: { type: 'string', value: 'IDENTITY', description: 'your identity that forwards (default: your only one)' },
    out: { type: 'string', short: 'o', value: 'FILE', description: 'write the new envelope to FILE (default stdout)' },
    armor: { type: 'boolean', short: 'a', description: 'ASCII-armored output, for email and chat' },
    'hide-recipients': { type: 'boolean', description: 'do not reveal recipient key ids in the envelope header' },
    'no-padding': { type: 'boolean', description: 'do not pad the envelope size' },
    'require-known-sender': { type: 'boolean', description: 'refuse a bundle whose sealer is not in your key ring' },
    'override-reason': { type: 'string', value: 'TEXT', description: 'forward despite an overridable rule violation, for this recorded reason' },
    'authorised-by': { type: 'string', value: 'WHO', description: 'who authorised the override (required with --override-reason)' },
  },
  examples: ['lintas forward report.lintas --to polri-ops -o report-ops.lintas'],
  async run(ctx, input) {
    const to = stringList(input, 'to');
    if (to.length === 0) throw usageError('--to is required: a contact name, group:NAME or fingerprint');
    const { out, armored, override } = envelopeOutput(ctx, input);
    if (input.positionals[0] === '-' && out === undefined && !armored) throw usageError('Reading the bundle from stdin: write the new envelope with -o FILE or --armor');

    // Streamed from the file (or stdin): memory stays bounded whatever the bundle's size.
    const received = await openInput(ctx.io, input.positionals[0], ctx.interruption);
    ctx.interruption.listen(`forwarding ${received.label}${out !== undefined && out !== '-' ? ` to ${out}` : ''}`);
    const ring = await ctx.keyRing();
    const from = ctx.chooseIdentity(ring, stringOption(input, 'from'), 'from');
    const audit = await ctx.auditLog(ring, from);
    const forwarded = await forwardBundleWithKeyRing(ring, received.chunks, {
      from,
      to,
      audit,
      padding: !flag(input, 'no-padding'),
      hideRecipients: flag(input, 'hide-recipients'),
      requireKnownSender: flag(input, 'require-known-sender'),
      ...(override !== undefined ? { override } : {}),
    });
    // Items are verified as they pass: a damaged bundle fails here and nothing appears at `out`.
    await writeOutput(ctx.io, out, armored ? armorStream(forwarded.envelope) : forwarded.envelope, { interruption: ctx.interruption, kind: 'envelope' });
    const m = forwarded.manifest;
    const recipients = forwarded.record.to.map((fp) => {
      const known = ring.findByFingerprint(fp);
      return { name: known?.contact?.name ?? known?.identity?.name ?? null, fingerprint: formatFingerprint(fp) };
    });
    const summary = `Forwarded "${m.title}" (TLP:${m.markings.tlp}) by ${m.originator.name} (${m.originator.organization}) from ${from} to ${recipients.map((r) => r.name ?? r.fingerprint).join(', ')}`;
    if (out !== undefined && out !== '-') {
      const size = (await stat(out)).size;
      ctx.result(
        {
          bundleId: m.id,
          out,
          bytes: size,
          from,
          to: recipients,
          originator: { ...m.originator, fingerprint: formatFingerprint(m.originator.fingerprint) },
          forwardedAt: forwarded.record.at.toISOString(),
          override: forwarded.override !== null,
        },
        `${summary}: ${out} (${formatBytes(size)})`,
      );
    } else {
      ctx.note(summary);
    }
  },
};

/** The forward command. */
export const forwardCommands: Command[] = [forward];
