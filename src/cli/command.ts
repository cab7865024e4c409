/**
 * How a CLI command is described (docs/CLI.md): its words, options and help text, and parsing
 * a command line against that description with Node's strict `util.parseArgs`, so an unknown
 * flag or a missing value is a usage error (exit 2), never silently ignored.
 */
import { parseArgs } from 'node:util';
import { LintasError } from '../errors/index.js';
import type { CommandContext } from './context.js';
import { usageError, type CommandInput } from './options.js';

// Commands import the option accessors from here, with the rest of what describes a command.
export { usageError, stringOption, requiredString, stringList, flag, integerOption, dateOption } from './options.js';
export type { CommandInput } from './options.js';

/** One option of a command. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  /** May be given more than once (values are collected in order). */
  multiple?: boolean;
  short?: string;
  /** Placeholder for the value in help text, e.g. "NAME". */
  value?: string;
  description: string;
  /** The value names a file the command reads: checked before the command runs (input-files.ts). */
  readsFile?: boolean;
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
  /** The positional arguments name files the command reads ("-" is stdin). */
  positionalFiles?: boolean;
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
  'passphrase-file': { type: 'string', value: 'PATH', readsFile: true, description: 'read the key ring passphrase from the first line of a file' },
  help: { type: 'boolean', short: 'h', description: 'show help for this command' },
};

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
