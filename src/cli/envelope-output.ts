/**
 * The options of a command that writes one new envelope (`seal`, `forward`): where it goes
 * (`-o FILE`, or stdout), whether it is armored, and a handling-rule override with its reason.
 * One place, so both commands refuse the same unsafe combinations with the same words.
 */
import { flag, stringOption, usageError, type CommandInput } from './options.js';
import type { CommandContext } from './context.js';

/** What {@link envelopeOutput} read and checked. */
export interface EnvelopeOutput {
  /** `-o FILE`, or undefined / "-" for stdout. */
  out: string | undefined;
  /** `--armor`. */
  armored: boolean;
  /** `--override-reason` with `--authorised-by`, or undefined. */
  override: { reason: string; authorisedBy: string } | undefined;
}

/**
 * Reads `--out`, `--armor`, `--override-reason` and `--authorised-by`.
 * @throws {LintasError} `ERR_USAGE` for a binary envelope to a terminal, stdout with `--json`, or
 *   an override reason without who authorised it (or the reverse).
 */
export function envelopeOutput(ctx: CommandContext, input: CommandInput): EnvelopeOutput {
  const out = stringOption(input, 'out');
  const armored = flag(input, 'armor');
  const toStdout = out === undefined || out === '-';
  if (toStdout && ctx.json) throw usageError('With --json, write the envelope to a file with -o FILE');
  if (toStdout && !armored && ctx.io.stdout.isTTY) throw usageError('Refusing to write a binary envelope to the terminal: use -o FILE or --armor');
  const reason = stringOption(input, 'override-reason');
  const authorisedBy = stringOption(input, 'authorised-by');
  if ((reason === undefined) !== (authorisedBy === undefined)) throw usageError('--override-reason and --authorised-by go together');
  return { out, armored, override: reason !== undefined ? { reason, authorisedBy: authorisedBy! } : undefined };
}
