/**
 * How a CLI command is described (docs/CLI.md): its words, options and help text, and parsing
 * a command line against that description with Node's strict `util.parseArgs`, so an unknown
 * flag or a missing value is a usage error (exit 2), never silently ignored.
 */
import { parseArgs } from 'node:util';
import { LintasError } from '../errors/index.js';
import type { CommandContext } from './context.js';

/** One option of a command. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  /** May be given more than once (values are collected in order). */
  multiple?: boolean;
  short?: string;
  /** Placeholder for the value in help text, e.g. "NAME". */
  value?: string;
  description: string;
}

/** The parsed command line of one command. */
export interface CommandInput {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** A command such as `lintas identity create`. */
export interface Command {
  /** The words after `lintas`, e.g. ['identity', 'create']. */
  words: string[];
  /** One line for the command list. */
  summary: string;
  /** Positional arguments in the usage line, e.g. "NAME" or "[FILE...]". */
  args: string;
  /** Fewest and most positional arguments. */
  positionals: [number, number];
  /** Paragraphs shown by `--help` after the usage line. */
  details?: string;
  options: Record<string, OptionSpec>;
  /** Examples shown by `--help`. */
  examples?: string[];
  run(ctx: CommandContext, input: CommandInput): Promise<void>;
}

/** Options every command accepts (docs/CLI.md, "Global options"). */
export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  home: { type: 'string', value: 'DIR', description: 'lintas home holding the key ring, audit logs and replay logs (default $LINTAS_HOME or ~/.lintas)' },
  json: { type: 'boolean', description: 'print one JSON document on stdout instead of text, for scripts' },
  'passphrase-fd': { type: 'string', value: 'N', description: 'read the key ring passphrase from file descriptor N' },
  'passphrase-file': { type: 'string', value: 'PATH', description: 'read the key ring passphrase from the first line of a file' },
  help: { type: 'boolean', short: 'h', description: 'show help for this command' },
};

/** A usage error: the command line itself is wrong (exit 2). */
export function usageError(message: string): LintasError {
  return new LintasError('ERR_USAGE', message);
}

/** Parse `argv` (the words after the command's own words) for `command`. */
export function parseCommandLine(command: Command, argv: string[]): CommandInput {
  const spec = { ...GLOBAL_OPTIONS, ...command.options };
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {};
  for (const [name, o] of Object.entries(spec)) {
    options[name] = { type: o.type, ...(o.multiple ? { multiple: true } : {}), ...(o.short ? { short: o.short } : {}) };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    // parseArgs says exactly what is wrong ("Unknown option '--x'"); keep its words.
    throw new LintasError('ERR_USAGE', `${(e as Error).message}. See: lintas ${command.words.join(' ')} --help`, { cause: e });
  }
  const values = parsed.values as CommandInput['values'];
  if (values.help) return { values, positionals: parsed.positionals };
  const [min, max] = command.positionals;
  if (parsed.positionals.length < min) throw usageError(`Missing argument: lintas ${command.words.join(' ')} ${command.args}`);
  if (parsed.positionals.length > max) throw usageError(`Unexpected argument "${parsed.positionals[max]}": lintas ${command.words.join(' ')} ${command.args}`);
  return { values, positionals: parsed.positionals };
}

/** The `--help` text of a command. */
export function commandHelp(command: Command): string {
  const lines = [`Usage: lintas ${command.words.join(' ')}${command.args ? ` ${command.args}` : ''} [options]`, '', command.summary];
  if (command.details) lines.push('', command.details);
  const optionLines = (specs: Record<string, OptionSpec>): string[] =>
    Object.entries(specs).map(([name, o]) => {
      const flag = `${o.short ? `-${o.short}, ` : ''}--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`;
      return `  ${flag.padEnd(30)} ${o.description}${o.multiple ? ' (repeatable)' : ''}`;
    });
  if (Object.keys(command.options).length > 0) lines.push('', 'Options:', ...optionLines(command.options));
  lines.push('', 'Global options:', ...optionLines(GLOBAL_OPTIONS));
  if (command.examples?.length) lines.push('', 'Examples:', ...command.examples.map((e) => `  ${e}`));
  return lines.join('\n') + '\n';
}

/** Typed access to parsed option values, with the usage errors a person can act on. */
export function stringOption(input: CommandInput, name: string): string | undefined {
  const v = input.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function requiredString(input: CommandInput, name: string): string {
  const v = stringOption(input, name);
  if (v === undefined || v === '') throw usageError(`--${name} is required`);
  return v;
}

export function stringList(input: CommandInput, name: string): string[] {
  const v = input.values[name];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}

export function flag(input: CommandInput, name: string): boolean {
  return input.values[name] === true;
}

/** A positive whole number option. */
export function integerOption(input: CommandInput, name: string): number | undefined {
  const v = stringOption(input, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw usageError(`--${name} must be a whole number, not "${v}"`);
  return Number(v);
}

/** A date option: an ISO 8601 date or date-time. */
export function dateOption(input: CommandInput, name: string): Date | undefined {
  const v = stringOption(input, name);
  if (v === undefined) return undefined;
  const d = new Date(v);
  if (!/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(d.getTime())) throw usageError(`--${name} must be an ISO 8601 date such as 2027-01-31 or 2027-01-31T12:00:00Z, not "${v}"`);
  return d;
}
